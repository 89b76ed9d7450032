pub mod db;
pub mod inventory;
pub mod version;
