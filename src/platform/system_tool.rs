//! Where a host tool named without a folder (`systemctl`, `ps`, `sc.exe`) is run from.
//! midrescue runs elevated, so a bare name must not resolve to a file another user could
//! plant: on Windows the tool comes from `%SystemRoot%\System32` only (never the folder
//! midrescue.exe was started from, which is often a user's Downloads); on Unix from the first
//! `PATH` folder that is absolute and writable by its owner only (root or us), holding a file
//! that is likewise writable only by root or us.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::Platform;

/// The file to run for `program`; a program given with a folder is returned as it is (its
/// provenance is checked where it is chosen).
pub fn resolve(program: &str) -> std::io::Result<PathBuf> {
    let given = Path::new(program);
    if given.components().count() != 1 || given.is_absolute() {
        return Ok(given.to_path_buf());
    }
    let found = match Platform::host() {
        Platform::Windows => windows_tool(program, std::env::var_os("SystemRoot").as_deref()),
        Platform::Linux => unix_tool(program, std::env::var_os("PATH").as_deref()),
    };
    found.ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "`{program}` was not found in a system folder only administrators can write to \
                 (midrescue does not run tools from the current folder, its own folder or a \
                 PATH folder others can write)"
            ),
        )
    })
}

fn windows_tool(program: &str, system_root: Option<&OsStr>) -> Option<PathBuf> {
    let root = system_root
        .map(PathBuf::from)
        .filter(|r| r.is_absolute())
        .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
    // `icacls` means `icacls.exe`; PowerShell lives in its own System32 subfolder.
    let name = if Path::new(program).extension().is_none() {
        format!("{program}.exe")
    } else {
        program.to_string()
    };
    let sys = root.join("System32");
    [
        sys.join(&name),
        sys.join("WindowsPowerShell").join("v1.0").join(&name),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn unix_tool(program: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let dirs = std::env::split_paths(path_var?);
    dirs.filter(|d| d.is_absolute() && owner_only_writable(d, true))
        .map(|d| d.join(program))
        .find(|f| owner_only_writable(f, false))
}

/// `p` (symlinks followed) is a folder (or an executable file), owned by root or by us, and
/// not writable by group or others.
#[cfg(unix)]
fn owner_only_writable(p: &Path, dir: bool) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::metadata(p) else {
        return false;
    };
    let me = nix::unistd::geteuid().as_raw();
    let kind_ok = if dir {
        m.is_dir()
    } else {
        m.is_file() && m.mode() & 0o111 != 0
    };
    kind_ok && (m.uid() == 0 || m.uid() == me) && m.mode() & 0o022 == 0
}

#[cfg(not(unix))]
fn owner_only_writable(p: &Path, dir: bool) -> bool {
    // Only reached when Linux logic runs on a Windows build (tests): no Unix modes to check.
    if dir { p.is_dir() } else { p.is_file() }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tool(dir: &Path, name: &str, mode: u32) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let f = dir.join(name);
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    #[test]
    fn a_bare_name_skips_relative_and_shared_path_folders() {
        let d = tempfile::tempdir().unwrap();
        let shared = d.path().join("shared");
        let planted = tool(&shared, "systemctl", 0o755);
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let loose = d.path().join("loose");
        tool(&loose, "systemctl", 0o777);
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
        let good = tool(&d.path().join("good"), "systemctl", 0o755);
        let path = std::env::join_paths([
            PathBuf::from("relative"),
            PathBuf::new(),
            shared.clone(),
            loose.clone(),
            d.path().join("good"),
        ])
        .unwrap();
        assert_eq!(unix_tool("systemctl", Some(&path)), Some(good));
        // Nothing trusted left: not found (never the planted one).
        let path = std::env::join_paths([shared, loose]).unwrap();
        assert_eq!(unix_tool("systemctl", Some(&path)), None);
        assert!(planted.exists());
        assert_eq!(unix_tool("systemctl", None), None);
    }

    #[test]
    fn windows_tools_come_from_system32_only() {
        let d = tempfile::tempdir().unwrap();
        let sc = tool(&d.path().join("System32"), "sc.exe", 0o755);
        assert_eq!(
            windows_tool("sc.exe", Some(d.path().as_os_str())),
            Some(sc.clone())
        );
        assert_eq!(
            windows_tool("sc", Some(d.path().as_os_str())),
            Some(sc.clone())
        );
        assert_eq!(windows_tool("icacls.exe", Some(d.path().as_os_str())), None);
        let ps = tool(
            &d.path().join("System32/WindowsPowerShell/v1.0"),
            "powershell.exe",
            0o755,
        );
        assert_eq!(
            windows_tool("powershell.exe", Some(d.path().as_os_str())),
            Some(ps)
        );
        // A relative SystemRoot is not used.
        assert_ne!(
            windows_tool("sc.exe", Some(OsStr::new("relative"))),
            Some(PathBuf::from("relative/System32/sc.exe"))
        );
    }

    #[test]
    fn a_program_with_a_folder_is_kept() {
        assert_eq!(
            resolve("/opt/mid/agent/bin/mid.sh").unwrap(),
            PathBuf::from("/opt/mid/agent/bin/mid.sh")
        );
        assert_eq!(resolve("./x").unwrap(), PathBuf::from("./x"));
    }
}
