//! The upgrade temp folder (mid-server.md §5): from the last ``Added marker `...` `` line first,
//! else by scanning the places the Distribution Upgrade extracts to; and what is inside it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::mid::report::{Attribution, Evidence};
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
        Some("Added") => &line[line.find("Added marker")?..],
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
///
/// A folder in this install's `work/upgrade_temp` is its own; one in an OS temp folder is
/// when its files name the install (`attribution`), or when it carries the long, generated
/// name (`<13 digits>-0`) that this install's own marker line wrote.
pub fn find_named(
    agent_dir: &Path,
    os_temp_dirs: &[PathBuf],
    name: &str,
) -> Option<(PathBuf, Attribution)> {
    let places =
        std::iter::once(agent_dir.join("work/upgrade_temp")).chain(os_temp_dirs.iter().cloned());
    let found: Vec<(PathBuf, Attribution)> = places
        .map(|d| d.join(name))
        .filter(|p| p.is_dir())
        .filter_map(|p| {
            let a = match attribution(&p, agent_dir) {
                Attribution::Unattributed if is_generated_name(name) => Attribution::ByMarker,
                a => a,
            };
            a.is_attributed().then_some((p, a))
        })
        .collect();
    found
        .iter()
        .find(|(p, _)| p.join("upgrade-wrapper").is_dir())
        .or(found.first())
        .cloned()
}

