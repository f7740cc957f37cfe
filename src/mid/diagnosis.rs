//! The diagnosis: facts in, verdict and findings out. Pure (no I/O, no clock), so every rule is
//! unit-tested. The verdict must follow from the files alone when the service state is unknown.

use std::path::PathBuf;

use crate::mid::report::{Evidence, Finding, FindingCode, LibState, Verdict};
use crate::mid::signatures;
use crate::platform::Platform;
use crate::platform::service::{ServiceState, StartType};

/// Everything the diagnosis looks at, already read from files and the service control.
#[derive(Debug, Clone)]
pub struct Facts {
    pub is_install: bool,
    pub platform: Platform,
    pub service_name: Option<String>,
    pub service_state: ServiceState,
    pub start_type: Option<StartType>,
    pub upgrade_process_running: bool,
    /// An upgrade process runs on this host that nothing ties to this install.
    pub upgrade_process_unattributed: Option<Evidence>,
    /// `agent0.log.0.lck` is there and `agent0.log.0` was written in the last minutes: the MID
    /// process runs (the lock file alone survives a crash).
    pub log_lock_live: bool,
    /// The marker line, when one was written since the MID last started.
    pub marker: Option<Evidence>,
    /// The `Bootstrapping upgrade` line, when one was written since the MID last started.
    pub bootstrapping: Option<Evidence>,
    pub last_start: Option<Evidence>,
    /// A `MID Server stopped/stopping` line since the last start.
    pub last_stop: Option<Evidence>,
    /// The start line, when the MID was started on a half-upgraded install (KB0792621).
    pub started_mid_upgrade: Option<Evidence>,
    pub temp_dir: Option<PathBuf>,
    pub temp_dir_exists: bool,
    pub script: Option<PathBuf>,
    pub script_exists: bool,
    pub script_executable: Option<bool>,
    pub lib: LibState,
    /// Evidence for the lib state (a description of what is missing).
    pub lib_evidence: Option<Evidence>,
    /// The systemd unit's KillMode line, when the unit sets one.
    pub kill_mode: Option<(String, Evidence)>,
    /// Where `wrapper.name` is set (evidence for a name mismatch).
    pub wrapper_name_evidence: Option<Evidence>,
    /// Signature lines from the logs, newest first per file.
    pub hits: Vec<(FindingCode, Evidence)>,
    /// Root-owned files in an install whose service runs as another user (Linux).
    pub root_owned: Vec<Evidence>,
}

impl Facts {
    /// Facts for a folder with nothing of a MID in it.
    pub fn not_an_install(platform: Platform) -> Self {
        Facts {
            is_install: false,
            platform,
            service_name: None,
            service_state: ServiceState::Unknown,
            start_type: None,
            upgrade_process_running: false,
            upgrade_process_unattributed: None,
            log_lock_live: false,
            marker: None,
            bootstrapping: None,
            last_start: None,
            last_stop: None,
            started_mid_upgrade: None,
            temp_dir: None,
            temp_dir_exists: false,
            script: None,
            script_exists: false,
            script_executable: None,
            lib: LibState::Missing,
            lib_evidence: None,
            kill_mode: None,
            wrapper_name_evidence: None,
            hits: Vec::new(),
            root_owned: Vec::new(),
        }
    }
}

