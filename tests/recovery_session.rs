//! The recovery engine's session on its own, with injected time, launcher, service and
//! instance: the wrapper fallback and the instance paths (which the wizard and `resume` both
//! take through it), and a 30-minute timeout, all without real waiting. The followed files are
//! real files in a temp folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use midrescue::mid::milestones::Milestone;
use midrescue::mid::outcome::RecoveryOutcome;
use midrescue::mid::report::*;
use midrescue::platform::Platform;
use midrescue::platform::service::{ServiceControl, ServiceState, ServiceStatus, StartType};
use midrescue::recovery::session::{Process, SessionParts};
use midrescue::recovery::{
    Cadence, Clock, Decision, Face, Install, InstanceAnswer, InstanceProbe, Launcher, Limits,
    RecoveryEvent, RunKind, RunPlan, Session, drive,
};

const OLD: &str = "xanadu-07-02-2024__patch3-11-14-2024_11-20-2024_1920";
const NEW: &str = "yokohama-12-18-2024__patch2-04-10-2025_04-17-2025_0943";

/// Virtual time: `sleep` advances it at once.
struct ManualClock {
    now: Mutex<Duration>,
    base: DateTime<Utc>,
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap()
    }
    fn utc(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.now()).unwrap()
    }
    fn sleep(&self, d: Duration) {
        *self.now.lock().unwrap() += d;
    }
}

/// The service: running once the fake upgrade started it.
struct FakeService(Arc<AtomicBool>);

impl ServiceControl for FakeService {
    fn query(&self) -> ServiceStatus {
        ServiceStatus {
            name: Some("snc_mid_prod".into()),
            display_name: None,
            state: if self.0.load(Ordering::SeqCst) {
                ServiceState::Running
            } else {
                ServiceState::Stopped
            },
            start_type: Some(StartType::Auto),
            raw: String::new(),
            note: None,
        }
    }
    fn set_start_type(&self, _: StartType) -> anyhow::Result<()> {
        Ok(())
    }
    fn upgrade_process_running(&self) -> bool {
        false
    }
}

struct Exited;

impl Process for Exited {
    fn pid(&self) -> u32 {
        4242
    }
    fn try_exit(&mut self) -> std::io::Result<Option<Option<i32>>> {
        Ok(Some(Some(1)))
    }
}

struct Running;

impl Process for Running {
    fn pid(&self) -> u32 {
        4243
    }
    fn try_exit(&mut self) -> std::io::Result<Option<Option<i32>>> {
        Ok(None)
    }
}

