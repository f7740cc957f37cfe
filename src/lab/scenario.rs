//! The scenario table: every training lab is one row here, built by one generator (`build`).

use crate::mid::report::{FindingCode, Verdict};
use crate::platform::Platform;

/// The MID release family the lab imitates: decides the agent log format, the temp folder
/// location and how the Distribution Upgrade replaces files (mid-server.md §4.2, §5.1, §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// New York to Orlando: OS temp folder `<13 digits>-0`, delete everything then copy,
    /// legacy agent log lines.
    PreRome,
    /// San Diego to Tokyo: `agent/work/upgrade_temp/<n>`, replace only changed files, legacy lines.
    RomeLegacyLog,
    /// Washington DC to Yokohama: as Rome, ISO-8601 agent log lines.
    RomeIsoLog,
}

impl Era {
    /// (installed, target) buildstamps, in the §5.5 grammar.
    pub fn versions(self) -> (&'static str, &'static str) {
        match self {
            Era::PreRome => (
                "newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701",
                "orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701",
            ),
            Era::RomeLegacyLog => (
                "sandiego-12-22-2021__patch9a-hotfix1-01-31-2023_02-01-2023_1625",
                "tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048",
            ),
            Era::RomeIsoLog => (
                "washingtondc-12-20-2023__patch1-02-28-2024_03-09-2024_0815",
                "yokohama-12-18-2024__patch12-hotfix2b-05-18-2026_06-19-2026_0219",
            ),
        }
    }

    pub fn iso_agent_log(self) -> bool {
        self == Era::RomeIsoLog
    }

    pub fn os_temp(self) -> bool {
        self == Era::PreRome
    }

    /// (old, new) JRE versions written to `jre/release`.
    pub fn jre_versions(self) -> (&'static str, &'static str) {
        match self {
            Era::PreRome => ("1.8.0_222", "1.8.0_231"),
            Era::RomeLegacyLog => ("11.0.16", "11.0.17"),
            Era::RomeIsoLog => ("17.0.10", "17.0.15"),
        }
    }
}

/// Where the lab's story stops when `lab create` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The Distribution Upgrade died; nobody touched anything since.
    Crashed,
    /// Crashed, then the host rebooted: the OS temp folder was wiped and the boot started the
    /// MID service, whose JVM could not even load (KB0792621's warning about reboots).
    TempLost,
    /// The Distribution Upgrade runs right now (`lab create` starts the simulator).
    InProgress,
    /// An earlier upgrade went fine and the MID process runs (`lab create` starts it).
    Healthy,
}

/// What went wrong in the first (crashed) run. Paths are relative to `agent/` and name files
/// of the lab's build lists (`files::build_files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    None,
    /// A file under `agent/` stays locked ("being used by another process") until the timeout.
    Locked(&'static str),
    /// Writing this file fails with `(Access is denied)` (antivirus, KB0779852).
    AccessDenied(&'static str),
    /// `Unable to delete directory .../jre/bin.` (KB0779852).
    JreDelete,
    /// The MID could not run the script: `Permission denied` (KB0690910).
    ScriptNotExecutable,
    /// KB0784389: another MID of the same name holds the upgrade service; this MID's upgrade
    /// could not install its own, so it stopped without replacing anything.
    ServiceConflict,
}

/// What happens when the trainee re-runs the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rerun {
    Succeeds,
    /// The lock is still there: the re-run fails again with new lines.
    FailsAgain,
    /// Windows: the script prints only "service is not installed"; the wrapper fallback works.
    WrapperOnly,
    /// KB0784389: the other MID of the same name still holds the upgrade service, so a re-run
    /// hits the same refusal. The way out is a unique name, not a re-run.
    SameConflict,
}

/// One training scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub summary: &'static str,
    pub platform: Platform,
    pub era: Era,
    pub stage: Stage,
    pub crash: Crash,
    pub rerun: Rerun,
    /// Whether a loopback instance stand-in answers the `ecc_agent` Table API query.
    pub instance: bool,
    /// What `detect` must say on a fresh lab.
    pub verdict: Verdict,
    /// Findings `detect` must report on a fresh lab (it may report more).
    pub findings: &'static [FindingCode],
}

use Crash::*;
use FindingCode as F;

