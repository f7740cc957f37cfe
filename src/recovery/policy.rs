//! When the engine refuses to run, and what to do after a run. The faces print these words as
//! they are; neither face decides differently.

use std::sync::LazyLock;

use regex::Regex;

use super::plan::RunPlan;
use crate::mid::outcome::RecoveryOutcome;
use crate::mid::report::{FindingCode, Verdict};
use crate::platform::Platform;

/// Why nothing runs, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub reason: String,
    pub next_step: Option<String>,
}

/// Refuse unless the verdict is a crashed upgrade with its temp folder.
pub fn refusal(verdict: Verdict) -> Option<Refusal> {
    let reason = verdict.why_no_rerun()?;
    let next_step = match verdict {
        Verdict::TempFolderLost => Some(format!(
            "The re-run path is closed. {}",
            crate::mid::advice::MANUAL_RESTORE
        )),
        _ => None,
    };
    Some(Refusal {
        reason: reason.to_string(),
        next_step,
    })
}

/// Refuse to run on Windows without elevation (the upgrade stops and starts services).
pub fn elevation_refusal(report: &crate::mid::report::DetectReport) -> Option<Refusal> {
    let step = crate::mid::advice::elevation_refusal(report)?;
    Some(Refusal {
        reason: "midrescue is not running as administrator; nothing was run".into(),
        next_step: Some(step),
    })
}

/// Which steps a verdict leads through, for both faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A crashed upgrade with its temp folder: warn, collect, re-run, watch.
    Recover,
    /// An upgrade already runs: warn, collect, then only watch it (nothing is started).
    WatchOnly,
    /// Nothing can be re-run, but support needs the logs first (temp folder lost): warn,
    /// collect, then stop with the manual procedure.
    CollectThenStop,
    /// Nothing to do here (healthy, stopped, not a MID): stop at once (a bundle stays offered).
    Stop,
}

/// The route for a verdict.
pub fn route(verdict: Verdict) -> Route {
    match verdict {
        Verdict::CrashedUpgrade => Route::Recover,
        Verdict::UpgradeInProgress => Route::WatchOnly,
        Verdict::TempFolderLost => Route::CollectThenStop,
        _ => Route::Stop,
    }
}

/// Whether running the recovery again can help after a run ended this way; `Err` says why not.
pub fn rerun_helps(outcome: RecoveryOutcome, code: Option<FindingCode>) -> Result<(), String> {
    match (outcome, code) {
        (RecoveryOutcome::Recovered, _) => Err("the MID Server is Up".into()),
        (RecoveryOutcome::TimedOut, _) => Err(
            "the upgrade may still be running: check with `midrescue detect` before re-running"
                .into(),
        ),
        (RecoveryOutcome::Failed, Some(FindingCode::ServiceNotInstalled)) => Err(
            "neither the script nor the wrapper fallback can install the upgrade service (KB0713557)"
                .into(),
        ),
        (RecoveryOutcome::Failed, _) => Ok(()),
        (RecoveryOutcome::Refused | RecoveryOutcome::Declined | RecoveryOutcome::DryRun, _) => {
            Err("nothing was run".into())
        }
    }
}

/// The name of the file a lock line names (`mid.jar`), for the live timeline.
pub fn locked_file_name(line: &str) -> Option<String> {
    let full = locked_file(line)?;
    let name = full
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())?
        .to_string();
    Some(crate::sanitize::text(&name))
}

/// The command that sets the MID service's start type back (shown, never run by midrescue).
pub fn restore_start_type_command(
    platform: Platform,
    service: &str,
    start: crate::platform::service::StartType,
) -> String {
    use crate::platform::service::{sc, systemd};
    match platform {
        Platform::Windows => sc::set_start_type_spec(service, start).display(),
        Platform::Linux => systemd::set_start_type_spec(service, start).display(),
    }
}

/// Refuse a plan this process cannot carry out (root needed on Linux). `invocation` is the
/// command line to repeat under sudo.
pub fn privilege_refusal(plan: &RunPlan, is_root: bool, invocation: &str) -> Option<Refusal> {
    let why = plan.needs_root.as_ref()?;
    if is_root {
        return None;
    }
    Some(Refusal {
        reason: format!("the upgrade must run as root ({why}); nothing was run"),
        next_step: Some(format!("Run it again as root: sudo {invocation}")),
    })
}

/// Refuse a plan whose payload failed its provenance check (see `provenance`). A Windows ACL
/// warning is not refused here: the face asks for a typed confirmation.
pub fn trust_refusal(plan: &RunPlan) -> Option<Refusal> {
    match &plan.trust {
        crate::platform::provenance::Trust::Refused { reason } => Some(Refusal {
            reason: format!("midrescue will not run it as {}: {reason}", run_as_word()),
            next_step: Some(crate::platform::provenance::MANUAL.to_string()),
        }),
        _ => None,
    }
}

