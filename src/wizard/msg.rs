//! Messages: everything that can happen to the wizard, from keys to finished work.

use std::path::PathBuf;

use crate::mid::report::DetectReport;
use crate::platform::service::{ServiceState, StartType};

use super::pane::LogSource;
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
    /// The clock, about once a second; also sent just before each key so journal times are exact.
    Tick(Timestamp),
    /// SIGTERM / SIGHUP: leave now (the upgrade, if any, keeps running on its own).
    Terminate,
    DetectDone {
        run: RunId,
        result: Result<Box<DetectReport>, String>,
    },
    StartTypeSet {
        run: RunId,
        result: Result<StartType, String>,
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
    FollowBatch {
        run: RunId,
        source: LogSource,
        lines: Vec<String>,
        /// The follower's note (missing, rotated, truncated), if it has one now.
        note: Option<String>,
    },
    Milestone {
        run: RunId,
        event: MilestoneEvent,
    },
    ProbeResult {
        run: RunId,
        service: ServiceState,
    },
    InstanceResult {
        run: RunId,
        result: Result<InstanceStatus, String>,
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

/// Which recovery command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    /// `upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat} start`.
    Script,
    /// `wrapper-windows-x86-64.exe -c ..\conf\wrapper.conf` (when the script says the upgrade
    /// service is not installed).
    WrapperFallback,
}

/// Exactly what will run, for the operator to read before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInfo {
    pub kind: PlanKind,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The command exited (the upgrade it started runs on, detached).
    Exited { code: Option<i32> },
    /// The script said "service is not installed": the wrapper fallback applies.
    NeedsFallback { line: String },
    /// Could not be started at all.
    SpawnFailed { error: String },
}

/// The steps of the timeline on the Watch screen, in the order they usually happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneId {
    ScriptStarted,
    UpgradeWorking,
    ServiceRunning,
    MidStarted,
    Connected,
    VersionMatches,
    InstanceUp,
}

impl MilestoneId {
    pub const ALL: [MilestoneId; 7] = [
        MilestoneId::ScriptStarted,
        MilestoneId::UpgradeWorking,
        MilestoneId::ServiceRunning,
        MilestoneId::MidStarted,
        MilestoneId::Connected,
        MilestoneId::VersionMatches,
        MilestoneId::InstanceUp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MilestoneId::ScriptStarted => "Upgrade re-run started",
            MilestoneId::UpgradeWorking => "Upgrade copying files",
            MilestoneId::ServiceRunning => "MID service running",
            MilestoneId::MidStarted => "MID Server started",
            MilestoneId::Connected => "Connected to instance",
            MilestoneId::VersionMatches => "Running the new version",
            MilestoneId::InstanceUp => "Instance says Up",
        }
    }
}

/// What the milestone tracker concluded from the followed logs and probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneEvent {
    Reached {
        id: MilestoneId,
        at: Timestamp,
        evidence: Option<String>,
    },
    /// The MID is Up: every required signal is in.
    Up {
        at: Timestamp,
        evidence: Vec<String>,
    },
    /// The upgrade failed again.
    Failed {
        at: Timestamp,
        reason: String,
        evidence: Vec<String>,
    },
    /// No log line for a while.
    Stall { since: Timestamp, quiet_secs: u64 },
    /// Lines flow again after a stall.
    StallCleared,
}

/// The instance's view of the MID (read-only ecc_agent query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceStatus {
    pub status: String,
    pub version: Option<String>,
    pub validated: Option<bool>,
}
