//! Fixture models for every screen, built by feeding real messages through `update()`. Used by
//! the snapshot tests, the screenshot generator and the render bench (not by the product).

use std::path::{Path, PathBuf};

use chrono::TimeZone;

use crate::mid::milestones::{Milestone, Source};
use crate::mid::outcome::RecoveryOutcome;
use crate::mid::report::{
    DetectReport, Evidence, Finding, FindingCode, LibState, SCHEMA_VERSION, ServiceReport,
    Severity, TempDirSource, UpgradeReport, Verdict,
};
use crate::platform::Platform;
use crate::platform::service::{ServiceState, StartType};
use crate::recovery::{RunKind, RunReport};
use crate::wizard::model::Options;
use crate::wizard::msg::{BundleInfo, CollectProgress, MilestoneEvent, PlanInfo, RunOutcome};
use crate::wizard::update::start;
use crate::wizard::{Effect, Key, Model, Msg, RunId, Timestamp, update};

/// A fixed moment so snapshots do not move.
pub fn t0() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 4, 5)
        .single()
        .unwrap_or_default()
}

pub fn at(secs: i64) -> Timestamp {
    t0() + chrono::Duration::seconds(secs)
}

const AGENT: &str = "/opt/servicenow/mid/agent";
const TEMP: &str = "/opt/servicenow/mid/agent/work/upgrade_temp/1763779200000-0";

/// A detect report as the engine would give it for `verdict`.
pub fn report(verdict: Verdict) -> DetectReport {
    let crashed = matches!(
        verdict,
        Verdict::CrashedUpgrade | Verdict::UpgradeInProgress
    );
    let upgrade_log = PathBuf::from(TEMP).join("upgrade-wrapper/logs/glide-dist-upgrade.log");
    DetectReport {
        schema_version: SCHEMA_VERSION,
        agent_dir: PathBuf::from(AGENT),
        platform: Platform::Linux,
        mid_name: Some("mid-prod-01".into()),
        instance_url: Some("https://acme.service-now.com".into()),
        installed_version: Some("xanadu-07-02-2024__patch4-01-15-2025".into()),
        target_version: crashed.then(|| "yokohama-12-18-2024__patch2-04-10-2025".into()),
        service: ServiceReport {
            name: Some("mid".into()),
            display_name: Some("ServiceNow MID Server_mid-prod-01".into()),
            state: if verdict == Verdict::Healthy {
                ServiceState::Running
            } else {
                ServiceState::Stopped
            },
            start_type: Some(StartType::Auto),
            upgrade_process_running: verdict == Verdict::UpgradeInProgress,
        },
        upgrade: (crashed || verdict == Verdict::TempFolderLost).then(|| UpgradeReport {
            temp_dir: crashed.then(|| PathBuf::from(TEMP)),
            temp_dir_source: crashed.then_some(TempDirSource::Marker),
            marker_line: Some(Evidence {
                file: PathBuf::from(AGENT).join("logs/agent0.log.0"),
                line: 8812,
                text: format!("AutoUpgrade.3600 Added marker `{TEMP}` to upgrade marker file."),
            }),
            script: crashed
                .then(|| PathBuf::from(TEMP).join("upgrade-wrapper/bin/glide-dist-upgrade.sh")),
            script_exists: crashed,
            script_executable: crashed.then_some(true),
            wrapper_conf: None,
            wrapper_exe: None,
            upgrade_log: crashed.then_some(upgrade_log.clone()),
            started_at: Some("2026-11-22T02:10:44Z".into()),
        }),
        lib: if crashed {
            LibState::Partial
        } else {
            LibState::Intact
        },
        verdict,
        findings: if crashed {
            vec![
                Finding {
                    code: FindingCode::FileLocked,
                    severity: Severity::Error,
                    message: "The upgrade could not replace files another process held open \
                              (often antivirus); a second attempt usually works."
                        .into(),
                    evidence: vec![Evidence {
                        file: upgrade_log,
                        line: 214,
                        text:
                            "agent/lib/commons-io.jar cannot be deleted: agent/lib/commons-io.jar \
                               (The process cannot access the file because it is being used by \
                               another process)"
                                .into(),
                    }],
                },
                Finding {
                    code: FindingCode::ServiceAutoStart,
                    severity: Severity::Warning,
                    message: "The MID service starts automatically: a reboot would start it and \
                              delete the upgrade temp folder."
                        .into(),
                    evidence: vec![],
                },
            ]
        } else {
            vec![]
        },
        elevated: None,
        temp_dir_attribution: None,
        unattributed_temp_dirs: Vec::new(),
    }
}

