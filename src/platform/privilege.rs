//! Who we run as, whether the upgrade needs root, and root-owned leftovers after a recovery.
//!
//! KB0779816 says `sudo ./glide-dist-upgrade.sh start` on Linux. That is needed when the install
//! belongs to root or the service is a systemd unit (the upgrade restarts it). In a non-root
//! install, running as root can leave files owned by root that the MID's user then cannot
//! replace at the next upgrade: we look for them afterwards and print the `chown` that fixes it.

use std::path::{Path, PathBuf};

use crate::platform::Platform;

/// The account this process runs as, for display ("user" in a dry run).
pub fn current_user() -> String {
    #[cfg(unix)]
    {
        let uid = nix::unistd::geteuid().as_raw();
        user_name(uid).unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "the current user".to_string())
    }
}

/// Whether this process runs as root (always false off Unix: Windows elevation is not checked).
pub fn is_root() -> bool {
    #[cfg(unix)]
    {
        nix::unistd::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// `whoami /groups`: lists the token's integrity level, whatever the display language.
pub fn elevation_spec() -> crate::platform::exec::CommandSpec {
    crate::platform::exec::CommandSpec::new("whoami.exe", &["/groups", "/fo", "csv", "/nh"])
}

/// Whether a `whoami /groups` listing shows an elevated token: High (`S-1-16-12288`) or System
/// (`S-1-16-16384`) mandatory level. `None` when no integrity level is listed at all.
pub fn parse_elevation(out: &str) -> Option<bool> {
    const HIGH: &str = "S-1-16-12288";
    const SYSTEM: &str = "S-1-16-16384";
    if out.contains(HIGH) || out.contains(SYSTEM) {
        return Some(true);
    }
    // Medium (`S-1-16-8192`), medium plus, low: a filtered (not elevated) token.
    out.contains("S-1-16-").then_some(false)
}

/// Windows: whether this process runs elevated ("Run as administrator"); `None` when it
/// cannot be told. The upgrade stops and starts services, which needs elevation.
pub fn is_elevated(exec: &dyn crate::platform::exec::Exec) -> Option<bool> {
    let out = exec.run(&elevation_spec()).ok()?;
    parse_elevation(&out.stdout)
}

/// `net localgroup Administrators`: the members of the local Administrators group. The
/// group's name is the same on localised Windows through its well-known SID only, so a
/// failure here is "unknown", never "not a member".
pub fn administrators_spec() -> crate::platform::exec::CommandSpec {
    crate::platform::exec::CommandSpec::new("net.exe", &["localgroup", "Administrators"])
}

/// The members listed by `net localgroup <group>`: the lines between the dashed rule and the
/// closing "The command completed" line. `None` when there is no rule (an error message).
pub fn parse_group_members(out: &str) -> Option<Vec<String>> {
    let mut lines = out.lines().map(str::trim);
    lines.find(|l| l.len() >= 10 && l.chars().all(|c| c == '-'))?;
    Some(
        lines
            .take_while(|l| !l.starts_with("The command completed"))
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Owner of a path as (uid, gid), Unix only.
pub fn owner(path: &Path) -> Option<(u32, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some((m.uid(), m.gid()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Why the upgrade needs root on this host, or `None` when it does not.
pub fn root_needed(platform: Platform, agent_dir: &Path, systemd_unit: bool) -> Option<String> {
    if platform != Platform::Linux {
        return None;
    }
    if let Some((0, _)) = owner(agent_dir) {
        return Some(format!("{} belongs to root", agent_dir.display()));
    }
    systemd_unit.then(|| {
        "the MID service is a systemd unit, which only root may restart (KB0779816 uses sudo)"
            .to_string()
    })
}

/// Whether a systemd unit for the MID exists (the default `mid` name or a custom APP_NAME).
pub fn systemd_unit_exists(app_name: Option<&str>) -> bool {
    let name = app_name.unwrap_or("mid");
    [
        "/etc/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
    ]
    .iter()
    .any(|d| Path::new(d).join(format!("{name}.service")).is_file())
}

/// Files left owned by root inside an install that belongs to another user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootOwned {
    pub count: usize,
    /// The first few, for the message.
    pub examples: Vec<PathBuf>,
    /// Whether the walk stopped at its entry limit.
    pub incomplete: bool,
    /// `chown -R user:group <agent>` that gives everything back to the install's owner.
    pub fix: String,
}

/// Walk at most `max_entries` entries of `agent_dir`; `None` when the install itself belongs to
/// root (nothing to fix) or ownership is unknown (not Unix).
pub fn find_root_owned(agent_dir: &Path, max_entries: usize) -> Option<RootOwned> {
    let (uid, gid) = owner(agent_dir)?;
    if uid == 0 {
        return None;
    }
    let mut count = 0;
    let mut examples = Vec::new();
    let mut seen = 0;
    let mut incomplete = false;
    for entry in walkdir::WalkDir::new(agent_dir).follow_links(false) {
        seen += 1;
        if seen > max_entries {
            incomplete = true;
            break;
        }
        let Ok(entry) = entry else { continue };
        if let Some((0, _)) = symlink_owner(entry.path()) {
            count += 1;
            if examples.len() < 5 {
                examples.push(entry.path().to_path_buf());
            }
        }
    }
    let user = user_name(uid).unwrap_or_else(|| uid.to_string());
    let group = group_name(gid).unwrap_or_else(|| gid.to_string());
    (count > 0).then(|| RootOwned {
        count,
        examples,
        incomplete,
        fix: format!("sudo chown -R {user}:{group} {}", agent_dir.display()),
    })
}

fn symlink_owner(path: &Path) -> Option<(u32, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(path).ok()?;
        Some((m.uid(), m.gid()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Name of a uid from the password database (`None` when it cannot be resolved, e.g. a
/// directory account seen by a static binary: callers then show the numeric id).
pub fn user_name(uid: u32) -> Option<String> {
    #[cfg(unix)]
    {
        nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
    }
    #[cfg(not(unix))]
    {
        let _ = uid;
        None
    }
}

/// Name of a gid from the group database (`None` when it cannot be resolved).
pub fn group_name(gid: u32) -> Option<String> {
    #[cfg(unix)]
    {
        nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
            .ok()
            .flatten()
            .map(|g| g.name)
    }
    #[cfg(not(unix))]
    {
        let _ = gid;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_localgroup_members() {
        let out = "Alias name     Administrators\r\nComment        Administrators have complete and unrestricted access\r\n\r\nMembers\r\n\r\n-------------------------------------------------------------------------------\r\nAdministrator\r\nCORP\\Domain Admins\r\nCORP\\svc-mid\r\nThe command completed successfully.\r\n";
        assert_eq!(
            parse_group_members(out).unwrap(),
            vec!["Administrator", "CORP\\Domain Admins", "CORP\\svc-mid"]
        );
        assert_eq!(
            parse_group_members("System error 5 has occurred.\r\nAccess is denied.\r\n"),
            None
        );
    }

    #[test]
    fn elevation_from_whoami_groups() {
        let admin = "\"Everyone\",\"Well-known group\",\"S-1-1-0\",\"Mandatory group, Enabled by default, Enabled group\"\r\n\"BUILTIN\\Administrators\",\"Alias\",\"S-1-5-32-544\",\"Mandatory group, Enabled by default, Enabled group, Group owner\"\r\n\"Mandatory Label\\High Mandatory Level\",\"Label\",\"S-1-16-12288\",\"\"\r\n";
        assert_eq!(parse_elevation(admin), Some(true));
        let filtered = "\"BUILTIN\\Administrators\",\"Alias\",\"S-1-5-32-544\",\"Group used for deny only\"\r\n\"Mandatory Label\\Medium Mandatory Level\",\"Label\",\"S-1-16-8192\",\"\"\r\n";
        assert_eq!(parse_elevation(filtered), Some(false));
        assert_eq!(parse_elevation("ERROR: access denied"), None);
        assert_eq!(
            parse_elevation(
                "\"Mandatory Label\\System Mandatory Level\",\"Label\",\"S-1-16-16384\",\"\""
            ),
            Some(true)
        );
    }

    #[test]
    fn windows_never_needs_root() {
        assert_eq!(root_needed(Platform::Windows, Path::new("/"), true), None);
    }

    #[cfg(unix)]
    #[test]
    fn root_owned_install_needs_root_and_names_resolve() {
        // "/" belongs to root on every Linux host.
        assert!(root_needed(Platform::Linux, Path::new("/"), false).is_some());
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert!(!current_user().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn root_owned_files_in_a_non_root_install_are_found_with_the_fix() {
        use std::os::unix::fs::chown;
        if !is_root() {
            eprintln!("skipped: needs root to give files away");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("agent");
        std::fs::create_dir_all(agent.join("lib")).unwrap();
        std::fs::write(agent.join("lib/new.jar"), b"x").unwrap();
        std::fs::write(agent.join("config.xml"), b"x").unwrap();
        for p in [
            agent.as_path(),
            agent.join("lib").as_path(),
            agent.join("config.xml").as_path(),
        ] {
            chown(p, Some(65534), Some(65534)).unwrap();
        }
        let found = find_root_owned(&agent, 1000).unwrap();
        assert_eq!(found.count, 1);
        assert_eq!(found.examples, vec![agent.join("lib/new.jar")]);
        assert!(found.fix.starts_with("sudo chown -R "));
        assert!(found.fix.ends_with(&agent.display().to_string()));
        // A root install has nothing to give back.
        chown(&agent, Some(0), Some(0)).unwrap();
        assert_eq!(find_root_owned(&agent, 1000), None);
    }
}
