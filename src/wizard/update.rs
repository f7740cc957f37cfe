//! `update()`: one pure transition per message. Read it top to bottom: keys go through the
//! keymap, finished work is accepted only when its run id is the one we are waiting for.

use crate::course::score::Act;
use std::path::PathBuf;

use crate::mid::report::Verdict;
use crate::platform::service::StartType;

use super::effect::{Effect, JournalEntry};
use super::keymap::{self, Action};
use super::model::{
    Collect, ConfirmKind, Ending, Focus, Job, Model, Overlay, Picker, RunState, Step,
};
use super::msg::{Key, MilestoneEvent, Msg, RunOutcome};
use super::pane::pane_index;
use super::{RunId, Timestamp};
use crate::mid::milestones::Milestone;
use crate::mid::outcome::RecoveryOutcome;
use crate::recovery::RunReport;
use crate::recovery::policy::{self, Route};

/// Begin: pick, detect, or say that nothing was found.
pub fn start(m: &mut Model, installs: Vec<PathBuf>) -> Vec<Effect> {
    m.dirty = true;
    match installs.len() {
        0 => {
            // Say where we looked on the first screen, not on step 6.
            m.step = Step::Detect;
            m.ending = Some(Ending::NoInstall);
            vec![]
        }
        1 => {
            let dir = installs.into_iter().next().unwrap_or_default();
            begin_detect(m, dir)
        }
        _ => {
            m.picker = Some(Picker {
                installs,
                selected: 0,
            });
            vec![]
        }
    }
}

pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => tick(m, now),
        Msg::Resize { width, height } => {
            m.width = width;
            m.height = height;
            m.dirty = true;
            vec![]
        }
        Msg::ScrollLimits(limits) => {
            // Not a change to show: the frame already clamps what it draws.
            m.scroll_limits = Some(limits);
            let (body, why) = scroll_limits_now(m);
            if let Some(at) = body_scroll(m) {
                *at = (*at).min(body);
            }
            m.why_scroll = m.why_scroll.min(why);
            vec![]
        }
        Msg::Terminate => {
            let j = journal(
                m,
                "terminated by a signal; the upgrade (if started) keeps running",
            );
            m.quitting = true;
            m.dirty = true;
            vec![j, Effect::Quit]
        }
        Msg::Key(key) => on_key(m, key),
        Msg::DetectDone { run, result } => {
            if m.detect.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            match result {
                Ok(report) => {
                    m.original_start_type = report.service.start_type;
                    let line = format!("detect: verdict {}", report.verdict.as_str());
                    m.detect = Job::Done(report);
                    vec![journal(m, line)]
                }
                Err(e) => {
                    m.detect = Job::Failed(e.clone());
                    vec![journal(m, format!("detect failed: {e}"))]
                }
            }
        }
        Msg::PreflightDone { run, result } => {
            let Some(v) = m.preflight.as_mut().filter(|v| v.job.run_id() == Some(run)) else {
                return vec![];
            };
            m.dirty = true;
            let line = match &result {
                Ok(r) => format!(
                    "preflight: {} ({} pass, {} warn, {} fail)",
                    r.result, r.summary.pass, r.summary.warn, r.summary.fail
                ),
                Err(e) => format!("preflight failed: {e}"),
            };
            v.job = match result {
                Ok(r) => Job::Done(r),
                Err(e) => Job::Failed(e),
            };
            vec![journal(m, line)]
        }
        Msg::StartTypeSet { run, result } => {
            if m.start_type.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            let line = match &result {
                Ok(st) => format!("start type set to {}", keymap::start_type_word(*st)),
                Err(e) => format!("setting the start type failed: {e}"),
            };
            m.start_type = match result {
                Ok(st) => Job::Done(st),
                Err(e) => {
                    m.notice = Some(format!("Start type unchanged: {e}"));
                    Job::Failed(e)
                }
            };
            vec![journal(m, line)]
        }
        Msg::LabServiceStarted { run, result } => {
            if m.lab_start.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            match result {
                Ok(lost) => {
                    record(m, Act::ServiceStarted);
                    m.lab_start = Job::Done(lost.clone());
                    m.acknowledged = false;
                    m.warning = Some(format!("The MID service was started (lab): {lost}"));
                    let mut fx = vec![journal(m, format!("lab: started the MID service: {lost}"))];
                    if let Some(dir) = m.agent_dir.clone() {
                        fx.extend(begin_detect(m, dir));
                    }
                    fx
                }
                Err(e) => {
                    m.notice = Some(format!("The lab did not start the service: {e}"));
                    m.lab_start = Job::Failed(e.clone());
                    vec![journal(
                        m,
                        format!("lab: the service start was refused: {e}"),
                    )]
                }
            }
        }
        Msg::CollectProgress { run, progress } => {
            let c = if m.collect.job.run_id() == Some(run) {
                &mut m.collect
            } else if m.final_collect.job.run_id() == Some(run) {
                &mut m.final_collect
            } else {
                return vec![];
            };
            c.progress = progress;
            m.dirty = true;
            vec![]
        }
        Msg::CollectDone { run, result } => {
            let is_final = if m.collect.job.run_id() == Some(run) {
                false
            } else if m.final_collect.job.run_id() == Some(run) {
                true
            } else {
                return vec![];
            };
            m.dirty = true;
            let line = match &result {
                Ok(b) => format!("bundle saved: {} (sha256 {})", b.path.display(), b.sha256),
                Err(e) => format!("bundle failed: {e}"),
            };
            if result.is_ok() {
                record(m, Act::BundleSaved);
            }
            let job = match result {
                Ok(b) => Job::Done(b),
                Err(e) => Job::Failed(e),
            };
            if is_final {
                m.final_collect.job = job;
            } else {
                m.collect.job = job;
            }
            vec![journal(m, line)]
        }
        Msg::RunPlanned { run, result } => {
            if m.run.plan.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            m.run.plan = match result {
                Ok(p) => Job::Done(p),
                Err(e) => Job::Failed(e),
            };
            vec![]
        }
        Msg::ScriptFix { run, fix } => {
            if m.run.plan.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            m.run.script_fix = fix;
            vec![]
        }
        Msg::ChmodDone { run, result } => {
            if m.run.chmod.run_id() != Some(run) {
                return vec![];
            }
            m.dirty = true;
            match result {
                Ok(mode) => {
                    let j = journal(m, format!("chmod +x done: the script is now {mode}"));
                    m.run.chmod = Job::Done(mode);
                    // A fresh plan: the engine checks the script again.
                    vec![j, begin_plan(m, false)]
                }
                Err(e) => {
                    let j = journal(m, format!("chmod +x failed: {e}"));
                    m.notice = Some(format!("chmod +x failed: {e}"));
                    m.run.chmod = Job::Failed(e);
                    vec![j]
                }
            }
        }
        Msg::RunStarted { run, pid } => {
            if m.run.run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            m.run.pid = pid;
            m.run.started_at = Some(m.now);
            record(m, Act::RunStarted);
            enter_watch(m)
        }
        Msg::RunOutput { run, line } => {
            if m.run.run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            m.run_output.push_lines([line]);
            vec![]
        }
        Msg::RunExited { run, outcome } => {
            if m.run.run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            on_run_exited(m, outcome)
        }
        Msg::FallbackOffered { run, line, plan } => {
            if m.follow_run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            // KB0779816: the script answered "service is not installed": the engine offers the
            // wrapper; the operator reads it on the Run step and confirms (or not).
            m.step = Step::Run;
            m.run_scroll = 0;
            let previous = std::mem::take(&mut m.run);
            m.run = RunState {
                fallback: true,
                fallback_reason: Some(line.clone()),
                plan: Job::Done(plan),
                exited: previous.exited,
                ..RunState::default()
            };
            vec![journal(
                m,
                format!("script said: {line}; wrapper fallback offered"),
            )]
        }
        Msg::FollowBatch {
            run,
            source,
            lines,
            note,
        } => {
            if m.follow_run != Some(run) {
                return vec![];
            }
            let Some(i) = pane_index(source) else {
                return vec![];
            };
            m.dirty = true;
            let pane = &mut m.panes[i];
            pane.push_lines(lines);
            if note.is_some() {
                pane.note = note;
            }
            vec![]
        }
        Msg::Milestone { run, event } => {
            if m.follow_run != Some(run) || m.ending.is_some() {
                return vec![];
            }
            m.dirty = true;
            on_milestone(m, event)
        }
        Msg::RecoveryEnded { run, report } => {
            if m.follow_run != Some(run) || m.ending.is_some() {
                return vec![];
            }
            m.dirty = true;
            on_recovery_ended(m, *report)
        }
        Msg::ProbeResult { run, service } => {
            if m.follow_run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            // Shown as a signal; the timeline follows the milestone watch alone.
            m.service = Some(service);
            vec![]
        }
        Msg::InstanceResult { run, result } => {
            if m.follow_run != Some(run) {
                return vec![];
            }
            m.dirty = true;
            m.instance = Some(result);
            vec![]
        }
    }
}

