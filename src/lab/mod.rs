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
