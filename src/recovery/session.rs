//! One recovery session: the only place in midrescue that follows the three logs and the
//! captured output, probes the service and the instance, and feeds the milestone watch.
//!
//! The session is driven by [`drive`] (or by calling [`Session::poll`] in a loop): each poll
//! reads what the followed files gained (opened, read and closed; no handle is kept on the MID
//! tree), checks the started process, probes on the [`Cadence`], and returns typed events. The
//! decisions (fallback offered, Up, failed, stalled, timed out) are made here, once; the faces
//! only show them. The instance query runs on its own thread so an unreachable instance never
//! holds up log following.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::plan::{RunKind, RunPlan, says_service_not_installed};
use super::policy;
use super::{Cadence, Clock, Install, Limits};
use crate::follow::{FollowConfig, FollowEvent, Follower, StartAt};
use crate::mid::milestones::{Milestone, Outcome, Probe, Source, Watch, WatchConfig, WatchEvent};
use crate::mid::outcome::RecoveryOutcome;
use crate::mid::report::FindingCode;
use crate::platform::service::ServiceState;

/// Starts a plan's command; the real one spawns it detached with its output in a file.
pub trait Launcher: Send + Sync {
    fn launch(&self, plan: &RunPlan) -> anyhow::Result<Box<dyn Process>>;
}

/// A started command. Dropping it does not stop it.
pub trait Process: Send {
    fn pid(&self) -> u32;
    /// `Some(code)` once it ended (`Some(None)`: ended by a signal); never blocks.
    fn try_exit(&mut self) -> std::io::Result<Option<Option<i32>>>;
}

/// The real launcher: [`crate::platform::spawn::spawn_detached`] into a new private file.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemLauncher;

impl Process for crate::platform::spawn::Running {
    fn pid(&self) -> u32 {
        self.pid
    }
    fn try_exit(&mut self) -> std::io::Result<Option<Option<i32>>> {
        crate::platform::spawn::Running::try_exit(self)
    }
}

impl Launcher for SystemLauncher {
    fn launch(&self, plan: &RunPlan) -> anyhow::Result<Box<dyn Process>> {
        if let Some(dir) = plan.tee_path.parent() {
            crate::platform::private_fs::ensure_private_dir(dir)?;
        }
        let file = crate::platform::private_fs::create_private_file(&plan.tee_path)
            .with_context(|| format!("creating {}", crate::sanitize::path(&plan.tee_path)))?;
        let running = crate::platform::spawn::spawn_detached(
            &plan.spec,
            file,
            &[crate::platform::instance::PASSWORD_ENV],
        )?;
        Ok(Box::new(running))
    }
}

/// The instance's view of the MID (read-only `ecc_agent` query), judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceAnswer {
    pub status: String,
    pub version: Option<String>,
    pub validated: Option<bool>,
    /// Up on the target version and updated after the run began.
    pub up: bool,
    pub detail: String,
}

/// Asks the instance once (blocking; the session calls it on its own thread).
pub trait InstanceProbe: Send + Sync {
    fn ask(&self, since: DateTime<Utc>) -> Result<InstanceAnswer, String>;
}

/// What the session tells its face.
#[derive(Debug, Clone, PartialEq)]
pub enum RecoveryEvent {
    /// The command started; it runs on its own (closing the face does not stop it).
    Started {
        kind: RunKind,
        pid: u32,
        command: String,
        output_file: PathBuf,
    },
    /// The command could not be started at all.
    SpawnFailed {
        kind: RunKind,
        error: String,
    },
    /// A new line of a followed file, made safe to show (no control characters, secrets masked).
    Line {
        source: Source,
        text: String,
    },
    /// Something happened to a followed file (appeared, rotated, truncated, deleted...).
    FileNote {
        source: Source,
        note: String,
    },
    /// The command we started ended.
    Exited {
        kind: RunKind,
        code: Option<i32>,
    },
    /// The script answered that its upgrade service is not installed (KB0779816): the wrapper
    /// fallback applies. Nothing runs until the face decides ([`Decision`]).
    FallbackOffered {
        line: String,
        plan: Box<RunPlan>,
    },
    /// The MID service's state, probed.
    Service(ServiceState),
    /// The instance's answer, or why there is none.
    Instance(Result<InstanceAnswer, String>),
    Reached {
        milestone: Milestone,
        at: DateTime<Utc>,
    },
    /// A file could not be replaced yet; the upgrade retries (not fatal).
    LockRetry {
        count: u32,
        line: String,
    },
    Warning(String),
    Stalled {
        quiet_for: Duration,
        waiting_for: Vec<&'static str>,
    },
    StallCleared,
    Finished(Box<RunReport>),
}