fn tick(m: &mut Model, now: Timestamp) -> Vec<Effect> {
    if now.timestamp() != m.now.timestamp() {
        m.dirty = true;
    }
    m.now = now;
    // Probes and instance checks are the engine's (one cadence for both faces).
    vec![]
}

fn on_key(m: &mut Model, key: Key) -> Vec<Effect> {
    let Some((action, allowed)) = keymap::lookup(m, key) else {
        return vec![];
    };
    m.dirty = true;
    m.notice = None;
    if let Err(why) = allowed {
        m.notice = Some(format!("Not now: {why}"));
        return vec![];
    }
    on_action(m, action)
}

fn on_action(m: &mut Model, action: Action) -> Vec<Effect> {
    match (m.overlay, action) {
        (_, Action::Help) => {
            m.overlay = Some(Overlay::Help);
            vec![]
        }
        (_, Action::CloseOverlay) => {
            if let Some(Overlay::Confirm { kind, .. }) = m.overlay {
                m.overlay = None;
                return vec![journal(m, format!("declined: {}", confirm_title(kind)))];
            }
            m.overlay = None;
            vec![]
        }
        (_, Action::Why) => {
            m.why_open = !m.why_open;
            if m.why_open {
                record(m, Act::HintOpened);
            }
            m.why_scroll = 0;
            vec![]
        }
        (None, a @ (Action::ScrollUp | Action::ScrollDown | Action::PageUp | Action::PageDown))
            if m.why_over_screen() =>
        {
            let max = scroll_limits_now(m).1;
            m.why_scroll = scrolled(m.why_scroll, a, m.height.saturating_sub(8).max(1), max);
            vec![]
        }
        (_, Action::QuitNow) => quit(m),
        (_, Action::Quit) => {
            if needs_quit_guard(m) {
                m.overlay = Some(Overlay::QuitConfirm {
                    focus: Focus::Cancel,
                });
                vec![]
            } else {
                quit(m)
            }
        }
        (Some(Overlay::QuitConfirm { focus }), Action::FocusNext | Action::FocusPrev) => {
            m.overlay = Some(Overlay::QuitConfirm {
                focus: focus.toggled(),
            });
            vec![]
        }
        (Some(Overlay::QuitConfirm { focus }), Action::Activate) => {
            m.overlay = None;
            match focus {
                Focus::Cancel => vec![],
                Focus::Proceed => quit(m),
            }
        }
        (Some(Overlay::Confirm { kind, focus }), Action::FocusNext | Action::FocusPrev) => {
            m.overlay = Some(Overlay::Confirm {
                kind,
                focus: focus.toggled(),
            });
            vec![]
        }
        (Some(Overlay::Confirm { kind, focus }), Action::Activate) => {
            m.overlay = None;
            match (kind, focus) {
                (_, Focus::Cancel) => {
                    vec![journal(m, format!("declined: {}", confirm_title(kind)))]
                }
                (ConfirmKind::MakeExecutable, Focus::Proceed) => {
                    let Some(fix) = m.run.script_fix.clone() else {
                        return vec![];
                    };
                    let run = m.new_run();
                    m.run.chmod = Job::Running(run);
                    m.run.chmod_target = Some(fix.script.clone());
                    vec![
                        journal(m, format!("confirmed: {}", fix.chmod_command)),
                        Effect::MakeExecutable { run },
                    ]
                }
                (ConfirmKind::LabStartService, Focus::Proceed) => {
                    let run = m.new_run();
                    m.lab_start = Job::Running(run);
                    vec![
                        journal(m, "confirmed (lab): start the MID service"),
                        Effect::LabStartService { run },
                    ]
                }
                (ConfirmKind::SetManual, Focus::Proceed) => {
                    let run = m.new_run();
                    m.start_type = Job::Running(run);
                    vec![
                        journal(m, "confirmed: set the MID service start type to Manual"),
                        Effect::SetStartType {
                            run,
                            start_type: StartType::Manual,
                        },
                    ]
                }
            }
        }
        (Some(_), _) => vec![],
        (None, Action::PickerUp | Action::PickerDown) => {
            if let Some(p) = m.picker.as_mut() {
                let n = p.installs.len().max(1);
                p.selected = if action == Action::PickerUp {
                    (p.selected + n - 1) % n
                } else {
                    (p.selected + 1) % n
                };
            }
            vec![]
        }
        (None, Action::PickerChoose) => match m.picker.take() {
            Some(p) => {
                let dir = p.installs.get(p.selected).cloned().unwrap_or_default();
                let mut fx = vec![journal(m, format!("picked install {}", dir.display()))];
                fx.extend(begin_detect(m, dir));
                fx
            }
            None => vec![],
        },
        (None, action) if m.preflight.is_some() && m.step == Step::Detect => {
            on_preflight_action(m, action)
        }
        (None, action) => on_step_action(m, action),
    }
}

