//! The effect runner: each `Effect` becomes a task (blocking engine calls on the blocking pool)
//! whose results come back as `Msg`s carrying the effect's run id.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::bundle::{self, CollectOptions, ExtraFile, Progress, SystemFacts};
use crate::host::Host;
use crate::mid::report::DetectReport;
use crate::platform::instance::Credentials;
use crate::platform::privilege;
use crate::platform::runner::{self, RunKind, RunPlan};
use crate::wizard::msg::{BundleInfo, CollectProgress, PlanInfo, PlanKind, RunOutcome};
use crate::wizard::{Effect, JournalEntry, Msg, RunId};

use super::session::{self, Cmd, SessionHandle};

/// Fixed settings of one wizard run.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub out_dir: PathBuf,
    pub journal_path: PathBuf,
    /// Give up judging after this long (the upgrade itself keeps running).
    pub watch_timeout: Duration,
    pub stall_after: Duration,
    /// Instance URL and credentials for the read-only Up check, when configured.
    pub instance: Option<(String, Credentials)>,
}

/// What the engine found so far (shared by the tasks).
#[derive(Default)]
struct State {
    report: Option<DetectReport>,
    host: Option<Arc<Host>>,
    plans: [Option<RunPlan>; 2],
    tee_paths: Vec<PathBuf>,
    session: Option<SessionHandle>,
}

pub struct Runner {
    cfg: RunnerConfig,
    tx: UnboundedSender<Msg>,
    state: Arc<Mutex<State>>,
}

fn lock(s: &Mutex<State>) -> MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether the loop should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

