//! midrescue's own diagnostic log: `tracing` to a file, never to the terminal (the wizard owns it).

use std::path::{Path, PathBuf};

/// Start logging to `path` or to a new file under the temp folder. Returns the file's path, or
/// `None` when no log file could be opened (midrescue then runs without one).
pub fn init(path: Option<&Path>) -> Option<PathBuf> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => default_log_path(),
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
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

fn default_log_path() -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir()
        .join("midrescue")
        .join("logs")
        .join(format!("midrescue-{stamp}-{}.log", std::process::id()))
}
