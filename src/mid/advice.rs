//! The operator's words for a verdict: one headline, what it means, why nothing is re-run (when
//! nothing is), and the next steps. The CLI (`detect`, `resume`) and the wizard all show these.

use super::report::{DetectReport, Verdict};

/// The words for one verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictText {
    /// Short, upper case: `CRASHED UPGRADE`.
    pub title: &'static str,
    /// One sentence for the screen's headline.
    pub headline: &'static str,
    /// One sentence under it: what can be done.
    pub subline: &'static str,
}

impl Verdict {
    pub fn text(self) -> VerdictText {
        let (title, headline, subline) = match self {
            Verdict::CrashedUpgrade => (
                "CRASHED UPGRADE",
                "The upgrade crashed midway.",
                "It can very likely be finished by re-running it from its temp folder (KB0779816).",
            ),
            Verdict::TempFolderLost => (
                "CRASHED UPGRADE, TEMP FOLDER LOST",
                "The upgrade crashed and its temp folder is gone.",
                "It cannot be re-run; the way out is the manual restore (KB0713557).",
            ),
            Verdict::UpgradeInProgress => (
                "UPGRADE IN PROGRESS",
                "An upgrade is running right now.",
                "Do not interfere: save the logs, then watch it finish.",
            ),
            Verdict::Healthy => (
                "HEALTHY",
                "The MID Server looks healthy.",
                "Nothing to repair: no crashed upgrade was found.",
            ),
            Verdict::Stopped => (
                "STOPPED",
                "The MID service is stopped, but not because of a crashed upgrade.",
                "There is nothing to re-run; find why it stopped in wrapper.log and agent0.log.0.",
            ),
            Verdict::NotAMidServer => (
                "NOT A MID SERVER",
                "This folder is not a MID Server agent folder.",
                "Point --agent-dir at the folder that holds config.xml.",
            ),
        };
        VerdictText {
            title,
            headline,
            subline,
        }
    }

    /// Why the recovery re-runs nothing for this verdict; `None` when it may re-run.
    pub fn why_no_rerun(self) -> Option<&'static str> {
        Some(match self {
            Verdict::CrashedUpgrade => return None,
            Verdict::TempFolderLost => {
                "the upgrade crashed, but its temp folder or script is gone, so there is nothing to re-run"
            }
            Verdict::Healthy => "the MID Server looks healthy: nothing to re-run",
            Verdict::UpgradeInProgress => {
                "an upgrade is running right now: let it finish (re-running it now would fight over the same files)"
            }
            Verdict::Stopped => {
                "the MID service is stopped, but not because of a crashed upgrade: nothing to re-run"
            }
            Verdict::NotAMidServer => "this folder is not a MID Server agent folder",
        })
    }
}

/// The manual way out when the re-run path is closed (KB0713557).
pub const MANUAL_RESTORE: &str = "Restore by hand (KB0713557): keep config.xml, conf/wrapper-override.conf and \
jre/lib/security/cacerts, rename `agent`, extract a fresh MID zip, restore those files.";

/// What the verdict means for this install, in a sentence or two.
pub fn meaning(r: &DetectReport) -> String {
    let started = r
        .upgrade
        .as_ref()
        .and_then(|u| u.started_at.clone())
        .map(|t| format!(" (began {t})"))
        .unwrap_or_default();
    match r.verdict {
        Verdict::CrashedUpgrade => format!(
            "An upgrade began{started} and the MID Server has not started since. The upgrade \
             temp folder and its script are still there, so the upgrade can be re-run."
        ),
        Verdict::TempFolderLost => format!(
            "An upgrade began{started} and the MID Server has not started since, but the upgrade \
             temp folder or its script is gone: the upgrade cannot be re-run from it."
        ),
        Verdict::UpgradeInProgress => {
            "An upgrade is running right now (or has just restarted the MID).".into()
        }
        Verdict::Healthy => "The MID Server is running and no unfinished upgrade was found.".into(),
        Verdict::Stopped => {
            "The MID Server is not running, and not because of an unfinished upgrade.".into()
        }
        Verdict::NotAMidServer => format!(
            "{} is not a MID Server install: none of config.xml, conf/wrapper.conf, \
             bin/mid.sh, bin/mid.bat, bin/wrapper-*, logs/agent0.log.* is there.",
            crate::sanitize::path(&r.agent_dir)
        ),
    }
}

