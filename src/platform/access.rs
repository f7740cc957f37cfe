//! Whether an account could write a folder, from its owner and mode bits (Unix), without
//! writing anything: the preflight is read-only. ACLs beyond the mode bits are not read.

use std::path::Path;

/// An account as the kernel sees it: uid and every group it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gids: Vec<u32>,
}

/// The account called `name` (uid, primary and supplementary groups), from the password and
/// group databases. `None` when it cannot be resolved (a directory account seen by a static
/// binary, or not Unix).
pub fn account(name: &str) -> Option<Account> {
    #[cfg(unix)]
    {
        let user = nix::unistd::User::from_name(name).ok().flatten()?;
        let mut gids = vec![user.gid.as_raw()];
        #[cfg(target_os = "linux")]
        if let Ok(cname) = std::ffi::CString::new(name)
            && let Ok(groups) = nix::unistd::getgrouplist(&cname, user.gid)
        {
            gids.extend(groups.iter().map(|g| g.as_raw()));
        }
        gids.sort_unstable();
        gids.dedup();
        Some(Account {
            name: user.name,
            uid: user.uid.as_raw(),
            gids,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = name;
        None
    }
}

/// Whether `acct` may create files in a folder owned by `owner`:`group` with `mode`, by the
/// classic permission rule (owner bits for the owner, group bits for a member, else other
/// bits; root may always). Pure, so it is tested without such accounts.
pub fn may_write(acct: &Account, owner: u32, group: u32, mode: u32) -> bool {
    // Writing an entry into a folder needs both w and x on it.
    let wx = |shift: u32| (mode >> shift) & 0o3 == 0o3;
    if acct.uid == 0 {
        return true;
    }
    if acct.uid == owner {
        return wx(6);
    }
    if acct.gids.contains(&group) {
        return wx(3);
    }
    wx(0)
}

/// `may_write` for an existing folder (Unix); `None` when it cannot be read or off Unix.
pub fn folder_writable_by(dir: &Path, acct: &Account) -> Option<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(dir).ok()?;
        m.is_dir()
            .then(|| may_write(acct, m.uid(), m.gid(), m.mode()))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, acct);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(uid: u32, gids: &[u32]) -> Account {
        Account {
            name: "mid".into(),
            uid,
            gids: gids.to_vec(),
        }
    }

    #[test]
    fn the_permission_rule() {
        let mid = acct(1001, &[1001, 50]);
        assert!(may_write(&mid, 1001, 1001, 0o755));
        assert!(!may_write(&mid, 1001, 1001, 0o555));
        // Owner bits decide for the owner even when others may write.
        assert!(!may_write(&mid, 1001, 0, 0o577));
        assert!(may_write(&mid, 0, 50, 0o775));
        assert!(!may_write(&mid, 0, 50, 0o755));
        assert!(may_write(&mid, 0, 0, 0o1777));
        assert!(!may_write(&mid, 0, 0, 0o1776));
        assert!(may_write(&acct(0, &[0]), 1001, 1001, 0o500));
    }
}