/// Keys of the Preflight screen: back, check again, scroll.
fn on_preflight_action(m: &mut Model, action: Action) -> Vec<Effect> {
    let page = m.height.saturating_sub(8).max(1);
    match action {
        Action::Back => {
            m.preflight = None;
            vec![journal(m, "closed preflight")]
        }
        Action::Retry => begin_preflight(m),
        Action::ScrollUp | Action::ScrollDown | Action::PageUp | Action::PageDown => {
            scroll_body(m, action, page);
            vec![]
        }
        _ => vec![],
    }
}

/// Open (or refresh) the Preflight screen and start its checks.
fn begin_preflight(m: &mut Model) -> Vec<Effect> {
    let Some(agent_dir) = m.report().map(|r| r.agent_dir.clone()) else {
        return vec![];
    };
    let run = m.new_run();
    m.preflight = Some(crate::wizard::model::PreflightView {
        job: Job::Running(run),
        scroll: 0,
    });
    vec![
        journal(m, "preflight: run the pre-upgrade checks (read-only)"),
        Effect::Preflight { run, agent_dir },
    ]
}

fn on_step_action(m: &mut Model, action: Action) -> Vec<Effect> {
    match (m.step, action) {
        (Step::Detect, Action::Preflight) => begin_preflight(m),
        (Step::Detect, Action::Retry) => match m.agent_dir.clone() {
            Some(dir) => {
                let mut fx = vec![journal(m, "retry detect")];
                fx.extend(begin_detect(m, dir));
                fx
            }
            None => vec![],
        },
        (Step::Detect, Action::Next) => match m.verdict() {
            Some(verdict) => match policy::route(verdict) {
                Route::Recover | Route::WatchOnly => {
                    let j = journal(m, "continue to Warn");
                    m.step = Step::Warn;
                    vec![j]
                }
                Route::CollectThenStop => {
                    // Nothing can be re-run, but this is the case support needs the logs most.
                    let mut fx = vec![journal(
                        m,
                        format!(
                            "nothing to re-run ({}): collect the bundle for support",
                            verdict.as_str()
                        ),
                    )];
                    m.skip(&[Step::Warn]);
                    m.step = Step::Collect;
                    if m.collect.job.done().is_none() && !m.collect.job.is_running() {
                        fx.push(begin_collect(m, false));
                    }
                    fx
                }
                Route::Stop => {
                    let j = journal(
                        m,
                        format!("nothing to re-run ({}): ended", verdict.as_str()),
                    );
                    m.skip(&[Step::Warn, Step::Collect, Step::Run, Step::Watch]);
                    m.step = Step::Done;
                    m.ending = Some(Ending::NothingToRerun { verdict });
                    vec![j]
                }
            },
            None => vec![],
        },
        (Step::Warn, Action::Acknowledge) => {
            m.acknowledged = true;
            vec![journal(
                m,
                "acknowledged: the MID service must not be started during recovery",
            )]
        }
        (Step::Warn, Action::SetManual) => {
            m.overlay = Some(Overlay::Confirm {
                kind: ConfirmKind::SetManual,
                focus: Focus::Cancel,
            });
            vec![]
        }
        (Step::Detect, Action::StartCourse) => {
            m.start_course = true;
            let j = journal(m, "leave the demo for the training course");
            let mut fx = vec![j];
            fx.extend(quit(m));
            fx
        }
        (Step::Warn, Action::LabStartService) => {
            m.overlay = Some(Overlay::Confirm {
                kind: ConfirmKind::LabStartService,
                focus: Focus::Cancel,
            });
            vec![]
        }
        (Step::Warn, Action::Next) => {
            let mut fx = vec![journal(m, "continue to Collect")];
            m.step = Step::Collect;
            if m.collect.job.done().is_none() && !m.collect.job.is_running() {
                fx.push(begin_collect(m, false));
            }
            fx
        }
        (Step::Collect, Action::Retry) => {
            let fx = vec![journal(m, "retry bundle"), begin_collect(m, false)];
            fx
        }
        (Step::Collect, Action::Next) => {
            match m.verdict().map(policy::route) {
                Some(Route::WatchOnly) => {
                    // Something already runs the upgrade: nothing to start, only to watch.
                    let mut fx = vec![journal(m, "upgrade already running: watch it")];
                    m.skip(&[Step::Run]);
                    fx.extend(enter_watch(m));
                    return fx;
                }
                Some(Route::CollectThenStop | Route::Stop) => {
                    let verdict = m.verdict().unwrap_or(Verdict::TempFolderLost);
                    let j = journal(
                        m,
                        format!("nothing to re-run ({}): ended", verdict.as_str()),
                    );
                    m.skip(&[Step::Run, Step::Watch]);
                    m.step = Step::Done;
                    m.ending = Some(Ending::NothingToRerun { verdict });
                    return vec![j];
                }
                _ => {}
            }
            let mut fx = vec![journal(m, "continue to Run")];
            m.step = Step::Run;
            m.run_scroll = 0;
            if m.run.plan.done().is_none() && !m.run.plan.is_running() {
                let fallback = m.run.fallback;
                fx.push(begin_plan(m, fallback));
            }
            fx
        }
        (Step::Run, Action::Retry) => {
            let fallback = m.run.fallback;
            vec![begin_plan(m, fallback)]
        }
        (Step::Run, Action::Back) => {
            m.step = Step::Collect;
            m.run.focus = Focus::Cancel;
            vec![]
        }
        (Step::Run, Action::FocusNext | Action::FocusPrev) => {
            m.run.focus = m.run.focus.toggled();
            vec![]
        }
        (Step::Run, Action::Activate) => activate_run(m),
        (Step::Run, Action::MakeExecutable) => {
            m.overlay = Some(Overlay::Confirm {
                kind: ConfirmKind::MakeExecutable,
                focus: Focus::Cancel,
            });
            vec![]
        }
        (Step::Done, Action::Rerun) => rerun(m),
        (Step::Run | Step::Done, Action::Copy) => match m.run.plan.done() {
            Some(p) => {
                let text = p.command.clone();
                m.notice = Some(
                    "Copied the command (OSC 52: most terminals, also over SSH; if your terminal \
does not support it, select the command on screen)."
                        .into(),
                );
                vec![Effect::Copy(text)]
            }
            None => vec![],
        },
        (Step::Watch, a) => {
            let page = usize::from(m.height.saturating_sub(10) / 2).max(1);
            let n = m.panes.len();
            match a {
                Action::PaneNext => m.focused_pane = (m.focused_pane + 1) % n,
                Action::PanePrev => m.focused_pane = (m.focused_pane + n - 1) % n,
                Action::ScrollUp => m.panes[m.focused_pane].scroll_up(1),
                Action::ScrollDown => m.panes[m.focused_pane].scroll_down(1),
                Action::PageUp => m.panes[m.focused_pane].scroll_up(page),
                Action::PageDown => m.panes[m.focused_pane].scroll_down(page),
                Action::Top => m.panes[m.focused_pane].to_top(),
                Action::Bottom => m.panes[m.focused_pane].to_bottom(),
                Action::ToggleFollow => {
                    let p = &mut m.panes[m.focused_pane];
                    if p.follow {
                        p.follow = false;
                    } else {
                        p.to_bottom();
                    }
                }
                _ => {}
            }
            vec![]
        }
        (
            Step::Detect | Step::Run | Step::Done,
            a @ (Action::ScrollUp | Action::ScrollDown | Action::PageUp | Action::PageDown),
        ) => {
            scroll_body(m, a, m.height.saturating_sub(8).max(1));
            vec![]
        }
        (Step::Done, Action::CollectFinal) => {
            let run = m.new_run();
            m.final_collect.job = Job::Running(run);
            m.final_collect.progress = Default::default();
            vec![
                journal(m, "collect the final bundle"),
                Effect::Collect {
                    run,
                    final_bundle: true,
                },
            ]
        }
        _ => vec![],
    }
}

