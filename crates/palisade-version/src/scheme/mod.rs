//! One module per ordering scheme; each parses any string without failing.

pub(crate) mod apk;
pub(crate) mod composer;
pub(crate) mod dpkg;
pub(crate) mod maven;
pub(crate) mod numeric;
pub(crate) mod pep440;
pub(crate) mod rpm;
pub(crate) mod rubygems;
pub(crate) mod semver_like;