impl Runner {
    pub fn new(cfg: RunnerConfig, tx: UnboundedSender<Msg>) -> Self {
        Runner {
            cfg,
            tx,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Files written by the run, for the exit summary.
    pub fn tee_paths(&self) -> Vec<PathBuf> {
        lock(&self.state).tee_paths.clone()
    }

    pub fn run_all(&self, effects: Vec<Effect>) -> Flow {
        let mut flow = Flow::Continue;
        for e in effects {
            if self.run(e) == Flow::Quit {
                flow = Flow::Quit;
            }
        }
        flow
    }

    /// Stop the watch thread (the upgrade process is not ours to stop: it runs on).
    pub fn shutdown(&self) {
        if let Some(s) = lock(&self.state).session.take() {
            s.send(Cmd::Stop);
        }
    }

    fn blocking(&self, f: impl FnOnce(&UnboundedSender<Msg>, &Mutex<State>) + Send + 'static) {
        let tx = self.tx.clone();
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || f(&tx, &state));
    }

    pub fn run(&self, effect: Effect) -> Flow {
        tracing::debug!(?effect, "effect");
        match effect {
            Effect::Quit => return Flow::Quit,
            Effect::WriteJournal(entry) => self.journal(&entry),
            Effect::Detect { run, agent_dir } => self.blocking(move |tx, state| {
                let host = Arc::new(Host::for_install(&agent_dir));
                let result = crate::mid::detect::detect(&agent_dir, &host);
                let msg = match result {
                    Ok(report) => {
                        let mut s = lock(state);
                        s.report = Some(report.clone());
                        s.host = Some(host);
                        Ok(Box::new(report))
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                let _ = tx.send(Msg::DetectDone { run, result: msg });
            }),
            Effect::SetStartType { run, start_type } => self.blocking(move |tx, state| {
                let host = lock(state).host.clone();
                let result = match host {
                    Some(h) => h
                        .service
                        .set_start_type(start_type)
                        .map(|()| start_type)
                        .map_err(|e| format!("{e:#}")),
                    None => Err("nothing detected yet".into()),
                };
                let _ = tx.send(Msg::StartTypeSet { run, result });
            }),
            Effect::Collect { run, final_bundle } => {
                let cfg = self.cfg.clone();
                self.blocking(move |tx, state| {
                    let result = collect(&cfg, tx, state, run, final_bundle);
                    let _ = tx.send(Msg::CollectDone { run, result });
                })
            }
            Effect::PlanRun { run, fallback } => {
                let out = self.cfg.out_dir.clone();
                self.blocking(move |tx, state| {
                    let result = plan(&out, state, fallback);
                    let _ = tx.send(Msg::RunPlanned { run, result });
                })
            }
            Effect::Run { run, fallback } => {
                let cfg = self.cfg.clone();
                self.blocking(move |tx, state| start_run(&cfg, tx, state, run, fallback))
            }
            Effect::StartFollow { run } => {
                let mut s = lock(&self.state);
                ensure_session(&self.cfg, &self.tx, &mut s);
                if let Some(sess) = &s.session {
                    sess.send(Cmd::Follow(run));
                }
            }
            Effect::Probe { run } => {
                let mut s = lock(&self.state);
                ensure_session(&self.cfg, &self.tx, &mut s);
                if let Some(sess) = &s.session {
                    sess.send(Cmd::Probe(run));
                }
            }
            Effect::CheckInstance { run } => {
                let mut s = lock(&self.state);
                ensure_session(&self.cfg, &self.tx, &mut s);
                match &s.session {
                    Some(sess) => sess.send(Cmd::Instance(run)),
                    None => {
                        let _ = self.tx.send(Msg::InstanceResult {
                            run,
                            result: Err("nothing detected yet".into()),
                        });
                    }
                }
            }
        }
        Flow::Continue
    }

    /// Append one line to the journal (open, write, close).
    fn journal(&self, entry: &JournalEntry) {
        tracing::info!(journal = %entry.text);
        if let Some(dir) = self.cfg.journal_path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.cfg.journal_path)
            .and_then(|mut f| writeln!(f, "{}", entry.to_line()));
        if let Err(e) = res {
            tracing::warn!("journal {}: {e}", self.cfg.journal_path.display());
        }
    }
}

fn ensure_session(cfg: &RunnerConfig, tx: &UnboundedSender<Msg>, s: &mut State) {
    if s.session.is_some() {
        return;
    }
    if let (Some(report), Some(host)) = (s.report.clone(), s.host.clone()) {
        s.session = Some(session::spawn(
            report,
            host,
            tx.clone(),
            cfg.watch_timeout,
            cfg.stall_after,
            cfg.instance.clone(),
        ));
    }
}

fn collect(
    cfg: &RunnerConfig,
    tx: &UnboundedSender<Msg>,
    state: &Mutex<State>,
    run: RunId,
    final_bundle: bool,
) -> Result<BundleInfo, String> {
    let (report, host, tees) = {
        let s = lock(state);
        (s.report.clone(), s.host.clone(), s.tee_paths.clone())
    };
    let report = report.ok_or("nothing detected yet")?;
    let mut facts = SystemFacts::this_host();
    if let Some(h) = &host {
        facts.service = Some(h.service.query());
    }
    let mut opts = CollectOptions::new(report.agent_dir.clone(), cfg.out_dir.clone());
    if final_bundle {
        if cfg.journal_path.is_file() {
            opts.extra_files.push(ExtraFile {
                source: cfg.journal_path.clone(),
                zip_path: "midrescue/journal.txt".into(),
            });
        }
        for (i, t) in tees.iter().enumerate().filter(|(_, t)| t.is_file()) {
            opts.extra_files.push(ExtraFile {
                source: t.clone(),
                zip_path: format!("midrescue/rerun-output-{}.log", i + 1),
            });
        }
    }
    let mut progress = CollectProgress::default();
    let mut on_progress = |p: Progress| {
        match p {
            Progress::Planned { files, .. } => progress.files_total = Some(files),
            Progress::File {
                path,
                files_done,
                bytes_done,
                files_total,
                bytes_total,
            }
            | Progress::Bytes {
                path,
                files_done,
                bytes_done,
                files_total,
                bytes_total,
            } => {
                progress.files_done = files_done;
                progress.bytes_done = bytes_done;
                progress.files_total = Some(files_total);
                progress.bytes_total = Some(bytes_total);
                progress.current = Some(path);
            }
            Progress::Writing => progress.current = Some("writing the zip".into()),
            Progress::Done => return,
        }
        let _ = tx.send(Msg::CollectProgress {
            run,
            progress: progress.clone(),
        });
    };
    let summary =
        bundle::collect(&opts, &report, &facts, &mut on_progress).map_err(|e| format!("{e:#}"))?;
    Ok(BundleInfo {
        path: summary.path,
        sha256: summary.sha256,
        size: summary.size,
        files: summary.files,
        redactions: summary.redactions,
        truncated: summary.truncated.len() as u64,
        skipped: summary.skipped,
    })
}

fn plan(out: &std::path::Path, state: &Mutex<State>, fallback: bool) -> Result<PlanInfo, String> {
    let (report, host) = {
        let s = lock(state);
        (s.report.clone(), s.host.clone())
    };
    let report = report.ok_or("nothing detected yet")?;
    let kind = if fallback {
        RunKind::WrapperFallback
    } else {
        RunKind::Script
    };
    let lab_root = host.as_ref().and_then(|h| h.lab_root.clone());
    let plan = crate::commands::resume::make_plan(&report, lab_root.as_deref(), out, kind)
        .map_err(|e| e.to_string())?;
    if let Some(why) = &plan.needs_root
        && !privilege::is_root()
    {
        return Err(format!(
            "the upgrade must run as root ({why}). Quit and start `sudo midrescue` (nothing was run)"
        ));
    }
    let info = PlanInfo {
        kind: match plan.kind {
            RunKind::Script => PlanKind::Script,
            RunKind::WrapperFallback => PlanKind::WrapperFallback,
        },
        command: plan.spec.display(),
        folder: plan
            .spec
            .cwd
            .clone()
            .unwrap_or_else(|| plan.kb_folder.clone()),
        user: plan.user.clone(),
        needs_root: plan.needs_root.is_some(),
        tee_path: plan.tee_path.clone(),
        expected: plan.expected.clone(),
        real_host_command: plan.simulated.then(|| plan.real.display()),
    };
    lock(state).plans[usize::from(fallback)] = Some(plan);
    Ok(info)
}

fn start_run(
    cfg: &RunnerConfig,
    tx: &UnboundedSender<Msg>,
    state: &Mutex<State>,
    run: RunId,
    fallback: bool,
) {
    let mut s = lock(state);
    let Some(plan) = s.plans[usize::from(fallback)].clone() else {
        let _ = tx.send(Msg::RunExited {
            run,
            outcome: RunOutcome::SpawnFailed {
                error: "no plan".into(),
            },
        });
        return;
    };
    // Attach to the logs before anything runs, so only new lines count.
    ensure_session(cfg, tx, &mut s);
    match runner::spawn(&plan) {
        Ok(running) => {
            let pid = running.pid;
            s.tee_paths.push(running.tee_path.clone());
            let _ = tx.send(Msg::RunStarted {
                run,
                pid: Some(pid),
            });
            if let Some(sess) = &s.session {
                sess.send(Cmd::Attach { run, running });
            }
        }
        Err(e) => {
            let _ = tx.send(Msg::RunExited {
                run,
                outcome: RunOutcome::SpawnFailed {
                    error: format!("{e:#}"),
                },
            });
        }
    }
}