fn activate_run(m: &mut Model) -> Vec<Effect> {
    let Some(plan) = m.run.plan.done().cloned() else {
        return vec![];
    };
    match m.run.focus {
        Focus::Cancel if m.run.fallback && m.follow_run.is_some() => {
            // The engine offered the fallback: declining it ends the recovery as failed.
            m.run.cancelled = true;
            let run = m.follow_run.unwrap_or_default();
            vec![
                journal(
                    m,
                    format!("declined the wrapper fallback: {}", plan.command),
                ),
                Effect::DeclineFallback { run },
            ]
        }
        Focus::Cancel => {
            m.run.cancelled = true;
            vec![journal(m, format!("declined to run: {}", plan.command))]
        }
        Focus::Proceed if m.opts.dry_run => {
            m.skip(&[Step::Watch]);
            m.step = Step::Done;
            m.ending = Some(Ending::DryRun);
            vec![journal(
                m,
                format!(
                    "dry run: would run `{}` in {}",
                    plan.command,
                    plan.folder.display()
                ),
            )]
        }
        Focus::Proceed => {
            if m.run.run.is_some() && m.run.exited.is_none() {
                return vec![];
            }
            // One engine session follows the logs from before the first start to the end.
            let fresh = m.new_run();
            let run = *m.follow_run.get_or_insert(fresh);
            m.run.run = Some(run);
            m.run.exited = None;
            m.run.cancelled = false;
            let fallback = m.run.fallback;
            vec![
                journal(
                    m,
                    format!(
                        "confirmed: run `{}` in {} as {}",
                        plan.command,
                        plan.folder.display(),
                        plan.user
                    ),
                ),
                Effect::Run { run, fallback },
            ]
        }
    }
}