/// How a run ended: the `recovery` record of the final bundle and `resume --json`'s core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub outcome: RecoveryOutcome,
    pub reason: String,
    pub code: Option<FindingCode>,
    /// The line(s) that prove it, made safe to show.
    pub evidence: Vec<String>,
    pub milestones: Vec<Milestone>,
    pub lock_retries: u32,
    pub fallback_used: bool,
    /// The files holding each started command's output, in order.
    pub output_files: Vec<PathBuf>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub next_step: Option<String>,
}

/// The face's answer between polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    RunFallback,
    DeclineFallback,
    /// Stop judging and leave (the upgrade, if started, keeps running).
    Stop,
}

/// A face: shows events, and may decide between polls.
pub trait Face {
    fn event(&mut self, ev: &RecoveryEvent);
    /// Wait up to `d` (the face's own way: sleep, or a channel of wizard commands) and return a
    /// decision if one was made.
    fn wait(&mut self, d: Duration) -> Option<Decision>;
}

/// Run a session to its end: poll, show, wait for decisions. `None` when the face stopped it.
pub fn drive(session: &mut Session, face: &mut dyn Face) -> Option<RunReport> {
    loop {
        for ev in session.poll() {
            face.event(&ev);
        }
        if let Some(r) = session.report() {
            return Some(r.clone());
        }
        let events = match face.wait(session.cadence.poll) {
            Some(Decision::RunFallback) => session.run_fallback(),
            Some(Decision::DeclineFallback) => session.decline_fallback(),
            Some(Decision::Stop) => return None,
            None => continue,
        };
        for ev in events {
            face.event(&ev);
        }
        if let Some(r) = session.report() {
            return Some(r.clone());
        }
    }
}

/// The file label of each source in the follower.
fn label(source: Source, n: usize) -> String {
    match source {
        Source::Output => format!("output{n}"),
        other => other.tag().to_string(),
    }
}

fn source_of(label: &str) -> Source {
    match label {
        "upgrade" => Source::UpgradeLog,
        "wrapper" => Source::WrapperLog,
        "agent" => Source::AgentLog,
        _ => Source::Output,
    }
}

struct Started {
    kind: RunKind,
    process: Box<dyn Process>,
    said_not_installed: Option<String>,
}

pub struct Session {
    install: Arc<Install>,
    cadence: Cadence,
    clock: Arc<dyn Clock>,
    launcher: Arc<dyn Launcher>,
    instance: Option<Arc<dyn InstanceProbe>>,
    follower: Follower,
    watch: Watch,
    began: Duration,
    began_utc: DateTime<Utc>,
    running: Option<Started>,
    out_dir: PathBuf,
    outputs: Vec<PathBuf>,
    fallback_used: bool,
    fallback_offer: Option<RunPlan>,
    next_service: Duration,
    next_instance: Duration,
    instance_pending: Option<Receiver<Result<InstanceAnswer, String>>>,
    stalled: bool,
    report: Option<RunReport>,
    /// The upgrade log as read during the run: the MID deletes its folder once Up.
    upgrade_copy: Option<(PathBuf, File)>,
    /// One redactor per followed file (PEM blocks and values on the next line span lines).
    redactors: std::collections::HashMap<String, crate::redact::LiveRedactor>,
}

/// Untrusted text made fit for a screen, a log line or JSON: controls removed, secrets masked
/// (lines without memory of the ones before).
fn shown(text: &str) -> String {
    crate::redact::redact_line(&crate::sanitize::line(text)).into_owned()
}

/// What a session needs besides the install.
#[derive(Clone)]
pub struct SessionParts {
    pub cadence: Cadence,
    pub limits: Limits,
    pub clock: Arc<dyn Clock>,
    pub launcher: Arc<dyn Launcher>,
    pub instance: Option<Arc<dyn InstanceProbe>>,
    /// Where output files go (beside the bundle, outside the MID tree).
    pub out_dir: PathBuf,
    /// Keep a copy of the upgrade log as it is read (for the final bundle).
    pub keep_upgrade_log: bool,
}

