//! Provenance of a file about to run (the platform primitive; `recovery` decides what follows).
//! midrescue runs the upgrade as root or administrator, while the MID's
//! files and the OS temp folders are writable by less privileged accounts. Before anything runs,
//! the file to run and every folder above it up to its temp root are checked:
//!
//! - inside the install's `work/upgrade_temp`, an OS temp folder, or (a lab) the lab's folder;
//! - no symlink in any component below the temp root, no `..`;
//! - Unix: owned by root or by the install's owner, not writable by group or others (the temp
//!   root itself is exempt when it is root-owned and sticky, like `/tmp`);
//! - Windows: no ACL entry that lets Users, Everyone or Authenticated Users change it. Default
//!   ACLs do exactly that under `C:\Windows\Temp` and folders made under `C:\`, so on Windows a
//!   failed check is shown with the exact entry and needs a typed confirmation instead.
//!
//! On Unix a failed check refuses, with the reason and the manual next step.

use std::path::{Component, Path, PathBuf};

use crate::platform::exec::{CommandSpec, Exec};

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Trusted,
    /// Windows: an ACL entry lets non-administrators change what would run.
    Confirm {
        reason: String,
        entry: String,
    },
    Refused {
        reason: String,
    },
}

/// What the check needs to know: where temp folders may be, and who owns the install.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Folders under which an upgrade temp folder may lie (the install's `work/upgrade_temp`,
    /// the OS temp folders, a lab's own folder).
    pub temp_roots: Vec<PathBuf>,
    /// The install's `agent` folder (its owner may own the temp folder).
    pub agent_dir: PathBuf,
}

/// The manual way when a check refuses.
pub const MANUAL: &str = "Check the folder yourself: if you trust it, fix its owner and mode \
(`chown -R root:root <folder>; chmod -R go-w <folder>`) and run again; otherwise use the manual \
procedure KB0713557.";

/// Check `file` (the script or the wrapper) on this host.
pub fn check(file: &Path, bounds: &Bounds, exec: &dyn Exec) -> Trust {
    let Some(root) = root_of(file, &bounds.temp_roots) else {
        return Trust::Refused {
            reason: format!(
                "{} is not inside this install's work/upgrade_temp nor an OS temp folder",
                crate::sanitize::path(file)
            ),
        };
    };
    let chain = chain(&root, file);
    for p in &chain {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Trust::Refused {
                    reason: format!("{} is a symbolic link", crate::sanitize::path(p)),
                };
            }
            Ok(_) => {}
            Err(e) => {
                return Trust::Refused {
                    reason: format!("{} cannot be checked: {e}", crate::sanitize::path(p)),
                };
            }
        }
    }
    if cfg!(unix) {
        unix_owner_and_mode(&root, &chain, &bounds.agent_dir)
    } else {
        windows_acl(&chain, exec)
    }
}

/// The temp root `file` lies under (lexically; a `..` anywhere refuses).
fn root_of(file: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    if !file.is_absolute() || file.components().any(|c| c == Component::ParentDir) {
        return None;
    }
    roots
        .iter()
        .filter(|r| file.starts_with(r) && file != r.as_path())
        .max_by_key(|r| r.components().count())
        .cloned()
}

/// `root`, then each folder down to `file`, then `file`.
fn chain(root: &Path, file: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut p = root.to_path_buf();
    if let Ok(rest) = file.strip_prefix(root) {
        for c in rest.components() {
            p.push(c);
            out.push(p.clone());
        }
    }
    out
}

#[cfg(unix)]
fn unix_owner_and_mode(root: &Path, chain: &[PathBuf], agent_dir: &Path) -> Trust {
    use std::os::unix::fs::MetadataExt;
    let owner = crate::platform::privilege::owner(agent_dir).map(|(u, _)| u);
    for p in chain {
        let Ok(m) = std::fs::symlink_metadata(p) else {
            return Trust::Refused {
                reason: format!("{} vanished while being checked", crate::sanitize::path(p)),
            };
        };
        let (uid, mode) = (m.uid(), m.mode());
        // /tmp and the like: root-owned and sticky, writable by all on purpose.
        if p == root && uid == 0 && mode & 0o1000 != 0 {
            continue;
        }
        let who =
            crate::platform::privilege::user_name(uid).unwrap_or_else(|| format!("uid {uid}"));
        if uid != 0 && Some(uid) != owner {
            return Trust::Refused {
                reason: format!(
                    "{} belongs to {who}, neither root nor the MID's account",
                    crate::sanitize::path(p)
                ),
            };
        }
        if mode & 0o022 != 0 {
            return Trust::Refused {
                reason: format!(
                    "{} can be changed by other accounts (mode {:o})",
                    crate::sanitize::path(p),
                    mode & 0o7777
                ),
            };
        }
    }
    Trust::Trusted
}