fn run_as_word() -> &'static str {
    if cfg!(windows) {
        "administrator"
    } else {
        "root"
    }
}

const RERUN: &str = "Run the recovery again: a second run often works once antivirus has scanned the new \
files (KB0779816). If it fails again, use the manual procedure KB0713557, and send the bundle to ServiceNow support.";

/// The next step after a run ended, for both faces (`None` when nothing is left to do).
pub fn next_step_after(
    outcome: RecoveryOutcome,
    code: Option<FindingCode>,
    platform: Platform,
    evidence: &[String],
) -> Option<String> {
    match outcome {
        RecoveryOutcome::Recovered => None,
        RecoveryOutcome::TimedOut => Some(
            "The upgrade may still be running: do not start or stop the MID service. Check again in a \
few minutes with `midrescue detect`; if it stays down, send the bundle to ServiceNow support."
                .to_string(),
        ),
        RecoveryOutcome::Failed => Some(match code {
            Some(FindingCode::FileLocked | FindingCode::JreDeleteFailed) => {
                lock_advice(platform, evidence.iter().find_map(|e| locked_file(e)))
            }
            Some(FindingCode::AccessDenied | FindingCode::ApplicationExperience) => format!(
                "Something refused the upgrade access to a file: usually antivirus or endpoint \
protection. Exclude the MID folder and the upgrade temp folder from scanning (KB0696765), then re-run. {}",
                RERUN
            ),
            Some(FindingCode::ServiceNotInstalled) => {
                "Neither the script nor the wrapper fallback could install the upgrade service: use the \
manual procedure KB0713557, and send the bundle to ServiceNow support."
                    .to_string()
            }
            Some(FindingCode::DiskSpace) => format!(
                "Free disk space on the MID's volume (the upgrade needs about 1 GB), then re-run. {RERUN}"
            ),
            _ => RERUN.to_string(),
        }),
        RecoveryOutcome::Refused | RecoveryOutcome::Declined | RecoveryOutcome::DryRun => None,
    }
}

/// A training lab laid out for another OS than this host's: the lock holder is a real process
/// of this host, found with this host's tool. `None` outside labs or for other failures.
pub fn lab_lock_note(
    code: Option<FindingCode>,
    layout: Platform,
    host: Platform,
    evidence: &[String],
) -> Option<String> {
    if code != Some(FindingCode::FileLocked) || layout == host {
        return None;
    }
    let file = evidence
        .iter()
        .find_map(|e| locked_file(e))
        .map(|f| crate::sanitize::text(&f))
        .unwrap_or_else(|| "<file>".into());
    Some(match host {
        Platform::Linux => format!(
            "In this lab (a {} layout on this Linux host) the holder is a real process here: \
`lsof {file}` or `fuser -v {file}` shows it; stop it (`kill <pid>`).",
            layout_word(layout)
        ),
        Platform::Windows => format!(
            "In this lab (a {} layout on this Windows host) the holder is a real process here: \
Resource Monitor or `handle.exe {file}` shows it; stop it.",
            layout_word(layout)
        ),
    })
}

fn layout_word(p: Platform) -> &'static str {
    match p {
        Platform::Windows => "Windows",
        Platform::Linux => "Linux",
    }
}

/// How to find and stop what holds a locked file, then re-run (one text for both faces).
pub fn lock_advice(platform: Platform, file: Option<String>) -> String {
    let what = file
        .map(|f| format!("`{}`", crate::sanitize::text(&f)))
        .unwrap_or_else(|| "a file of the install".to_string());
    let find = match platform {
        Platform::Windows => {
            "Find who holds it with Resource Monitor (resmon.exe) > CPU > Associated Handles \
(search for the file name), or Sysinternals `handle.exe <file>`"
        }
        Platform::Linux => "Find who holds it with `lsof <file>` or `fuser -v <file>`",
    };
    format!(
        "The upgrade could not replace {what}: another process holds it. {find}. It is usually \
antivirus, a second java process of this MID, or an Explorer or shell window open in the folder. \
Stop it, then re-run the recovery (the temp folder is still there). If it fails again after \
that, use the manual procedure KB0713557 and send the bundle to ServiceNow support."
    )
}