fn opts(training: bool) -> Options {
    Options {
        dry_run: false,
        training,
        scenario: training.then(|| "file-lock-timeout".into()),
        training_text: training.then(|| {
            "A locked file made the first upgrade attempt fail. Saving the logs first and \
             re-running the script from the temp folder was enough: the MID came Up on the new \
             version without a reinstall."
                .into()
        }),
        host: "mid-host-01".into(),
        instance_check: false,
        invocation: format!("midrescue --agent-dir {AGENT}"),
        lab_start: false,
        no_hints: false,
        course_entry: false,
    }
}

/// Feeds messages, remembering the run ids of the effects.
pub struct Driver {
    pub model: Model,
    pub effects: Vec<Effect>,
}

impl Driver {
    pub fn new(training: bool) -> Self {
        let mut model = Model::new(opts(training), t0());
        let effects = start(&mut model, vec![PathBuf::from(AGENT)]);
        Driver { model, effects }
    }

    pub fn with_model(model: Model) -> Self {
        Driver {
            model,
            effects: vec![],
        }
    }

    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        let fx = update(&mut self.model, msg);
        self.effects.extend(fx.clone());
        fx
    }

    pub fn key(&mut self, k: Key) -> Vec<Effect> {
        self.send(Msg::Key(k))
    }

    pub fn keys(&mut self, ks: &[Key]) {
        for k in ks {
            self.key(*k);
        }
    }

    pub fn tick(&mut self, secs: i64) {
        self.send(Msg::Tick(at(secs)));
    }

    /// The run id of the newest effect matching `pred`.
    pub fn last_run(&self, pred: impl Fn(&Effect) -> bool) -> RunId {
        self.effects
            .iter()
            .rev()
            .find(|e| pred(e))
            .and_then(crate::wizard::update::effect_run)
            .unwrap_or(0)
    }
}

pub fn bundle(final_bundle: bool) -> BundleInfo {
    BundleInfo {
        path: PathBuf::from(if final_bundle {
            "/home/ops/midrescue/midrescue-mid-prod-01-20261122-0331-final.zip"
        } else {
            "/home/ops/midrescue/midrescue-mid-prod-01-20261122-0305.zip"
        }),
        sha256: "9f2c4e0d1a7b3c5e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7".into(),
        size: 3_482_113,
        files: 41,
        redactions: 7,
        truncated: 1,
        skipped: vec![(
            "agent/logs/agent0.log.3".into(),
            "Permission denied (os error 13)".into(),
        )],
    }
}

pub fn plan(fallback: bool) -> PlanInfo {
    if fallback {
        PlanInfo {
            kind: RunKind::WrapperFallback,
            command: "wrapper-windows-x86-64.exe -c ..\\conf\\wrapper.conf".into(),
            folder: PathBuf::from("C:\\Windows\\TEMP\\1763779200000-0\\upgrade-wrapper\\bin"),
            user: "SYSTEM (elevated)".into(),
            needs_root: true,
            tee_path: PathBuf::from("C:\\midrescue\\run-20261122-0307.log"),
            expected: "3 to 10 minutes".into(),
            real_host_command: None,
        }
    } else {
        PlanInfo {
            kind: RunKind::Script,
            command: "sudo ./glide-dist-upgrade.sh start".into(),
            folder: PathBuf::from(TEMP).join("upgrade-wrapper/bin"),
            user: "root (via sudo)".into(),
            needs_root: true,
            tee_path: PathBuf::from("/home/ops/midrescue/run-20261122-0307.log"),
            expected: "3 to 10 minutes".into(),
            real_host_command: None,
        }
    }
}

/// Detect finished with `verdict`.
pub fn detected(verdict: Verdict, training: bool) -> Driver {
    let mut d = Driver::new(training);
    d.tick(2);
    let run = d.last_run(|e| matches!(e, Effect::Detect { .. }));
    d.send(Msg::DetectDone {
        run,
        result: Ok(Box::new(report(verdict))),
    });
    d.tick(3);
    d
}

pub fn warn() -> Driver {
    let mut d = detected(Verdict::CrashedUpgrade, false);
    d.key(Key::Enter);
    d.tick(20);
    d
}

