//! The recovery flow (`commands::resume::recover`) with real processes on a crashed install
//! built here: a script standing in for glide-dist-upgrade.sh writes the upgrade log, the
//! wrapper and agent logs, the version file and the service's pid file, like the real one.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use std::sync::Arc;

use midrescue::commands::resume::{Operator, Recovery, recover};
use midrescue::mid::outcome::RecoveryOutcome;
use midrescue::mid::report::*;
use midrescue::platform::Platform;
use midrescue::platform::service::{ServiceControl, ServiceState, ServiceStatus, StartType};
use midrescue::recovery::session::SessionParts;
use midrescue::recovery::{Cadence, Install, Limits, SystemClock, SystemLauncher};

const OLD: &str = "sandiego-12-22-2021__patch9a-hotfix1-01-31-2023_02-01-2023_1625";
const NEW: &str = "tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048";

/// Reports the state the fake upgrade leaves on disk: running once `work/mid.pid` exists.
struct PidFileService {
    agent: PathBuf,
    start_type: Mutex<StartType>,
}

impl ServiceControl for PidFileService {
    fn query(&self) -> ServiceStatus {
        let state = if self.agent.join("work/mid.pid").exists() {
            ServiceState::Running
        } else {
            ServiceState::Stopped
        };
        ServiceStatus {
            name: Some("mid".into()),
            display_name: None,
            state,
            start_type: Some(*self.start_type.lock().unwrap()),
            raw: String::new(),
            note: None,
        }
    }
    fn set_start_type(&self, start: StartType) -> anyhow::Result<()> {
        *self.start_type.lock().unwrap() = start;
        Ok(())
    }
    fn upgrade_process_running(&self) -> bool {
        false
    }
}

struct Scripted {
    answer: bool,
    said: Vec<String>,
    asked: Vec<String>,
}

impl Operator for Scripted {
    fn confirm(&mut self, q: &str) -> bool {
        self.asked.push(q.to_string());
        self.answer
    }
    fn say(&mut self, line: &str) {
        self.said.push(line.to_string());
    }
}

struct TestInstall {
    _dir: tempfile::TempDir,
    agent: PathBuf,
    temp: PathBuf,
    out: PathBuf,
    report: DetectReport,
}

const SUCCESS: &str = r#"
LOG="$TEMP/upgrade-wrapper/logs/glide-dist-upgrade.log"
echo "INFO   | jvm 1    | 2026/11/22 05:00:00.100 | INFO: Removing previous MID JRE at \`$AGENT/jre\`." >> "$LOG"
echo "INFO   | jvm 1    | 2026/11/22 05:00:00.200 | $AGENT/lib/a.jar cannot be deleted: $AGENT/lib/a.jar (The process cannot access the file because it is being used by another process)" >> "$LOG"
sleep 0.3
echo "INFO   | jvm 1    | 2026/11/22 05:00:01.000 | INFO: Copying files" >> "$LOG"
{ echo "***********UPGRADE MAIN LOG START***********"; cat "$LOG"; echo "***********UPGRADE MAIN LOG END***********"; } >> "$AGENT/logs/wrapper.log"
echo "package.filename=mid-core.$NEW.universal.universal.zip" > "$AGENT/package/meta/mid-core.meta.properties"
echo "2026/11/22 05:00:02 | --> Wrapper Started as Service" >> "$AGENT/logs/wrapper.log"
echo 4242 > "$AGENT/work/mid.pid"
sleep 0.3
echo "2026-11-22T05:00:03.000+0000 INFO (MIDServer) [Main:292] Initializing MID Server" >> "$AGENT/logs/agent0.log.0"
echo "11/22/26 05:00:04 (123) MIDServer MID Server started" >> "$AGENT/logs/agent0.log.0"
echo "11/22/26 05:00:05 (456) StartupSequencer Successfully connected to instance: https://x.service-now.com/" >> "$AGENT/logs/agent0.log.0"
rm -rf "$TEMP"
"#;