/// The numbered next steps, as commands to copy. `invocation` is how midrescue was called for
/// this install (e.g. `midrescue --agent-dir '/opt/mid/agent'`), so the steps can be pasted.
pub fn next_steps(r: &DetectReport, invocation: &str) -> Vec<String> {
    let script = r
        .upgrade
        .as_ref()
        .and_then(|u| u.script.as_ref())
        .map(|s| crate::sanitize::path(s))
        .unwrap_or_else(|| "the upgrade script".into());
    match r.verdict {
        Verdict::CrashedUpgrade => vec![
            "Do NOT start the MID service: it would delete the temp folder this recovery needs."
                .into(),
            format!("Save the logs:        {invocation} collect"),
            format!("Re-run the upgrade:   {invocation} resume   (or by hand: {script} start)"),
        ],
        Verdict::TempFolderLost => vec![
            "Do NOT start the MID service.".into(),
            format!("Save the logs:        {invocation} collect"),
            MANUAL_RESTORE.into(),
        ],
        Verdict::UpgradeInProgress => vec![format!(
            "Wait a few minutes and watch the logs; do not start or stop the MID service \
             meanwhile. Run `{invocation} detect` again afterwards."
        )],
        Verdict::Healthy => vec![
            "Nothing to repair. Check that it shows Up (and validated) in the instance.".into(),
        ],
        Verdict::Stopped => {
            let mut v = Vec::new();
            if r.findings.is_empty() {
                v.push(
                    "Read logs/wrapper.log and logs/agent0.log.0 for why the MID stopped.".into(),
                );
            } else {
                v.push("Fix what the findings above name.".into());
            }
            v.push("Then start the MID service normally (midrescue never starts it).".into());
            v
        }
        Verdict::NotAMidServer => vec![
            "Point --agent-dir at the MID's `agent` folder (or the folder that holds it).".into(),
        ],
    }
}

/// Where the install search looks when no `--agent-dir` is given (mirrors `mid::locate`), for
/// the "nothing found" message of both the wizard and the CLI.
pub fn search_places(platform: crate::platform::Platform) -> &'static [&'static str] {
    match platform {
        crate::platform::Platform::Linux => &[
            "/opt/servicenow/mid/agent, /opt/snc_mid_server/agent, /opt/agent",
            "/opt/*/agent and /opt/servicenow/*/agent",
            "systemd units that run <agent>/bin/mid.sh",
        ],
        crate::platform::Platform::Windows => &[
            r"C:\ServiceNow\agent, C:\snc_mid_server\agent",
            r"C:\ServiceNow\*\agent, D:\ServiceNow\*\agent, E:\ServiceNow\*\agent",
            r"services that run <agent>\bin\wrapper-windows-x86-64.exe",
        ],
    }
}

/// Why a folder given as `--agent-dir` cannot be used, in the same words for every case (missing,
/// a file, a folder without an install); `None` when it holds an install.
pub fn agent_dir_problem(dir: &std::path::Path, holds_install: bool) -> Option<String> {
    let shown = crate::sanitize::path(dir);
    let what = if !dir.exists() {
        format!("{shown} does not exist")
    } else if !dir.is_dir() {
        format!("{shown} is a file, not a folder")
    } else if !holds_install {
        format!(
            "{shown} holds no MID Server install (none of config.xml, conf/wrapper.conf, \
             bin/mid.sh, bin/mid.bat, bin/wrapper-*, logs/agent0.log.* is in it or in its agent folder)"
        )
    } else {
        return None;
    };
    Some(format!(
        "{what}.\n--agent-dir takes the MID's `agent` folder or the folder that holds it \
         (e.g. /opt/servicenow/mid/agent, C:\\ServiceNow\\<name>\\agent).\n\
         To practise on a safe lab instead: midrescue demo"
    ))
}
