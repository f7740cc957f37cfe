//! The one confirmed change the engine makes to the upgrade's own files: `chmod +x` on the proven
//! upgrade script (KB0690910), when the MID could not run it. Only the script detect found in the
//! upgrade temp folder, only when it is a plain file, only the exec bits. A `noexec` mount is
//! never remounted here: the face shows the remount as a command to copy.

use std::path::{Path, PathBuf};

use super::Install;
use crate::platform::Platform;

/// What can be done about a script the upgrade cannot execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFix {
    pub script: PathBuf,
    /// The script has no exec bit: `chmod +x` (this module) fixes it.
    pub needs_chmod: bool,
    /// `chmod +x <script>` as the operator would type it.
    pub chmod_command: String,
    /// The script's folder is on a `noexec` mount: only a remount (by the operator) helps.
    pub noexec: Option<NoexecMount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoexecMount {
    pub mount_point: PathBuf,
    /// `mount -o remount,exec <mount point>`, to copy (never run by midrescue).
    pub remount_command: String,
}

/// The proven script: the one detect found, named as the KB names it, inside the temp folder.
fn proven_script(install: &Install) -> Option<PathBuf> {
    let report = &install.report;
    if report.platform != Platform::Linux {
        return None;
    }
    let up = report.upgrade.as_ref()?;
    let temp = up.temp_dir.as_ref()?;
    let script = up.script.as_ref()?;
    let named = script
        .file_name()
        .is_some_and(|n| n == "glide-dist-upgrade.sh");
    let inside = script.starts_with(temp);
    let plain = std::fs::symlink_metadata(script).is_ok_and(|m| m.file_type().is_file());
    // The same provenance rule as for running it: no link on the way, owner and modes sound,
    // so a chmod as root can never be steered to another file.
    let trusted = matches!(
        crate::platform::provenance::check(
            script,
            &crate::platform::provenance::Bounds {
                temp_roots: install.temp_roots.clone(),
                agent_dir: report.agent_dir.clone(),
            },
            &crate::platform::exec::SystemExec::default(),
        ),
        crate::platform::provenance::Trust::Trusted
    );
    (named && inside && plain && trusted).then(|| script.clone())
}

/// What to offer for the script, if it cannot be executed as it is (`None`: nothing to fix).
pub fn script_fix(install: &Install) -> Option<ScriptFix> {
    let script = proven_script(install)?;
    let needs_chmod = !has_exec_bit(&script);
    let noexec = std::fs::read_to_string("/proc/self/mounts")
        .ok()
        .and_then(|m| noexec_mount(&script, &m));
    (needs_chmod || noexec.is_some()).then(|| ScriptFix {
        chmod_command: format!("chmod +x {}", shell_quote(&script)),
        script,
        needs_chmod,
        noexec,
    })
}

/// `chmod +x` on the proven script (the operator confirmed it). Returns the new mode, e.g.
/// `rwxr-xr-x`.
pub fn make_executable(install: &Install) -> anyhow::Result<String> {
    let fix = script_fix(install).ok_or_else(|| {
        anyhow::anyhow!("the upgrade script needs no chmod (or is not the proven one)")
    })?;
    if !fix.needs_chmod {
        anyhow::bail!("the script is already executable; its mount is noexec: remount it yourself");
    }
    chmod_plus_x(&fix.script)
}

#[cfg(unix)]
fn has_exec_bit(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn has_exec_bit(_p: &Path) -> bool {
    true
}

#[cfg(unix)]
fn chmod_plus_x(p: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p)
        .with_context(|| format!("reading {}", crate::sanitize::path(p)))?
        .permissions()
        .mode();
    // As `chmod +x` does for whoever may read it: the owner always, group and others if they read.
    let new = mode | 0o100 | ((mode & 0o044) >> 2);
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(new))
        .with_context(|| format!("chmod +x {}", crate::sanitize::path(p)))?;
    Ok(mode_text(new))
}

#[cfg(not(unix))]
fn chmod_plus_x(_p: &Path) -> anyhow::Result<String> {
    anyhow::bail!("chmod applies to Linux hosts only")
}

#[cfg(any(unix, test))]
fn mode_text(mode: u32) -> String {
    (0..9)
        .map(|i| {
            let bit = 0o400 >> i;
            if mode & bit == 0 {
                '-'
            } else {
                ['r', 'w', 'x'][i % 3]
            }
        })
        .collect()
}

fn shell_quote(p: &Path) -> String {
    let s = crate::sanitize::text(&p.to_string_lossy());
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `noexec` mount holding `path`, from `/proc/self/mounts` text (the longest mount point
/// that contains it).
pub fn noexec_mount(path: &Path, mounts: &str) -> Option<NoexecMount> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_dev, point, _fs, opts) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some((PathBuf::from(unescape(point)), opts.to_string()))
        })
        .filter(|(point, _)| path.starts_with(point))
        .max_by_key(|(point, _)| point.as_os_str().len())
        .filter(|(_, opts)| opts.split(',').any(|o| o == "noexec"))
        .map(|(point, _)| NoexecMount {
            remount_command: format!("mount -o remount,exec {}", shell_quote(&point)),
            mount_point: point,
        })
}

/// `/proc/mounts` writes space, tab, newline and backslash as octal escapes.
fn unescape(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_mount_point_decides_noexec() {
        let mounts = "/dev/sda1 / ext4 rw,relatime 0 0\n\
                      tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n\
                      /dev/sdb1 /tmp/ok\\040dir ext4 rw 0 0\n";
        let m = noexec_mount(
            Path::new("/tmp/x/upgrade-wrapper/bin/glide-dist-upgrade.sh"),
            mounts,
        )
        .unwrap();
        assert_eq!(m.mount_point, PathBuf::from("/tmp"));
        assert_eq!(m.remount_command, "mount -o remount,exec /tmp");
        assert!(noexec_mount(Path::new("/tmp/ok dir/a.sh"), mounts).is_none());
        assert!(noexec_mount(Path::new("/opt/mid/a.sh"), mounts).is_none());
    }

    #[test]
    fn modes_read_as_ls_shows_them() {
        assert_eq!(mode_text(0o755), "rwxr-xr-x");
        assert_eq!(mode_text(0o640), "rw-r-----");
        assert_eq!(shell_quote(Path::new("/a b/c")), "'/a b/c'");
    }

    #[cfg(unix)]
    #[test]
    fn chmod_adds_exec_where_read_is() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("glide-dist-upgrade.sh");
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(chmod_plus_x(&p).unwrap(), "rwxr-x---");
        assert!(has_exec_bit(&p));
    }
}