/// The verdict alone.
pub fn verdict(f: &Facts) -> Verdict {
    if !f.is_install {
        return Verdict::NotAMidServer;
    }
    let upgrade_began = f.marker.is_some() || f.bootstrapping.is_some();
    if f.upgrade_process_running {
        return Verdict::UpgradeInProgress;
    }
    // KB0784389: the upgrade could not even install its service (another MID of the same name
    // holds it), so nothing of this install was replaced: stopped, not crashed.
    if upgrade_began
        && service_conflict(f)
        && f.lib == LibState::Intact
        && !matches!(
            f.service_state,
            ServiceState::Running | ServiceState::Pending
        )
    {
        return Verdict::Stopped;
    }
    if upgrade_began {
        // A MID that was started on the half-upgraded install runs, but no upgrade is under way.
        if f.started_mid_upgrade.is_none()
            && matches!(
                f.service_state,
                ServiceState::Running | ServiceState::Pending
            )
        {
            // The upgrade restarts the service when it is done; the MID has not logged its
            // start yet.
            return Verdict::UpgradeInProgress;
        }
        return if f.temp_dir_exists && f.script_exists {
            Verdict::CrashedUpgrade
        } else {
            Verdict::TempFolderLost
        };
    }
    match f.service_state {
        ServiceState::Running | ServiceState::Pending => Verdict::Healthy,
        ServiceState::Stopped | ServiceState::NotInstalled => Verdict::Stopped,
        ServiceState::Unknown => {
            let started = f.last_start.is_some() || f.log_lock_live;
            if started && f.last_stop.is_none() && f.lib == LibState::Intact {
                Verdict::Healthy
            } else {
                Verdict::Stopped
            }
        }
    }
}

fn service_conflict(f: &Facts) -> bool {
    f.hits
        .iter()
        .any(|(c, _)| *c == FindingCode::UpgradeServiceConflict)
}

/// Whether a line is the pre-upgrade check's own failure (its cause is named in it).
fn is_precheck_line(code: FindingCode, text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    code == FindingCode::PrecheckFailed
        || l.contains("pre-upgrade check failure")
        || l.contains("upgrade failure: the host machine does not meet")
}

/// The status lines a failed pre-check writes after its cause (`Setting mid status to Upgrade
/// Failed`, `OperationalState=UPGRADE_FAILED`): the same event, not a second failure.
fn is_status_line(text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    l.contains("setting mid status to upgrade failed")
        || l.contains("operationalstate=upgrade_failed")
}

fn finding(code: FindingCode, evidence: Vec<Evidence>) -> Finding {
    let (severity, message) = signatures::describe(code);
    Finding {
        code,
        severity,
        message: message.to_string(),
        evidence,
    }
}

fn note(file: Option<&PathBuf>, text: String) -> Evidence {
    Evidence {
        file: file.cloned().unwrap_or_default(),
        line: 0,
        text,
    }
}

