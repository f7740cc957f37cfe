//! The watch session: one thread that follows the three logs and the re-run's captured output,
//! feeds every line and probe to the milestone watch (`mid::milestones`), and turns what it sees
//! into wizard messages. Files are opened, read and closed on each poll (the follower's rule).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::commands::resume::parse_meta_buildstamp;
use crate::follow::{FollowConfig, FollowEvent, Follower, StartAt};
use crate::host::Host;
use crate::mid::milestones::{Milestone, Outcome, Probe, Source, Watch, WatchConfig, WatchEvent};
use crate::mid::report::DetectReport;
use crate::platform::instance::{self, Credentials};
use crate::platform::runner::{self, Running};
use crate::platform::service::ServiceState;
use crate::wizard::msg::{InstanceStatus, MilestoneEvent, MilestoneId, RunOutcome};
use crate::wizard::pane::LogSource;
use crate::wizard::{Msg, RunId};

/// How often the files are polled.
pub const POLL: Duration = Duration::from_millis(250);

pub enum Cmd {
    /// Send log lines and milestones with this run id from now on.
    Follow(RunId),
    /// A started process: follow its captured output and watch for its exit.
    Attach {
        run: RunId,
        running: Running,
    },
    Probe(RunId),
    /// Ask the instance about the MID (read-only).
    Instance(RunId),
    Stop,
}

pub struct SessionHandle {
    pub cmd: Sender<Cmd>,
}

impl SessionHandle {
    pub fn send(&self, c: Cmd) {
        let _ = self.cmd.send(c);
    }
}