fn on_run_exited(m: &mut Model, outcome: RunOutcome) -> Vec<Effect> {
    m.run.exited = Some(outcome.clone());
    match outcome {
        RunOutcome::SpawnFailed { error } => {
            m.step = Step::Run;
            m.run_scroll = 0;
            m.run.run = None;
            m.run.focus = Focus::Cancel;
            m.notice = Some(format!("Could not start: {error}"));
            vec![journal(m, format!("could not start the command: {error}"))]
        }
        RunOutcome::Exited { code } => {
            let code = code.map_or("a signal".to_string(), |c| c.to_string());
            vec![journal(m, format!("command exited with {code}"))]
        }
    }
}

fn on_milestone(m: &mut Model, event: MilestoneEvent) -> Vec<Effect> {
    match event {
        MilestoneEvent::Reached { id, at, evidence } => {
            if let Some(row) = id.row() {
                reach(m, row, at, evidence);
            }
            vec![]
        }
        MilestoneEvent::LockRetry { count, line } => {
            // The timeline names the file (`mid.jar locked, retry 6`), from the engine's parser.
            let file = policy::locked_file_name(&line).unwrap_or_else(|| "a file".into());
            m.lock_retries = Some((count, file));
            vec![]
        }
        MilestoneEvent::Stall { since, quiet_secs } => {
            m.stall = Some((since, quiet_secs));
            vec![]
        }
        MilestoneEvent::StallCleared => {
            m.stall = None;
            vec![]
        }
        MilestoneEvent::Warning(w) => {
            m.warning = Some(w);
            vec![]
        }
    }
}

