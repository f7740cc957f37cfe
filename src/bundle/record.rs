//! The `recovery.json` record of a final bundle: how the re-run ended, in the words `resume` and
//! the wizard use.

use serde::Serialize;

use crate::mid::milestones::Milestone;
use crate::mid::outcome::RecoveryOutcome;

/// Version of `recovery.json`.
pub const RECOVERY_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveryRecord {
    pub schema_version: u32,
    pub outcome: RecoveryOutcome,
    pub reason: String,
    pub next_step: Option<String>,
    /// Milestones reached, in order.
    pub milestones: Vec<Milestone>,
    pub fallback_used: bool,
    pub lock_retries: u32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub ended_at: chrono::DateTime<chrono::Utc>,
    /// Inside the zip: the re-run's captured output and the upgrade log as read during the run.
    pub files: Vec<String>,
}
