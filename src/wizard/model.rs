//! The wizard's whole state. Plain data: `update()` changes it, `ui` draws it.

use std::path::PathBuf;

use crate::mid::report::{DetectReport, Verdict};
use crate::platform::service::{ServiceState, StartType};

use super::effect::JournalEntry;
use super::msg::{BundleInfo, CollectProgress, PlanInfo, RunOutcome};
use super::pane::{LogPane, PANE_SOURCES};
use super::{RunId, Timestamp};
use crate::mid::milestones::Milestone;
use crate::mid::milestones::Source;
use crate::recovery::InstanceAnswer;

/// The six steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Detect,
    Warn,
    Collect,
    Run,
    Watch,
    Done,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Detect,
        Step::Warn,
        Step::Collect,
        Step::Run,
        Step::Watch,
        Step::Done,
    ];

    /// 1-based position.
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Detect => "Detect",
            Step::Warn => "Warn",
            Step::Collect => "Collect",
            Step::Run => "Run",
            Step::Watch => "Watch",
            Step::Done => "Done",
        }
    }
}

/// How the wizard was started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub dry_run: bool,
    /// Training (demo): the why panel starts open and Done tells what the scenario taught.
    pub training: bool,
    pub scenario: Option<String>,
    /// What the scenario teaches (shown on Done in training).
    pub training_text: Option<String>,
    /// Host name for the header.
    pub host: String,
    /// Whether an instance check is configured (adds the "Instance says Up" signal).
    pub instance_check: bool,
    /// How midrescue was invoked for this install (`midrescue --agent-dir '/x/agent'`), so the
    /// follow-up commands shown can be pasted as they are.
    pub invocation: String,
    /// LAB ONLY (a course on a lab midrescue made): Warn offers the classic mistake, starting
    /// the MID service, so a trainee can see what it destroys. Never set for a real install.
    pub lab_start: bool,
    /// A course without `--hints`: in training, the why panel starts closed.
    pub no_hints: bool,
    /// `demo`, or the wizard on a training lab: Detect offers the way into the course (`C`).
    pub course_entry: bool,
}

impl Options {
    /// A follow-up command for this install, e.g. `midrescue --agent-dir '/x/agent' detect`.
    pub fn command(&self, sub: &str) -> String {
        let base = if self.invocation.is_empty() {
            "midrescue"
        } else {
            self.invocation.as_str()
        };
        format!("{base} {sub}")
    }
}

/// A popup on top of the current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    QuitConfirm { focus: Focus },
    Confirm { kind: ConfirmKind, focus: Focus },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    /// Set the MID service's start type to Manual.
    SetManual,
    /// `chmod +x` on the proven upgrade script.
    MakeExecutable,
    /// LAB ONLY: start the lab's MID service (the classic mistake, done safely).
    LabStartService,
}

/// Which button of a two-button choice has the focus. Always starts on `Cancel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Cancel,
    Proceed,
}

impl Focus {
    pub fn toggled(self) -> Self {
        match self {
            Focus::Cancel => Focus::Proceed,
            Focus::Proceed => Focus::Cancel,
        }
    }
}

/// Several installs found: the operator picks one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub installs: Vec<PathBuf>,
    pub selected: usize,
}

/// A piece of work that runs once and ends with a value or an error.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Job<T> {
    #[default]
    Idle,
    Running(RunId),
    Done(T),
    Failed(String),
}

impl<T> Job<T> {
    pub fn run_id(&self) -> Option<RunId> {
        match self {
            Job::Running(r) => Some(*r),
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Job::Running(_))
    }

    pub fn done(&self) -> Option<&T> {
        match self {
            Job::Done(v) => Some(v),
            _ => None,
        }
    }
}

/// The Preflight screen (reached from Detect on a healthy MID): the checks' report and how far
/// it is scrolled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreflightView {
    pub job: Job<Box<crate::preflight::PreflightReport>>,
    pub scroll: u16,
}

/// A bundle being built, then built.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Collect {
    pub job: Job<BundleInfo>,
    pub progress: CollectProgress,
}