/// The script answers "service is not installed"; the wrapper fallback does the upgrade: it
/// writes the logs, the new version, and starts the service.
struct FakeUpgrade {
    agent: PathBuf,
    service: Arc<AtomicBool>,
    launched: Mutex<Vec<RunKind>>,
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

impl Launcher for FakeUpgrade {
    fn launch(&self, plan: &RunPlan) -> anyhow::Result<Box<dyn Process>> {
        self.launched.lock().unwrap().push(plan.kind);
        match plan.kind {
            RunKind::Script => {
                append(
                    &plan.tee_path,
                    "The ServiceNow Platform Distribution Upgrade (mid1) service is not installed - The specified service does not exist as an installed service. (0x424)\r\n",
                );
                Ok(Box::new(Exited))
            }
            RunKind::WrapperFallback => {
                append(&plan.tee_path, "wrapper  | Launching a JVM...\n");
                std::fs::write(
                    self.agent.join("package/meta/mid-core.meta.properties"),
                    format!("package.filename=mid-core.{NEW}.universal.universal.zip\n"),
                )?;
                append(
                    &self.agent.join("logs/agent0.log.0"),
                    "2026-11-22T05:00:03.000+0000 INFO (MIDServer) [MIDServer:131] MID Server started\n\
                     2026-11-22T05:00:05.000+0000 INFO (StartupSequencer) [StartupSequencer:88] Successfully connected to instance: https://acme.service-now.com/\n",
                );
                self.service.store(true, Ordering::SeqCst);
                Ok(Box::new(Running))
            }
        }
    }
}

/// The instance: Down until the service runs, then Up on the new version.
struct FakeInstance {
    service: Arc<AtomicBool>,
    asked: Mutex<u32>,
}

impl InstanceProbe for FakeInstance {
    fn ask(&self, _since: DateTime<Utc>) -> Result<InstanceAnswer, String> {
        *self.asked.lock().unwrap() += 1;
        let up = self.service.load(Ordering::SeqCst);
        Ok(InstanceAnswer {
            status: if up { "Up" } else { "Down" }.into(),
            version: Some(NEW.into()),
            validated: Some(true),
            up,
            detail: if up {
                "Up, version new"
            } else {
                "status is \"Down\""
            }
            .into(),
        })
    }
}

/// A face that accepts the fallback and records what it saw.
struct Recorder {
    events: Vec<RecoveryEvent>,
    accept: bool,
    clock: Arc<ManualClock>,
    offered: bool,
}

impl Face for Recorder {
    fn event(&mut self, ev: &RecoveryEvent) {
        self.offered |= matches!(ev, RecoveryEvent::FallbackOffered { .. });
        self.events.push(ev.clone());
    }
    fn wait(&mut self, d: Duration) -> Option<Decision> {
        if std::mem::take(&mut self.offered) {
            return Some(if self.accept {
                Decision::RunFallback
            } else {
                Decision::DeclineFallback
            });
        }
        self.clock.sleep(d);
        None
    }
}

fn install(dir: &Path) -> (PathBuf, DetectReport) {
    let agent = dir.join("agent");
    let temp = agent.join("work/upgrade_temp/1700000000000-0");
    for d in [
        agent.join("logs"),
        agent.join("package/meta"),
        temp.join("upgrade-wrapper/logs"),
        temp.join("upgrade-wrapper/bin"),
    ] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(
        agent.join("package/meta/mid-core.meta.properties"),
        format!("package.filename=mid-core.{OLD}.universal.universal.zip\n"),
    )
    .unwrap();
    // What would run must exist where the plan names it (the provenance check looks at it).
    // A Windows-layout path read on Linux joins the wrapper with a backslash.
    std::fs::write(
        temp.join("upgrade-wrapper/bin/glide-dist-upgrade.bat"),
        "@echo off\r\n",
    )
    .unwrap();
    std::fs::write(
        temp.join("upgrade-wrapper/bin\\wrapper-windows-x86-64.exe"),
        "MZ",
    )
    .unwrap();
    append(
        &agent.join("logs/agent0.log.0"),
        "11/21/26 23:00:00 (1) MIDServer MID Server started\n",
    );
    let report = DetectReport {
        schema_version: SCHEMA_VERSION,
        agent_dir: agent.clone(),
        // Windows: the KB's wrapper fallback applies (and nothing here runs cmd.exe).
        platform: Platform::Windows,
        mid_name: Some("mid1".into()),
        instance_url: Some("https://acme.service-now.com/".into()),
        installed_version: Some(OLD.into()),
        target_version: Some(NEW.into()),
        service: ServiceReport {
            name: Some("snc_mid_prod".into()),
            display_name: None,
            state: ServiceState::Stopped,
            start_type: Some(StartType::Auto),
            upgrade_process_running: false,
        },
        upgrade: Some(UpgradeReport {
            temp_dir: Some(temp.clone()),
            script: Some(temp.join("upgrade-wrapper/bin/glide-dist-upgrade.bat")),
            script_exists: true,
            upgrade_log: Some(temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log")),
            started_at: Some("2026-11-22T05:00:00+00:00".into()),
            ..UpgradeReport::default()
        }),
        lib: LibState::Partial,
        verdict: Verdict::CrashedUpgrade,
        findings: Vec::new(),
        elevated: None,
        temp_dir_attribution: None,
        unattributed_temp_dirs: Vec::new(),
    };
    (agent, report)
}

struct Setup {
    _dir: tempfile::TempDir,
    session: Session,
    clock: Arc<ManualClock>,
    upgrade: Arc<FakeUpgrade>,
    instance: Arc<FakeInstance>,
    plan: RunPlan,
}

fn setup(limits: Limits) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (agent, report) = install(dir.path());
    let running = Arc::new(AtomicBool::new(false));
    let clock = Arc::new(ManualClock {
        now: Mutex::new(Duration::ZERO),
        base: "2026-11-22T05:00:00Z".parse().unwrap(),
    });
    let upgrade = Arc::new(FakeUpgrade {
        agent,
        service: running.clone(),
        launched: Mutex::new(Vec::new()),
    });
    let instance = Arc::new(FakeInstance {
        service: running.clone(),
        asked: Mutex::new(0),
    });
    let temp_roots = vec![report.agent_dir.join("work/upgrade_temp")];
    let install = Arc::new(Install {
        report,
        service: Arc::new(FakeService(running)),
        stand_in: None,
        lab_root: None,
        temp_roots,
    });
    let out = dir.path().join("out");
    let plan = midrescue::recovery::plan::make_plan(&install, &out, RunKind::Script).unwrap();
    let session = Session::attach(
        install,
        SessionParts {
            cadence: Cadence::default(),
            limits,
            clock: clock.clone(),
            launcher: upgrade.clone(),
            instance: Some(instance.clone()),
            out_dir: out,
            keep_upgrade_log: true,
        },
    );
    Setup {
        _dir: dir,
        session,
        clock,
        upgrade,
        instance,
        plan,
    }
}

#[test]
fn the_fallback_and_the_instance_lead_to_up_without_real_waiting() {
    let real = Instant::now();
    let mut s = setup(Limits::default());
    let mut face = Recorder {
        events: Vec::new(),
        accept: true,
        clock: s.clock.clone(),
        offered: false,
    };
    for ev in s.session.start(&s.plan) {
        face.event(&ev);
    }
    let report = drive(&mut s.session, &mut face).expect("the session ends by itself");
    assert_eq!(report.outcome, RecoveryOutcome::Recovered, "{report:#?}");
    assert!(report.fallback_used);
    assert_eq!(
        *s.upgrade.launched.lock().unwrap(),
        [RunKind::Script, RunKind::WrapperFallback]
    );
    for m in [
        Milestone::UpgradeStarted,
        Milestone::ServiceStarted,
        Milestone::MidStarted,
        Milestone::Connected,
        Milestone::VersionIsTarget,
        Milestone::InstanceUp,
    ] {
        assert!(
            report.milestones.contains(&m),
            "{m:?} in {:?}",
            report.milestones
        );
    }
    let offered = face.events.iter().any(|e| {
        matches!(e, RecoveryEvent::FallbackOffered { plan, line }
            if plan.kind == RunKind::WrapperFallback && line.contains("not installed") && !line.contains('\r'))
    });
    assert!(offered, "{:#?}", face.events);
    assert!(
        face.events
            .iter()
            .any(|e| matches!(e, RecoveryEvent::Instance(Ok(a)) if a.up)),
        "the instance's Up answer is an event"
    );
    assert!(*s.instance.asked.lock().unwrap() >= 1);
    assert_eq!(
        report.output_files.len(),
        2,
        "script and fallback output files"
    );
    assert!(report.next_step.is_none());
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "no real waiting: {:?}",
        real.elapsed()
    );
}

