//! The `detect` report: the schema of `midrescue detect --json` (schema_version 1), also
//! written as `diagnosis.json` into every support bundle. Documented in README "detect --json".

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::platform::service::{ServiceState, StartType};

pub const SCHEMA_VERSION: u32 = 1;

/// Paths written as text even when they are not valid Unicode (a Latin-1 folder name on
/// Linux): serde would refuse the whole report; U+FFFD stands in for the bad bytes.
pub(crate) mod lossy_path {
    use std::path::{Path, PathBuf};

    use serde::Serializer;

    pub fn one<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string_lossy())
    }

    pub fn opt<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_str(&p.to_string_lossy()),
            None => s.serialize_none(),
        }
    }

    pub fn many<S: Serializer>(v: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|p| p.to_string_lossy()))
    }
}

/// Everything detect found out about one MID install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectReport {
    pub schema_version: u32,
    /// Absolute path of the `agent` folder.
    #[serde(serialize_with = "lossy_path::one")]
    pub agent_dir: PathBuf,
    pub platform: Platform,
    pub mid_name: Option<String>,
    pub instance_url: Option<String>,
    /// Buildstamp from `package/meta/mid-core.meta.properties`.
    pub installed_version: Option<String>,
    /// Buildstamp of the upgrade being installed (temp folder or `package/incoming`).
    pub target_version: Option<String>,
    pub service: ServiceReport,
    /// `None` when no upgrade was found.
    pub upgrade: Option<UpgradeReport>,
    pub lib: LibState,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Windows: whether midrescue runs elevated (the upgrade manages services, so Run needs
    /// it); `None` on Linux or when it could not be told. See `advice::elevation_refusal`.
    #[serde(default)]
    pub elevated: Option<bool>,
    /// How the upgrade temp folder in `upgrade.temp_dir` was tied to this install
    /// (`tempdir::attribution`); `None` when there is none.
    #[serde(default)]
    pub temp_dir_attribution: Option<Attribution>,
    /// Upgrade temp folders found by scanning the OS temp folders that nothing ties to this
    /// install: listed, never used (not by detect, not by collect).
    #[serde(default, serialize_with = "lossy_path::many")]
    pub unattributed_temp_dirs: Vec<PathBuf>,
}

/// Why an upgrade temp folder belongs to this install (mid-server.md §5.1; the same rule
/// guards collect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// It sits in this install's own `work/upgrade_temp`.
    ByLocation,
    /// This install's agent log names its exact path (the ``Added marker `...` `` line).
    ByMarker,
    /// A file in it (its `upgrade-wrapper/conf/wrapper.conf`, its upgrade log) names this
    /// install's agent folder: the line that does.
    ByContent(Evidence),
    /// Nothing ties it to this install: not used.
    Unattributed,
}

impl Attribution {
    pub fn is_attributed(&self) -> bool {
        !matches!(self, Attribution::Unattributed)
    }
}