pub fn collecting() -> Driver {
    let mut d = warn();
    d.keys(&[Key::Char('a'), Key::Enter]);
    d.tick(25);
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectProgress {
        run,
        progress: CollectProgress {
            files_done: 17,
            files_total: Some(41),
            bytes_done: 1_204_224,
            bytes_total: Some(5_017_600),
            current: Some("agent/logs/agent0.log.2".into()),
        },
    });
    d
}

pub fn collected() -> Driver {
    let mut d = collecting();
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    d.tick(31);
    d
}

pub fn run_screen(fallback: bool) -> Driver {
    let mut d = collected();
    d.key(Key::Enter);
    let run = d.last_run(|e| matches!(e, Effect::PlanRun { .. }));
    d.send(Msg::RunPlanned {
        run,
        result: Ok(plan(false)),
    });
    d.tick(40);
    if fallback {
        d.keys(&[Key::Tab, Key::Enter]);
        let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
        d.send(Msg::RunStarted {
            run,
            pid: Some(4242),
        });
        d.send(Msg::RunOutput {
            run,
            line: "The ServiceNow Platform Distribution Upgrade (mid-prod-01) service is not installed."
                .into(),
        });
        d.send(Msg::RunExited {
            run,
            outcome: RunOutcome::Exited { code: Some(1) },
        });
        d.send(Msg::FallbackOffered {
            run,
            line: "The ServiceNow Platform Distribution Upgrade (mid-prod-01) service is not installed."
                .into(),
            plan: plan(true),
        });
        d.tick(44);
    }
    d
}

const UPGRADE_LINES: &[&str] = &[
    "INFO: Added service `snc-platform-dist-upgrade-mid-prod-01` to upgrade marker file.",
    "INFO: Stopping MID server service",
    "INFO: Removing previous MID JRE at `/opt/servicenow/mid/agent/jre`.",
    "INFO: Extracting mid-core.yokohama-12-18-2024__patch2-04-10-2025.universal.universal.zip",
    "INFO: Copying 1,204 files into /opt/servicenow/mid/agent",
    "INFO: Starting MID server service",
];
const WRAPPER_LINES: &[&str] = &[
    "STATUS | wrapper  | 2026/11/22 03:07:41 | --> Wrapper Started as Daemon",
    "STATUS | wrapper  | 2026/11/22 03:07:41 | Java Service Wrapper Standard Edition 64-bit 3.5.51",
    "STATUS | wrapper  | 2026/11/22 03:07:42 | Launching a JVM...",
    "INFO   | jvm 1    | 2026/11/22 03:07:44 | WrapperManager: Initializing...",
];
const AGENT_LINES: &[&str] = &[
    "2026-11-22T03:07:46.112+0000 INFO (StartupSequencer) [MIDServer:91] MID Server starting",
    "2026-11-22T03:07:46.390+0000 INFO (StartupSequencer) [MIDServer:104] Agent home path: /opt/servicenow/mid/agent",
    "2026-11-22T03:07:49.027+0000 INFO (StartupSequencer) [MIDServer:131] MID Server started",
];

