//! The training lab: realistic crashed MID installs, the simulated Distribution Upgrade, the
//! simulated MID process and instance. Never touches anything outside the lab folder.

use std::path::{Path, PathBuf};

/// The one small file at a lab's root that records its platform and state. Its presence makes
/// detect and the wizard use the lab's service control instead of the host's.
pub const LAB_FILE: &str = "midrescue-lab.json";

/// The lab root for an `agent` folder (its parent) when that folder is a lab.
pub fn find_lab_root(agent_dir: &Path) -> Option<PathBuf> {
    let root = agent_dir.parent()?;
    root.join(LAB_FILE).is_file().then(|| root.to_path_buf())
}

use crate::platform::Platform;
use crate::platform::exec::CommandSpec;
use crate::platform::service::ServiceControl;

/// What the lab file records (the lab module may add fields; readers ignore unknown ones).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabInfo {
    pub scenario: String,
    pub platform: Platform,
}

/// Read the lab file at `lab_root`.
pub fn read_lab_info(lab_root: &Path) -> anyhow::Result<LabInfo> {
    let text = std::fs::read_to_string(lab_root.join(LAB_FILE))?;
    Ok(serde_json::from_str(&text)?)
}

/// The lab's simulated service control (reports the lab MID process's real state).
pub fn service_control(lab_root: &Path) -> anyhow::Result<Box<dyn ServiceControl>> {
    anyhow::bail!(
        "the lab at {} has no service control yet",
        lab_root.display()
    )
}

/// What the runner starts instead of `cmd.exe /C glide-dist-upgrade.bat start` or the wrapper
/// `.exe` when the install is a lab (so Windows-layout labs run on Linux hosts too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimTarget {
    /// `upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat} start`.
    Script,
    /// `upgrade-wrapper/bin/wrapper-windows-x86-64.exe -c ..\conf\wrapper.conf`.
    WrapperExe,
}

/// The command that runs the lab's simulator for `target`, or `None` when `lab_root` is no lab.
pub fn simulator_command(lab_root: &Path, target: SimTarget) -> Option<CommandSpec> {
    let _ = (lab_root, target);
    None
}
