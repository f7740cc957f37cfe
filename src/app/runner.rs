//! The effect runner: each `Effect` becomes an engine call (blocking work on the blocking pool,
//! the recovery session on its own thread) whose results come back as `Msg`s carrying the
//! effect's run id. No lock is held across a spawn or an engine call.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::UnboundedSender;

use crate::bundle::{CollectOptions, Progress};
use crate::host::Host;
use crate::platform::exec::SystemExec;
use crate::platform::instance::Credentials;
use crate::recovery::instance::InstanceCheck;
use crate::recovery::plan::make_plan;
use crate::recovery::session::SessionParts;
use crate::recovery::support::{AfterRun, BundleRequest, build_bundle};
use crate::recovery::{
    Cadence, Install, InstanceProbe, Limits, RunKind, RunPlan, SystemClock, SystemLauncher, policy,
};
use crate::wizard::msg::{BundleInfo, CollectProgress, PlanInfo};
use crate::wizard::{Effect, JournalEntry, Msg, RunId};

use super::session::{self, Cmd, Outputs, SessionHandle};

/// Fixed settings of one wizard run.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub out_dir: PathBuf,
    pub journal_path: PathBuf,
    /// `--timeout` / `--stall`, as `resume` takes them.
    pub limits: Limits,
    /// Instance URL (`None`: the install's own) and credentials for the read-only Up check.
    pub instance: Option<(Option<String>, Credentials)>,
    /// How midrescue was invoked for this install, for commands shown to copy.
    pub invocation: String,
}

/// What the engine found so far (shared by the tasks).
#[derive(Default)]
struct State {
    install: Option<Arc<Install>>,
    plans: [Option<RunPlan>; 2],
    session: Option<SessionHandle>,
    /// The log panes got the tail of what the files held before the first session.
    seeded: bool,
}

pub struct Runner {
    cfg: RunnerConfig,
    tx: UnboundedSender<Msg>,
    state: Arc<Mutex<State>>,
    outputs: Arc<Mutex<Outputs>>,
}

