//! The preflight: read-only checks before an instance upgrade triggers the MID's auto-upgrade,
//! each with its evidence, its KB reference and its fix. One engine for `midrescue preflight`,
//! its JSON and the wizard's Preflight screen. It reads the install and asks the host through
//! `Facts` (open files, mounts, free space, accounts, the service's setup), never changes a
//! thing, and never runs a file of the install.

mod checks;
pub mod facts;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::mid::report::Evidence;
use crate::platform::Platform;

pub use facts::Facts;

/// Version of the `preflight --json` schema (README "preflight --json").
pub const SCHEMA_VERSION: u32 = 1;

/// A check's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Does not apply here (a Linux-only check on Windows).
    Skip,
    Pass,
    /// A risk, or the check could not look (the message says which).
    Warn,
    /// This would break the upgrade, or already did.
    Fail,
}

crate::platform::display_as_json_name!(Status);

/// The checks, in report order. Their JSON names are stable (fleet reports key on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    FilesHeldOpen,
    TempFolderWritable,
    TempMountExec,
    TempFreeSpace,
    ServiceUserRights,
    ServiceStartType,
    SystemdKillMode,
    WrapperServiceName,
    MidNameUnique,
    PinnedVersion,
    PrecheckDisabled,
    IncomingPackages,
    ScriptsTrusted,
    LeftoverUpgrade,
}

crate::platform::display_as_json_name!(CheckId);

impl CheckId {
    pub const ALL: [CheckId; 14] = [
        CheckId::FilesHeldOpen,
        CheckId::TempFolderWritable,
        CheckId::TempMountExec,
        CheckId::TempFreeSpace,
        CheckId::ServiceUserRights,
        CheckId::ServiceStartType,
        CheckId::SystemdKillMode,
        CheckId::WrapperServiceName,
        CheckId::MidNameUnique,
        CheckId::PinnedVersion,
        CheckId::PrecheckDisabled,
        CheckId::IncomingPackages,
        CheckId::ScriptsTrusted,
        CheckId::LeftoverUpgrade,
    ];

    /// What the check asks, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::FilesHeldOpen => "No other process holds files in bin, lib or jre",
            CheckId::TempFolderWritable => "Upgrade temp folder writable by the service user",
            CheckId::TempMountExec => "Upgrade temp folder not on a noexec mount",
            CheckId::TempFreeSpace => "Free space for the upgrade (3x agent/)",
            CheckId::ServiceUserRights => "Service user can replace the install's files",
            CheckId::ServiceStartType => "Service starts automatically",
            CheckId::SystemdKillMode => "systemd KillMode=process",
            CheckId::WrapperServiceName => "wrapper.name matches the installed service",
            CheckId::MidNameUnique => "No other install shares the MID name",
            CheckId::PinnedVersion => "MID not pinned to a version",
            CheckId::PrecheckDisabled => "Pre-upgrade check enabled",
            CheckId::IncomingPackages => "Packages in package/incoming",
            CheckId::ScriptsTrusted => "Scripts executable and safely owned",
            CheckId::LeftoverUpgrade => "Nothing left from an earlier upgrade",
        }
    }

    /// Where the rule comes from.
    pub fn reference(self) -> &'static str {
        match self {
            CheckId::FilesHeldOpen => "KB0779852, KB0749292 (locked files stop the upgrade)",
            CheckId::TempFolderWritable | CheckId::TempFreeSpace => {
                "KB0779816, MID Server upgrade docs (temp folder location)"
            }
            CheckId::TempMountExec => "KB0690910",
            CheckId::ServiceUserRights => {
                "KB0779816 (pre-Orlando upgrade needs Administrators), MID pre-upgrade check docs"
            }
            CheckId::ServiceStartType => "KB0792621",
            CheckId::SystemdKillMode => "KB0870356",
            CheckId::WrapperServiceName => "KB0715632",
            CheckId::MidNameUnique => "KB0784389",
            CheckId::PinnedVersion => "MID Server upgrade docs (mid.pinned.version)",
            CheckId::PrecheckDisabled => "KB0565184, MID pre-upgrade check docs",
            CheckId::IncomingPackages => "KB0565184",
            CheckId::ScriptsTrusted => "KB0690910; midrescue trust rules",
            CheckId::LeftoverUpgrade => "KB0779816, KB0784389",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub title: &'static str,
    pub status: Status,
    /// What was found, in plain words.
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub reference: &'static str,
    /// What to do (empty when nothing is to be done).
    pub fix: String,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// The preflight of one install (`preflight --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightReport {
    pub schema_version: u32,
    pub kind: &'static str,
    #[serde(serialize_with = "crate::mid::report::lossy_path::one")]
    pub agent_dir: PathBuf,
    pub platform: Platform,
    pub mid_name: Option<String>,
    pub installed_version: Option<String>,
    /// The version the instance will assign, when given (`--target-version`).
    pub target_version: Option<String>,
    /// The worst status of all checks (`pass` when all passed or were skipped).
    pub result: Status,
    pub summary: Summary,
    pub checks: Vec<CheckResult>,
}