/// Watching after the script started; `progress` 0..=3 adds milestones.
pub fn watching(progress: u8) -> Driver {
    let mut d = run_screen(false);
    d.keys(&[Key::Tab, Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
    d.tick(41);
    d.send(Msg::RunStarted {
        run,
        pid: Some(4242),
    });
    d.send(Msg::Milestone {
        run,
        event: MilestoneEvent::Reached {
            id: Milestone::UpgradeStarted,
            at: at(41),
            evidence: None,
        },
    });
    d.send(Msg::RunOutput {
        run,
        line: "Starting ServiceNow Platform Distribution Upgrade (mid-prod-01)...".into(),
    });
    d.send(Msg::RunExited {
        run,
        outcome: RunOutcome::Exited { code: Some(0) },
    });
    let follow = run;
    let batch = |d: &mut Driver, source, lines: &[&str]| {
        d.send(Msg::FollowBatch {
            run: follow,
            source,
            lines: lines.iter().map(|s| s.to_string()).collect(),
            note: None,
        });
    };
    batch(&mut d, Source::UpgradeLog, &UPGRADE_LINES[..3]);
    d.send(Msg::ProbeResult {
        run: follow,
        service: ServiceState::Stopped,
    });
    if progress >= 1 {
        d.send(Msg::Milestone {
            run: follow,
            event: MilestoneEvent::Reached {
                id: Milestone::FilesReplacing,
                at: at(52),
                evidence: Some(UPGRADE_LINES[2].into()),
            },
        });
        batch(&mut d, Source::UpgradeLog, &UPGRADE_LINES[3..]);
        batch(&mut d, Source::WrapperLog, WRAPPER_LINES);
    }
    if progress >= 2 {
        batch(&mut d, Source::AgentLog, AGENT_LINES);
        for (id, s) in [
            (Milestone::ServiceStarted, 160),
            (Milestone::MidStarted, 166),
        ] {
            d.send(Msg::Milestone {
                run: follow,
                event: MilestoneEvent::Reached {
                    id,
                    at: at(s),
                    evidence: Some(AGENT_LINES[2].into()),
                },
            });
        }
    }
    if progress >= 3 {
        d.send(Msg::Milestone {
            run: follow,
            event: MilestoneEvent::Stall {
                since: at(170),
                quiet_secs: 300,
            },
        });
        d.tick(470);
    } else {
        d.tick(170);
    }
    d
}

pub fn recovered(training: bool) -> Driver {
    let mut d = watching(2);
    d.model.opts = opts(training);
    d.model.why_open = training;
    let follow = d.model.follow_run.unwrap_or_default();
    for (id, s) in [
        (Milestone::Connected, 180),
        (Milestone::VersionIsTarget, 181),
    ] {
        d.send(Msg::Milestone {
            run: follow,
            event: MilestoneEvent::Reached {
                id,
                at: at(s),
                evidence: None,
            },
        });
    }
    d.send(Msg::RecoveryEnded {
        run: follow,
        report: Box::new(run_report(
            RecoveryOutcome::Recovered,
            "the MID Server is Up on the target version",
            181,
            vec![],
            None,
        )),
    });
    d.tick(185);
    d
}

/// The engine ends `run` as failed on a locked file, `end` seconds in.
fn locked_file_failure(d: &mut Driver, run: RunId, end: i64) {
    let evidence = "[upgrade] SEVERE: com.snc.dist.mid_upgrade.UpgradeException: \
                    java.io.FileNotFoundException: /opt/servicenow/mid/agent/bin/wrapper-linux-x86-64 \
                    (Text file busy)";
    d.send(Msg::RecoveryEnded {
        run,
        report: Box::new(run_report(
            RecoveryOutcome::Failed,
            "the upgrade hit a locked file again and stopped",
            end,
            vec![evidence.into()],
            Some(crate::mid::report::FindingCode::FileLocked),
        )),
    });
}

pub fn failed() -> Driver {
    let mut d = watching(1);
    let follow = d.model.follow_run.unwrap_or_default();
    locked_file_failure(&mut d, follow, 200);
    d.tick(205);
    d
}

/// A failed run, `r` to re-run after "fixing" it, and the re-run fails the same way.
pub fn rerun_fails_again() -> Driver {
    let mut d = failed();
    d.key(Key::Char('r'));
    let run = d.last_run(|e| matches!(e, Effect::PlanRun { .. }));
    d.send(Msg::RunPlanned {
        run,
        result: Ok(plan(false)),
    });
    d.tick(210);
    d.keys(&[Key::Tab, Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
    d.send(Msg::RunStarted {
        run,
        pid: Some(4343),
    });
    d.send(Msg::RunExited {
        run,
        outcome: RunOutcome::Exited { code: Some(0) },
    });
    locked_file_failure(&mut d, run, 380);
    d.tick(385);
    d
}

/// Watching while the upgrade retries a locked `mid.jar`.
pub fn watch_lock_retry() -> Driver {
    let mut d = watching(1);
    let follow = d.model.follow_run.unwrap_or_default();
    d.send(Msg::Milestone {
        run: follow,
        event: MilestoneEvent::LockRetry {
            count: 6,
            line: r"[upgrade] C:\ServiceNow\MID\agent\lib\mid.jar cannot be deleted (being used by another process), retry 6".into(),
        },
    });
    d.tick(90);
    d
}

/// The re-run failed on the locked `mid.jar` again (Windows, as in `rerun-fails-again`).
pub fn failed_locked() -> Driver {
    let mut d = watch_lock_retry();
    let follow = d.model.follow_run.unwrap_or_default();
    let evidence = vec![
        r"[upgrade] C:\ServiceNow\MID\agent\lib\mid.jar cannot be deleted: C:\ServiceNow\MID\agent\lib\mid.jar (The process cannot access the file because it is being used by another process)".to_string(),
    ];
    let mut report = run_report(
        RecoveryOutcome::Failed,
        "the upgrade could not replace a locked file and stopped",
        200,
        evidence.clone(),
        Some(FindingCode::FileLocked),
    );
    report.next_step = crate::recovery::policy::next_step_after(
        RecoveryOutcome::Failed,
        Some(FindingCode::FileLocked),
        Platform::Windows,
        &evidence,
    );
    d.send(Msg::RecoveryEnded {
        run: follow,
        report: Box::new(report),
    });
    d.tick(205);
    d
}

/// Run, when the plan failed because the script has no exec bit: chmod +x is offered.
pub fn script_not_executable() -> Driver {
    let mut d = collected();
    d.key(Key::Enter);
    let run = d.last_run(|e| matches!(e, Effect::PlanRun { .. }));
    let script = PathBuf::from(TEMP).join("upgrade-wrapper/bin/glide-dist-upgrade.sh");
    d.send(Msg::ScriptFix {
        run,
        fix: Some(crate::recovery::fix::ScriptFix {
            chmod_command: format!("chmod +x {}", script.display()),
            script: script.clone(),
            needs_chmod: true,
            noexec: None,
        }),
    });
    d.send(Msg::RunPlanned {
        run,
        result: Err(crate::recovery::PlanError::ScriptNotExecutable(script).to_string()),
    });
    d.tick(40);
    d
}

/// Temp folder lost: the bundle was collected for support, then Done.
pub fn temp_folder_lost_done() -> Driver {
    let mut d = detected(Verdict::TempFolderLost, false);
    d.key(Key::Enter);
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    d.key(Key::Enter);
    d.tick(30);
    d
}

/// Detect on a healthy MID, then `p`: the Preflight screen with the checks' report. `failing`
/// puts a stranger's lock on a jar and a manual start type in it.
pub fn preflight(failing: bool) -> Driver {
    use crate::preflight::{CheckId, CheckResult, Status};
    let mut d = detected(Verdict::Healthy, false);
    d.key(Key::Char('p'));
    let run = d.last_run(|e| matches!(e, Effect::Preflight { .. }));
    let checks = CheckId::ALL
        .iter()
        .map(|&id| match (failing, id) {
            (true, CheckId::FilesHeldOpen) => CheckResult::new(
                id,
                Status::Fail,
                "1 file(s) in bin, lib or jre are held open by 1 process(es) that are not the MID's own: the upgrade cannot replace them and stops (\"being used by another process\", access denied)",
                vec![crate::mid::report::Evidence {
                    file: PathBuf::from(AGENT).join("lib/commons-io.jar"),
                    line: 0,
                    text: "held by pid 4711 (avscan): /opt/av/bin/avscan --realtime".into(),
                }],
                "Stop or pause that process before the instance upgrade (antivirus: exclude the agent folder; backup: move its window), then run preflight again.",
            ),
            (true, CheckId::ServiceStartType) => CheckResult::new(
                id,
                Status::Warn,
                "the service is set to manual start: after a reboot the MID stays down (a recovery may have left it so)",
                vec![],
                "`sudo systemctl enable <unit>` once no recovery runs.",
            ),
            (_, CheckId::SystemdKillMode) => CheckResult::new(id, Status::Pass, "unit mid: KillMode=process", vec![], ""),
            _ => CheckResult::new(id, Status::Pass, "ok", vec![], ""),
        })
        .collect();
    let report = crate::preflight::report_of(
        Path::new(AGENT),
        Platform::Linux,
        Some("mid-prod-01".into()),
        None,
        None,
        checks,
    );
    d.send(Msg::PreflightDone {
        run,
        result: Ok(Box::new(report)),
    });
    d.tick(3);
    d
}

/// What the engine reports at the end of a run, as the fixtures need it.
pub fn run_report(
    outcome: RecoveryOutcome,
    reason: &str,
    end: i64,
    evidence: Vec<String>,
    code: Option<crate::mid::report::FindingCode>,
) -> RunReport {
    RunReport {
        outcome,
        reason: reason.into(),
        code,
        next_step: crate::recovery::policy::next_step_after(
            outcome,
            code,
            Platform::Linux,
            &evidence,
        ),
        evidence,
        milestones: vec![
            Milestone::UpgradeStarted,
            Milestone::FilesReplacing,
            Milestone::ServiceStarted,
            Milestone::MidStarted,
        ],
        lock_retries: 0,
        fallback_used: false,
        output_files: vec![],
        started_at: at(41),
        ended_at: at(end),
    }
}

/// The screens the snapshot tests and screenshots cover, by name.
pub fn screens() -> Vec<(&'static str, Model)> {
    let mut v: Vec<(&'static str, Model)> = vec![];
    let mut detecting = Driver::new(false);
    detecting.tick(1);
    v.push(("detect-running", detecting.model));
    let mut picker = Model::new(opts(false), t0());
    start(
        &mut picker,
        vec![
            PathBuf::from(AGENT),
            PathBuf::from("/opt/servicenow/mid-test/agent"),
            PathBuf::from("/srv/mid2/agent"),
        ],
    );
    v.push(("detect-picker", picker));
    let mut none = Model::new(opts(false), t0());
    start(&mut none, vec![]);
    v.push(("detect-no-install", none));
    v.push((
        "detect-crashed",
        detected(Verdict::CrashedUpgrade, false).model,
    ));
    let mut healthy = detected(Verdict::Healthy, false);
    v.push(("detect-healthy", healthy.model.clone()));
    v.push(("preflight-failing", preflight(true).model));
    v.push(("preflight-passed", preflight(false).model));
    healthy.key(Key::Enter);
    v.push(("done-healthy", healthy.model));
    let mut lost = detected(Verdict::TempFolderLost, false);
    lost.key(Key::Enter);
    let run = lost.last_run(|e| matches!(e, Effect::Collect { .. }));
    lost.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    v.push(("collect-temp-folder-lost", lost.model));
    v.push(("done-temp-folder-lost", temp_folder_lost_done().model));
    v.push(("warn", warn().model));
    let mut confirm = warn();
    confirm.key(Key::Char('m'));
    v.push(("warn-confirm-manual", confirm.model));
    v.push(("collect-progress", collecting().model));
    v.push(("collect-done", collected().model));
    v.push(("run", run_screen(false).model));
    v.push(("run-fallback", run_screen(true).model));
    let mut cancelled = run_screen(false);
    cancelled.key(Key::Enter);
    v.push(("run-cancelled", cancelled.model));
    v.push(("watch-early", watching(0).model));
    v.push(("watch-progress", watching(2).model));
    v.push(("watch-stall", watching(3).model));
    let mut quit = watching(2);
    quit.key(Key::Char('q'));
    v.push(("watch-quit-confirm", quit.model));
    v.push(("done-recovered", recovered(false).model));
    v.push(("done-failed", failed().model));
    v.push(("done-failed-locked", failed_locked().model));
    v.push(("done-rerun-fails-again", rerun_fails_again().model));
    v.push(("run-script-not-executable", script_not_executable().model));
    v.push(("watch-lock-retry", watch_lock_retry().model));
    v.push(("demo-done-training", recovered(true).model));
    let mut help = watching(2);
    help.key(Key::Char('?'));
    v.push(("help-watch", help.model));
    let mut why = warn();
    why.key(Key::Char('w'));
    v.push(("warn-why", why.model));
    v
}

/// A course of three: a clean recovery, the classic mistake, one left (the score card screenshot).
pub fn course_report() -> crate::course::report::Report {
    use crate::course::score::{Expected, Mistake, Outcome, Score};
    let row = |scenario: &str, expected, outcome, passed, seconds, mistakes: Vec<Mistake>| Score {
        scenario: scenario.into(),
        expected,
        outcome,
        passed,
        seconds,
        mistakes,
        hints_on: false,
        hints_opened: u32::from(!passed),
    };
    crate::course::report::Report {
        title: "Week 1: locked files".into(),
        started_at: "2026-12-07T09:00:00Z".into(),
        hints_on: false,
        scores: vec![
            row(
                "file-lock-timeout",
                Expected::Up,
                Outcome::Up,
                true,
                184,
                vec![],
            ),
            row(
                "antivirus-access-denied",
                Expected::Up,
                Outcome::Stopped {
                    verdict: Verdict::TempFolderLost,
                },
                false,
                97,
                vec![Mistake::StartedService],
            ),
            row(
                "rerun-fails-again",
                Expected::FixFirst,
                Outcome::Failed { timed_out: false },
                false,
                412,
                vec![Mistake::RerunWithoutFix],
            ),
        ],
        not_attempted: vec!["temp-folder-lost".into()],
    }
}