/// Start following now: only lines written from here on count.
pub fn spawn(
    report: DetectReport,
    host: Arc<Host>,
    tx: UnboundedSender<Msg>,
    timeout: Duration,
    stall: Duration,
    instance: Option<(String, Credentials)>,
) -> SessionHandle {
    let (cmd, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("midrescue-watch".into())
        .spawn(move || {
            let mut s = Session::new(report, host, tx, timeout, stall, instance);
            s.run(rx);
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the watch thread: {e}");
    }
    SessionHandle { cmd }
}

struct Session {
    report: DetectReport,
    host: Arc<Host>,
    tx: UnboundedSender<Msg>,
    follower: Follower,
    watch: Watch,
    began: Instant,
    follow_run: Option<RunId>,
    /// Messages waiting for the follow run id.
    pending: Vec<Msg>,
    running: Option<(RunId, Running)>,
    outputs: usize,
    said_not_installed: Option<String>,
    stalled: bool,
    finished: bool,
    instance: Option<(String, Credentials)>,
    began_utc: chrono::DateTime<chrono::Utc>,
}

const LABELS: [(&str, LogSource); 3] = [
    ("upgrade", LogSource::UpgradeLog),
    ("wrapper", LogSource::WrapperLog),
    ("agent", LogSource::AgentLog),
];

impl Session {
    fn new(
        report: DetectReport,
        host: Arc<Host>,
        tx: UnboundedSender<Msg>,
        timeout: Duration,
        stall: Duration,
        instance: Option<(String, Credentials)>,
    ) -> Self {
        let mut follower = Follower::new(FollowConfig {
            poll_interval: POLL,
            start: StartAt::End { context_bytes: 0 },
            ..FollowConfig::default()
        });
        let logs = report.agent_dir.join("logs");
        if let Some(p) = report.upgrade_log_path() {
            follower.add("upgrade", p);
        }
        follower.add("wrapper", logs.join("wrapper.log"));
        follower.add("agent", logs.join("agent0.log.0"));
        let _ = follower.poll();
        let watch = Watch::new(WatchConfig {
            stall_after: stall,
            timeout,
            target_version: report.target_version.clone(),
            require_instance: instance.is_some(),
        });
        Session {
            report,
            host,
            tx,
            follower,
            watch,
            began: Instant::now(),
            follow_run: None,
            pending: Vec::new(),
            running: None,
            outputs: 0,
            said_not_installed: None,
            stalled: false,
            finished: false,
            instance,
            began_utc: chrono::Utc::now(),
        }
    }

    fn run(&mut self, rx: Receiver<Cmd>) {
        loop {
            loop {
                match rx.try_recv() {
                    Ok(Cmd::Stop) | Err(TryRecvError::Disconnected) => return,
                    Ok(c) => self.command(c),
                    Err(TryRecvError::Empty) => break,
                }
            }
            self.poll();
            self.check_exit();
            let ev = self.watch.tick(self.began.elapsed());
            self.events(ev);
            std::thread::sleep(POLL);
        }
    }

    fn send_follow(&mut self, make: impl FnOnce(RunId) -> Msg, placeholder: Msg) {
        match self.follow_run {
            Some(run) => {
                let _ = self.tx.send(make(run));
            }
            None => self.pending.push(placeholder),
        }
    }

    fn command(&mut self, c: Cmd) {
        match c {
            Cmd::Follow(run) => {
                self.follow_run = Some(run);
                for m in std::mem::take(&mut self.pending) {
                    let _ = self.tx.send(with_run(m, run));
                }
            }
            Cmd::Attach { run, running } => {
                let label = format!("output{}", self.outputs);
                self.outputs += 1;
                self.follower
                    .add_starting(label, &running.tee_path, StartAt::Beginning);
                self.said_not_installed = None;
                self.running = Some((run, running));
                let ev = self.watch.probe(Probe::Spawned, self.began.elapsed());
                self.events(ev);
            }
            Cmd::Probe(run) => {
                let status = self.host.service.query();
                let _ = self.tx.send(Msg::ProbeResult {
                    run,
                    service: status.state,
                });
                let now = self.began.elapsed();
                let mut ev = self.watch.probe(
                    Probe::ServiceRunning(status.state == ServiceState::Running),
                    now,
                );
                if let Some(temp) = self
                    .report
                    .upgrade
                    .as_ref()
                    .and_then(|u| u.temp_dir.as_ref())
                    && !temp.exists()
                {
                    ev.extend(self.watch.probe(Probe::TempFolderGone, now));
                }
                if let Some(v) = installed_version(&self.report.agent_dir) {
                    ev.extend(self.watch.probe(Probe::InstalledVersion(v), now));
                }
                self.events(ev);
            }
            Cmd::Instance(run) => self.ask_instance(run),
            Cmd::Stop => {}
        }
    }

    fn ask_instance(&mut self, run: RunId) {
        let Some((url, creds)) = self.instance.clone() else {
            let _ = self.tx.send(Msg::InstanceResult {
                run,
                result: Err("no instance check configured".into()),
            });
            return;
        };
        let name = self.report.mid_name.clone().unwrap_or_default();
        let answer = match instance::fetch(&url, &name, &creds, Duration::from_secs(10)) {
            Ok(Some(rec)) => Ok(rec),
            Ok(None) => Err(format!("the instance has no MID Server named {name:?}")),
            Err(e) => Err(format!("{e:#}")),
        };
        let (result, probe) = match answer {
            Ok(rec) => {
                let (up, detail) =
                    instance::judge(&rec, self.report.target_version.as_deref(), self.began_utc);
                let status = InstanceStatus {
                    status: rec.status.clone(),
                    version: Some(rec.version.clone()).filter(|v| !v.is_empty()),
                    validated: match rec.validated.as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    },
                };
                (Ok(status), Probe::Instance { up, detail })
            }
            Err(why) => (
                Err(why.clone()),
                Probe::Instance {
                    up: false,
                    detail: why,
                },
            ),
        };
        let _ = self.tx.send(Msg::InstanceResult { run, result });
        let ev = self.watch.probe(probe, self.began.elapsed());
        self.events(ev);
    }

    fn poll(&mut self) {
        for batch in self.follower.poll() {
            let now = self.began.elapsed();
            if let Some((_, src)) = LABELS.iter().find(|(l, _)| *l == batch.source) {
                let src = *src;
                let note = batch.events.iter().rev().find_map(note_of);
                if !batch.lines.is_empty() || note.is_some() {
                    let lines = batch.lines.clone();
                    let n2 = note.clone();
                    self.send_follow(
                        |run| Msg::FollowBatch {
                            run,
                            source: src,
                            lines,
                            note: n2,
                        },
                        Msg::FollowBatch {
                            run: 0,
                            source: src,
                            lines: batch.lines.clone(),
                            note,
                        },
                    );
                }
                let source = match src {
                    LogSource::UpgradeLog => Source::UpgradeLog,
                    LogSource::WrapperLog => Source::WrapperLog,
                    LogSource::AgentLog => Source::AgentLog,
                };
                for line in &batch.lines {
                    let ev = self.watch.feed(source, line, now);
                    self.events(ev);
                }
            } else {
                // The captured output of the process we started.
                for line in &batch.lines {
                    if line.starts_with("# midrescue ") {
                        continue;
                    }
                    if let Some((run, _)) = &self.running {
                        let _ = self.tx.send(Msg::RunOutput {
                            run: *run,
                            line: line.clone(),
                        });
                    }
                    if runner::says_service_not_installed(line) {
                        self.said_not_installed = Some(line.clone());
                    }
                    let ev = self.watch.feed(Source::Output, line, now);
                    self.events(ev);
                }
            }
            if self.stalled && !batch.lines.is_empty() {
                self.stalled = false;
                self.send_follow(
                    |run| Msg::Milestone {
                        run,
                        event: MilestoneEvent::StallCleared,
                    },
                    Msg::Milestone {
                        run: 0,
                        event: MilestoneEvent::StallCleared,
                    },
                );
            }
        }
    }

    fn check_exit(&mut self) {
        let exit = match self.running.as_mut().map(|(_, r)| r.try_exit()) {
            Some(Ok(Some(exit))) => exit,
            Some(Err(e)) => {
                tracing::warn!("waiting for the upgrade process: {e}");
                return;
            }
            _ => return,
        };
        // Read what it printed last before judging its exit.
        self.poll();
        let Some((run, _)) = self.running.take() else {
            return;
        };
        let outcome = match self.said_not_installed.take() {
            Some(line) => RunOutcome::NeedsFallback { line },
            None => {
                let ev = self.watch.probe(
                    Probe::ProcessExited { code: exit.code },
                    self.began.elapsed(),
                );
                self.events(ev);
                RunOutcome::Exited { code: exit.code }
            }
        };
        let _ = self.tx.send(Msg::RunExited { run, outcome });
    }

    fn events(&mut self, events: Vec<WatchEvent>) {
        for ev in events {
            if self.finished {
                return;
            }
            let at = chrono::Utc::now();
            let event = match ev {
                WatchEvent::Reached(m) => match milestone_id(m) {
                    Some(id) => MilestoneEvent::Reached {
                        id,
                        at,
                        evidence: Some(m.describe().to_string()),
                    },
                    None => continue,
                },
                WatchEvent::LockRetry { count, line } => {
                    tracing::info!(count, %line, "lock retry");
                    continue;
                }
                WatchEvent::Warning(w) => {
                    tracing::warn!("{w}");
                    continue;
                }
                WatchEvent::Stalled { quiet_for } => {
                    self.stalled = true;
                    let quiet = chrono::Duration::from_std(quiet_for).unwrap_or_default();
                    MilestoneEvent::Stall {
                        since: at - quiet,
                        quiet_secs: quiet_for.as_secs(),
                    }
                }
                WatchEvent::Finished(outcome) => {
                    self.finished = true;
                    match outcome {
                        Outcome::Up => MilestoneEvent::Up {
                            at,
                            evidence: self
                                .watch
                                .reached()
                                .iter()
                                .map(|m| m.describe().to_string())
                                .collect(),
                        },
                        Outcome::Failed {
                            reason, evidence, ..
                        } => MilestoneEvent::Failed {
                            at,
                            reason,
                            evidence,
                        },
                        Outcome::TimedOut { last, evidence } => MilestoneEvent::Failed {
                            at,
                            reason: format!(
                                "not Up in time (last step: {}); the upgrade may still be running",
                                last.map(Milestone::describe).unwrap_or("none")
                            ),
                            evidence,
                        },
                    }
                }
            };
            let placeholder = Msg::Milestone {
                run: 0,
                event: event.clone(),
            };
            self.send_follow(|run| Msg::Milestone { run, event }, placeholder);
        }
    }
}

fn with_run(m: Msg, run: RunId) -> Msg {
    match m {
        Msg::FollowBatch {
            source,
            lines,
            note,
            ..
        } => Msg::FollowBatch {
            run,
            source,
            lines,
            note,
        },
        Msg::Milestone { event, .. } => Msg::Milestone { run, event },
        other => other,
    }
}

fn milestone_id(m: Milestone) -> Option<MilestoneId> {
    Some(match m {
        Milestone::UpgradeStarted => MilestoneId::ScriptStarted,
        Milestone::FilesReplacing | Milestone::UpgradeLogAppended => MilestoneId::UpgradeWorking,
        Milestone::ServiceStarted => MilestoneId::ServiceRunning,
        Milestone::MidStarted => MilestoneId::MidStarted,
        Milestone::Connected => MilestoneId::Connected,
        Milestone::VersionIsTarget => MilestoneId::VersionMatches,
        Milestone::InstanceUp => MilestoneId::InstanceUp,
        Milestone::TempFolderCleaned => return None,
    })
}

fn note_of(ev: &FollowEvent) -> Option<String> {
    Some(match ev {
        FollowEvent::Waiting => "file not there yet; waiting for it".into(),
        FollowEvent::Appeared => return None,
        FollowEvent::StartedAt { .. } => return None,
        FollowEvent::Truncated => "the file was truncated; reading from its start".into(),
        FollowEvent::Replaced => "the file was replaced; reading the new one".into(),
        FollowEvent::Rotated { .. } => "the log rotated; following the new file".into(),
        FollowEvent::Deleted => "the file is gone (the upgrade may have cleaned up)".into(),
        FollowEvent::LongLinesCut { count, max_bytes } => {
            format!("{count} long line(s) cut to {max_bytes} bytes")
        }
        FollowEvent::Error(e) => format!("cannot read now: {e}"),
    })
}

/// The buildstamp in `package/meta/mid-core.meta.properties` (re-read: the upgrade rewrites it).
fn installed_version(agent_dir: &std::path::Path) -> Option<String> {
    let path = agent_dir
        .join("package")
        .join("meta")
        .join("mid-core.meta.properties");
    let bytes = std::fs::read(path).ok()?;
    parse_meta_buildstamp(&String::from_utf8_lossy(&bytes))
}