fn on_recovery_ended(m: &mut Model, r: RunReport) -> Vec<Effect> {
    m.step = Step::Done;
    m.stall = None;
    let at = r.ended_at;
    match r.outcome {
        RecoveryOutcome::Recovered => {
            m.ending = Some(Ending::Recovered {
                at,
                evidence: r
                    .milestones
                    .iter()
                    .map(|ms| ms.describe().to_string())
                    .collect(),
                rerun: m.upgrade_started(),
                fallback: r.fallback_used,
            });
            vec![journal(m, "the MID is Up")]
        }
        outcome => {
            record(m, Act::RunFailed);
            let line = format!("the upgrade {}: {}", outcome.as_str(), r.reason);
            m.ending = Some(Ending::Failed {
                at,
                reason: r.reason,
                evidence: r.evidence,
                next_step: r.next_step,
                timed_out: outcome == RecoveryOutcome::TimedOut,
                rerun: policy::rerun_helps(outcome, r.code),
            });
            vec![journal(m, line)]
        }
    }
}

/// Done after a failed run, the cause fixed: a fresh plan, then Run asks again. The engine gets a
/// new session over the same install (it attaches to the logs before the new start).
fn rerun(m: &mut Model) -> Vec<Effect> {
    m.reruns += 1;
    record(m, Act::Rerun);
    let j = journal(
        m,
        format!("re-run {} after the failed run: plan it again", m.reruns),
    );
    m.ending = None;
    m.step = Step::Run;
    m.run_scroll = 0;
    m.done_scroll = 0;
    // A change made on the host stays in the record (the exit summary names it).
    m.run = RunState {
        chmod: std::mem::take(&mut m.run.chmod),
        chmod_target: m.run.chmod_target.take(),
        ..RunState::default()
    };
    m.follow_run = None;
    for row in &mut m.timeline {
        row.reached_at = None;
        row.evidence = None;
    }
    m.stall = None;
    m.lock_retries = None;
    m.warning = None;
    m.service = None;
    m.instance = None;
    m.final_collect = Collect::default();
    vec![j, begin_plan(m, false)]
}

fn reach(m: &mut Model, id: Milestone, at: Timestamp, evidence: Option<String>) {
    if let Some(row) = m.timeline.iter_mut().find(|r| r.id == id)
        && row.reached_at.is_none()
    {
        row.reached_at = Some(at);
        row.evidence = evidence.map(|e| crate::sanitize::line(&e));
    }
}

fn enter_watch(m: &mut Model) -> Vec<Effect> {
    m.step = Step::Watch;
    let mut fx = vec![];
    if m.follow_run.is_none() {
        // Nothing was started by us (an upgrade already runs): the engine only watches.
        let run = m.new_run();
        m.follow_run = Some(run);
        fx.push(Effect::StartFollow { run });
    }
    fx
}

fn begin_detect(m: &mut Model, dir: PathBuf) -> Vec<Effect> {
    let run = m.new_run();
    m.agent_dir = Some(dir.clone());
    m.detect = Job::Running(run);
    m.step = Step::Detect;
    vec![Effect::Detect {
        run,
        agent_dir: dir,
    }]
}

fn begin_collect(m: &mut Model, final_bundle: bool) -> Effect {
    let run = m.new_run();
    m.collect.job = Job::Running(run);
    m.collect.progress = Default::default();
    Effect::Collect { run, final_bundle }
}

