//! Which processes hold files open under some folders (the preflight's lock check). Linux:
//! every `/proc/<pid>/fd/*` link is read (readlink only: nothing is opened). Windows has no
//! such listing without the Restart Manager or handle.exe, so the scan says it could not look.

use std::path::{Path, PathBuf};

/// One open file of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The process's name (`/proc/<pid>/comm`) and command line, for the evidence.
    pub name: String,
    pub command_line: String,
    pub file: PathBuf,
}

/// What a scan found, and how much it could see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolderScan {
    pub holders: Vec<Holder>,
    /// Processes whose open files could not be read (another user's, without root).
    pub uninspected: usize,
    /// Why the scan could not run at all (no /proc, another OS).
    pub unsupported: Option<String>,
}

/// Scan `proc_root` (`/proc` on a host) for files open under any of `roots`. At most `limit`
/// holders are kept (a backup tool may hold thousands).
pub fn scan(proc_root: &Path, roots: &[PathBuf], limit: usize) -> HolderScan {
    let mut out = HolderScan::default();
    let Ok(rd) = std::fs::read_dir(proc_root) else {
        out.unsupported = Some(format!("{} cannot be read", proc_root.display()));
        return out;
    };
    let me = std::process::id();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let dir = e.path();
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            // Gone meanwhile, or another user's without root.
            if dir.exists() {
                out.uninspected += 1;
            }
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if !roots.iter().any(|r| target.starts_with(r)) {
                continue;
            }
            if out.holders.len() < limit {
                out.holders.push(Holder {
                    pid,
                    name: read_trim(&dir.join("comm")),
                    command_line: read_cmdline(&dir.join("cmdline")),
                    file: target,
                });
            }
        }
    }
    out.holders
        .sort_by(|a, b| (a.pid, &a.file).cmp(&(b.pid, &b.file)));
    out.holders.dedup();
    out
}

fn read_trim(p: &Path) -> String {
    std::fs::read_to_string(p)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `cmdline` is NUL-separated; shown with spaces, cut to keep evidence readable.
fn read_cmdline(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap_or_default();
    let s: String = String::from_utf8_lossy(&bytes)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    s.chars().take(300).collect()
}

/// The parent pid of `pid` (`/proc/<pid>/stat`, field 4, after the `)` of the name).
pub fn parent_pid(proc_root: &Path, pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// This host's scan: `/proc` on Linux; on other systems, an explicit "could not check".
pub fn host_scan(roots: &[PathBuf]) -> HolderScan {
    if cfg!(target_os = "linux") {
        scan(Path::new("/proc"), roots, 200)
    } else {
        HolderScan {
            unsupported: Some(
                "listing open files needs the Restart Manager or Sysinternals handle.exe, which \
                 midrescue does not use yet"
                    .into(),
            ),
            ..HolderScan::default()
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_holding_a_file() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        let jar = lib.join("mid.jar");
        std::fs::write(&jar, "x").unwrap();
        // A real other process holding the file open.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3<\"$1\"; exec sleep 30")
            .arg("sh")
            .arg(&jar)
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut found = HolderScan::default();
        for _ in 0..50 {
            found = scan(Path::new("/proc"), std::slice::from_ref(&lib), 10);
            if !found.holders.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let parent = parent_pid(Path::new("/proc"), pid);
        let _ = child.kill();
        let _ = child.wait();
        let h = found.holders.iter().find(|h| h.pid == pid).expect("holder");
        assert_eq!(h.file, jar);
        assert_eq!(parent, Some(std::process::id()));
        // Nothing under another root.
        let other = scan(Path::new("/proc"), &[d.path().join("jre")], 10);
        assert!(other.holders.iter().all(|h| h.pid != pid));
    }

    #[test]
    fn a_missing_proc_is_unsupported() {
        let s = scan(Path::new("/nonexistent-proc"), &[], 1);
        assert!(s.unsupported.is_some());
    }
}
