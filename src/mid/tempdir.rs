//! The upgrade temp folder (mid-server.md §5): from the last ``Added marker `...` `` line first,
//! else by scanning the places the Distribution Upgrade extracts to; and what is inside it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::platform::Platform;

/// The path of a marker line: a timestamped agent-log line whose message is
/// ``Added marker `<path>` to upgrade marker file.`` (whatever thread wrote it; legacy lines may
/// have no thread column). A line that merely contains the phrase (a quoted path, a message of
/// another component) is not a marker: the folder it names would be run as root.
pub fn marker_path(line: &str) -> Option<&str> {
    let parsed = super::logline::parse(line)?;
    if !matches!(
        parsed.format,
        super::logline::LineFormat::AgentIso | super::logline::LineFormat::AgentLegacy
    ) {
        return None;
    }
    let message = parsed.message.trim_end();
    let whole = match parsed.thread {
        // Legacy lines without a thread column: the parser took the first word as the thread.
        Some(t) if t == "Added" => &line[line.find("Added marker")?..],
        _ => message,
    };
    marker_in_message(whole.trim_end())
}

/// The path in a message ``Added marker `<path>` to upgrade marker file.`` (nothing else).
pub fn marker_in_message(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("Added marker `")?;
    let rest = rest.strip_suffix("to upgrade marker file.")?.trim_end();
    let p = rest.strip_suffix('`')?.trim();
    (!p.is_empty() && !p.contains('`')).then_some(p)
}

/// The last component of a marker path written on either OS (`C:\WINDOWS\TEMP\1-0\` → `1-0`).
pub fn marker_name(raw: &str) -> Option<&str> {
    raw.trim_end_matches(['\\', '/'])
        .rsplit(['\\', '/'])
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
}

/// The folder a marker path names, as it exists on this host: the path as written; resolved
/// against the install when relative (`agent/work/...`, `../agent/work/...`, `work/...`); with
/// `\` turned into `/` when a Windows-layout install is read on a Unix host; and, for a Rome+
/// `...\work\upgrade_temp\<n>` written where the install had another path (a copy, a
/// remount), `<agent>/work/upgrade_temp/<n>`. `exists` tells whether it was found.
pub fn resolve_marker_path(raw: &str, agent_dir: &Path, platform: Platform) -> (PathBuf, bool) {
    let trimmed = raw.trim_end_matches(['\\', '/']);
    let trimmed = if trimmed.is_empty() { raw } else { trimmed };
    let mut candidates = vec![PathBuf::from(trimmed)];
    if platform == Platform::Windows && cfg!(unix) && trimmed.contains('\\') {
        candidates.push(PathBuf::from(trimmed.replace('\\', "/")));
    }
    let mut all = Vec::new();
    for c in candidates {
        if c.is_absolute() {
            all.push(c);
        } else {
            // Never relative to our own working directory: relative to the install.
            if let Some(parent) = agent_dir.parent() {
                all.push(parent.join(&c));
            }
            all.push(agent_dir.join(&c));
        }
    }
    let unified = trimmed.replace('\\', "/");
    if let Some((_, tail)) = unified.rsplit_once("work/upgrade_temp/")
        && !tail.is_empty()
        && !tail.split('/').any(|c| c == "..")
    {
        all.push(agent_dir.join("work/upgrade_temp").join(tail));
    }
    if let Some(p) = all.iter().find(|p| p.is_dir()) {
        return (p.clone(), true);
    }
    match rerooted(&unified, agent_dir) {
        Some(p) => (p, true),
        None => (PathBuf::from(raw), false),
    }
}

/// An absolute marker path (`C:\WINDOWS\TEMP\<n>`, `/tmp/<n>`) re-rooted under an ancestor
/// of the install: a copy of a host's disk (an image mounted for analysis, a lab) keeps the
/// temp folder at `<copy>/WINDOWS/TEMP/<n>` beside `<copy>/ServiceNow/.../agent`. Names match
/// case-insensitively, as on Windows. Nearest ancestor first.
fn rerooted(unified: &str, agent_dir: &Path) -> Option<PathBuf> {
    let b = unified.as_bytes();
    let rel = if b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        &unified[3..]
    } else {
        unified.strip_prefix('/')?
    };
    let parts: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
    if parts.is_empty() || parts.iter().any(|c| *c == "." || *c == "..") {
        return None;
    }
    agent_dir
        .ancestors()
        .skip(1)
        .find_map(|a| child_path_nocase(a, &parts))
}