fn begin_plan(m: &mut Model, fallback: bool) -> Effect {
    let run = m.new_run();
    m.run.plan = Job::Running(run);
    m.run.script_fix = None;
    m.run.fallback = fallback;
    m.run.focus = Focus::Cancel;
    Effect::PlanRun { run, fallback }
}

/// Whether `q` asks first: something of ours is running (the upgrade, a bundle, a change).
pub fn needs_quit_guard(m: &Model) -> bool {
    let upgrade_running = m.upgrade_started() && m.ending.is_none();
    upgrade_running
        || m.collect.job.is_running()
        || m.final_collect.job.is_running()
        || m.start_type.is_running()
}

fn quit(m: &mut Model) -> Vec<Effect> {
    m.quitting = true;
    m.overlay = None;
    if m.upgrade_started() && m.ending.is_none() {
        record(m, Act::QuitDuringRun);
    }
    let text = if m.upgrade_started() && m.ending.is_none() && m.opts.training {
        "quit the demo while the lab's upgrade runs (the lab stops with it)"
    } else if m.upgrade_started() && m.ending.is_none() {
        "quit while the upgrade runs (it keeps running)"
    } else {
        "quit"
    };
    vec![journal(m, text), Effect::Quit]
}

/// Note what the operator did, for a course's score.
fn record(m: &mut Model, act: Act) {
    m.acts.push((m.now, act));
}

fn journal(m: &mut Model, text: impl Into<String>) -> Effect {
    let entry = JournalEntry {
        at: m.now,
        step: m.step,
        text: text.into(),
    };
    m.journal.push(entry.clone());
    Effect::WriteJournal(entry)
}

pub fn confirm_title(kind: ConfirmKind) -> &'static str {
    match kind {
        ConfirmKind::SetManual => "set the MID service start type to Manual",
        ConfirmKind::MakeExecutable => "chmod +x on the upgrade script",
        ConfirmKind::LabStartService => "start the MID service (lab)",
    }
}

/// Run id of an effect (for the runtime's bookkeeping and tests).
pub fn effect_run(e: &Effect) -> Option<RunId> {
    match e {
        Effect::Detect { run, .. }
        | Effect::Preflight { run, .. }
        | Effect::SetStartType { run, .. }
        | Effect::LabStartService { run }
        | Effect::Collect { run, .. }
        | Effect::PlanRun { run, .. }
        | Effect::Run { run, .. }
        | Effect::MakeExecutable { run }
        | Effect::DeclineFallback { run }
        | Effect::StartFollow { run } => Some(*run),
        Effect::WriteJournal(_) | Effect::Copy(_) | Effect::Quit => None,
    }
}

/// How far the current screen's body and the why panel can scroll, as the last frame of this
/// screen measured it (unbounded until a frame of it was drawn: the screen clamps anyway).
fn scroll_limits_now(m: &Model) -> (u16, u16) {
    match m.scroll_limits {
        Some(l) if l.step == m.step && l.preflight == m.preflight.is_some() => (l.body, l.why),
        _ => (u16::MAX, u16::MAX),
    }
}

/// The scroll counter of the screen shown now, if it scrolls.
fn body_scroll(m: &mut Model) -> Option<&mut u16> {
    match m.step {
        Step::Detect => match m.preflight.as_mut() {
            Some(v) => Some(&mut v.scroll),
            None => Some(&mut m.detect_scroll),
        },
        Step::Run => Some(&mut m.run_scroll),
        Step::Done => Some(&mut m.done_scroll),
        _ => None,
    }
}

fn scroll_body(m: &mut Model, action: Action, page: u16) {
    let max = scroll_limits_now(m).0;
    if let Some(at) = body_scroll(m) {
        *at = scrolled(*at, action, page, max);
    }
}

/// A scroll counter moved by `action`, stopping at 0 and at `max`.
fn scrolled(at: u16, action: Action, page: u16, max: u16) -> u16 {
    let moved = match action {
        Action::ScrollUp => at.saturating_sub(1),
        Action::ScrollDown => at.saturating_add(1),
        Action::PageUp => at.saturating_sub(page),
        Action::PageDown => at.saturating_add(page),
        _ => at,
    };
    moved.min(max)
}
