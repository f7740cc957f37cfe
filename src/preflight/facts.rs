//! What the preflight asks the host. `host::Host` answers for a real host and for a lab (whose
//! service is simulated but whose processes, files, mounts and disks are real).

use std::path::{Path, PathBuf};

use crate::platform::Platform;
use crate::platform::access::Account;
use crate::platform::holders::HolderScan;
use crate::platform::mounts::Mount;
use crate::platform::service::ServiceControl;

pub trait Facts {
    /// The OS family of the install.
    fn platform(&self) -> Platform;
    /// The MID service's control (status, start type, setup).
    fn service(&self) -> &dyn ServiceControl;
    /// Files open under `roots`, by any process but this one.
    fn open_files(&self, roots: &[PathBuf]) -> HolderScan;
    /// The MID's own processes (wrapper, JVM) that may hold its files: left out of the lock check.
    fn mid_processes(&self, agent_dir: &Path) -> Vec<u32>;
    /// The parent of a process, to tell the MID's children from strangers.
    fn parent_of(&self, pid: u32) -> Option<u32>;
    /// The mount table, `None` where the host has none to read (Windows).
    fn mounts(&self) -> Option<Vec<Mount>>;
    /// Bytes free for an unprivileged writer on the volume of `path`.
    fn free_bytes(&self, path: &Path) -> Option<u64>;
    /// An account of this host by name.
    fn account(&self, name: &str) -> Option<Account>;
    /// The owner of `path` as an account name (Unix), for "the install's owner".
    fn owner_name(&self, path: &Path) -> Option<String>;
    /// Other MID installs on this host (or in this lab), not `agent_dir` itself.
    fn other_installs(&self, agent_dir: &Path) -> Vec<PathBuf>;
    /// The OS temp folder a pre-Rome upgrade extracts into (`java.io.tmpdir`).
    fn os_temp_dir(&self) -> PathBuf;
    /// Windows: members of the local Administrators group, `None` when unknown.
    fn administrators(&self) -> Option<Vec<String>>;
}