#[cfg(not(unix))]
fn unix_owner_and_mode(_root: &Path, _chain: &[PathBuf], _agent_dir: &Path) -> Trust {
    Trust::Trusted
}

fn windows_acl(chain: &[PathBuf], exec: &dyn Exec) -> Trust {
    for p in chain {
        let spec = CommandSpec {
            program: "icacls".into(),
            args: vec![p.to_string_lossy().into_owned()],
            cwd: Some(std::env::temp_dir()),
        };
        match exec.run(&spec) {
            Ok(out) => {
                if let Some(entry) = writable_by_others(&out.stdout) {
                    return Trust::Confirm {
                        reason: format!(
                            "{} can be changed by non-administrators",
                            crate::sanitize::path(p)
                        ),
                        entry,
                    };
                }
            }
            Err(e) => {
                return Trust::Confirm {
                    reason: format!(
                        "the permissions of {} could not be read ({e})",
                        crate::sanitize::path(p)
                    ),
                    entry: String::new(),
                };
            }
        }
    }
    Trust::Trusted
}

/// The first `icacls` entry that lets a broad group change the object: write, modify or full
/// control for Users, Everyone, Authenticated Users (and their usual spellings).
pub fn writable_by_others(icacls: &str) -> Option<String> {
    const BROAD: [&str; 5] = [
        "BUILTIN\\Users:",
        "Everyone:",
        "NT AUTHORITY\\Authenticated Users:",
        "Authenticated Users:",
        "Users:",
    ];
    const WRITE: [&str; 8] = [
        "(F)", "(M)", "(W)", "(WD)", "(AD)", "(GA)", "(GW)", "(WDAC)",
    ];
    icacls.lines().find_map(|line| {
        let at = BROAD
            .iter()
            .find_map(|b| line.find(b).map(|i| (i, b.len())))?;
        let rights = &line[at.0 + at.1..];
        let rights_upper = rights.to_ascii_uppercase();
        // Inherit-only entries `(IO)` do not apply to the object itself.
        if rights_upper.contains("(IO)") {
            return None;
        }
        let writes = WRITE.iter().any(|w| rights_upper.contains(w))
            || rights_upper.contains(",W")
            || rights_upper.contains("W,");
        writes.then(|| line.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icacls_entries_that_let_users_change_the_folder_are_found() {
        let out = "C:\\Windows\\Temp\\1569035472492-0 BUILTIN\\Users:(OI)(CI)(M)\r\n\
                   NT AUTHORITY\\SYSTEM:(OI)(CI)(F)\r\n\
                   BUILTIN\\Administrators:(OI)(CI)(F)\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n";
        assert_eq!(
            writable_by_others(out).as_deref(),
            Some("C:\\Windows\\Temp\\1569035472492-0 BUILTIN\\Users:(OI)(CI)(M)")
        );
        let ok = "C:\\ServiceNow\\MID\\agent\\work\\upgrade_temp\\1-0 NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)\r\n\
                  BUILTIN\\Administrators:(I)(OI)(CI)(F)\r\n\
                  BUILTIN\\Users:(I)(OI)(CI)(RX)\r\n";
        assert_eq!(writable_by_others(ok), None);
        let creator = "C:\\x CREATOR OWNER:(OI)(CI)(IO)(F)\r\n BUILTIN\\Users:(OI)(CI)(IO)(W)\r\n";
        assert_eq!(writable_by_others(creator), None, "inherit-only entries");
        let everyone = "C:\\x Everyone:(F)\r\n";
        assert!(writable_by_others(everyone).is_some());
    }

    #[test]
    fn outside_every_temp_root_or_with_dot_dot_is_refused() {
        let roots = vec![
            PathBuf::from("/opt/mid/agent/work/upgrade_temp"),
            PathBuf::from("/tmp"),
        ];
        assert_eq!(
            root_of(
                Path::new("/tmp/1-0/upgrade-wrapper/bin/glide-dist-upgrade.sh"),
                &roots
            ),
            Some(PathBuf::from("/tmp"))
        );
        assert_eq!(
            root_of(Path::new("/home/eve/1-0/glide-dist-upgrade.sh"), &roots),
            None
        );
        assert_eq!(root_of(Path::new("/tmp/../etc/x.sh"), &roots), None);
        assert_eq!(root_of(Path::new("tmp/1-0/x.sh"), &roots), None);
    }
}