/// The recovery command: planned, confirmed, running, exited.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunState {
    pub plan: Job<PlanInfo>,
    /// The plan shown is the wrapper fallback.
    pub fallback: bool,
    /// Why the fallback is offered (the script's "not installed" line).
    pub fallback_reason: Option<String>,
    pub focus: Focus,
    /// Run id of the started command, once started.
    pub run: Option<RunId>,
    pub started_at: Option<Timestamp>,
    pub pid: Option<u32>,
    pub exited: Option<RunOutcome>,
    /// Note shown after Cancel.
    pub cancelled: bool,
    /// The script cannot be executed as it is: what the engine offers (chmod +x, or a remount
    /// to copy).
    pub script_fix: Option<crate::recovery::fix::ScriptFix>,
    /// The confirmed `chmod +x`, while it runs and after (the new mode).
    pub chmod: Job<String>,
    /// The script the confirmed `chmod +x` applies to.
    pub chmod_target: Option<PathBuf>,
}

/// One row of the Watch timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRow {
    pub id: Milestone,
    pub reached_at: Option<Timestamp>,
    pub evidence: Option<String>,
}

/// How the story ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Recovered {
        at: Timestamp,
        evidence: Vec<String>,
        /// Whether we re-ran it (false: an upgrade that was already running finished).
        rerun: bool,
        /// Whether the wrapper fallback ran.
        fallback: bool,
    },
    Failed {
        at: Timestamp,
        reason: String,
        evidence: Vec<String>,
        /// The engine's next step (the same words `resume` prints).
        next_step: Option<String>,
        /// Not Up in time (the upgrade may still be running), rather than failed.
        timed_out: bool,
        /// Whether running the recovery again can help (the engine's word), or why not.
        rerun: Result<(), String>,
    },
    /// Detect said there is nothing to re-run (healthy, stopped, temp folder lost, not a MID).
    NothingToRerun { verdict: Verdict },
    /// `--dry-run`: the command was shown, nothing ran.
    DryRun,
    /// No MID install was found.
    NoInstall,
}

impl Ending {
    /// One word for the exit summary.
    pub fn outcome_word(&self) -> &'static str {
        match self {
            Ending::Recovered { .. } => "recovered",
            Ending::Failed { .. } => "failed",
            Ending::NothingToRerun { verdict } => verdict.as_str(),
            Ending::DryRun => "dry_run",
            Ending::NoInstall => "no_install",
        }
    }
}

/// Narrower than this, the why panel opens over the whole screen and takes the keys until
/// closed (so it never hides a control that still works); from this width it sits beside.
pub const WHY_BESIDE_WIDTH: u16 = 100;

/// What the last frame measured: how far each scrolling part of one screen can scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrollLimits {
    /// The screen measured: its step and whether Preflight was open over Detect.
    pub step: Step,
    pub preflight: bool,
    /// The screen's body.
    pub body: u16,
    /// The why panel, when open over the screen.
    pub why: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub opts: Options,
    pub step: Step,
    /// Steps the route passed over (shown as skipped, never as done).
    pub skipped: Vec<Step>,
    /// Re-runs started from Done after a failed run.
    pub reruns: u32,
    pub started_at: Timestamp,
    pub now: Timestamp,
    pub width: u16,
    pub height: u16,
    pub overlay: Option<Overlay>,
    pub why_open: bool,
    /// Lines the why panel is scrolled down by (when it is open over the screen).
    pub why_scroll: u16,
    /// Lines the Done screen is scrolled down by (small terminals).
    pub done_scroll: u16,
    /// Lines the Detect screen is scrolled down by.
    pub detect_scroll: u16,
    /// Lines the Run screen's text (above its buttons) is scrolled down by.
    pub run_scroll: u16,
    /// How far the current screen could scroll when it was last drawn (scroll counters stop
    /// there, so scrolling back up moves at once).
    pub scroll_limits: Option<ScrollLimits>,
    pub picker: Option<Picker>,
    /// The Preflight screen, while open.
    pub preflight: Option<PreflightView>,
    pub agent_dir: Option<PathBuf>,
    next_run: RunId,

    pub detect: Job<Box<DetectReport>>,
    /// Warn: the operator said they understand.
    pub acknowledged: bool,
    pub start_type: Job<StartType>,
    /// LAB ONLY: the lab's service start, while it runs and after (what it destroyed).
    pub lab_start: Job<String>,
    /// The start type before we changed it (to tell the operator to restore it).
    pub original_start_type: Option<StartType>,
    pub collect: Collect,
    pub final_collect: Collect,
    pub run: RunState,
    /// Script output lines.
    pub run_output: LogPane,

    pub follow_run: Option<RunId>,
    pub panes: [LogPane; 3],
    pub focused_pane: usize,
    pub timeline: Vec<TimelineRow>,
    pub stall: Option<(Timestamp, u64)>,
    pub service: Option<ServiceState>,
    pub instance: Option<Result<InstanceAnswer, String>>,
    /// Lock retries so far and the last locked line (shown live on the timeline).
    pub lock_retries: Option<(u32, String)>,
    /// The engine's last warning worth showing.
    pub warning: Option<String>,

    pub ending: Option<Ending>,
    pub journal: Vec<JournalEntry>,
    /// What the operator did that a training course scores (typed, beside the journal's text).
    pub acts: Vec<(Timestamp, crate::course::score::Act)>,
    /// A one-line notice (e.g. why a key did nothing).
    pub notice: Option<String>,
    /// Set when the model changed since the last draw (the runtime clears it).
    pub dirty: bool,
    pub quitting: bool,
    /// The operator asked to go on to the training course (demo's `C`).
    pub start_course: bool,
}