impl PreflightReport {
    /// The exit code of `midrescue preflight`: 0 all pass, 1 warnings, 3 failures.
    pub fn exit_code(&self) -> u8 {
        match self.result {
            Status::Skip | Status::Pass => 0,
            Status::Warn => 1,
            Status::Fail => 3,
        }
    }

    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// What the caller knows beyond the install.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The version the instance will assign (buildstamp), if known.
    pub target_version: Option<String>,
}

/// Run every check on the install in `agent_dir` (read-only).
pub fn run(agent_dir: &Path, facts: &dyn Facts, opts: &Options) -> PreflightReport {
    let ctx = checks::Context::read(agent_dir, facts, opts);
    let checks: Vec<CheckResult> = CheckId::ALL
        .iter()
        .map(|&id| checks::run_one(id, &ctx).finish(id))
        .collect();
    report_of(
        agent_dir,
        facts.platform(),
        ctx.config.name.clone(),
        ctx.installed.clone(),
        opts.target_version.clone(),
        checks,
    )
}

/// A check's answer before it is named (`checks` builds these).
pub(crate) struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub fix: String,
}

impl Outcome {
    fn finish(self, id: CheckId) -> CheckResult {
        CheckResult::new(id, self.status, &self.message, self.evidence, &self.fix)
    }
}

impl CheckResult {
    /// A result with its texts sanitised and secrets masked (they come from the disk and from
    /// command output).
    pub fn new(
        id: CheckId,
        status: Status,
        message: &str,
        evidence: Vec<Evidence>,
        fix: &str,
    ) -> CheckResult {
        let clean = |s: &str| crate::sanitize::text(&crate::redact::redact_str(s));
        CheckResult {
            id,
            title: id.title(),
            status,
            message: clean(message),
            evidence: evidence
                .into_iter()
                .map(|e| Evidence {
                    file: e.file,
                    line: e.line,
                    text: clean(&e.text),
                })
                .collect(),
            reference: id.reference(),
            fix: clean(fix),
        }
    }
}

/// The report of a finished set of checks (the engine's `run`, and fixtures).
pub fn report_of(
    agent_dir: &Path,
    platform: Platform,
    mid_name: Option<String>,
    installed_version: Option<String>,
    target_version: Option<String>,
    checks: Vec<CheckResult>,
) -> PreflightReport {
    let mut summary = Summary::default();
    for c in &checks {
        match c.status {
            Status::Pass => summary.pass += 1,
            Status::Warn => summary.warn += 1,
            Status::Fail => summary.fail += 1,
            Status::Skip => summary.skip += 1,
        }
    }
    let result = checks
        .iter()
        .map(|c| c.status)
        .max()
        .map(|s| if s == Status::Skip { Status::Pass } else { s })
        .unwrap_or(Status::Pass);
    PreflightReport {
        schema_version: SCHEMA_VERSION,
        kind: "preflight",
        agent_dir: agent_dir.to_path_buf(),
        platform,
        mid_name,
        installed_version,
        target_version,
        result,
        summary,
        checks,
    }
}
