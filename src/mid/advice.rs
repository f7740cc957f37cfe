//! The operator's words for a diagnosis, one source for the CLI and the wizard: the verdict's
//! headline, what it means, why nothing is re-run, the next steps (as commands to copy), the
//! next step for findings that are not a crash, the command that starts the MID (shown to copy:
//! midrescue never starts it), the refusal to run unelevated on Windows, and times told with
//! their zone.

use crate::mid::logline;
use crate::mid::report::{DetectReport, FindingCode, Verdict};
use crate::platform::Platform;

/// The command an operator runs to start this MID's service, to copy. midrescue never runs it.
pub fn start_command(r: &DetectReport) -> String {
    match r.platform {
        Platform::Windows => match r.service.name.as_deref() {
            Some(n) => format!("sc.exe start {}", quote_windows(n)),
            None => quote_windows(&r.agent_dir.join("start.bat").display().to_string()),
        },
        Platform::Linux => format!(
            "sudo {} start",
            quote_sh(&r.agent_dir.join("bin").join("mid.sh").display().to_string())
        ),
    }
}

fn quote_windows(s: &str) -> String {
    if s.contains([' ', '&', '(', ')', '^']) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

fn quote_sh(s: &str) -> String {
    if s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"/._-+:@".contains(&c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The numbered next steps for a finding that has its own (not the crash recovery), or `None`.
pub fn next_step(code: FindingCode, r: &DetectReport) -> Option<String> {
    let start = start_command(r);
    let name = r.mid_name.as_deref().unwrap_or("(this MID's name)");
    Some(match code {
        FindingCode::UpgradeServiceConflict => format!(
            "Not a crash: do NOT reinstall (KB0784389). Nothing of this install was replaced.\n\
             1. Find the other MID Server on this host named `{name}` and give it (or this one) a \
             unique name: `name` in its agent/config.xml (and wrapper.name/wrapper.displayname in \
             conf/wrapper-override.conf if they carry the name).\n\
             2. Then start this MID (midrescue never starts it):   {start}\n\
             3. Watch it come Up; it will retry the upgrade on its own."
        ),
        FindingCode::JavaNotRunnable => format!(
            "1. Check wrapper.java.command in conf/wrapper.conf and conf/wrapper-override.conf: it \
             must name this OS's java (agent/jre/bin/java{exe}).\n\
             2. If agent/jre is from another OS or broken, install the MID ZIP for this OS and \
             architecture (KB0647664), keeping config.xml and conf/wrapper-override.conf.\n\
             3. Then start the MID:   {start}",
            exe = if r.platform == Platform::Windows {
                ".exe"
            } else {
                ""
            }
        ),
        FindingCode::ConfigDecryptFailed => format!(
            "1. In agent/config.xml, set mid.instance.password back to the password in plain text \
             (remove the `encrypted:` prefix; KB0745202, KB0746702).\n\
             2. Then start the MID; it encrypts the password again:   {start}"
        ),
        FindingCode::UpgradeScenarioUnknown => format!(
            "1. Compare the `current=` and `assigned=` builds in the line below; check \
             `mid.pinned.version` in config.xml and the instance's `mid.version` property.\n\
             2. Make the instance assign a build this MID can upgrade to, then start or restart \
             it:   {start}"
        ),
        _ => return None,
    })
}

/// What `stopped` means for this install, in plain words (the headline's second line).
pub fn stopped_what(r: &DetectReport) -> String {
    if r.findings
        .iter()
        .any(|f| f.code == FindingCode::UpgradeServiceConflict)
    {
        "The MID Server is not running. An upgrade began but could not install its upgrade \
         service (another MID Server on this host has the same name), so nothing of this \
         install was replaced: this is not a crashed upgrade (KB0784389)."
            .to_string()
    } else {
        "The MID Server is not running, and not because of an unfinished upgrade.".to_string()
    }
}

/// The next step when the verdict is `stopped`: the first finding's own step if it has one;
/// never "look at the findings below" when there are none.
pub fn stopped_next_step(r: &DetectReport) -> String {
    if let Some(step) = r.findings.iter().find_map(|f| next_step(f.code, r)) {
        return step;
    }
    let start = start_command(r);
    if r.findings.is_empty() {
        format!(
            "No failure was found in the logs. Read logs/wrapper.log and logs/agent0.log.0 for \
             why it stopped, then start the service normally:   {start}"
        )
    } else {
        format!(
            "Fix what the findings below name (and check logs/wrapper.log), then start the \
             service normally:   {start}"
        )
    }
}

/// Windows: the refusal Run gives when midrescue is not elevated (the upgrade stops and
/// starts services); `None` when it may go on.
pub fn elevation_refusal(r: &DetectReport) -> Option<String> {
    (r.platform == Platform::Windows && r.elevated == Some(false)).then(|| {
        "midrescue is not running as administrator, and the upgrade stops and starts Windows \
         services, which needs it. Close this window, open the Start menu, right-click \
         \"Windows PowerShell\" (or \"Command Prompt\"), choose \"Run as administrator\", \
         and run midrescue again."
            .to_string()
    })
}

/// When the upgrade began, in words: `2019-09-21 16:22:12 (host local time)` when the log
/// line has no zone, RFC 3339 with its offset otherwise.
pub fn began_words(r: &DetectReport) -> Option<String> {
    let up = r.upgrade.as_ref()?;
    let zoned_line = up
        .marker_line
        .as_ref()
        .and_then(|m| logline::time_words(&m.text));
    match (&up.started_at, zoned_line) {
        (Some(t), Some(words)) if words.ends_with("(host local time)") => {
            // started_at is the bootstrapping line's; same log, same zone rule.
            match chrono::DateTime::parse_from_rfc3339(t) {
                Ok(d) => Some(format!(
                    "{} (host local time)",
                    d.naive_local().format("%Y-%m-%d %H:%M:%S")
                )),
                Err(_) => Some(words),
            }
        }
        (Some(t), _) => Some(t.clone()),
        (None, words) => words,
    }
}

/// Whether the verdict offers Run (re-running the upgrade script).
pub fn run_offered(r: &DetectReport) -> bool {
    r.verdict == Verdict::CrashedUpgrade
}

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
    let started = began_words(r)
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
        Verdict::Stopped => stopped_what(r),
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
        // A finding's own steps when it has them (e.g. the upgrade service conflict: unique
        // names, then the start command to copy), never "see the findings" when there are none.
        Verdict::Stopped => stopped_next_step(r)
            .lines()
            .map(|l| {
                let t = l.trim_start();
                // Their own numbering gives way to the caller's.
                t.split_once(". ")
                    .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    .map_or(t, |(_, rest)| rest)
                    .to_string()
            })
            .filter(|l| !l.is_empty())
            .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mid::report::{Finding, Severity};
    use crate::platform::service::{ServiceState, StartType};
    use std::path::PathBuf;

    fn report(platform: Platform, codes: &[FindingCode]) -> DetectReport {
        DetectReport {
            schema_version: 1,
            agent_dir: PathBuf::from(match platform {
                Platform::Windows => r"C:\ServiceNow\MID Server1\agent",
                Platform::Linux => "/opt/servicenow/mid/agent",
            }),
            platform,
            mid_name: Some("midserver-lab".into()),
            instance_url: None,
            installed_version: None,
            target_version: None,
            service: crate::mid::report::ServiceReport {
                name: Some("snc_mid_midserver-lab".into()),
                display_name: None,
                state: ServiceState::Stopped,
                start_type: Some(StartType::Manual),
                upgrade_process_running: false,
            },
            upgrade: None,
            lib: crate::mid::report::LibState::Intact,
            verdict: Verdict::Stopped,
            findings: codes
                .iter()
                .map(|c| Finding {
                    code: *c,
                    severity: Severity::Error,
                    message: String::new(),
                    evidence: Vec::new(),
                })
                .collect(),
            elevated: None,
            temp_dir_attribution: None,
            unattributed_temp_dirs: Vec::new(),
        }
    }

    #[test]
    fn conflict_advice_is_unique_names_then_start_never_reinstall() {
        let r = report(Platform::Windows, &[FindingCode::UpgradeServiceConflict]);
        let step = stopped_next_step(&r);
        assert!(stopped_what(&r).contains("not a crashed upgrade"));
        assert!(step.contains("unique name"), "{step}");
        assert!(
            step.contains("sc.exe start snc_mid_midserver-lab"),
            "{step}"
        );
        assert!(step.contains("do NOT reinstall"), "{step}");
        assert!(!run_offered(&r));
        let r = report(Platform::Linux, &[FindingCode::UpgradeServiceConflict]);
        assert!(stopped_next_step(&r).contains("sudo /opt/servicenow/mid/agent/bin/mid.sh start"));
    }

    #[test]
    fn no_findings_never_points_at_findings() {
        let r = report(Platform::Linux, &[]);
        let step = stopped_next_step(&r);
        assert!(!step.contains("findings below"), "{step}");
        assert!(step.contains("No failure was found"));
        let r = report(Platform::Linux, &[FindingCode::DiskSpace]);
        assert!(stopped_next_step(&r).contains("findings below"));
    }

    #[test]
    fn refusal_only_when_windows_and_not_elevated() {
        let mut r = report(Platform::Windows, &[]);
        assert_eq!(elevation_refusal(&r), None);
        r.elevated = Some(false);
        assert!(
            elevation_refusal(&r)
                .unwrap()
                .contains("\"Run as administrator\"")
        );
        r.elevated = Some(true);
        assert_eq!(elevation_refusal(&r), None);
        let mut l = report(Platform::Linux, &[]);
        l.elevated = Some(false);
        assert_eq!(elevation_refusal(&l), None);
    }

    #[test]
    fn quoting() {
        let mut r = report(Platform::Windows, &[]);
        r.service.name = None;
        assert_eq!(
            start_command(&r),
            r#""C:\ServiceNow\MID Server1\agent/start.bat""#
                .replace('/', std::path::MAIN_SEPARATOR_STR)
        );
        let mut l = report(Platform::Linux, &[]);
        l.agent_dir = PathBuf::from("/opt/mid 1/agent");
        assert_eq!(
            start_command(&l),
            "sudo '/opt/mid 1/agent/bin/mid.sh' start"
        );
    }
}