#[test]
fn declining_the_fallback_fails_with_the_manual_next_step() {
    let mut s = setup(Limits::default());
    let mut face = Recorder {
        events: Vec::new(),
        accept: false,
        clock: s.clock.clone(),
        offered: false,
    };
    for ev in s.session.start(&s.plan) {
        face.event(&ev);
    }
    let report = drive(&mut s.session, &mut face).unwrap();
    assert_eq!(report.outcome, RecoveryOutcome::Failed);
    assert!(!report.fallback_used);
    assert_eq!(report.code, Some(FindingCode::ServiceNotInstalled));
    assert!(report.next_step.unwrap().contains("KB0713557"));
    assert_eq!(*s.upgrade.launched.lock().unwrap(), [RunKind::Script]);
}

#[test]
fn a_quiet_run_stalls_then_times_out_in_virtual_time() {
    let real = Instant::now();
    let mut s = setup(Limits {
        timeout: Duration::from_secs(30 * 60),
        stall: Duration::from_secs(5 * 60),
    });
    let mut face = Recorder {
        events: Vec::new(),
        accept: true,
        clock: s.clock.clone(),
        offered: false,
    };
    // Watch only (an upgrade already runs): nothing is launched, nothing is written.
    let report = drive(&mut s.session, &mut face).unwrap();
    assert_eq!(report.outcome, RecoveryOutcome::TimedOut);
    assert!(report.reason.contains("30:00"), "{}", report.reason);
    assert!(report.next_step.unwrap().contains("may still be running"));
    assert!(
        face.events
            .iter()
            .any(|e| matches!(e, RecoveryEvent::Stalled { quiet_for, .. } if *quiet_for >= Duration::from_secs(300)))
    );
    assert!(s.upgrade.launched.lock().unwrap().is_empty());
    // The service was asked on the engine's cadence, not on every poll.
    let probes = face
        .events
        .iter()
        .filter(|e| matches!(e, RecoveryEvent::Service(_)))
        .count();
    assert!(
        (550..=650).contains(&probes),
        "{probes} service probes in 30 min"
    );
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn watching_an_upgrade_that_already_finished_comes_out_up() {
    let real = Instant::now();
    let mut s = setup(Limits::default());
    // The upgrade began at 05:00 and finished before Watch attached: the new version is in
    // place, the service runs, and the agent log already says started and connected.
    let install = s.upgrade.agent.clone();
    std::fs::write(
        install.join("package/meta/mid-core.meta.properties"),
        format!("package.filename=mid-core.{NEW}.universal.universal.zip\n"),
    )
    .unwrap();
    append(
        &install.join("logs/agent0.log.0"),
        "2026-11-22T05:02:03.000+0000 INFO (MIDServer) [MIDServer:131] MID Server started\n\
         2026-11-22T05:02:05.000+0000 INFO (StartupSequencer) [StartupSequencer:88] Successfully connected to instance: https://acme.service-now.com/\n",
    );
    s.upgrade.service.store(true, Ordering::SeqCst);
    let mut face = Recorder {
        events: Vec::new(),
        accept: true,
        clock: s.clock.clone(),
        offered: false,
    };
    // Without catching up, the lines written before attaching would never count.
    for ev in s.session.catch_up() {
        face.event(&ev);
    }
    let report = drive(&mut s.session, &mut face).unwrap();
    assert_eq!(report.outcome, RecoveryOutcome::Recovered, "{report:#?}");
    assert!(
        s.upgrade.launched.lock().unwrap().is_empty(),
        "nothing runs"
    );
    assert!(real.elapsed() < Duration::from_secs(20));
}

#[test]
fn catching_up_ignores_lines_from_before_the_upgrade() {
    let mut s = setup(Limits {
        timeout: Duration::from_secs(60),
        stall: Duration::from_secs(30),
    });
    // Only the old start (23:00 the day before, already in the log) and the service running.
    s.upgrade.service.store(true, Ordering::SeqCst);
    let mut face = Recorder {
        events: Vec::new(),
        accept: true,
        clock: s.clock.clone(),
        offered: false,
    };
    for ev in s.session.catch_up() {
        face.event(&ev);
    }
    let report = drive(&mut s.session, &mut face).unwrap();
    assert_eq!(report.outcome, RecoveryOutcome::TimedOut);
    assert!(!report.milestones.contains(&Milestone::MidStarted));
}