fn lock<T>(s: &Mutex<T>) -> MutexGuard<'_, T> {
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
            outputs: Arc::new(Mutex::new(Outputs::default())),
        }
    }

    /// Files written by the run, for the exit summary.
    pub fn tee_paths(&self) -> Vec<PathBuf> {
        lock(&self.outputs).outputs.clone()
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

    /// Stop the engine's session (the upgrade process is not ours to stop: it runs on).
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

    fn install(&self) -> Option<Arc<Install>> {
        lock(&self.state).install.clone()
    }

    pub fn run(&self, effect: Effect) -> Flow {
        tracing::debug!(?effect, "effect");
        match effect {
            Effect::Quit => return Flow::Quit,
            Effect::WriteJournal(entry) => self.journal(&entry),
            Effect::Copy(text) => {
                if let Err(e) = super::clipboard::copy(&text) {
                    tracing::warn!("copy to the clipboard: {e}");
                }
            }
            Effect::Detect { run, agent_dir } => self.blocking(move |tx, state| {
                let host = Host::for_install(&agent_dir);
                let msg = match host.detect(&agent_dir) {
                    Ok(report) => {
                        lock(state).install = Some(Arc::new(host.install(report.clone())));
                        Ok(Box::new(report))
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                let _ = tx.send(Msg::DetectDone { run, result: msg });
            }),
            Effect::Preflight { run, agent_dir } => self.blocking(move |tx, _| {
                let host = Host::for_install(&agent_dir);
                let report =
                    crate::preflight::run(&agent_dir, &host, &crate::preflight::Options::default());
                let _ = tx.send(Msg::PreflightDone {
                    run,
                    result: Ok(Box::new(report)),
                });
            }),
            Effect::SetStartType { run, start_type } => self.blocking(move |tx, state| {
                let install = lock(state).install.clone();
                let result = match install {
                    Some(i) => i
                        .service
                        .set_start_type(start_type)
                        .map(|()| start_type)
                        .map_err(|e| format!("{e:#}")),
                    None => Err("nothing detected yet".into()),
                };
                let _ = tx.send(Msg::StartTypeSet { run, result });
            }),
            Effect::LabStartService { run } => self.blocking(move |tx, state| {
                let install = lock(state).install.clone();
                let result = match install {
                    Some(i) => lab_start(&i.report.agent_dir),
                    None => Err("nothing detected yet".into()),
                };
                let _ = tx.send(Msg::LabServiceStarted { run, result });
            }),
            Effect::Collect { run, final_bundle } => {
                let cfg = self.cfg.clone();
                let outputs = self.outputs.clone();
                self.blocking(move |tx, state| {
                    let install = lock(state).install.clone();
                    let result = collect(&cfg, tx, install, &outputs, run, final_bundle);
                    let _ = tx.send(Msg::CollectDone { run, result });
                })
            }
            Effect::PlanRun { run, fallback } => {
                let cfg = self.cfg.clone();
                self.blocking(move |tx, state| {
                    let install = lock(state).install.clone();
                    let fix = install
                        .as_deref()
                        .and_then(crate::recovery::fix::script_fix);
                    let _ = tx.send(Msg::ScriptFix { run, fix });
                    let result = plan(&cfg, state, fallback);
                    let _ = tx.send(Msg::RunPlanned { run, result });
                })
            }
            Effect::MakeExecutable { run } => self.blocking(move |tx, state| {
                let install = lock(state).install.clone();
                let result = match install {
                    Some(i) => crate::recovery::fix::make_executable(&i)
                        .inspect(|_| {
                            // The plan reads the detected facts: they now say executable.
                            let mut fixed = (*i).clone();
                            if let Some(u) = fixed.report.upgrade.as_mut() {
                                u.script_executable = Some(true);
                            }
                            lock(state).install = Some(Arc::new(fixed));
                        })
                        .map_err(|e| format!("{e:#}")),
                    None => Err("nothing detected yet".into()),
                };
                let _ = tx.send(Msg::ChmodDone { run, result });
            }),
            Effect::Run {
                run,
                fallback: true,
            }
            | Effect::DeclineFallback { run }
                if lock(&self.state).session.is_some() =>
            {
                let yes = matches!(effect, Effect::Run { .. });
                tracing::info!(run, yes, "wrapper fallback decided");
                if let Some(s) = &lock(&self.state).session {
                    s.send(Cmd::Fallback(yes));
                }
            }
            Effect::Run { run, fallback } => {
                let first = lock(&self.state).plans[usize::from(fallback)].clone();
                match first {
                    Some(plan) => self.start_session(run, Some(plan)),
                    None => {
                        let _ = self.tx.send(Msg::RunExited {
                            run,
                            outcome: crate::wizard::msg::RunOutcome::SpawnFailed {
                                error: "nothing was planned".into(),
                            },
                        });
                    }
                }
            }
            Effect::DeclineFallback { .. } => {}
            Effect::StartFollow { run } => self.start_session(run, None),
        }
        Flow::Continue
    }

    /// The engine's session: attached to the logs before anything runs.
    fn start_session(&self, run: RunId, first: Option<RunPlan>) {
        let Some(install) = self.install() else {
            tracing::warn!("no install detected: nothing to follow");
            return;
        };
        // A re-run after a failed run: the old session has ended; a new one attaches now.
        if let Some(old) = lock(&self.state).session.take() {
            old.send(Cmd::Stop);
        }
        if !std::mem::replace(&mut lock(&self.state).seeded, true) {
            self.seed_panes(run, &install);
        }
        let instance = self.instance_probe(&install);
        let parts = SessionParts {
            cadence: Cadence::default(),
            limits: self.cfg.limits,
            clock: Arc::new(SystemClock::default()),
            launcher: Arc::new(SystemLauncher),
            instance,
            out_dir: self.cfg.out_dir.clone(),
            keep_upgrade_log: true,
        };
        let handle = session::spawn(
            install,
            parts,
            first,
            run,
            self.tx.clone(),
            self.outputs.clone(),
        );
        lock(&self.state).session = Some(handle);
    }

    /// Show what the logs already hold (display only: the engine judges only newer lines), then a
    /// mark where following began.
    fn seed_panes(&self, run: RunId, install: &Install) {
        use crate::mid::milestones::Source;
        let logs = install.report.agent_dir.join("logs");
        let files = [
            (Source::UpgradeLog, install.report.upgrade_log_path()),
            (Source::WrapperLog, Some(logs.join("wrapper.log"))),
            (Source::AgentLog, Some(logs.join("agent0.log.0"))),
        ];
        for (source, path) in files {
            let Some(path) = path else { continue };
            let mut lines = tail_lines(&path, 200);
            if lines.is_empty() {
                continue;
            }
            lines.push("--- midrescue follows from here: the lines below are new ---".into());
            let _ = self.tx.send(Msg::FollowBatch {
                run,
                source,
                lines,
                note: None,
            });
        }
    }

    fn instance_probe(&self, install: &Install) -> Option<Arc<dyn InstanceProbe>> {
        let (url, creds) = self.cfg.instance.clone()?;
        let report = &install.report;
        let (Some(url), Some(mid_name)) = (
            url.or_else(|| report.instance_url.clone()),
            report.mid_name.clone(),
        ) else {
            tracing::warn!("instance check skipped: no instance URL or MID name");
            return None;
        };
        Some(Arc::new(InstanceCheck {
            url,
            mid_name,
            credentials: creds,
            target_version: report.target_version.clone(),
            timeout: Cadence::default().instance_timeout,
        }))
    }

    /// Append one line to the journal (open, write, close; created private).
    fn journal(&self, entry: &JournalEntry) {
        tracing::info!(journal = %entry.text);
        let res = self
            .cfg
            .journal_path
            .parent()
            .map_or(Ok(()), crate::platform::private_fs::ensure_private_dir)
            .and_then(|()| crate::platform::private_fs::open_private_append(&self.cfg.journal_path))
            .and_then(|mut f| Ok(writeln!(f, "{}", entry.to_line())?));
        if let Err(e) = res {
            tracing::warn!("journal {}: {e:#}", self.cfg.journal_path.display());
        }
    }
}

fn collect(
    cfg: &RunnerConfig,
    tx: &UnboundedSender<Msg>,
    install: Option<Arc<Install>>,
    outputs: &Mutex<Outputs>,
    run: RunId,
    final_bundle: bool,
) -> Result<BundleInfo, String> {
    let install = install.ok_or("nothing detected yet")?;
    let after_run = final_bundle.then(|| {
        let o = lock(outputs).clone();
        AfterRun {
            run: o.run,
            upgrade_log_copy: o.upgrade_log_copy,
            journal: Some(cfg.journal_path.clone()),
        }
    });
    let mut progress = CollectProgress::default();
    let mut on_progress = |p: Progress| {
        if let Some(at) = p.position() {
            progress.files_done = at.files_done;
            progress.bytes_done = at.bytes_done;
            progress.files_total = Some(at.files_total);
            progress.bytes_total = Some(at.bytes_total);
            progress.current = Some(at.path.to_string());
        }
        match p {
            Progress::Planned { files, .. } => progress.files_total = Some(files),
            Progress::Writing => progress.current = Some("writing the zip".into()),
            Progress::Done => return,
            Progress::File { .. } | Progress::Bytes { .. } => {}
        }
        let _ = tx.send(Msg::CollectProgress {
            run,
            progress: progress.clone(),
        });
    };
    let req = BundleRequest {
        install: &install,
        options: CollectOptions::new(install.report.agent_dir.clone(), cfg.out_dir.clone()),
        after_run,
    };
    let summary = build_bundle(req, &SystemExec::default(), &mut on_progress)
        .map_err(|e| format!("{e:#}"))?;
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

fn plan(cfg: &RunnerConfig, state: &Mutex<State>, fallback: bool) -> Result<PlanInfo, String> {
    let install = lock(state).install.clone().ok_or("nothing detected yet")?;
    if let Some(r) = policy::elevation_refusal(&install.report) {
        return Err(format!("{} {}", r.reason, r.next_step.unwrap_or_default()));
    }
    let kind = if fallback {
        RunKind::WrapperFallback
    } else {
        RunKind::Script
    };
    let plan =
        make_plan(&install, &cfg.out_dir, kind).map_err(|e| format!("{e} {}", e.next_step()))?;
    if let Some(r) = policy::trust_refusal(&plan) {
        return Err(format!("{} {}", r.reason, r.next_step.unwrap_or_default()));
    }
    if let crate::platform::provenance::Trust::Confirm { reason, entry } = &plan.trust {
        // A typed confirmation is asked by `resume` only; the wizard does not run it.
        return Err(format!(
            "{reason} ({}). Nothing was run. If you trust this folder, run `{} resume` and type RUN when asked.",
            crate::sanitize::text(entry),
            cfg.invocation
        ));
    }
    if let Some(r) = policy::privilege_refusal(
        &plan,
        crate::platform::privilege::is_root(),
        &cfg.invocation,
    ) {
        return Err(format!("{}. {}", r.reason, r.next_step.unwrap_or_default()));
    }
    let info = PlanInfo::from(&plan);
    lock(state).plans[usize::from(fallback)] = Some(plan);
    Ok(info)
}

/// The last `max` lines of a file (from its last 64 KiB): opened, read and closed at once.
fn tail_lines(path: &std::path::Path, max: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    const WINDOW: u64 = 64 * 1024;
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(WINDOW);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err()
        || (&mut f).take(WINDOW).read_to_end(&mut buf).is_err()
    {
        return Vec::new();
    }
    drop(f);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        // The first line was cut by the window.
        lines.remove(0);
    }
    let from = lines.len().saturating_sub(max);
    lines[from..]
        .iter()
        .map(|l| crate::sanitize::line(l))
        .collect()
}

/// LAB ONLY: start a lab's MID service the way the real one starts. The host hands out the lab's
/// control only for a lab midrescue made; anything else is refused here too.
fn lab_start(agent_dir: &std::path::Path) -> Result<String, String> {
    let host = crate::host::Host::for_install(agent_dir);
    let Some(lab) = host.lab_service() else {
        return Err("not a lab: midrescue never starts a real MID service".into());
    };
    let done = lab
        .start_like_the_real_service()
        .map_err(|e| format!("{e:#}"))?;
    Ok(match &done.temp_dir {
        Some(t) => format!(
            "it deleted the upgrade temp folder {} with {} log file(s) ({}); the MID still cannot start",
            crate::sanitize::path(t),
            done.lost_logs.len(),
            done.lost_logs.join(", ")
        ),
        None => {
            "there was no upgrade temp folder left to delete; the MID still cannot start".into()
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tail_lines_keeps_the_last_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, text).unwrap();
        let t = super::tail_lines(&p, 3);
        assert_eq!(t, ["line 4997", "line 4998", "line 4999"]);
        assert!(super::tail_lines(&dir.path().join("missing"), 3).is_empty());
    }
}
