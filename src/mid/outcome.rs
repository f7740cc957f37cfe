//! How a recovery ended, in one vocabulary for `resume`, the wizard, the journal and the bundle.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryOutcome {
    /// The MID is Up on the target version after the re-run.
    Recovered,
    /// The re-run failed again (or could not start).
    Failed,
    /// Not Up within the time limit; the upgrade may still be running.
    TimedOut,
    /// midrescue would not run anything here (the reason says why).
    Refused,
    /// The operator said no; nothing ran.
    Declined,
    /// `--dry-run`: the plan was shown, nothing ran.
    DryRun,
}

impl RecoveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryOutcome::Recovered => "recovered",
            RecoveryOutcome::Failed => "failed",
            RecoveryOutcome::TimedOut => "timed_out",
            RecoveryOutcome::Refused => "refused",
            RecoveryOutcome::Declined => "declined",
            RecoveryOutcome::DryRun => "dry_run",
        }
    }

    /// Whether a command ran for this outcome (so "re-run" words apply).
    pub fn ran(self) -> bool {
        matches!(
            self,
            RecoveryOutcome::Recovered | RecoveryOutcome::Failed | RecoveryOutcome::TimedOut
        )
    }

    /// Exit status of a command-line run: only success and a dry run are 0.
    pub fn is_success(self) -> bool {
        matches!(self, RecoveryOutcome::Recovered | RecoveryOutcome::DryRun)
    }
}

impl std::fmt::Display for RecoveryOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