impl Session {
    /// Attach to the logs now, before anything runs: only lines written from here on count.
    pub fn attach(install: Arc<Install>, parts: SessionParts) -> Session {
        let report = &install.report;
        let mut follower = Follower::new(FollowConfig {
            poll_interval: parts.cadence.poll,
            start: StartAt::End { context_bytes: 0 },
            ..FollowConfig::default()
        });
        let logs = report.agent_dir.join("logs");
        if let Some(p) = report.upgrade_log_path() {
            follower.add(label(Source::UpgradeLog, 0), p);
        }
        follower.add(label(Source::WrapperLog, 0), logs.join("wrapper.log"));
        follower.add(label(Source::AgentLog, 0), logs.join("agent0.log.0"));
        let _ = follower.poll();
        let watch = Watch::new(WatchConfig {
            stall_after: parts.limits.stall,
            timeout: parts.limits.timeout,
            target_version: report.target_version.clone(),
            require_instance: parts.instance.is_some(),
        });
        let copy_path = parts.out_dir.join(format!(
            "glide-dist-upgrade-{}.log",
            parts
                .clock
                .utc()
                .with_timezone(&chrono::Local)
                .format("%Y%m%d-%H%M%S")
        ));
        let upgrade_copy = parts.keep_upgrade_log.then_some(copy_path).and_then(|p| {
            let made = crate::platform::private_fs::ensure_private_dir(&parts.out_dir)
                .and_then(|()| Ok(crate::platform::private_fs::create_private_file(&p)?));
            match made {
                Ok(f) => Some((p, f)),
                Err(e) => {
                    tracing::warn!("no copy of the upgrade log: {e:#}");
                    None
                }
            }
        });
        let began = parts.clock.now();
        Session {
            began_utc: parts.clock.utc(),
            install,
            cadence: parts.cadence,
            launcher: parts.launcher,
            instance: parts.instance,
            follower,
            watch,
            began,
            running: None,
            out_dir: parts.out_dir,
            outputs: Vec::new(),
            fallback_used: false,
            fallback_offer: None,
            next_service: began,
            next_instance: began,
            instance_pending: None,
            stalled: false,
            report: None,
            upgrade_copy,
            redactors: std::collections::HashMap::new(),
            clock: parts.clock,
        }
    }

    pub fn cadence(&self) -> Cadence {
        self.cadence
    }

    /// The end, once decided.
    pub fn report(&self) -> Option<&RunReport> {
        self.report.as_ref()
    }

    /// The copy of the upgrade log kept during the run, when there is one.
    pub fn upgrade_log_copy(&self) -> Option<&Path> {
        self.upgrade_copy.as_ref().map(|(p, _)| p.as_path())
    }

