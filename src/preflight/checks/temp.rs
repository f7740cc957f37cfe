//! The upgrade temp location (mid-server.md §5.1): writable by the service user, executable,
//! and with room for the package download and its extraction.

use std::path::{Path, PathBuf};

use super::{Context, fact, outcome};
use crate::platform::access::folder_writable_by;
use crate::preflight::{Outcome, Status};

/// The folder itself, or the nearest existing folder above it (where the upgrade creates it).
fn existing(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|a| a.is_dir()).map(Path::to_path_buf)
}

fn is_local_system(account: &str) -> bool {
    let a = account.to_ascii_lowercase();
    a == "localsystem" || a == "nt authority\\system" || a == ".\\localsystem"
}

pub fn writable(cx: &Context<'_>) -> Outcome {
    let (dir, why) = cx.temp_location();
    let Some(there) = existing(&dir) else {
        return outcome(
            Status::Fail,
            format!("neither {} nor a folder above it exists", dir.display()),
        )
        .fix("Check the install path and the temp folder setting.");
    };
    let here = if there == dir {
        format!("{} exists", dir.display())
    } else {
        format!(
            "{} does not exist yet; the upgrade creates it in {}",
            dir.display(),
            there.display()
        )
    };
    let Some((account, source)) = cx.account() else {
        return outcome(
            Status::Warn,
            format!("{here} ({why}); the service's account is unknown, so its write access could not be checked"),
        )
        .with(fact(&there, "temp location"))
        .fix("Tell which account runs the MID service (systemd User=, RUN_AS_USER, or the Windows service's Log On) and check it may write there.");
    };
    if cx.windows() {
        return if is_local_system(&account) {
            outcome(
                Status::Pass,
                format!("{here} ({why}); the service runs as LocalSystem, which Windows' default ACLs let write there (custom ACLs were not read)"),
            )
            .with(fact(&there, format!("account {account} ({source})")))
        } else {
            outcome(
                Status::Warn,
                format!("{here} ({why}); could not check that {account} may write there (folder ACLs are not read)"),
            )
            .with(fact(&there, format!("account {account} ({source})")))
            .fix(format!("Check with `icacls \"{}\"` that {account} has Modify rights.", there.display()))
        };
    }
    let Some(acct) = cx.facts.account(&account) else {
        return outcome(
            Status::Warn,
            format!("{here} ({why}); the account {account} ({source}) is not known on this host, so its write access could not be checked"),
        )
        .with(fact(&there, "temp location"))
        .fix("Check the service account exists (`id <account>`).");
    };
    match folder_writable_by(&there, &acct) {
        Some(true) => outcome(Status::Pass, format!("{here} ({why}); {account} may write there"))
            .with(fact(&there, format!("writable by {account} ({source})"))),
        Some(false) => outcome(
            Status::Fail,
            format!("{here} ({why}); {account}, who runs the MID ({source}), may not write there: the upgrade cannot extract its package"),
        )
        .with(fact(&there, describe_mode(&there)))
        .fix(format!("Give {account} write access (e.g. `chown {account} {}`) or fix the temp folder setting.", there.display())),
        None => outcome(Status::Warn, format!("{here} ({why}); its permissions could not be read"))
            .with(fact(&there, "temp location")),
    }
}

#[cfg(unix)]
fn describe_mode(p: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(p) {
        Ok(m) => format!(
            "owner {}, group {}, mode {:o}",
            crate::platform::privilege::user_name(m.uid()).unwrap_or_else(|| m.uid().to_string()),
            crate::platform::privilege::group_name(m.gid()).unwrap_or_else(|| m.gid().to_string()),
            m.mode() & 0o7777
        ),
        Err(e) => format!("unreadable: {e}"),
    }
}

#[cfg(not(unix))]
fn describe_mode(_p: &Path) -> String {
    String::new()
}

pub fn mount_exec(cx: &Context<'_>) -> Outcome {
    if cx.windows() {
        return outcome(Status::Skip, "Windows has no noexec mounts");
    }
    let (dir, why) = cx.temp_location();
    let Some(there) = existing(&dir) else {
        return outcome(Status::Warn, format!("{} does not exist", dir.display()));
    };
    let Some(mounts) = cx.facts.mounts() else {
        return outcome(
            Status::Warn,
            "the mount table could not be read (/proc/self/mountinfo)",
        );
    };
    let real = crate::platform::paths::canonicalize(&there).unwrap_or(there);
    match crate::platform::mounts::mount_for(&mounts, &real) {
        Some(m) if m.has("noexec") => outcome(
            Status::Fail,
            format!(
                "{} ({why}) is on {}, mounted noexec: the upgrade's glide-dist-upgrade.sh cannot run (\"Permission denied\")",
                real.display(),
                m.mount_point.display()
            ),
        )
        .with(fact(Path::new("/proc/self/mountinfo"), m.line.clone()))
        .fix(format!(
            "Remount it with exec (`sudo mount -o remount,exec {}`, and in /etc/fstab), or set mid.upgrade.use_os_temp_folder to move the extraction.",
            m.mount_point.display()
        )),
        Some(m) => outcome(
            Status::Pass,
            format!("{} ({why}) is on {} ({}), exec allowed", real.display(), m.mount_point.display(), m.fs_type),
        ),
        None => outcome(Status::Warn, format!("no mount found for {}", real.display())),
    }
}

/// Bytes of regular files under `dir` (links not followed).
fn tree_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

pub fn free_space(cx: &Context<'_>) -> Outcome {
    let (dir, why) = cx.temp_location();
    let Some(there) = existing(&dir) else {
        return outcome(Status::Warn, format!("{} does not exist", dir.display()));
    };
    let size = tree_size(&cx.agent);
    let need = size.saturating_mul(3);
    let Some(free) = cx.facts.free_bytes(&there) else {
        return outcome(
            Status::Warn,
            format!("free space on {} could not be read", there.display()),
        );
    };
    let e = fact(
        &there,
        format!(
            "free {}; agent/ holds {}; needed 3x = {}",
            mib(free),
            mib(size),
            mib(need)
        ),
    );
    if free < need {
        outcome(
            Status::Fail,
            format!(
                "only {} free where the upgrade extracts ({why}); it needs about {} (3x agent/: download and extraction)",
                mib(free),
                mib(need)
            ),
        )
        .with(e)
        .fix("Free space on that volume (old logs, old package/incoming zips, earlier temp folders) before the instance upgrade.")
    } else {
        outcome(
            Status::Pass,
            format!("{} free, {} needed ({why})", mib(free), mib(need)),
        )
        .with(e)
    }
}
