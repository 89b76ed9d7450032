//! Where the database lives by default.

use std::path::PathBuf;

/// `$PALISADE_DB`, else the platform data directory:
/// `$XDG_DATA_HOME/palisade/palisade.db` or `~/.local/share/palisade/palisade.db` on
/// Linux, `~/Library/Application Support/palisade/palisade.db` on macOS,
/// `%APPDATA%\palisade\palisade.db` on Windows.
pub fn default_db() -> PathBuf {
    if let Some(path) = std::env::var_os("PALISADE_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    data_dir().join("palisade").join("palisade.db")
}

/// The key that seals webhook secrets in the database:
/// `$PALISADE_SECRET_KEY_FILE`, else `$XDG_CONFIG_HOME/palisade/secret.key`
/// or `~/.config/palisade/secret.key` (`~/Library/Preferences/palisade` on
/// macOS, `%APPDATA%\palisade` on Windows): apart from the database, so a
/// copy of the database alone does not give the secrets away.
pub fn secret_key_file() -> PathBuf {
    if let Some(path) = std::env::var_os("PALISADE_SECRET_KEY_FILE").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    config_dir().join("palisade").join("secret.key")
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn config_dir() -> PathBuf {
    if cfg!(windows) {
        return std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(home);
    }
    if cfg!(target_os = "macos") {
        return home().join("Library/Preferences");
    }
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home().join(".config"))
}

fn data_dir() -> PathBuf {
    if cfg!(windows) {
        return std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(home);
    }
    if cfg!(target_os = "macos") {
        return home().join("Library/Application Support");
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home().join(".local/share"))
}