impl DetectReport {
    /// `glide-dist-upgrade.log` of the upgrade: as detect found it, else where the temp folder
    /// would hold it (it may not exist yet when a re-run starts).
    pub fn upgrade_log_path(&self) -> Option<PathBuf> {
        let up = self.upgrade.as_ref()?;
        up.upgrade_log.clone().or_else(|| {
            up.temp_dir.as_ref().map(|t| {
                t.join("upgrade-wrapper")
                    .join("logs")
                    .join("glide-dist-upgrade.log")
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceReport {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub state: ServiceState,
    pub start_type: Option<StartType>,
    /// Whether a Distribution Upgrade process runs right now.
    pub upgrade_process_running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpgradeReport {
    /// Absolute path of the upgrade temp folder, if known.
    #[serde(serialize_with = "lossy_path::opt")]
    pub temp_dir: Option<PathBuf>,
    pub temp_dir_source: Option<TempDirSource>,
    /// The ``Added marker `...` to upgrade marker file.`` line, with its place.
    pub marker_line: Option<Evidence>,
    /// `upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat}` in the temp folder.
    #[serde(serialize_with = "lossy_path::opt")]
    pub script: Option<PathBuf>,
    pub script_exists: bool,
    /// Linux: whether the script has an executable bit (`None` on Windows or when missing).
    pub script_executable: Option<bool>,
    /// `upgrade-wrapper/conf/wrapper.conf`.
    #[serde(serialize_with = "lossy_path::opt")]
    pub wrapper_conf: Option<PathBuf>,
    /// `upgrade-wrapper/bin/wrapper-windows-x86-64.exe` (Windows) when present.
    #[serde(serialize_with = "lossy_path::opt")]
    pub wrapper_exe: Option<PathBuf>,
    /// `upgrade-wrapper/logs/glide-dist-upgrade.log`.
    #[serde(serialize_with = "lossy_path::opt")]
    pub upgrade_log: Option<PathBuf>,
    /// When the upgrade began (the `Stopping MID server. Bootstrapping upgrade.` line), RFC 3339.
    pub started_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TempDirSource {
    Marker,
    Scan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LibState {
    Intact,
    Partial,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// An upgrade began, the MID has not started since, the temp folder and script exist.
    CrashedUpgrade,
    /// As crashed, but the temp folder or script is gone: the re-run path is closed (KB0713557).
    TempFolderLost,
    UpgradeInProgress,
    Healthy,
    /// Down, but not because of an upgrade.
    Stopped,
    NotAMidServer,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::CrashedUpgrade => "crashed_upgrade",
            Verdict::TempFolderLost => "temp_folder_lost",
            Verdict::UpgradeInProgress => "upgrade_in_progress",
            Verdict::Healthy => "healthy",
            Verdict::Stopped => "stopped",
            Verdict::NotAMidServer => "not_a_mid_server",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Stable machine-readable finding codes (see mid-server.md §8 for the signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    FileLocked,
    AccessDenied,
    ApplicationExperience,
    ScriptNotExecutable,
    PrecheckFailed,
    UpgradeFailed,
    DiskSpace,
    MachineShutdown,
    JvmStartTimeout,
    LibIncomplete,
    KillmodeControlGroup,
    ServiceAutoStart,
    WrapperNameMismatch,
    JreDeleteFailed,
    ServiceNotInstalled,
    TempFolderMissing,
    /// The service was started on a half-upgraded install (KB0792621).
    ServiceStartedMidUpgrade,
    UpgradeProcessRunning,
    RootOwnedFiles,
    /// Two MIDs with one name on a host: this one's upgrade could not install its upgrade
    /// service, which the other's holds (KB0784389). Nothing was replaced.
    UpgradeServiceConflict,
    /// The wrapper cannot run the configured Java (wrong-platform ZIP, broken JRE; KB0647664).
    JavaNotRunnable,
    /// config.xml's instance password cannot be decrypted (KB0745202).
    ConfigDecryptFailed,
    /// `Unable to determine upgrade scenario with current=... assigned=...`: an
    /// upgrade/downgrade loop.
    UpgradeScenarioUnknown,
    /// An upgrade process runs on this host that cannot be tied to this install.
    UpgradeProcessUnattributed,
}

/// One thing detect noticed, in plain words, with the lines that prove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// What it means and what to do, in plain words.
    pub message: String,
    pub evidence: Vec<Evidence>,
}

/// A line in a file (line numbers are 1-based; 0 when the evidence is not a line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(serialize_with = "lossy_path::one")]
    pub file: PathBuf,
    pub line: u64,
    pub text: String,
}

use crate::platform::display_as_json_name;

display_as_json_name!(LibState, Verdict, Severity, FindingCode, TempDirSource);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::service::{ServiceState, StartType};

    #[test]
    fn display_matches_the_json_names() {
        assert_eq!(LibState::Partial.to_string(), "partial");
        assert_eq!(FindingCode::FileLocked.to_string(), "file_locked");
        assert_eq!(Verdict::TempFolderLost.to_string(), "temp_folder_lost");
        assert_eq!(ServiceState::NotInstalled.to_string(), "not_installed");
        assert_eq!(StartType::Auto.to_string(), "auto");
    }
}