/// `base/<parts...>` matching each name case-insensitively; `None` unless it is a folder.
fn child_path_nocase(base: &Path, parts: &[&str]) -> Option<PathBuf> {
    let mut cur = base.to_path_buf();
    for part in parts {
        let exact = cur.join(part);
        cur = if exact.is_dir() {
            exact
        } else {
            std::fs::read_dir(&cur)
                .ok()?
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(part))?
                .path()
        };
    }
    cur.is_dir().then_some(cur)
}

/// A folder named `name` where upgrade temp folders live (`agent/work/upgrade_temp`, then the
/// OS temp folders): the marker's folder when the path it was written with does not exist
/// here (an OS temp of another host layout). Those holding `upgrade-wrapper` come first.
pub fn find_named(agent_dir: &Path, os_temp_dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    let places =
        std::iter::once(agent_dir.join("work/upgrade_temp")).chain(os_temp_dirs.iter().cloned());
    let found: Vec<PathBuf> = places
        .map(|d| d.join(name))
        .filter(|p| p.is_dir())
        .collect();
    found
        .iter()
        .find(|p| p.join("upgrade-wrapper").is_dir())
        .or(found.first())
        .cloned()
}

/// Where to look for upgrade temp folders: `agent/work/upgrade_temp` first (Rome+), then the OS
/// temp folders (pre-Rome or `mid.upgrade.use_os_temp_folder`).
pub fn default_os_temp_dirs(platform: Platform) -> Vec<PathBuf> {
    match platform {
        Platform::Linux => vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")],
        Platform::Windows => {
            let mut v = Vec::new();
            if let Some(root) = std::env::var_os("SystemRoot") {
                v.push(PathBuf::from(root).join("TEMP"));
            }
            if let Some(t) = std::env::var_os("TEMP") {
                v.push(PathBuf::from(t));
            }
            v.push(PathBuf::from(r"C:\Windows\Temp"));
            v
        }
    }
}

/// A temp folder candidate found by scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedTemp {
    pub path: PathBuf,
    pub modified: Option<SystemTime>,
    /// Whether its upgrade wrapper conf names this install (strong match for OS temp folders).
    pub names_install: bool,
}

/// Children of `parent` that hold an `upgrade-wrapper` folder (symlinks are not followed).
fn candidates_in(parent: &Path, agent_dir: &Path) -> Vec<ScannedTemp> {
    let Ok(rd) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let agent_text = agent_dir.to_string_lossy().to_string();
    rd.filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let path = e.path();
            let uw = path.join("upgrade-wrapper");
            let meta = std::fs::symlink_metadata(&uw).ok()?;
            if !meta.is_dir() {
                return None;
            }
            let conf =
                crate::mid::smallfile::read(&uw.join("conf/wrapper.conf")).unwrap_or_default();
            let names_install =
                !agent_text.is_empty() && String::from_utf8_lossy(&conf).contains(&agent_text);
            Some(ScannedTemp {
                modified: e.metadata().ok().and_then(|m| m.modified().ok()),
                path,
                names_install,
            })
        })
        .collect()
}

/// The newest upgrade temp folder: under `agent/work/upgrade_temp` if any, else in the OS temp
/// folders (those naming this install first).
pub fn scan_temp_dirs(agent_dir: &Path, os_temp_dirs: &[PathBuf]) -> Option<PathBuf> {
    let newest = |v: Vec<ScannedTemp>| {
        v.into_iter()
            .max_by_key(|c| (c.names_install, c.modified, c.path.clone()))
            .map(|c| c.path)
    };
    let local = candidates_in(&agent_dir.join("work/upgrade_temp"), agent_dir);
    if !local.is_empty() {
        return newest(local);
    }
    newest(
        os_temp_dirs
            .iter()
            .flat_map(|d| candidates_in(d, agent_dir))
            .collect(),
    )
}

/// What the temp folder holds for a re-run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpgradeFiles {
    pub script: PathBuf,
    pub script_exists: bool,
    pub script_executable: Option<bool>,
    pub wrapper_conf: Option<PathBuf>,
    pub wrapper_exe: Option<PathBuf>,
    pub upgrade_log: Option<PathBuf>,
}

