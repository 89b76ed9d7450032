pub mod db;
pub mod fix;
pub mod gateway;
pub mod hook;
pub mod inventory;
pub mod scan;
pub mod validate;
pub mod version;