/// The file a lock line names (`<path> cannot be deleted`, `FileSystemException: <path>: ...`).
pub fn locked_file(line: &str) -> Option<String> {
    static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?:^|\|\s*|\s)((?:[A-Za-z]:\\|/)[^|`]*?) cannot be (?:deleted|replaced|moved)",
            r"(?:Exception|Error):\s*((?:[A-Za-z]:\\|/)[^:(]*?[^\s:(])\s*(?::|\()",
            r"`((?:[A-Za-z]:\\|/)[^`]+)`",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    PATTERNS.iter().find_map(|re| {
        re.captures(line)?
            .get(1)
            .map(|m| m.as_str().trim().to_string())
    })
}

/// Files the run left owned by root in a non-root install, and the `chown` that gives them back.
pub struct RootOwnedFix {
    pub message: String,
    pub command: String,
}

/// After a run as root on Linux: files of the install now owned by root (a lab never is).
pub fn root_owned_after_run(install: &super::Install) -> Option<RootOwnedFix> {
    use crate::platform::privilege;
    // Only a run as root can have left files owned by root.
    if install.is_lab() || !privilege::is_root() {
        return None;
    }
    let found = privilege::find_root_owned(&install.report.agent_dir, 200_000)?;
    Some(RootOwnedFix {
        message: format!(
            "{} file(s) in the install now belong to root (e.g. {}). Give them back to the MID's user: {}",
            found.count,
            found
                .examples
                .first()
                .map(|p| crate::sanitize::path(p))
                .unwrap_or_default(),
            crate::sanitize::text(&found.fix)
        ),
        command: found.fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_crashed_upgrade_is_acted_on() {
        assert!(refusal(Verdict::CrashedUpgrade).is_none());
        let r = refusal(Verdict::TempFolderLost).unwrap();
        assert!(r.reason.contains("nothing to re-run"));
        assert!(r.next_step.unwrap().contains("KB0713557"));
        assert!(
            refusal(Verdict::Healthy)
                .unwrap()
                .reason
                .contains("nothing to re-run")
        );
        assert!(refusal(Verdict::UpgradeInProgress).is_some());
    }

    #[test]
    fn routes_and_rerun_usefulness() {
        assert_eq!(route(Verdict::CrashedUpgrade), Route::Recover);
        assert_eq!(route(Verdict::UpgradeInProgress), Route::WatchOnly);
        assert_eq!(route(Verdict::TempFolderLost), Route::CollectThenStop);
        assert_eq!(route(Verdict::Healthy), Route::Stop);
        assert_eq!(route(Verdict::NotAMidServer), Route::Stop);
        assert!(rerun_helps(RecoveryOutcome::Failed, Some(FindingCode::FileLocked)).is_ok());
        assert!(rerun_helps(RecoveryOutcome::Failed, None).is_ok());
        assert!(
            rerun_helps(
                RecoveryOutcome::Failed,
                Some(FindingCode::ServiceNotInstalled)
            )
            .is_err()
        );
        assert!(
            rerun_helps(RecoveryOutcome::TimedOut, None)
                .unwrap_err()
                .contains("still be running")
        );
        assert!(rerun_helps(RecoveryOutcome::Recovered, None).is_err());
        assert_eq!(
            locked_file_name(r"C:\MID\agent\lib\mid.jar cannot be deleted: busy").as_deref(),
            Some("mid.jar")
        );
        assert_eq!(
            locked_file_name("FileSystemException: /opt/a/lib/x.jar: Text file busy").as_deref(),
            Some("x.jar")
        );
    }

    #[test]
    fn locked_file_is_named_from_the_real_line_shapes() {
        assert_eq!(
            locked_file(
                r"INFO   | jvm 1    | 2026/11/22 05:00:00.200 | C:\ServiceNow\MID\agent\lib\mid.jar cannot be deleted: C:\ServiceNow\MID\agent\lib\mid.jar (The process cannot access the file because it is being used by another process)"
            )
            .as_deref(),
            Some(r"C:\ServiceNow\MID\agent\lib\mid.jar")
        );
        assert_eq!(
            locked_file(
                "SEVERE: java.nio.file.FileSystemException: /opt/mid/agent/lib/mid.jar: Text file busy"
            )
            .as_deref(),
            Some("/opt/mid/agent/lib/mid.jar")
        );
        assert_eq!(locked_file("nothing here"), None);
    }

    #[test]
    fn lock_advice_names_the_platform_tool() {
        let w = lock_advice(Platform::Windows, Some(r"C:\x\mid.jar".into()));
        assert!(
            w.contains("Resource Monitor") && w.contains("handle.exe") && w.contains("mid.jar")
        );
        let l = lock_advice(Platform::Linux, None);
        assert!(l.contains("lsof") && l.contains("fuser"));
        let next = next_step_after(
            RecoveryOutcome::Failed,
            Some(FindingCode::FileLocked),
            Platform::Linux,
            &["[upgrade] /opt/a/lib/x.jar cannot be deleted: busy".into()],
        )
        .unwrap();
        assert!(next.contains("/opt/a/lib/x.jar"), "{next}");
    }
}