/// Inspect `<temp>/upgrade-wrapper`.
pub fn inspect(temp_dir: &Path, platform: Platform) -> UpgradeFiles {
    let uw = temp_dir.join("upgrade-wrapper");
    let (own, other) = match platform {
        Platform::Windows => ("glide-dist-upgrade.bat", "glide-dist-upgrade.sh"),
        Platform::Linux => ("glide-dist-upgrade.sh", "glide-dist-upgrade.bat"),
    };
    let own_path = uw.join("bin").join(own);
    let other_path = uw.join("bin").join(other);
    let script = if !own_path.is_file() && other_path.is_file() {
        other_path
    } else {
        own_path
    };
    let script_exists = script.is_file();
    let script_executable = (script_exists && platform == Platform::Linux)
        .then(|| is_executable(&script))
        .flatten();
    let existing = |p: PathBuf| p.is_file().then_some(p);
    let wrapper_exe = std::fs::read_dir(uw.join("bin")).ok().and_then(|rd| {
        rd.filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("wrapper-"))
            })
            .min_by_key(|p| {
                // Prefer the platform's own wrapper binary.
                let n = p.to_string_lossy().to_string();
                n.contains("windows") != (platform == Platform::Windows)
            })
    });
    UpgradeFiles {
        script,
        script_exists,
        script_executable,
        wrapper_conf: existing(uw.join("conf/wrapper.conf")),
        wrapper_exe,
        upgrade_log: existing(uw.join("logs/glide-dist-upgrade.log")),
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> Option<bool> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_p: &Path) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_paths() {
        assert_eq!(
            marker_path(
                "09/21/19 16:28:12 (551) AutoUpgrade.3600 Added marker `C:\\WINDOWS\\TEMP\\1569035472492-0` to upgrade marker file."
            ),
            Some("C:\\WINDOWS\\TEMP\\1569035472492-0")
        );
        assert_eq!(
            marker_in_message("Added marker `/tmp/1528126003155-0` to upgrade marker file."),
            Some("/tmp/1528126003155-0")
        );
        assert_eq!(
            marker_in_message("Added service `x` to upgrade marker file."),
            None
        );
        assert_eq!(marker_in_message("Added marker `` to"), None);
        // The phrase inside another message is not a marker (the trust boundary: its folder
        // would be run as root).
        assert_eq!(
            marker_path(
                "2026-11-22T03:07:46.112+0000 INFO (Worker-3) [Probe:12] user said: Added marker `/home/eve/x` to upgrade marker file."
            ),
            None
        );
        assert_eq!(
            marker_path("Added marker `/tmp/1-0` to upgrade marker file."),
            None
        );
        assert_eq!(
            marker_path(
                "2026-11-22T03:07:46.112+0000 INFO (AutoUpgrade.3600) [AutoUpgrade:311] Added marker `/opt/mid/agent/work/upgrade_temp/1-0` to upgrade marker file."
            ),
            Some("/opt/mid/agent/work/upgrade_temp/1-0")
        );
        assert_eq!(
            marker_path(
                "09/21/19 16:28:12 (551) Added marker `C:\\WINDOWS\\TEMP\\1-0` to upgrade marker file.\r"
            ),
            Some("C:\\WINDOWS\\TEMP\\1-0")
        );
    }

    #[test]
    fn marker_resolution_with_backslashes() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        let t = agent.join("work/upgrade_temp/123");
        std::fs::create_dir_all(&t).unwrap();
        let raw = format!("{}\\work\\upgrade_temp\\123", agent.display());
        assert_eq!(
            resolve_marker_path(&raw, &agent, Platform::Windows),
            (t.clone(), true)
        );
        let (p, ok) = resolve_marker_path(r"C:\WINDOWS\TEMP\1-0", &agent, Platform::Windows);
        assert_eq!((p, ok), (PathBuf::from(r"C:\WINDOWS\TEMP\1-0"), false));
        assert_eq!(
            resolve_marker_path("work/upgrade_temp/123", &agent, Platform::Linux),
            (agent.join("work/upgrade_temp/123"), true)
        );
    }

    #[test]
    fn scan_prefers_agent_work_and_newest() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        let os = d.path().join("ostmp");
        std::fs::create_dir_all(os.join("1-0/upgrade-wrapper")).unwrap();
        assert_eq!(
            scan_temp_dirs(&agent, std::slice::from_ref(&os)),
            Some(os.join("1-0"))
        );
        std::fs::create_dir_all(agent.join("work/upgrade_temp/5/upgrade-wrapper")).unwrap();
        std::fs::create_dir_all(agent.join("work/upgrade_temp/empty")).unwrap();
        assert_eq!(
            scan_temp_dirs(&agent, &[os]),
            Some(agent.join("work/upgrade_temp/5"))
        );
    }
}
