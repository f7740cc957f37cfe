//! midrescue's own diagnostic log: `tracing` to a file, never to the terminal (the wizard owns it).
//!
//! The log names host paths and what was run, so it is private: by default a new 0600 file in
//! the user's own state folder (`$XDG_STATE_HOME/midrescue/logs`, `~/.local/state/midrescue/logs`,
//! `%LOCALAPPDATA%\midrescue\logs`), never a shared temp folder; symlinks are not followed.

use std::path::{Path, PathBuf};

use crate::platform::private_fs;

/// Start logging to `path` or to a new file in the state folder. Returns the file's path, or
/// `None` when no log file could be opened (midrescue then runs without one, and says so on
/// stderr when the file was asked for with `--log-file`).
pub fn init(path: Option<&Path>) -> Option<PathBuf> {
    let opened = match path {
        Some(p) => open_named(p).map(|f| (p.to_path_buf(), f)),
        None => open_default(),
    };
    let (path, file) = match opened {
        Ok(x) => x,
        Err(e) => {
            if path.is_some() {
                eprintln!(
                    "midrescue: no diagnostic log: {}",
                    crate::sanitize::text(&format!("{e:#}"))
                );
            }
            return None;
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MIDRESCUE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .is_ok();
    ok.then_some(path)
}

/// `--log-file FILE`: its folder must be private to us; the file is appended to when it is
/// already our own private file, else created 0600.
fn open_named(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_fs::ensure_private_dir(dir)?;
    }
    private_fs::open_private_append(path)
}

fn open_default() -> anyhow::Result<(PathBuf, std::fs::File)> {
    let dir = default_log_dir()?;
    private_fs::ensure_private_dir(&dir)?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("midrescue-{stamp}-{}.log", std::process::id()));
    let file = private_fs::create_private_file(&path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    Ok((path, file))
}

/// Where the default log files go.
pub fn default_log_dir() -> anyhow::Result<PathBuf> {
    Ok(private_fs::own_state_dir()?.join("logs"))
}