    pub fn output_files(&self) -> &[PathBuf] {
        &self.outputs
    }

    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_sub(self.began)
    }

    /// Start `plan`'s command (the operator confirmed it).
    pub fn start(&mut self, plan: &RunPlan) -> Vec<RecoveryEvent> {
        let mut ev = Vec::new();
        if self.report.is_some() {
            return ev;
        }
        if plan.kind == RunKind::WrapperFallback {
            self.fallback_used = true;
        }
        self.fallback_offer = None;
        // The last guard before anything runs: what was checked at plan time is checked again.
        if let crate::platform::provenance::Trust::Refused { reason } =
            super::plan::check_trust(&self.install, plan)
        {
            let error = format!("not run: {reason}");
            ev.push(RecoveryEvent::SpawnFailed {
                kind: plan.kind,
                error: error.clone(),
            });
            self.finish_with(
                Outcome::Failed {
                    reason: error,
                    code: None,
                    evidence: Vec::new(),
                },
                &mut ev,
            );
            return ev;
        }
        match self.launcher.launch(plan) {
            Ok(process) => {
                let n = self.outputs.len();
                self.follower.add_starting(
                    label(Source::Output, n),
                    &plan.tee_path,
                    StartAt::Beginning,
                );
                self.outputs.push(plan.tee_path.clone());
                ev.push(RecoveryEvent::Started {
                    kind: plan.kind,
                    pid: process.pid(),
                    command: plan.spec.display(),
                    output_file: plan.tee_path.clone(),
                });
                self.running = Some(Started {
                    kind: plan.kind,
                    process,
                    said_not_installed: None,
                });
                let now = self.elapsed();
                let w = self.watch.probe(Probe::Spawned, now);
                self.judge(w, &mut ev);
            }
            Err(e) => {
                let error = format!("{e:#}");
                ev.push(RecoveryEvent::SpawnFailed {
                    kind: plan.kind,
                    error: error.clone(),
                });
                self.finish_with(
                    Outcome::Failed {
                        reason: format!("could not start {}: {error}", plan.spec.display()),
                        code: None,
                        evidence: Vec::new(),
                    },
                    &mut ev,
                );
            }
        }
        ev
    }

    /// Watching an upgrade that was already running when we attached: what the agent and
    /// wrapper logs got since that upgrade began is judged too (not shown), so an upgrade that
    /// finished before Watch attached still comes out Up instead of waiting for lines that
    /// were already written. Lines without a time, or older than the upgrade, are ignored.
    pub fn catch_up(&mut self) -> Vec<RecoveryEvent> {
        let mut ev = Vec::new();
        let Some(since) = self
            .install
            .report
            .upgrade
            .as_ref()
            .and_then(|u| u.started_at.as_deref())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
        else {
            return ev;
        };
        let logs = self.install.report.agent_dir.join("logs");
        for (source, path) in [
            (Source::WrapperLog, logs.join("wrapper.log")),
            (Source::AgentLog, logs.join("agent0.log.0")),
        ] {
            for line in tail_lines(&path, CATCH_UP_BYTES) {
                let recent = crate::mid::logline::parse(&line)
                    .and_then(|l| l.instant())
                    .is_some_and(|t| t >= since);
                if recent && self.report.is_none() {
                    let w = self.watch.feed(source, &line, Duration::ZERO);
                    self.judge(w, &mut ev);
                }
            }
        }
        ev
    }

    /// The fallback the session offered, confirmed by the operator.
    pub fn run_fallback(&mut self) -> Vec<RecoveryEvent> {
        match self.fallback_offer.take() {
            Some(plan) => self.start(&plan),
            None => Vec::new(),
        }
    }

    /// The operator declined the offered fallback: nothing more can run.
    pub fn decline_fallback(&mut self) -> Vec<RecoveryEvent> {
        let mut ev = Vec::new();
        if self.fallback_offer.take().is_some() {
            self.finish_with(
                not_installed(
                    "the script said the upgrade service is not installed, and the wrapper fallback was not run",
                ),
                &mut ev,
            );
        }
        ev
    }

    /// One round: followed lines, the process, probes when due, the clock.
    pub fn poll(&mut self) -> Vec<RecoveryEvent> {
        let mut ev = Vec::new();
        if self.report.is_some() {
            return ev;
        }
        self.read_files(&mut ev);
        self.check_exit(&mut ev);
        self.probe_when_due(&mut ev);
        self.collect_instance(&mut ev);
        let now = self.elapsed();
        let w = self.watch.tick(now);
        self.judge(w, &mut ev);
        ev
    }

    fn read_files(&mut self, ev: &mut Vec<RecoveryEvent>) {
        for batch in self.follower.poll() {
            let source = source_of(&batch.source);
            for fe in &batch.events {
                if let Some(note) = note_of(fe) {
                    ev.push(RecoveryEvent::FileNote { source, note });
                }
            }
            if batch.lines.is_empty() {
                continue;
            }
            if self.stalled {
                self.stalled = false;
                ev.push(RecoveryEvent::StallCleared);
            }
            for line in &batch.lines {
                self.one_line(&batch.source, source, line, ev);
                if self.report.is_some() {
                    return;
                }
            }
        }
    }

    fn one_line(&mut self, label: &str, source: Source, line: &str, ev: &mut Vec<RecoveryEvent>) {
        if source == Source::Output {
            // Our own header line in the output file.
            if line.starts_with("# midrescue ") {
                return;
            }
            if let Some(r) = self.running.as_mut()
                && says_service_not_installed(line)
            {
                r.said_not_installed = Some(line.to_string());
            }
        }
        if source == Source::UpgradeLog
            && let Some((_, f)) = self.upgrade_copy.as_mut()
            && let Err(e) = writeln!(f, "{line}")
        {
            tracing::warn!("copy of the upgrade log: {e}");
        }
        let text = crate::sanitize::line(line);
        let text = self
            .redactors
            .entry(label.to_string())
            .or_default()
            .line(&text)
            .into_owned();
        ev.push(RecoveryEvent::Line { source, text });
        let now = self.elapsed();
        let w = self.watch.feed(source, line, now);
        self.judge(w, ev);
    }

    fn check_exit(&mut self, ev: &mut Vec<RecoveryEvent>) {
        let exit = match self.running.as_mut().map(|r| r.process.try_exit()) {
            Some(Ok(Some(code))) => code,
            Some(Err(e)) => {
                tracing::warn!("waiting for the started process: {e}");
                return;
            }
            _ => return,
        };
        // Read what it printed last before judging its exit.
        self.read_files(ev);
        let Some(started) = self.running.take() else {
            return;
        };
        ev.push(RecoveryEvent::Exited {
            kind: started.kind,
            code: exit,
        });
        if self.report.is_some() {
            return;
        }
        if let Some(line) = started.said_not_installed {
            if started.kind == RunKind::Script && !self.fallback_used {
                match super::plan::make_plan(&self.install, &self.out_dir, RunKind::WrapperFallback)
                {
                    Ok(plan) => {
                        tracing::info!("wrapper fallback offered after: {line}");
                        self.fallback_offer = Some(plan.clone());
                        ev.push(RecoveryEvent::FallbackOffered {
                            line: shown(&line),
                            plan: Box::new(plan),
                        });
                    }
                    Err(e) => self.finish_with(not_installed(&e.to_string()), ev),
                }
                return;
            }
            self.finish_with(
                not_installed("the wrapper fallback also said the service is not installed"),
                ev,
            );
            return;
        }
        let now = self.elapsed();
        let w = self.watch.probe(Probe::ProcessExited { code: exit }, now);
        self.judge(w, ev);
    }

    fn probe_when_due(&mut self, ev: &mut Vec<RecoveryEvent>) {
        let now = self.clock.now();
        if now >= self.next_service {
            self.next_service = now + self.cadence.service_every;
            let state = self.install.service.query().state;
            ev.push(RecoveryEvent::Service(state));
            let mut probes = vec![Probe::ServiceRunning(state == ServiceState::Running)];
            if let Some(temp) = self
                .install
                .report
                .upgrade
                .as_ref()
                .and_then(|u| u.temp_dir.as_ref())
                && !temp.exists()
            {
                probes.push(Probe::TempFolderGone);
            }
            // Re-read each round: the upgrade rewrites it.
            if let Some(v) = crate::mid::versions::installed_version(&self.install.report.agent_dir)
            {
                probes.push(Probe::InstalledVersion(v));
            }
            for p in probes {
                let at = self.elapsed();
                let w = self.watch.probe(p, at);
                self.judge(w, ev);
            }
        }
        let Some(probe) = self.instance.clone() else {
            return;
        };
        if self.instance_pending.is_none() && now >= self.next_instance {
            let only_instance_left = self.watch.missing_for_up().len() == 1;
            self.next_instance = now
                + if only_instance_left {
                    self.cadence.instance_soon
                } else {
                    self.cadence.instance_every
                };
            let (tx, rx) = channel();
            let since = self.began_utc;
            let spawned = std::thread::Builder::new()
                .name("midrescue-instance".into())
                .spawn(move || {
                    let _ = tx.send(probe.ask(since));
                });
            match spawned {
                Ok(_) => self.instance_pending = Some(rx),
                Err(e) => tracing::warn!("cannot start the instance query: {e}"),
            }
        }
    }

    fn collect_instance(&mut self, ev: &mut Vec<RecoveryEvent>) {
        let Some(rx) = &self.instance_pending else {
            return;
        };
        let answer = match rx.try_recv() {
            Ok(a) => a,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                Err("the instance query ended without an answer".into())
            }
        };
        self.instance_pending = None;
        let probe = match &answer {
            Ok(a) => Probe::Instance {
                up: a.up,
                detail: a.detail.clone(),
            },
            Err(why) => Probe::Instance {
                up: false,
                detail: why.clone(),
            },
        };
        let answer = answer
            .map(|mut a| {
                a.detail = shown(&a.detail);
                a
            })
            .map_err(|e| shown(&e));
        ev.push(RecoveryEvent::Instance(answer));
        let now = self.elapsed();
        let w = self.watch.probe(probe, now);
        self.judge(w, ev);
    }

    /// Turn the watch's events into ours; the watch's end becomes the report.
    fn judge(&mut self, events: Vec<WatchEvent>, ev: &mut Vec<RecoveryEvent>) {
        for w in events {
            match w {
                WatchEvent::Reached(milestone) => ev.push(RecoveryEvent::Reached {
                    milestone,
                    at: self.clock.utc(),
                }),
                WatchEvent::LockRetry { count, line } => ev.push(RecoveryEvent::LockRetry {
                    count,
                    line: shown(&line),
                }),
                WatchEvent::Warning(w) => ev.push(RecoveryEvent::Warning(shown(&w))),
                WatchEvent::Stalled { quiet_for } => {
                    self.stalled = true;
                    ev.push(RecoveryEvent::Stalled {
                        quiet_for,
                        waiting_for: self.watch.missing_for_up(),
                    });
                }
                WatchEvent::Finished(outcome) => self.finish_with(outcome, ev),
            }
        }
    }

    fn finish_with(&mut self, outcome: Outcome, ev: &mut Vec<RecoveryEvent>) {
        if self.report.is_some() {
            return;
        }
        let (kind, reason, code, evidence) = match outcome {
            Outcome::Up => (
                RecoveryOutcome::Recovered,
                "the MID Server is Up on the target version".to_string(),
                None,
                Vec::new(),
            ),
            Outcome::Failed {
                reason,
                code,
                evidence,
            } => (RecoveryOutcome::Failed, reason, code, evidence),
            Outcome::TimedOut { last, evidence } => (
                RecoveryOutcome::TimedOut,
                format!(
                    "not Up within {} (last step: {}); still waiting for: {}. The upgrade may still be running.",
                    clock_text(self.elapsed()),
                    last.map(Milestone::describe).unwrap_or("none"),
                    self.watch.missing_for_up().join(", ")
                ),
                None,
                evidence,
            ),
        };
        let evidence: Vec<String> = evidence.iter().map(|e| shown(e)).collect();
        let report = RunReport {
            next_step: policy::next_step_after(kind, code, self.install.report.platform, &evidence)
                .map(|n| {
                    let lab = self.install.is_lab().then(|| {
                        policy::lab_lock_note(
                            code,
                            self.install.report.platform,
                            crate::platform::Platform::host(),
                            &evidence,
                        )
                    });
                    match lab.flatten() {
                        Some(note) => format!("{n} {note}"),
                        None => n,
                    }
                }),
            outcome: kind,
            reason: shown(&reason),
            code,
            evidence,
            milestones: self.watch.reached().to_vec(),
            lock_retries: self.watch.lock_retries(),
            fallback_used: self.fallback_used,
            output_files: self.outputs.clone(),
            started_at: self.began_utc,
            ended_at: self.clock.utc(),
        };
        if let Some((_, f)) = self.upgrade_copy.as_mut() {
            let _ = f.flush();
        }
        tracing::info!(outcome = %report.outcome, reason = %report.reason, "recovery ended");
        ev.push(RecoveryEvent::Finished(Box::new(report.clone())));
        self.report = Some(report);
    }
}

