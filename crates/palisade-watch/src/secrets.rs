//! Webhook secrets at rest: sealed with a key kept outside the database.
//!
//! A watch's secret signs its deliveries, so whoever reads it can forge
//! them. The database is a file people copy (backups, CI caches, bug
//! reports); the key that seals the secrets lives elsewhere (the CLI keeps
//! it in the user's configuration directory, mode 0600), so a copied
//! database alone does not reveal them. Secrets are sealed with
//! ChaCha20-Poly1305 under a random 256-bit key and a fresh nonce each.

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{Error, Result};

/// What a sealed secret starts with in the database.
const SEALED: &str = "sealed:v1:";

/// The key that seals and opens webhook secrets.
pub struct SecretKey {
    key: LessSafeKey,
    path: PathBuf,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("path", &self.path)
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl SecretKey {
    /// Reads the key at `path`, or makes one there (mode 0600, its folder
    /// created) when there is none.
    pub fn load_or_create(path: &Path) -> Result<SecretKey> {
        let io = |e: std::io::Error| Error::Invalid(format!("secret key {}: {e}", path.display()));
        let bytes = match std::fs::read_to_string(path) {
            Ok(text) => unhex(text.trim())
                .filter(|b| b.len() == 32)
                .ok_or_else(|| {
                    Error::Invalid(format!("secret key {}: not 64 hex digits", path.display()))
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = vec![0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| Error::Invalid("the system random source failed".into()))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(io)?;
                file.write_all(format!("{}\n", hex(&bytes)).as_bytes())
                    .map_err(io)?;
                bytes
            }
            Err(e) => return Err(io(e)),
        };
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| Error::Invalid("secret key: unusable".into()))?;
        Ok(SecretKey {
            key: LessSafeKey::new(unbound),
            path: path.to_path_buf(),
        })
    }

    /// `plain` sealed: `sealed:v1:` and the nonce and ciphertext in hex.
    pub(crate) fn seal(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::Invalid("the system random source failed".into()))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| Error::Invalid("cannot seal a secret".into()))?;
        Ok(format!("{SEALED}{}:{}", hex(&nonce), hex(&data)))
    }

    /// The secret in `stored`, opened if sealed.
    pub(crate) fn open(&self, stored: &str) -> Result<String> {
        let Some(rest) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_string());
        };
        let wrong = || {
            Error::Invalid(format!(
                "a webhook secret does not open with the key in {} (was the database made with another key?)",
                self.path.display()
            ))
        };
        let (nonce, data) = rest.split_once(':').ok_or_else(wrong)?;
        let nonce: [u8; NONCE_LEN] = unhex(nonce)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(wrong)?;
        let mut data = unhex(data).ok_or_else(wrong)?;
        let plain = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

/// Whether a stored secret is sealed.
pub(crate) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("conf/secret.key");
        let key = SecretKey::load_or_create(&path).expect("key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = key.seal("s3cret").expect("seal");
        assert!(is_sealed(&sealed) && !sealed.contains("s3cret"), "{sealed}");
        assert_ne!(
            key.seal("s3cret").expect("seal"),
            sealed,
            "a fresh nonce each time"
        );
        let again = SecretKey::load_or_create(&path).expect("the same key");
        assert_eq!(again.open(&sealed).expect("open"), "s3cret");
        assert_eq!(again.open("plain-legacy").expect("legacy"), "plain-legacy");
        let other = SecretKey::load_or_create(&dir.path().join("other.key")).expect("key");
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('0');
        assert!(again.open(&tampered).is_err() || tampered == sealed);
        std::fs::write(&path, "short").expect("write");
        assert!(SecretKey::load_or_create(&path).is_err());
    }
}