fn install(script_body: &str, fallback_body: Option<&str>) -> TestInstall {
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("mid/agent");
    let temp = agent.join("work/upgrade_temp/1700000000000-0");
    let bin = temp.join("upgrade-wrapper/bin");
    for d in [
        agent.join("logs"),
        agent.join("package/meta"),
        agent.join("work"),
        bin.clone(),
        temp.join("upgrade-wrapper/logs"),
        temp.join("upgrade-wrapper/conf"),
    ] {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(
        agent.join("package/meta/mid-core.meta.properties"),
        format!("package.filename=mid-core.{OLD}.universal.universal.zip\n"),
    )
    .unwrap();
    // What the crash left: old failure lines that must not be judged again.
    fs::write(
        temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log"),
        "INFO   | jvm 1    | 2026/11/21 23:00:00.000 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: old crash\n",
    )
    .unwrap();
    fs::write(
        agent.join("logs/wrapper.log"),
        "2026/11/21 23:00:00 | old line\n",
    )
    .unwrap();
    fs::write(
        agent.join("logs/agent0.log.0"),
        "11/21/26 23:00:00 (1) MIDServer MID Server started\n",
    )
    .unwrap();
    fs::write(
        temp.join("upgrade-wrapper/conf/wrapper.conf"),
        "wrapper.debug=false\n",
    )
    .unwrap();
    let header = format!(
        "#!/bin/sh\nAGENT='{}'\nTEMP='{}'\nNEW='{NEW}'\n",
        agent.display(),
        temp.display()
    );
    let script = bin.join("glide-dist-upgrade.sh");
    write_exec(&script, &format!("{header}{script_body}"));
    if let Some(body) = fallback_body {
        write_exec(
            &bin.join("wrapper-linux-x86-64"),
            &format!("{header}{body}"),
        );
    }
    let out = dir.path().join("out");
    let report = DetectReport {
        schema_version: SCHEMA_VERSION,
        agent_dir: agent.clone(),
        platform: Platform::Linux,
        mid_name: Some("mid1".into()),
        instance_url: None,
        installed_version: Some(OLD.into()),
        target_version: Some(NEW.into()),
        service: ServiceReport {
            name: Some("mid".into()),
            display_name: None,
            state: ServiceState::Stopped,
            start_type: Some(StartType::Auto),
            upgrade_process_running: false,
        },
        upgrade: Some(UpgradeReport {
            temp_dir: Some(temp.clone()),
            temp_dir_source: Some(TempDirSource::Scan),
            marker_line: None,
            script: Some(script),
            script_exists: true,
            script_executable: Some(true),
            wrapper_conf: Some(temp.join("upgrade-wrapper/conf/wrapper.conf")),
            wrapper_exe: None,
            upgrade_log: Some(temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log")),
            started_at: None,
        }),
        lib: LibState::Partial,
        verdict: Verdict::CrashedUpgrade,
        findings: Vec::new(),
        elevated: None,
        temp_dir_attribution: None,
        unattributed_temp_dirs: Vec::new(),
    };
    TestInstall {
        _dir: dir,
        agent,
        temp,
        out,
        report,
    }
}

fn write_exec(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// The recovery of `inst` with `service`, polling fast (a test needs no 250 ms cadence).
fn recovery(
    inst: &TestInstall,
    service: Arc<PidFileService>,
    yes: bool,
    manual_start: bool,
    timeout: Duration,
    stall: Duration,
) -> Recovery {
    Recovery {
        install: Arc::new(Install {
            report: inst.report.clone(),
            service,
            stand_in: None,
            lab_root: None,
            temp_roots: vec![inst.agent.join("work/upgrade_temp")],
        }),
        session: SessionParts {
            cadence: Cadence {
                poll: Duration::from_millis(50),
                ..Cadence::default()
            },
            limits: Limits { timeout, stall },
            clock: Arc::new(SystemClock::default()),
            launcher: Arc::new(SystemLauncher),
            instance: None,
            out_dir: inst.out.clone(),
            keep_upgrade_log: false,
        },
        bundle: Some(inst.out.join("bundle.zip")),
        yes,
        manual_start,
    }
}

fn run(
    inst: &TestInstall,
    yes: bool,
    answer: bool,
    manual_start: bool,
) -> (
    midrescue::commands::resume::ResumeResult,
    Scripted,
    Arc<PidFileService>,
) {
    let service = Arc::new(PidFileService {
        agent: inst.agent.clone(),
        start_type: Mutex::new(StartType::Auto),
    });
    let rec = recovery(
        inst,
        service.clone(),
        yes,
        manual_start,
        Duration::from_secs(30),
        Duration::from_secs(20),
    );
    let mut op = Scripted {
        answer,
        said: Vec::new(),
        asked: Vec::new(),
    };
    let result = recover(&rec, &mut op);
    (result, op, service)
}

#[test]
fn successful_rerun_reaches_up_streams_lines_and_restores_start_type() {
    let inst = install(SUCCESS, None);
    let (result, op, service) = run(&inst, false, true, true);
    assert_eq!(
        result.outcome,
        RecoveryOutcome::Recovered,
        "said: {:#?}",
        op.said
    );
    assert_eq!(result.exit_code(), 0);
    assert_eq!(
        op.asked.len(),
        2,
        "run + manual start confirmations: {:?}",
        op.asked
    );
    assert!(result.lock_retries >= 1);
    assert!(
        op.said
            .iter()
            .any(|l| l.starts_with("[upgrade] ") && l.contains("cannot be deleted"))
    );
    assert!(
        op.said
            .iter()
            .any(|l| l.starts_with("[agent] ") && l.contains("Successfully connected"))
    );
    assert!(
        op.said
            .iter()
            .any(|l| l.starts_with("[wrapper] ") && l.contains("Wrapper Started"))
    );
    assert!(
        !op.said
            .iter()
            .any(|l| (l.starts_with("[upgrade]") && l.contains("old crash"))
                || (l.starts_with("[agent]") && l.contains("23:00:00"))),
        "lines from before the run are not streamed"
    );
    // The upgrade copies its whole log, old crash included, into wrapper.log: shown, not judged.
    assert!(
        op.said
            .iter()
            .any(|l| l.starts_with("[wrapper]") && l.contains("old crash"))
    );
    assert_eq!(
        *service.start_type.lock().unwrap(),
        StartType::Auto,
        "start type restored"
    );
    use midrescue::mid::milestones::Milestone::*;
    for m in [
        UpgradeStarted,
        FilesReplacing,
        UpgradeLogAppended,
        ServiceStarted,
        MidStarted,
        Connected,
        VersionIsTarget,
    ] {
        assert!(
            result.milestones.contains(&m),
            "missing {m:?} in {:?}",
            result.milestones
        );
    }
    let out = result.output_file.unwrap();
    assert!(
        out.starts_with(&inst.out),
        "captured output beside the bundle"
    );
}

#[test]
fn declining_runs_nothing() {
    let inst = install(SUCCESS, None);
    let (result, _op, _) = run(&inst, false, false, false);
    assert_eq!(result.outcome, RecoveryOutcome::Declined);
    assert!(inst.temp.exists());
    assert!(!inst.agent.join("work/mid.pid").exists());
}

#[test]
fn rerun_that_fails_again_ends_failed_with_the_new_evidence() {
    let body = r#"
echo "INFO   | jvm 1    | 2026/11/22 05:00:00.100 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: $AGENT/bin/mid.sh (Access is denied)" >> "$TEMP/upgrade-wrapper/logs/glide-dist-upgrade.log"
sleep 0.2
exit 1
"#;
    let inst = install(body, None);
    let (result, op, _) = run(&inst, true, false, false);
    assert_eq!(
        result.outcome,
        RecoveryOutcome::Failed,
        "said: {:#?}",
        op.said
    );
    assert_eq!(result.exit_code(), 1);
    assert!(
        result.evidence[0].contains("Access is denied"),
        "{:?}",
        result.evidence
    );
    assert!(!result.evidence.iter().any(|e| e.contains("old crash")));
    assert!(result.next_step.unwrap().contains("KB0713557"));
}

#[test]
fn service_not_installed_answer_leads_to_the_wrapper_fallback() {
    let body = r#"
echo "The ServiceNow Platform Distribution Upgrade (mid1) service is not installed - The specified service does not exist as an installed service. (0x424)"
exit 1
"#;
    let inst = install(body, Some(SUCCESS));
    let (result, op, _) = run(&inst, true, false, false);
    assert_eq!(
        result.outcome,
        RecoveryOutcome::Recovered,
        "said: {:#?}",
        op.said
    );
    assert!(result.fallback_used);
    assert!(
        op.said
            .iter()
            .any(|l| l.contains("service is not installed"))
    );
}

#[test]
fn service_not_installed_without_consent_fails_clearly() {
    let body = "echo \"The ServiceNow Platform Distribution Upgrade (mid1) service is not installed\"\nexit 1\n";
    let inst = install(body, Some(SUCCESS));
    // Yes to the run, no to the fallback.
    struct YesThenNo(Vec<String>, u32);
    impl Operator for YesThenNo {
        fn confirm(&mut self, _q: &str) -> bool {
            self.1 += 1;
            self.1 == 1
        }
        fn say(&mut self, l: &str) {
            self.0.push(l.to_string());
        }
    }
    let service = Arc::new(PidFileService {
        agent: inst.agent.clone(),
        start_type: Mutex::new(StartType::Auto),
    });
    let mut rec = recovery(
        &inst,
        service,
        false,
        false,
        Duration::from_secs(30),
        Duration::from_secs(20),
    );
    rec.bundle = None;
    let mut op = YesThenNo(Vec::new(), 0);
    let result = recover(&rec, &mut op);
    assert_eq!(result.outcome, RecoveryOutcome::Failed);
    assert!(!result.fallback_used);
    assert!(result.reason.unwrap().contains("not installed"));
    assert!(
        !inst.agent.join("work/mid.pid").exists(),
        "fallback did not run"
    );
}

#[test]
fn timeout_reports_what_is_still_missing() {
    // Starts the service but never connects.
    let body = r#"
echo 1 > "$AGENT/work/mid.pid"
echo "11/22/26 05:00:04 (123) MIDServer MID Server started" >> "$AGENT/logs/agent0.log.0"
"#;
    let inst = install(body, None);
    let service = Arc::new(PidFileService {
        agent: inst.agent.clone(),
        start_type: Mutex::new(StartType::Auto),
    });
    let mut rec = recovery(
        &inst,
        service,
        true,
        false,
        Duration::from_secs(2),
        Duration::from_secs(1),
    );
    rec.bundle = None;
    let mut op = Scripted {
        answer: true,
        said: Vec::new(),
        asked: Vec::new(),
    };
    let result = recover(&rec, &mut op);
    assert_eq!(result.outcome, RecoveryOutcome::TimedOut);
    let reason = result.reason.unwrap();
    assert!(reason.contains("Successfully connected"), "{reason}");
    assert!(reason.contains("installed version"), "{reason}");
}
