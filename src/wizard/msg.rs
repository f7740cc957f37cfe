//! Messages: everything that can happen to the wizard, from keys to finished work.

use std::path::PathBuf;

use crate::mid::milestones::{Milestone, Source};
use crate::mid::report::DetectReport;
use crate::platform::service::{ServiceState, StartType};
use crate::recovery::{InstanceAnswer, RunReport};

use super::{RunId, Timestamp};

/// A key press, reduced to what the wizard distinguishes (the runtime maps crossterm events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    /// Ctrl-C while the UI is up (raw mode turns it into a key).
    CtrlC,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(Key),
    Resize {
        width: u16,
        height: u16,
    },
    /// What the frame just drawn measured (sent by the runtime after drawing).
    ScrollLimits(super::model::ScrollLimits),
    /// The clock, about once a second; also sent just before each key so journal times are exact.
    Tick(Timestamp),
    /// SIGTERM / SIGHUP: leave now (the upgrade, if any, keeps running on its own).
    Terminate,
    DetectDone {
        run: RunId,
        result: Result<Box<DetectReport>, String>,
    },
    PreflightDone {
        run: RunId,
        result: Result<Box<crate::preflight::PreflightReport>, String>,
    },
    StartTypeSet {
        run: RunId,
        result: Result<StartType, String>,
    },
    /// LAB ONLY: the lab's MID service was started: what it destroyed, or why the lab refused.
    LabServiceStarted {
        run: RunId,
        result: Result<String, String>,
    },
    CollectProgress {
        run: RunId,
        progress: CollectProgress,
    },
    CollectDone {
        run: RunId,
        result: Result<BundleInfo, String>,
    },
    RunPlanned {
        run: RunId,
        result: Result<PlanInfo, String>,
    },
    /// What the engine offers when the script cannot be executed as it is (sent with the plan's
    /// run id, before `RunPlanned`).
    ScriptFix {
        run: RunId,
        fix: Option<crate::recovery::fix::ScriptFix>,
    },
    /// The confirmed `chmod +x` ended (the new mode, or why not).
    ChmodDone {
        run: RunId,
        result: Result<String, String>,
    },
    RunStarted {
        run: RunId,
        pid: Option<u32>,
    },
    /// A line the script printed (captured through its tee file).
    RunOutput {
        run: RunId,
        line: String,
    },
    RunExited {
        run: RunId,
        outcome: RunOutcome,
    },
    /// The script said its upgrade service is not installed: the engine offers the wrapper
    /// fallback (nothing runs until the operator confirms it).
    FallbackOffered {
        run: RunId,
        line: String,
        plan: PlanInfo,
    },
    FollowBatch {
        run: RunId,
        source: Source,
        lines: Vec<String>,
        /// The follower's note (missing, rotated, truncated), if it has one now.
        note: Option<String>,
    },
    Milestone {
        run: RunId,
        event: MilestoneEvent,
    },
    /// The engine's verdict on the run: recovered, failed or timed out.
    RecoveryEnded {
        run: RunId,
        report: Box<RunReport>,
    },
    /// The MID service's state, as the engine probed it.
    ProbeResult {
        run: RunId,
        service: ServiceState,
    },
    /// The instance's answer, as the engine asked it.
    InstanceResult {
        run: RunId,
        result: Result<InstanceAnswer, String>,
    },
}

/// Where a bundle build stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectProgress {
    pub files_done: u64,
    pub files_total: Option<u64>,
    pub bytes_done: u64,
    /// Planned bytes (the bar follows bytes when known, so it moves inside a big file).
    pub bytes_total: Option<u64>,
    pub current: Option<String>,
}

/// A finished bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub files: u64,
    pub redactions: u64,
    pub truncated: u64,
    /// Files that could not be read, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Exactly what will run, for the operator to read before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInfo {
    pub kind: crate::recovery::RunKind,
    pub command: String,
    pub folder: PathBuf,
    pub user: String,
    pub needs_root: bool,
    /// Where the script's output is captured.
    pub tee_path: PathBuf,
    /// Expected duration in plain words, e.g. "3 to 10 minutes".
    pub expected: String,
    /// In a lab, the command a real host would run (the lab runs its simulator instead).
    pub real_host_command: Option<String>,
}

impl From<&crate::recovery::RunPlan> for PlanInfo {
    fn from(plan: &crate::recovery::RunPlan) -> Self {
        PlanInfo {
            kind: plan.kind,
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The command exited (the upgrade it started runs on, detached).
    Exited { code: Option<i32> },
    /// Could not be started at all.
    SpawnFailed { error: String },
}

/// What the milestone watch saw, as the Watch screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneEvent {
    Reached {
        id: Milestone,
        at: Timestamp,
        evidence: Option<String>,
    },
    /// A file is locked; the upgrade retries (shown live, not only after a stall).
    LockRetry { count: u32, line: String },
    /// No log line for a while.
    Stall { since: Timestamp, quiet_secs: u64 },
    /// Lines flow again after a stall.
    StallCleared,
    /// Worth showing, not fatal.
    Warning(String),
}
