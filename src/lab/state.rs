//! The lab file as shared state between the lab's processes (create, simulator, MID process,
//! instance stand-in, stop, service control), and the process helpers they use.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::{LAB_FILE, LabInfo};

/// The lab's private folder (lock file, its processes' diagnostic logs) at the lab root.
pub const INTERNAL_DIR: &str = ".midrescue-lab";

pub fn internal_dir(root: &Path) -> PathBuf {
    root.join(INTERNAL_DIR)
}

/// Write the lab file atomically (temp file + rename).
pub fn write_info(root: &Path, info: &LabInfo) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(info)?;
    let tmp = internal_dir(root).join(format!("{LAB_FILE}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    let res = rename_over(&tmp, &root.join(LAB_FILE));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("replacing {}", root.join(LAB_FILE).display()))
}

/// `rename`, retried for up to 2 s while Windows refuses to replace a file another process has
/// open (another lab process reading the lab file: access denied or a sharing violation, where
/// std cannot use POSIX rename semantics, as on Windows before 10 1607 and under Wine).
fn rename_over(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::rename(from, to) {
            Err(e) if is_windows_sharing_refusal(&e) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// ERROR_ACCESS_DENIED (5), ERROR_SHARING_VIOLATION (32), ERROR_LOCK_VIOLATION (33) on Windows.
fn is_windows_sharing_refusal(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

/// Read-modify-write the lab file under an exclusive lock, so the lab's processes do not lose
/// each other's updates. Fails when the lab is gone.
pub fn update_info<T>(root: &Path, f: impl FnOnce(&mut LabInfo) -> T) -> anyhow::Result<T> {
    let lock_path = internal_dir(root).join("lock");
    if !root.join(LAB_FILE).is_file() {
        anyhow::bail!("{} is no lab (or it was removed)", root.display());
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    // fs4 rather than std's `File::lock` (stable only since 1.89, above our MSRV).
    fs4::FileExt::lock(&lock).with_context(|| format!("locking {}", lock_path.display()))?;
    let mut info = super::read_lab_info(root)?;
    let out = f(&mut info);
    let res = write_info(root, &info);
    let _ = fs4::FileExt::unlock(&lock);
    res.map(|()| out)
}

/// Whether `pid` is a live process (zombies count as dead).
pub fn pid_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(p) = i32::try_from(pid) else {
            return false;
        };
        // Signal "none" only checks that the process exists.
        let exists = match nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None) {
            Ok(()) => true,
            Err(e) => e == nix::errno::Errno::EPERM,
        };
        if !exists {
            return false;
        }
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
                .unwrap_or(true),
            Err(_) => true,
        }
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
        use windows_sys::Win32::System::Threading::{
            GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
        };
        // SAFETY: OpenProcess takes plain values; a null handle means no such process (or no
        // right to ask, which a lab process started by the same user always grants).
        let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if h.is_null() {
            return false;
        }
        let mut code = 0u32;
        // SAFETY: `h` is a valid process handle, closed right after; `code` is valid storage.
        let ok = unsafe { GetExitCodeProcess(h, &mut code) } != 0;
        // SAFETY: `h` came from OpenProcess and is closed once.
        unsafe { CloseHandle(h) };
        ok && code == STILL_ACTIVE as u32
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = pid;
        false
    }
}

/// Whether `pid` is alive and is one of this lab's processes (guards against pid reuse by
/// checking its command line names the lab root, where /proc exists).
pub fn is_lab_process(pid: u32, root: &Path) -> bool {
    if !pid_alive(pid) {
        return false;
    }
    // No /proc on Windows, where pids are reused soon: the process must run the lab's midrescue.
    #[cfg(windows)]
    {
        let want = super::read_lab_info(root)
            .ok()
            .and_then(|i| i.exe)
            .or_else(|| std::env::current_exe().ok());
        return match (windows_image_path(pid), want) {
            (Some(have), Some(want)) => {
                have.to_string_lossy().to_lowercase() == want.to_string_lossy().to_lowercase()
            }
            _ => false,
        };
    }
    #[cfg_attr(windows, allow(unreachable_code))]
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(raw) => {
            let needle = root.to_string_lossy();
            let canonical = std::fs::canonicalize(root).ok();
            raw.split(|b| *b == 0).any(|arg| {
                let arg = String::from_utf8_lossy(arg);
                // The same folder may have been named through a symlink.
                arg == needle
                    || (arg.starts_with('/')
                        && canonical.is_some()
                        && std::fs::canonicalize(arg.as_ref()).ok() == canonical)
            })
        }
        Err(_) => true,
    }
}