impl Model {
    /// The why panel is open over the screen (narrow window): it takes the keys until closed.
    pub fn why_over_screen(&self) -> bool {
        self.why_open && self.width < WHY_BESIDE_WIDTH
    }

    /// A wizard about to start. Call `update::start` to get the first effects.
    pub fn new(opts: Options, now: Timestamp) -> Self {
        let why_open = opts.training && !opts.no_hints;
        let timeline = Milestone::TIMELINE
            .iter()
            .filter(|id| opts.instance_check || **id != Milestone::InstanceUp)
            .map(|id| TimelineRow {
                id: *id,
                reached_at: None,
                evidence: None,
            })
            .collect();
        Model {
            opts,
            step: Step::Detect,
            skipped: Vec::new(),
            reruns: 0,
            started_at: now,
            now,
            width: 80,
            height: 24,
            overlay: None,
            why_open,
            why_scroll: 0,
            done_scroll: 0,
            detect_scroll: 0,
            run_scroll: 0,
            scroll_limits: None,
            picker: None,
            preflight: None,
            agent_dir: None,
            next_run: 1,
            detect: Job::Idle,
            acknowledged: false,
            start_type: Job::Idle,
            lab_start: Job::Idle,
            original_start_type: None,
            collect: Collect::default(),
            final_collect: Collect::default(),
            run: RunState::default(),
            run_output: LogPane::new(Source::Output),
            follow_run: None,
            panes: PANE_SOURCES.map(LogPane::new),
            focused_pane: 0,
            timeline,
            stall: None,
            service: None,
            instance: None,
            lock_retries: None,
            warning: None,
            ending: None,
            journal: Vec::new(),
            acts: Vec::new(),
            notice: None,
            dirty: true,
            quitting: false,
            start_course: false,
        }
    }

    /// A fresh run id.
    pub fn new_run(&mut self) -> RunId {
        let r = self.next_run;
        self.next_run += 1;
        r
    }

    pub fn report(&self) -> Option<&DetectReport> {
        self.detect.done().map(|b| b.as_ref())
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.report().map(|r| r.verdict)
    }

    /// The MID's name for the header.
    pub fn mid_name(&self) -> Option<&str> {
        self.report().and_then(|r| r.mid_name.as_deref())
    }

    pub fn elapsed_secs(&self) -> i64 {
        (self.now - self.started_at).num_seconds().max(0)
    }

    /// Whether `step` was passed over.
    pub fn is_skipped(&self, step: Step) -> bool {
        self.skipped.contains(&step)
    }

    /// Mark steps as passed over.
    pub fn skip(&mut self, steps: &[Step]) {
        for s in steps {
            if !self.skipped.contains(s) {
                self.skipped.push(*s);
            }
        }
    }

    /// Whether the recovery command was started (it keeps running if we quit).
    pub fn upgrade_started(&self) -> bool {
        self.run.run.is_some()
    }

    /// The bundle to point to in the summary: the final one if built, else the first.
    pub fn latest_bundle(&self) -> Option<&BundleInfo> {
        self.final_collect
            .job
            .done()
            .or_else(|| self.collect.job.done())
    }
}
