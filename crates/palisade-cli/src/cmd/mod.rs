pub mod db;
pub mod version;