fn not_installed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.to_string(),
        code: Some(FindingCode::ServiceNotInstalled),
        evidence: Vec::new(),
    }
}

/// How much of each log `catch_up` reads (from its end).
const CATCH_UP_BYTES: u64 = 512 * 1024;

/// The last whole lines within `max` bytes of the end of `path` (open, read, close).
fn tail_lines(path: &Path, max: u64) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || (&mut f).take(max).read_to_end(&mut buf).is_err()
    {
        return Vec::new();
    }
    // Closed at once: no handle is kept on the MID tree.
    drop(f);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if start > 0 && !lines.is_empty() {
        // The first line may start mid-line.
        lines.remove(0);
    }
    lines
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn clock_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// The follower's news about a file, in plain words (`None`: nothing worth saying).
fn note_of(ev: &FollowEvent) -> Option<String> {
    Some(match ev {
        FollowEvent::Waiting => "not there yet; waiting for it".into(),
        FollowEvent::Appeared => "appeared".into(),
        FollowEvent::StartedAt { .. } => return None,
        FollowEvent::Truncated => "was truncated; reading it from the start".into(),
        FollowEvent::Replaced => "was replaced; reading the new file".into(),
        FollowEvent::Rotated { .. } => "rotated; following the new file".into(),
        FollowEvent::Deleted => "is gone (the upgrade may have cleaned up)".into(),
        FollowEvent::LongLinesCut { count, max_bytes } => {
            format!("{count} overlong line(s) cut at {max_bytes} bytes")
        }
        FollowEvent::Error(e) => format!("cannot be read right now: {e} (retrying)"),
    })
}
