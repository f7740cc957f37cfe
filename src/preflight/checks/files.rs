//! Files of the install: held open by strangers, scripts the upgrade runs, and what an
//! earlier upgrade left behind.

use std::path::{Path, PathBuf};

use super::{Context, fact, outcome, said};
use crate::mid::report::Attribution;
use crate::platform::paths::canonicalize;
use crate::preflight::{Outcome, Status};

/// The folders the Distribution Upgrade replaces (mid-server.md §5.3).
const REPLACED: [&str; 3] = ["bin", "lib", "jre"];

pub fn held_open(cx: &Context<'_>) -> Outcome {
    let agent = canonicalize(&cx.agent).unwrap_or_else(|_| cx.agent.clone());
    let roots: Vec<PathBuf> = REPLACED.iter().map(|d| agent.join(d)).collect();
    let scan = cx.facts.open_files(&roots);
    let manual = if cx.windows() {
        "Resource Monitor (resmon.exe) > CPU > Associated Handles, search `agent\\lib`; or \
         Sysinternals `handle.exe -accepteula <agent folder>`"
    } else {
        "`lsof +D <agent>/lib` or `fuser -v <file>` as root"
    };
    if let Some(why) = scan.unsupported {
        return outcome(
            Status::Warn,
            format!("could not check which processes hold files open: {why}"),
        )
        .fix(format!("Look by hand before the upgrade: {manual}."));
    }
    let own = cx.facts.mid_processes(&cx.agent);
    let is_own = |pid: u32| {
        let mut p = Some(pid);
        for _ in 0..64 {
            match p {
                Some(x) if own.contains(&x) => return true,
                Some(0) | Some(1) | None => return false,
                Some(x) => p = cx.facts.parent_of(x),
            }
        }
        false
    };
    let strangers: Vec<_> = scan.holders.iter().filter(|h| !is_own(h.pid)).collect();
    if !strangers.is_empty() {
        let mut pids: Vec<u32> = strangers.iter().map(|h| h.pid).collect();
        pids.dedup();
        return outcome(
            Status::Fail,
            format!(
                "{} file(s) in bin, lib or jre are held open by {} process(es) that are not the \
                 MID's own: the upgrade cannot replace them and stops (\"being used by another \
                 process\", access denied)",
                strangers.len(),
                pids.len()
            ),
        )
        .with_all(strangers.iter().take(20).map(|h| {
            fact(
                &h.file,
                format!("held by pid {} ({}): {}", h.pid, h.name, h.command_line),
            )
        }))
        .fix(
            "Stop or pause that process before the instance upgrade (antivirus: exclude the \
             agent folder; backup: move its window), then run preflight again.",
        );
    }
    if scan.uninspected > 0 {
        return outcome(
            Status::Warn,
            format!(
                "{} process(es) could not be inspected (their open files are readable by root only)",
                scan.uninspected
            ),
        )
        .fix(format!("Run preflight as root (sudo), or look by hand: {manual}."));
    }
    let own_held = scan.holders.len();
    outcome(
        Status::Pass,
        if own_held > 0 {
            format!("only the MID's own processes hold files there ({own_held} open)")
        } else {
            "no process holds a file in bin, lib or jre".into()
        },
    )
}

/// The scripts the upgrade runs (agent/bin/*.sh) and the upgrade script of any earlier temp
/// folder must be executable, and safe to run as root: not a link, owned by root or the
/// install's owner, not writable by group or others.
pub fn scripts(cx: &Context<'_>) -> Outcome {
    if cx.windows() {
        return outcome(
            Status::Skip,
            "Windows runs .bat scripts without an exec bit (folder ACLs are not read)",
        );
    }
    if !cfg!(unix) {
        return outcome(Status::Skip, "file modes cannot be read on this host");
    }
    let mut files = shell_scripts(&cx.agent.join("bin"));
    for t in earlier_temp_folders(cx) {
        let s = t.join("upgrade-wrapper/bin/glide-dist-upgrade.sh");
        if s.exists() || s.is_symlink() {
            files.push(s);
        }
    }
    let owner = cx.facts.owner_name(&cx.agent);
    let mut bad = Vec::new();
    for f in &files {
        if let Some(why) = script_problem(f, &cx.agent) {
            bad.push(fact(f, why));
        }
    }
    if bad.is_empty() {
        return outcome(
            Status::Pass,
            format!(
                "{} script(s) executable, owned by root or the install's owner{}",
                files.len(),
                owner.map(|o| format!(" ({o})")).unwrap_or_default()
            ),
        );
    }
    let n = bad.len();
    outcome(
        Status::Fail,
        format!(
            "{n} script(s) the upgrade runs are not executable or not safely owned: the MID's \
             /bin/sh gets \"Permission denied\" and the upgrade never runs (or runs a file \
             another account could change)"
        ),
    )
    .with_all(bad)
    .fix(
        "chmod 755 the script(s) and chown them to the install's owner (or root); check the \
         volume is not mounted noexec.",
    )
}