/// The executable a Windows process runs (`C:\...\midrescue.exe`).
#[cfg(windows)]
fn windows_image_path(pid: u32) -> Option<PathBuf> {
    use std::os::windows::ffi::OsStringExt;
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::Threading::{
        OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
        QueryFullProcessImageNameW,
    };
    let mut buf = vec![0u16; 32_768];
    let mut len = buf.len() as u32;
    // SAFETY: plain values in; the handle is checked, used once and closed; `buf` holds `len`
    // UTF-16 units and `len` is updated to the length written.
    let ok = unsafe {
        let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if h.is_null() {
            return None;
        }
        let ok = QueryFullProcessImageNameW(h, PROCESS_NAME_WIN32, buf.as_mut_ptr(), &mut len);
        CloseHandle(h);
        ok != 0
    };
    ok.then(|| PathBuf::from(std::ffi::OsString::from_wide(&buf[..len as usize])))
}

/// Send SIGTERM (or SIGKILL when `hard`) to a lab process.
pub fn signal(pid: u32, hard: bool) {
    #[cfg(unix)]
    {
        if let Ok(p) = i32::try_from(pid) {
            use nix::sys::signal::Signal;
            let sig = if hard {
                Signal::SIGKILL
            } else {
                Signal::SIGTERM
            };
            // A pid we recorded and re-checked as ours; gone already is fine.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), sig);
        }
    }
    // Windows has no polite signal: the stop flag in the lab file is the request, and a
    // straggler is terminated.
    #[cfg(windows)]
    if hard {
        use windows_sys::Win32::Foundation::CloseHandle;
        use windows_sys::Win32::System::Threading::{
            OpenProcess, PROCESS_TERMINATE, TerminateProcess,
        };
        // SAFETY: plain values in; the handle is checked, used once and closed.
        unsafe {
            let h = OpenProcess(PROCESS_TERMINATE, 0, pid);
            if !h.is_null() {
                TerminateProcess(h, 1);
                CloseHandle(h);
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (pid, hard);
    }
}

/// A working directory outside the lab (safety rule 3: never inside the install or temp folder).
pub fn neutral_dir(root: &Path) -> PathBuf {
    let tmp = std::env::temp_dir();
    if !tmp.starts_with(root) && tmp.is_dir() {
        return tmp;
    }
    root.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Start `exe lab <role> --lab <root>` detached: own process group, no terminal, cwd outside the
/// lab, its diagnostics in the lab's private folder. Returns its pid.
pub fn spawn_lab_process(
    exe: &Path,
    root: &Path,
    role: &str,
    extra: &[&str],
) -> anyhow::Result<u32> {
    use std::process::{Command, Stdio};
    let log = internal_dir(root).join(format!("{role}.log"));
    let mut cmd = Command::new(exe);
    crate::platform::instance::scrub_child_env(&mut cmd);
    cmd.arg("--log-file")
        .arg(&log)
        .args(["lab", role, "--lab"])
        .arg(root)
        .args(extra)
        .current_dir(neutral_dir(root))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {} lab {role}", exe.display()))?;
    let pid = child.id();
    // Reap it when it ends, so a long-lived caller (tests, the demo) keeps no zombie.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(pid)
}

/// Poll `cond` every 50 ms for up to `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The speed factor: the `MIDRESCUE_LAB_SPEED` environment variable beats the lab file.
pub fn effective_speed(info: &LabInfo) -> f64 {
    std::env::var("MIDRESCUE_LAB_SPEED")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(info.speed)
        .max(0.01)
}

/// Whether a lab process should end: the lab was stopped, or its file or folder is gone.
pub fn lab_gone_or_stopped(root: &Path) -> bool {
    match super::read_lab_info(root) {
        Ok(info) => info.stop_requested,
        // A half-written file cannot happen (atomic rename); only a missing one ends us.
        Err(_) => !root.join(LAB_FILE).is_file(),
    }
}
