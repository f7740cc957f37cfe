//! The `rerun-fails-again` lab's lock holder: a real process that keeps the locked file (e.g.
//! `agent/lib/mid.jar`) open, as antivirus or a stray java would, so the trainee can find it with
//! the advised tool (`lsof <file>` / `fuser -v <file>` on Linux; Resource Monitor or `handle.exe`
//! on Windows) and stop it. While it lives, the lab's re-run fails on that file again; once it is
//! gone, a re-run reaches Up. It ends by itself when the lab is stopped or removed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::state;

/// `lab hold-lock`'s role name (the process's command line says what it is).
pub const ROLE: &str = "hold-lock";

/// Where the holder writes its pid (the lab's private folder).
pub fn pid_file(root: &Path) -> PathBuf {
    state::internal_dir(root).join("lock-holder.pid")
}

/// The holder's pid, while it is alive and is this lab's.
pub fn holder(root: &Path) -> Option<u32> {
    let pid = std::fs::read_to_string(pid_file(root))
        .ok()?
        .trim()
        .parse::<u32>()
        .ok()?;
    state::is_lab_process(pid, root).then_some(pid)
}

/// Start the holder on `agent/<rel>` and wait until it holds the file.
pub fn start(exe: &Path, root: &Path, rel: &str) -> anyhow::Result<u32> {
    let pid = state::spawn_lab_process(exe, root, ROLE, &["--file", rel])?;
    if !state::wait_until(Duration::from_secs(10), || holder(root) == Some(pid)) {
        anyhow::bail!("the lab's lock holder did not start");
    }
    Ok(pid)
}

/// `midrescue lab hold-lock`: open the file, keep it open until the lab stops.
pub fn run(root: &Path, rel: &str) -> anyhow::Result<u8> {
    let rel = Path::new(rel);
    if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
        anyhow::bail!("--file must be a path under the lab's agent folder");
    }
    let path = root.join("agent").join(rel);
    let file = std::fs::File::open(&path)?;
    let me = std::process::id();
    let pid_path = pid_file(root);
    std::fs::write(&pid_path, format!("{me}\n"))?;
    tracing::info!(pid = me, file = %path.display(), "holding the file open");
    let mine = || std::fs::read_to_string(&pid_path).is_ok_and(|s| s.trim() == me.to_string());
    while mine() && !state::lab_gone_or_stopped(root) {
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(file);
    if mine() {
        let _ = std::fs::remove_file(&pid_path);
    }
    Ok(0)
}