/// `*.sh` files directly in `dir` and in `dir/scripts`.
fn shell_scripts(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in [dir.to_path_buf(), dir.join("scripts")] {
        if let Ok(rd) = std::fs::read_dir(&d) {
            v.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "sh")),
            );
        }
    }
    v.sort();
    v
}

#[cfg(unix)]
fn script_problem(f: &Path, agent: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = match std::fs::symlink_metadata(f) {
        Ok(m) => m,
        Err(e) => return Some(format!("cannot be read: {e}")),
    };
    if m.file_type().is_symlink() {
        return Some("is a symbolic link (midrescue runs nothing through a link)".into());
    }
    let mode = m.mode() & 0o7777;
    let owner_uid = std::fs::metadata(agent).map(|a| a.uid()).ok();
    if m.uid() != 0 && Some(m.uid()) != owner_uid {
        return Some(format!(
            "owned by uid {} (neither root nor the install's owner)",
            m.uid()
        ));
    }
    if mode & 0o022 != 0 {
        return Some(format!("mode {mode:o}: writable by group or others"));
    }
    if mode & 0o100 == 0 {
        return Some(format!("mode {mode:o}: not executable"));
    }
    None
}

#[cfg(not(unix))]
fn script_problem(_f: &Path, _agent: &Path) -> Option<String> {
    None
}

/// Upgrade temp folders an earlier upgrade left: every folder in `work/upgrade_temp`, and
/// OS temp folders whose content names this install.
fn earlier_temp_folders(cx: &Context<'_>) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(cx.agent.join("work").join("upgrade_temp")) {
        v.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    if let Ok(rd) = std::fs::read_dir(cx.facts.os_temp_dir()) {
        v.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("upgrade-wrapper").is_dir())
                .filter(|p| {
                    crate::mid::tempdir::attribution(p, &cx.agent) != Attribution::Unattributed
                }),
        );
    }
    v.sort();
    v
}

/// An upgrade process still running, a Distribution Upgrade service left installed, or an
/// earlier temp folder (the last upgrade failed or was not cleaned up).
pub fn leftover(cx: &Context<'_>) -> Outcome {
    let mut fails = Vec::new();
    if cx.facts.service().upgrade_process_running() {
        fails.push(said(
            "a Distribution Upgrade process for this install runs now",
        ));
    }
    if let Some(list) = &cx.setup.upgrade_services {
        fails.extend(list.iter().map(|s| said(format!("service installed: {s}"))));
    }
    if !fails.is_empty() {
        return outcome(
            Status::Fail,
            "an upgrade is running or its service was left from an earlier failure: a new \
             upgrade cannot install its own (KB0784389)",
        )
        .with_all(fails)
        .fix(
            "If an upgrade runs, let it finish (`midrescue detect` tells). A service left from \
             an earlier failure: `midrescue collect` first, then remove it (`sc.exe delete \
             <name>`) before the instance upgrade.",
        );
    }
    let folders = earlier_temp_folders(cx);
    if !folders.is_empty() {
        return outcome(
            Status::Warn,
            format!(
                "{} upgrade temp folder(s) left from an earlier upgrade: it failed or was not \
                 cleaned up, and its logs may be the only record of why",
                folders.len()
            ),
        )
        .with_all(
            folders
                .iter()
                .map(|f| fact(f, "earlier upgrade temp folder")),
        )
        .fix("Run `midrescue detect` and `midrescue collect` to keep its logs; then remove it.");
    }
    let unknown = cx.setup.upgrade_services.is_none() && cx.windows();
    outcome(
        if unknown { Status::Warn } else { Status::Pass },
        if unknown {
            "no upgrade process or temp folder; the installed services could not be listed"
        } else {
            "no upgrade process, service or temp folder left"
        },
    )
}