static SCENARIOS: [Scenario; 11] = [
    Scenario {
        name: "file-lock-timeout",
        summary: "Linux, Rome+ temp folder: a jar stayed locked until the upgrade timed out; a re-run succeeds.",
        platform: Platform::Linux,
        era: Era::RomeIsoLog,
        stage: Stage::Crashed,
        crash: Locked("lib/commons-io.jar"),
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::FileLocked],
    },
    Scenario {
        name: "antivirus-access-denied",
        summary: "Windows: antivirus blocked the new wrapper exe (Access is denied); a re-run succeeds.",
        platform: Platform::Windows,
        era: Era::RomeLegacyLog,
        stage: Stage::Crashed,
        crash: AccessDenied("bin/wrapper-windows-x86-64.exe"),
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::AccessDenied],
    },
    Scenario {
        name: "service-not-installed",
        summary: "Windows: the script only says the upgrade service is not installed; the wrapper fallback works.",
        platform: Platform::Windows,
        era: Era::RomeIsoLog,
        stage: Stage::Crashed,
        crash: Locked("lib/mid.jar"),
        rerun: Rerun::WrapperOnly,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::FileLocked],
    },
    Scenario {
        name: "pre-rome-os-temp",
        summary: "Linux, pre-Rome: the temp folder sits in the OS temp (<13 digits>-0), found only via the marker.",
        platform: Platform::Linux,
        era: Era::PreRome,
        stage: Stage::Crashed,
        crash: JreDelete,
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::JreDeleteFailed],
    },
    Scenario {
        name: "half-deleted-lib",
        summary: "Windows, pre-Rome: the upgrade died while deleting agent/lib, which is mostly gone.",
        platform: Platform::Windows,
        era: Era::PreRome,
        stage: Stage::Crashed,
        crash: Locked("lib/snc-discovery.jar"),
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::LibIncomplete, F::FileLocked],
    },
    Scenario {
        name: "rerun-fails-again",
        summary: "Windows: a process keeps mid.jar locked; the re-run fails again with new log lines.",
        platform: Platform::Windows,
        era: Era::RomeLegacyLog,
        stage: Stage::Crashed,
        crash: Locked("lib/mid.jar"),
        rerun: Rerun::FailsAgain,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::FileLocked],
    },
    Scenario {
        name: "script-not-executable",
        summary: "Linux: the MID could not run glide-dist-upgrade.sh (no exec bit): Permission denied.",
        platform: Platform::Linux,
        era: Era::RomeLegacyLog,
        stage: Stage::Crashed,
        crash: ScriptNotExecutable,
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::CrashedUpgrade,
        findings: &[F::ScriptNotExecutable],
    },
    Scenario {
        name: "temp-folder-lost",
        summary: "Linux, pre-Rome: a reboot wiped the temp folder and auto-started the broken MID service.",
        platform: Platform::Linux,
        era: Era::PreRome,
        stage: Stage::TempLost,
        crash: Locked("lib/xercesImpl.jar"),
        rerun: Rerun::Succeeds,
        instance: false,
        verdict: Verdict::TempFolderLost,
        findings: &[F::TempFolderMissing, F::LibIncomplete],
    },
    Scenario {
        name: "upgrade-in-progress",
        summary: "Linux: the Distribution Upgrade is running right now; wait, do not re-run it.",
        platform: Platform::Linux,
        era: Era::RomeIsoLog,
        stage: Stage::InProgress,
        crash: Crash::None,
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::UpgradeInProgress,
        findings: &[F::UpgradeProcessRunning],
    },
    Scenario {
        name: "upgrade-service-conflict",
        summary: "Windows, pre-Orlando: another MID of the same name holds the upgrade service; nothing was replaced. Read before you reinstall.",
        platform: Platform::Windows,
        era: Era::PreRome,
        stage: Stage::Crashed,
        crash: ServiceConflict,
        rerun: Rerun::SameConflict,
        instance: true,
        verdict: Verdict::Stopped,
        findings: &[F::UpgradeServiceConflict],
    },
    Scenario {
        name: "healthy",
        summary: "Linux: an earlier upgrade went fine and the MID runs; nothing to recover.",
        platform: Platform::Linux,
        era: Era::RomeIsoLog,
        stage: Stage::Healthy,
        crash: Crash::None,
        rerun: Rerun::Succeeds,
        instance: true,
        verdict: Verdict::Healthy,
        findings: &[],
    },
];

/// All scenarios, in `lab list` order.
pub fn scenarios() -> &'static [Scenario] {
    &SCENARIOS
}

/// The scenario called `name`.
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// The training text of a scenario (markdown shipped under `assets/lab/`), empty if unknown.
pub fn training_text(name: &str) -> &'static str {
    match name {
        "file-lock-timeout" => include_str!("../../assets/lab/file-lock-timeout.md"),
        "antivirus-access-denied" => include_str!("../../assets/lab/antivirus-access-denied.md"),
        "service-not-installed" => include_str!("../../assets/lab/service-not-installed.md"),
        "pre-rome-os-temp" => include_str!("../../assets/lab/pre-rome-os-temp.md"),
        "half-deleted-lib" => include_str!("../../assets/lab/half-deleted-lib.md"),
        "rerun-fails-again" => include_str!("../../assets/lab/rerun-fails-again.md"),
        "script-not-executable" => include_str!("../../assets/lab/script-not-executable.md"),
        "temp-folder-lost" => include_str!("../../assets/lab/temp-folder-lost.md"),
        "upgrade-in-progress" => include_str!("../../assets/lab/upgrade-in-progress.md"),
        "upgrade-service-conflict" => include_str!("../../assets/lab/upgrade-service-conflict.md"),
        "healthy" => include_str!("../../assets/lab/healthy.md"),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_has_a_training_text_and_unique_name() {
        let mut names: Vec<_> = scenarios().iter().map(|s| s.name).collect();
        for n in &names {
            assert!(
                training_text(n).starts_with("# "),
                "{n} has no training text"
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), scenarios().len());
    }
}
