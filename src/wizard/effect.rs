//! Effects: the work `update()` asks the runtime to do. Each carries the run id its result
//! must come back with.

use std::path::PathBuf;

use crate::platform::service::StartType;

use super::model::Step;
use super::{RunId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Diagnose the install (read-only) → `Msg::DetectDone`.
    Detect { run: RunId, agent_dir: PathBuf },
    /// Run the pre-upgrade checks (read-only) → `Msg::PreflightDone`.
    Preflight { run: RunId, agent_dir: PathBuf },
    /// Change the MID service's start type (confirmed by the operator) → `Msg::StartTypeSet`.
    SetStartType { run: RunId, start_type: StartType },
    /// LAB ONLY: start the lab's MID service as the real one would start (confirmed by the
    /// trainee) → `Msg::LabServiceStarted`.
    LabStartService { run: RunId },
    /// Build a support bundle → `Msg::CollectProgress`…, `Msg::CollectDone`. The final bundle
    /// also holds the re-run's output and the journal.
    Collect { run: RunId, final_bundle: bool },
    /// Work out exactly what would run (nothing runs) → `Msg::RunPlanned`.
    PlanRun { run: RunId, fallback: bool },
    /// `chmod +x` on the proven upgrade script (confirmed by the operator) → `Msg::ChmodDone`.
    MakeExecutable { run: RunId },
    /// Start the planned command detached (the engine attaches to the logs first; for the
    /// fallback, the engine's offer is accepted) → `Msg::RunStarted`, `Msg::RunOutput`…,
    /// `Msg::RunExited`, and the engine's events below.
    Run { run: RunId, fallback: bool },
    /// The operator declined the offered wrapper fallback → `Msg::RecoveryEnded` (failed).
    DeclineFallback { run: RunId },
    /// Watch without running anything (an upgrade already runs) → `Msg::FollowBatch`…,
    /// `Msg::Milestone`…, `Msg::ProbeResult`…, `Msg::InstanceResult`…, `Msg::RecoveryEnded`.
    StartFollow { run: RunId },
    /// Put the text on the operator's clipboard (OSC 52).
    Copy(String),
    /// Append to the journal file (which goes into the final bundle).
    WriteJournal(JournalEntry),
    /// Leave: restore the terminal and print the summary.
    Quit,
}

/// One operator action or decision, timestamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub at: Timestamp,
    pub step: Step,
    pub text: String,
}

impl JournalEntry {
    /// One line for the journal file.
    pub fn to_line(&self) -> String {
        format!(
            "{} [{}] {}",
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.step.title(),
            self.text
        )
    }
}
