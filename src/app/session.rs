//! The wizard's face on the engine: the recovery session runs on its own thread
//! (`recovery::drive`), and its events come back as wizard messages. Decisions the operator
//! makes on screen (run the fallback or not, quit) go to it as commands. Nothing is decided here.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::mid::milestones::Source;
use crate::recovery::session::SessionParts;
use crate::recovery::{Decision, Face, Install, RecoveryEvent, RunPlan, RunReport, Session, drive};
use crate::wizard::msg::{MilestoneEvent, PlanInfo, RunOutcome};
use crate::wizard::{Msg, RunId};

/// What the operator decided on screen.
pub enum Cmd {
    Fallback(bool),
    Stop,
}

/// What a finished (or running) session leaves for the final bundle and the exit summary.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    pub run: Option<RunReport>,
    pub upgrade_log_copy: Option<PathBuf>,
    /// Files holding each started command's output.
    pub outputs: Vec<PathBuf>,
}

pub struct SessionHandle {
    cmd: Sender<Cmd>,
}

impl SessionHandle {
    pub fn send(&self, c: Cmd) {
        let _ = self.cmd.send(c);
    }
}

/// Attach to the logs now and, with `first`, start it; events come back tagged `run`.
pub fn spawn(
    install: Arc<Install>,
    parts: SessionParts,
    first: Option<RunPlan>,
    run: RunId,
    tx: UnboundedSender<Msg>,
    outputs: Arc<Mutex<Outputs>>,
) -> SessionHandle {
    let (cmd, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("midrescue-recovery".into())
        .spawn(move || {
            let mut session = Session::attach(install, parts);
            if let Ok(mut o) = outputs.lock() {
                o.upgrade_log_copy = session.upgrade_log_copy().map(PathBuf::from);
            }
            let mut face = WizardFace {
                tx,
                rx,
                run,
                outputs,
                pending: Vec::new(),
            };
            let events = match first {
                Some(plan) => session.start(&plan),
                // Watch only: the upgrade may have got far before we attached.
                None => session.catch_up(),
            };
            for ev in events {
                face.event(&ev);
            }
            drive(&mut session, &mut face);
            face.flush();
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the recovery thread: {e}");
    }
    SessionHandle { cmd }
}

struct WizardFace {
    tx: UnboundedSender<Msg>,
    rx: Receiver<Cmd>,
    run: RunId,
    outputs: Arc<Mutex<Outputs>>,
    /// Lines of one followed file waiting to go as one batch (one redraw per burst).
    pending: Vec<(Source, Vec<String>, Option<String>)>,
}

impl WizardFace {
    fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    fn milestone(&self, event: MilestoneEvent) {
        self.send(Msg::Milestone {
            run: self.run,
            event,
        });
    }

    fn flush(&mut self) {
        for (source, lines, note) in std::mem::take(&mut self.pending) {
            self.send(Msg::FollowBatch {
                run: self.run,
                source,
                lines,
                note,
            });
        }
    }

    fn batch(&mut self, source: Source, line: Option<String>, note: Option<String>) {
        match self.pending.last_mut() {
            Some((s, lines, n)) if *s == source && n.is_none() => {
                lines.extend(line);
                *n = note;
            }
            _ => self
                .pending
                .push((source, line.into_iter().collect(), note)),
        }
    }
}

impl Face for WizardFace {
    fn event(&mut self, ev: &RecoveryEvent) {
        let run = self.run;
        match ev {
            RecoveryEvent::Line { source, text } if *source != Source::Output => {
                return self.batch(*source, Some(text.clone()), None);
            }
            RecoveryEvent::FileNote { source, note } if *source != Source::Output => {
                return self.batch(
                    *source,
                    None,
                    Some(format!("{} {note}", source.file_name())),
                );
            }
            _ => self.flush(),
        }
        match ev {
            RecoveryEvent::Started {
                pid, output_file, ..
            } => {
                if let Ok(mut o) = self.outputs.lock() {
                    o.outputs.push(output_file.clone());
                }
                self.send(Msg::RunStarted {
                    run,
                    pid: Some(*pid),
                });
            }
            RecoveryEvent::SpawnFailed { error, .. } => self.send(Msg::RunExited {
                run,
                outcome: RunOutcome::SpawnFailed {
                    error: error.clone(),
                },
            }),
            RecoveryEvent::Line { text, .. } => self.send(Msg::RunOutput {
                run,
                line: text.clone(),
            }),
            RecoveryEvent::FileNote { .. } => {}
            RecoveryEvent::Exited { code, .. } => self.send(Msg::RunExited {
                run,
                outcome: RunOutcome::Exited { code: *code },
            }),
            RecoveryEvent::FallbackOffered { line, plan } => self.send(Msg::FallbackOffered {
                run,
                line: line.clone(),
                plan: PlanInfo::from(plan.as_ref()),
            }),
            RecoveryEvent::Service(service) => self.send(Msg::ProbeResult {
                run,
                service: *service,
            }),
            RecoveryEvent::Instance(result) => self.send(Msg::InstanceResult {
                run,
                result: result.clone(),
            }),
            RecoveryEvent::Reached { milestone, at } => self.milestone(MilestoneEvent::Reached {
                id: *milestone,
                at: *at,
                evidence: Some(milestone.describe().to_string()),
            }),
            RecoveryEvent::LockRetry { count, line } => self.milestone(MilestoneEvent::LockRetry {
                count: *count,
                line: line.clone(),
            }),
            RecoveryEvent::Warning(w) => self.milestone(MilestoneEvent::Warning(w.clone())),
            RecoveryEvent::Stalled { quiet_for, .. } => {
                let quiet = chrono::Duration::from_std(*quiet_for).unwrap_or_default();
                self.milestone(MilestoneEvent::Stall {
                    since: chrono::Utc::now() - quiet,
                    quiet_secs: quiet_for.as_secs(),
                });
            }
            RecoveryEvent::StallCleared => self.milestone(MilestoneEvent::StallCleared),
            RecoveryEvent::Finished(report) => {
                if let Ok(mut o) = self.outputs.lock() {
                    o.run = Some((**report).clone());
                }
                self.send(Msg::RecoveryEnded {
                    run,
                    report: report.clone(),
                });
            }
        }
    }

    fn wait(&mut self, d: Duration) -> Option<Decision> {
        self.flush();
        match self.rx.recv_timeout(d) {
            Ok(Cmd::Fallback(true)) => Some(Decision::RunFallback),
            Ok(Cmd::Fallback(false)) => Some(Decision::DeclineFallback),
            Ok(Cmd::Stop) | Err(RecvTimeoutError::Disconnected) => Some(Decision::Stop),
            Err(RecvTimeoutError::Timeout) => None,
        }
    }
}