/// `<at least 10 digits>-<digits>`: the epoch-milliseconds name the MID gives a temp folder.
fn is_generated_name(name: &str) -> bool {
    let Some((a, b)) = name.split_once('-') else {
        return false;
    };
    a.len() >= 10
        && a.bytes().all(|c| c.is_ascii_digit())
        && !b.is_empty()
        && b.bytes().all(|c| c.is_ascii_digit())
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

/// How much of the upgrade log is read to find the install it belongs to (its first lines
/// name the agent folder).
const ATTRIBUTION_LOG_HEAD: u64 = 256 * 1024;

/// Whether `temp_dir` belongs to the install in `agent_dir`: by location when it sits in the
/// install's own `work/upgrade_temp`; by content when its `upgrade-wrapper/conf/wrapper.conf`
/// or the head of its upgrade log names the agent folder; else unattributed (a folder in a
/// shared OS temp folder may be another MID's, or planted: never used). Collect and detect
/// both go by this rule.
pub fn attribution(temp_dir: &Path, agent_dir: &Path) -> Attribution {
    let own = agent_dir.join("work").join("upgrade_temp");
    if temp_dir.parent() == Some(own.as_path()) || temp_dir.starts_with(&own) {
        return Attribution::ByLocation;
    }
    let uw = temp_dir.join("upgrade-wrapper");
    let files = [
        (uw.join("conf/wrapper.conf"), 1024 * 1024),
        (uw.join("logs/glide-dist-upgrade.log"), ATTRIBUTION_LOG_HEAD),
    ];
    for (file, limit) in files {
        // Never follow a link out of the folder: it must hold the file itself.
        if !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(bytes) = read_head(&file, limit) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Some((i, line)) = text
            .lines()
            .enumerate()
            .find(|(_, l)| names_path(l, agent_dir))
        {
            return Attribution::ByContent(Evidence {
                file,
                line: i as u64 + 1,
                text: crate::mid::evidence::clean_text(line.trim_end_matches('\r')),
            });
        }
    }
    Attribution::Unattributed
}

fn read_head(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// A path as compared in text: `/` separators, no trailing separator; Windows paths (drive
/// letter) lower-cased, since Windows names are case-insensitive.
fn path_key(s: &str) -> String {
    let unified = s.replace('\\', "/");
    let trimmed = unified.trim_end_matches('/');
    let b = trimmed.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        trimmed.to_ascii_lowercase()
    } else {
        trimmed.to_string()
    }
}

/// Whether `line` names `dir` as a whole path (not `/opt/mid/agent2` for `/opt/mid/agent`,
/// nor `/x/opt/mid/agent`).
pub fn names_path(line: &str, dir: &Path) -> bool {
    let want = path_key(&dir.to_string_lossy());
    if want.is_empty() || want == "/" {
        return false;
    }
    let hay = if want.as_bytes().get(1) == Some(&b':') {
        line.replace('\\', "/").to_ascii_lowercase()
    } else {
        line.replace('\\', "/")
    };
    let path_char = |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_');
    let mut from = 0;
    while let Some(i) = hay[from..].find(&want) {
        let start = from + i;
        let end = start + want.len();
        let before_ok = hay[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !path_char(c));
        let after_ok = hay[end..]
            .chars()
            .next()
            .is_none_or(|c| c == '/' || !path_char(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
        while !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// A temp folder candidate found by scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedTemp {
    pub path: PathBuf,
    pub modified: Option<SystemTime>,
    pub attribution: Attribution,
}

/// Children of `parent` that hold an `upgrade-wrapper` folder (symlinks are not followed).
fn candidates_in(parent: &Path, agent_dir: &Path) -> Vec<ScannedTemp> {
    let Ok(rd) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let path = e.path();
            let meta = std::fs::symlink_metadata(path.join("upgrade-wrapper")).ok()?;
            if !meta.is_dir() {
                return None;
            }
            Some(ScannedTemp {
                modified: e.metadata().ok().and_then(|m| m.modified().ok()),
                attribution: attribution(&path, agent_dir),
                path,
            })
        })
        .collect()
}

/// What a scan for upgrade temp folders found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TempScan {
    /// The newest folder that belongs to this install, and why it does.
    pub chosen: Option<(PathBuf, Attribution)>,
    /// Upgrade temp folders in the OS temp folders that nothing ties to this install.
    pub unattributed: Vec<PathBuf>,
}

/// The newest upgrade temp folder of this install: under `agent/work/upgrade_temp` if any,
/// else in the OS temp folders among those whose files name this install.
pub fn scan_temp_dirs(agent_dir: &Path, os_temp_dirs: &[PathBuf]) -> TempScan {
    let newest = |v: Vec<ScannedTemp>| {
        v.into_iter()
            .max_by_key(|c| (c.modified, c.path.clone()))
            .map(|c| (c.path, c.attribution))
    };
    let mut scan = TempScan::default();
    let local = candidates_in(&agent_dir.join("work/upgrade_temp"), agent_dir);
    let (mine, others): (Vec<ScannedTemp>, Vec<ScannedTemp>) = os_temp_dirs
        .iter()
        .flat_map(|d| candidates_in(d, agent_dir))
        .partition(|c| c.attribution.is_attributed());
    scan.unattributed = others.into_iter().map(|c| c.path).collect();
    scan.unattributed.sort();
    scan.chosen = if local.is_empty() {
        newest(mine)
    } else {
        newest(local)
    };
    scan
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

/// Whether an upgrade process belongs to the install in `agent_dir`: its command line or its
/// working folder names the install's agent folder or its upgrade temp folder. The MID runs
/// `bin/glide-dist-upgrade.sh start` relative to the temp folder, so on Linux the working
/// folder often tells what the command line does not.
pub fn process_attributed(
    p: &crate::platform::service::processes::ProcessInfo,
    agent_dir: &Path,
    temp_dir: Option<&Path>,
) -> bool {
    let dirs = std::iter::once(agent_dir).chain(temp_dir);
    dirs.into_iter().any(|d| {
        names_path(&p.command_line, d)
            || p.cwd
                .as_ref()
                .is_some_and(|c| c.starts_with(d) || names_path(&c.to_string_lossy(), d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::service::processes;

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
        std::fs::create_dir_all(os.join("1-0/upgrade-wrapper/conf")).unwrap();
        std::fs::create_dir_all(os.join("2-0/upgrade-wrapper")).unwrap();
        std::fs::write(
            os.join("1-0/upgrade-wrapper/conf/wrapper.conf"),
            format!("wrapper.app.parameter.2={}\r\n", agent.display()),
        )
        .unwrap();
        let s = scan_temp_dirs(&agent, std::slice::from_ref(&os));
        assert_eq!(s.chosen.as_ref().map(|c| c.0.clone()), Some(os.join("1-0")));
        assert!(matches!(s.chosen, Some((_, Attribution::ByContent(ref e))) if e.line == 1));
        assert_eq!(s.unattributed, vec![os.join("2-0")]);
        std::fs::create_dir_all(agent.join("work/upgrade_temp/5/upgrade-wrapper")).unwrap();
        std::fs::create_dir_all(agent.join("work/upgrade_temp/empty")).unwrap();
        assert_eq!(
            scan_temp_dirs(&agent, &[os]).chosen,
            Some((agent.join("work/upgrade_temp/5"), Attribution::ByLocation))
        );
    }

    #[test]
    fn a_scanned_folder_naming_another_install_is_unattributed() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("mid/agent");
        let os = d.path().join("ostmp");
        for (name, names) in [
            ("1-0", format!("{}2", agent.display())),
            ("2-0", format!("/x{}", agent.display())),
            ("3-0", format!("{}.old/conf", agent.display())),
        ] {
            let conf = os.join(name).join("upgrade-wrapper/conf");
            std::fs::create_dir_all(&conf).unwrap();
            std::fs::write(conf.join("wrapper.conf"), format!("x={names}\n")).unwrap();
        }
        let s = scan_temp_dirs(&agent, std::slice::from_ref(&os));
        assert_eq!(s.chosen, None);
        assert_eq!(s.unattributed.len(), 3);
        // The upgrade log names it: attributed.
        let logs = os.join("3-0/upgrade-wrapper/logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(
            logs.join("glide-dist-upgrade.log"),
            format!("INFO | jvm 1 | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `{}/jre`.\n", agent.display()),
        )
        .unwrap();
        assert!(matches!(
            attribution(&os.join("3-0"), &agent),
            Attribution::ByContent(_)
        ));
    }

    #[test]
    fn windows_paths_match_whatever_the_case_and_separator() {
        let agent = Path::new("C:/ServiceNow/MID Server1/agent");
        assert!(names_path(
            r#"wrapper.java.classpath.1="c:\servicenow\mid server1\agent\lib\*.jar""#,
            agent
        ));
        assert!(!names_path(r"C:\ServiceNow\MID Server1\agent2\lib", agent));
        assert!(!names_path(r"C:\ServiceNow\MID Server1\agent_old", agent));
        assert!(names_path(
            r"cd C:\ServiceNow\MID Server1\agent && x",
            agent
        ));
        assert!(names_path(
            "/opt/servicenow/mid/agent",
            Path::new("/opt/servicenow/mid/agent/")
        ));
        assert!(!names_path(
            "/opt/servicenow/MID/agent",
            Path::new("/opt/servicenow/mid/agent")
        ));
    }
    #[test]
    fn attribution_by_command_line_or_working_folder() {
        let out = " 4242 /bin/sh bin/glide-dist-upgrade.sh start\n 4250 /tmp/1528126003155-0/upgrade-wrapper/bin/wrapper-linux-x86-64 /tmp/1528126003155-0/upgrade-wrapper/conf/wrapper.conf\n 4260 /tmp/1528126003156-0/upgrade-wrapper/bin/wrapper-linux-x86-64 /tmp/1528126003156-0/upgrade-wrapper/conf/wrapper.conf\n";
        let mut l = processes::upgrade_processes(&processes::parse_list(Platform::Linux, out));
        let agent = Path::new("/opt/servicenow/mid/agent");
        let temp = Path::new("/tmp/1528126003155-0");
        assert!(!process_attributed(&l[0], agent, Some(temp)));
        assert!(process_attributed(&l[1], agent, Some(temp)));
        // Another MID's temp folder (one digit apart): not this install's.
        assert!(!process_attributed(&l[2], agent, Some(temp)));
        assert!(!process_attributed(&l[1], agent, None));
        l[0].cwd = Some(temp.join("upgrade-wrapper"));
        assert!(process_attributed(&l[0], agent, Some(temp)));
    }

    #[test]
    fn a_windows_upgrade_process_is_attributed_by_its_temp_folder() {
        let out = "\"ProcessId\",\"CommandLine\"\r\n\"6120\",\"\"\"C:\\WINDOWS\\TEMP\\1569035472492-0\\upgrade-wrapper\\bin\\wrapper-windows-x86-64.exe\"\" -s \"\"C:\\WINDOWS\\TEMP\\1569035472492-0\\upgrade-wrapper\\conf\\wrapper.conf\"\"\"\r\n\"7000\",\"cmd.exe /C bin\\glide-dist-upgrade.bat start\"\r\n";
        let found = processes::upgrade_processes(&processes::parse_list(Platform::Windows, out));
        let temp = Path::new(r"C:\WINDOWS\TEMP\1569035472492-0");
        let agent = Path::new(r"C:\ServiceNow\agent");
        assert!(process_attributed(&found[0], agent, Some(temp)));
        // `cmd.exe /C bin\glide-dist-upgrade.bat start` names no folder: not attributed.
        assert!(!process_attributed(&found[1], agent, Some(temp)));
    }
}
