//! Root-owned files in a non-root MID install (Linux): running the upgrade script with `sudo`
//! (as KB0779816 says) can leave files the service user cannot replace at the next upgrade.

use std::path::{Path, PathBuf};

/// Files inspected per folder, so a huge folder cannot slow detect down.
#[cfg(unix)]
const PER_DIR: usize = 500;

/// The uid of `user` in `/etc/passwd`-format text.
pub fn uid_of_user(passwd: &str, user: &str) -> Option<u32> {
    passwd.lines().find_map(|l| {
        let mut it = l.split(':');
        (it.next()? == user).then_some(())?;
        it.next()?;
        it.next()?.trim().parse().ok()
    })
}

/// Files and folders among `entries` (path, owner uid) owned by root while the service runs as
/// `service_uid` (nothing when the service itself runs as root).
pub fn root_owned(entries: &[(PathBuf, u32)], service_uid: u32) -> Vec<PathBuf> {
    if service_uid == 0 {
        return Vec::new();
    }
    entries
        .iter()
        .filter(|(_, uid)| *uid == 0)
        .map(|(p, _)| p.clone())
        .collect()
}

/// Owners of the entries the upgrade replaces: `agent/` itself, its top level, `bin`, `lib`,
/// `conf`, `jre` (not followed through symlinks).
#[cfg(unix)]
pub fn owners(agent_dir: &Path) -> Vec<(PathBuf, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut v = Vec::new();
    let mut push = |p: PathBuf| {
        if let Ok(m) = std::fs::symlink_metadata(&p) {
            v.push((p, m.uid()));
        }
    };
    push(agent_dir.to_path_buf());
    for d in ["", "bin", "lib", "conf", "jre"] {
        let dir = agent_dir.join(d);
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.filter_map(Result::ok).take(PER_DIR) {
                push(e.path());
            }
        }
    }
    v
}

#[cfg(not(unix))]
pub fn owners(_agent_dir: &Path) -> Vec<(PathBuf, u32)> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_root_files() {
        let p =
            "root:x:0:0:root:/root:/bin/bash\nmidserver:x:1001:1001::/home/midserver:/bin/bash\n";
        assert_eq!(uid_of_user(p, "midserver"), Some(1001));
        assert_eq!(uid_of_user(p, "root"), Some(0));
        assert_eq!(uid_of_user(p, "nobody"), None);
        let e = vec![
            (PathBuf::from("/a/lib/x.jar"), 0),
            (PathBuf::from("/a/lib/y.jar"), 1001),
        ];
        assert_eq!(root_owned(&e, 1001), vec![PathBuf::from("/a/lib/x.jar")]);
        assert!(root_owned(&e, 0).is_empty());
    }
}