/// Verdict and findings (most severe first; same severity in first-seen order).
pub fn diagnose(f: &Facts) -> (Verdict, Vec<Finding>) {
    let v = verdict(f);
    if v == Verdict::NotAMidServer {
        return (v, Vec::new());
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut add = |code: FindingCode, ev: Vec<Evidence>| {
        if let Some(existing) = findings.iter_mut().find(|x| x.code == code) {
            existing.evidence.extend(ev);
        } else {
            findings.push(finding(code, ev));
        }
    };
    let crashed = matches!(v, Verdict::CrashedUpgrade | Verdict::TempFolderLost);

    if v == Verdict::TempFolderLost {
        let what = match (&f.temp_dir, f.temp_dir_exists) {
            (Some(t), false) => format!("temp folder not found: {}", t.display()),
            (Some(_), true) => "the upgrade script is missing from the temp folder".to_string(),
            (None, _) => "no upgrade temp folder was named by a marker or found by scanning".into(),
        };
        let mut ev = vec![note(f.script.as_ref().or(f.temp_dir.as_ref()), what)];
        ev.extend(f.marker.clone());
        add(FindingCode::TempFolderMissing, ev);
    }
    if let Some(start) = &f.started_mid_upgrade {
        add(
            FindingCode::ServiceStartedMidUpgrade,
            f.marker.iter().cloned().chain([start.clone()]).collect(),
        );
    }
    if f.upgrade_process_running {
        add(FindingCode::UpgradeProcessRunning, Vec::new());
    }
    if f.script_exists && f.script_executable == Some(false) {
        add(
            FindingCode::ScriptNotExecutable,
            vec![note(
                f.script.as_ref(),
                "the script has no executable bit".into(),
            )],
        );
    }
    if f.lib != LibState::Intact {
        add(
            FindingCode::LibIncomplete,
            f.lib_evidence.clone().into_iter().collect(),
        );
    }
    if crashed
        && f.start_type == Some(StartType::Auto)
        && !matches!(
            f.service_state,
            ServiceState::Running | ServiceState::Pending
        )
    {
        add(
            FindingCode::ServiceAutoStart,
            vec![note(
                None,
                format!(
                    "service {} start type: auto",
                    f.service_name.as_deref().unwrap_or("?")
                ),
            )],
        );
    }
    if let Some((mode, ev)) = &f.kill_mode
        && mode.eq_ignore_ascii_case("control-group")
    {
        add(FindingCode::KillmodeControlGroup, vec![ev.clone()]);
    }
    if f.service_state == ServiceState::NotInstalled {
        let ev: Vec<Evidence> = f.wrapper_name_evidence.clone().into_iter().collect();
        if f.platform == Platform::Windows && f.service_name.is_some() {
            add(FindingCode::WrapperNameMismatch, ev);
        } else {
            add(FindingCode::ServiceNotInstalled, ev);
        }
    }
    if !f.root_owned.is_empty() {
        add(FindingCode::RootOwnedFiles, f.root_owned.clone());
    }
    if let Some(ev) = &f.upgrade_process_unattributed {
        add(FindingCode::UpgradeProcessUnattributed, vec![ev.clone()]);
    }
    // One event, one finding: a failed pre-check's status lines join the finding that names
    // its cause instead of making an `upgrade_failed` of their own.
    let precheck = f
        .hits
        .iter()
        .find(|(c, ev)| is_precheck_line(*c, &ev.text))
        .map(|(c, _)| *c);
    let mut status_lines = Vec::new();
    for (code, ev) in &f.hits {
        match precheck {
            Some(_) if *code == FindingCode::UpgradeFailed && is_status_line(&ev.text) => {
                status_lines.push(ev.clone());
            }
            _ => add(*code, vec![ev.clone()]),
        }
    }
    if let Some(p) = precheck {
        // After the cause, in the order they were written.
        status_lines.reverse();
        add(p, status_lines);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    (v, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str) -> Evidence {
        Evidence {
            file: PathBuf::from("/x/agent/logs/agent0.log.0"),
            line: 7,
            text: text.into(),
        }
    }

    fn crashed() -> Facts {
        let mut f = Facts::not_an_install(Platform::Windows);
        f.is_install = true;
        f.lib = LibState::Intact;
        f.marker = Some(ev(
            "Added marker `C:\\WINDOWS\\TEMP\\1-0` to upgrade marker file.",
        ));
        f.bootstrapping = Some(ev("Stopping MID server. Bootstrapping upgrade."));
        f.temp_dir = Some(PathBuf::from("/t/1-0"));
        f.temp_dir_exists = true;
        f.script = Some(PathBuf::from(
            "/t/1-0/upgrade-wrapper/bin/glide-dist-upgrade.bat",
        ));
        f.script_exists = true;
        f
    }

    #[test]
    fn verdicts_from_files_alone() {
        let f = crashed();
        assert_eq!(verdict(&f), Verdict::CrashedUpgrade);
        let mut g = f.clone();
        g.temp_dir_exists = false;
        g.script_exists = false;
        assert_eq!(verdict(&g), Verdict::TempFolderLost);
        let (_, fs) = diagnose(&g);
        assert_eq!(fs[0].code, FindingCode::TempFolderMissing);
        let mut h = f.clone();
        h.service_state = ServiceState::Pending;
        assert_eq!(verdict(&h), Verdict::UpgradeInProgress);
        h.service_state = ServiceState::Stopped;
        assert_eq!(verdict(&h), Verdict::CrashedUpgrade);
        let mut n = Facts::not_an_install(Platform::Linux);
        assert_eq!(verdict(&n), Verdict::NotAMidServer);
        n.is_install = true;
        n.lib = LibState::Intact;
        n.last_start = Some(ev("MID Server started"));
        assert_eq!(verdict(&n), Verdict::Healthy);
        n.last_stop = Some(ev("MID Server stopped"));
        assert_eq!(verdict(&n), Verdict::Stopped);
        n.service_state = ServiceState::Running;
        assert_eq!(verdict(&n), Verdict::Healthy);
        n.upgrade_process_running = true;
        assert_eq!(verdict(&n), Verdict::UpgradeInProgress);
    }

    #[test]
    fn service_findings() {
        let mut f = crashed();
        f.service_state = ServiceState::Stopped;
        f.start_type = Some(StartType::Auto);
        f.service_name = Some("snc_mid_prod1".into());
        let (v, fs) = diagnose(&f);
        assert_eq!(v, Verdict::CrashedUpgrade);
        assert!(fs.iter().any(|x| x.code == FindingCode::ServiceAutoStart));
        f.service_state = ServiceState::NotInstalled;
        f.start_type = None;
        let (_, fs) = diagnose(&f);
        assert!(
            fs.iter()
                .any(|x| x.code == FindingCode::WrapperNameMismatch)
        );
        assert!(!fs.iter().any(|x| x.code == FindingCode::ServiceAutoStart));
    }

    #[test]
    fn file_findings() {
        let mut f = crashed();
        f.platform = Platform::Linux;
        f.script_executable = Some(false);
        f.lib = LibState::Partial;
        f.kill_mode = Some(("control-group".into(), ev("KillMode=control-group")));
        f.hits = vec![(FindingCode::FileLocked, ev("x cannot be deleted"))];
        let (_, fs) = diagnose(&f);
        let codes: Vec<_> = fs.iter().map(|x| x.code).collect();
        for c in [
            FindingCode::ScriptNotExecutable,
            FindingCode::LibIncomplete,
            FindingCode::KillmodeControlGroup,
            FindingCode::FileLocked,
        ] {
            assert!(codes.contains(&c), "{c:?}");
        }
        assert!(fs.windows(2).all(|w| w[0].severity >= w[1].severity));
        assert!(fs.iter().all(|x| !x.message.is_empty()));
    }

    #[test]
    fn an_upgrade_that_could_not_install_its_service_is_stopped() {
        let mut f = crashed();
        f.marker = None;
        f.temp_dir = None;
        f.temp_dir_exists = false;
        f.script_exists = false;
        f.service_state = ServiceState::Stopped;
        f.start_type = Some(StartType::Auto);
        assert_eq!(verdict(&f), Verdict::TempFolderLost);
        f.hits = vec![(
            FindingCode::UpgradeServiceConflict,
            ev(
                "Gobbled: ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (midserver-lab) service is already started with status: START_PENDING",
            ),
        )];
        let (v, fs) = diagnose(&f);
        assert_eq!(v, Verdict::Stopped);
        let codes: Vec<_> = fs.iter().map(|x| x.code).collect();
        assert_eq!(codes, vec![FindingCode::UpgradeServiceConflict]);
        // Files were replaced after all: then it is a crash, whatever else the logs say.
        f.lib = LibState::Partial;
        assert_eq!(verdict(&f), Verdict::TempFolderLost);
    }

    #[test]
    fn a_live_log_lock_is_a_running_mid() {
        let mut n = Facts::not_an_install(Platform::Windows);
        n.is_install = true;
        n.lib = LibState::Intact;
        assert_eq!(verdict(&n), Verdict::Stopped);
        n.log_lock_live = true;
        assert_eq!(verdict(&n), Verdict::Healthy);
        n.last_stop = Some(ev("MID Server stopped"));
        assert_eq!(verdict(&n), Verdict::Stopped);
    }

    #[test]
    fn an_unattributed_upgrade_process_is_told_not_counted() {
        let mut f = crashed();
        f.upgrade_process_unattributed = Some(ev(
            "an upgrade process runs on this host (not attributed): pid 7 x",
        ));
        let (v, fs) = diagnose(&f);
        assert_eq!(v, Verdict::CrashedUpgrade);
        assert!(
            fs.iter()
                .any(|x| x.code == FindingCode::UpgradeProcessUnattributed)
        );
    }
}
