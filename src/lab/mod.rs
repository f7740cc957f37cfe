//! The training lab: realistic crashed MID installs, the simulated Distribution Upgrade, the
//! simulated MID process and instance. Never touches anything outside the lab folder.
//!
//! A lab is a folder `<root>` holding `agent/` (the MID install), the lab file
//! [`LAB_FILE`] (platform and live state), `.midrescue-lab/` (lock, diagnostics of the lab's own
//! processes) and, for pre-Rome scenarios, `os-temp/<13 digits>-0` standing in for the OS temp
//! folder. Log lines carry this host's real paths (forward slashes on a Linux host, also for
//! Windows-layout labs) so that the marker and every path in the logs resolve here.

mod build;
mod files;
mod history;
pub mod instance;
pub(crate) mod lines;
pub mod lock_holder;
pub mod mid_process;
pub mod registry;
pub mod scenario;
pub mod service;
pub mod sim;
pub mod state;
mod upgrade;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use scenario::{Crash, Era, Rerun, Scenario, Stage, scenario, scenarios, training_text};

/// The one small file at a lab's root that records its platform and state. In a lab midrescue
/// made (see [`registry`]) it makes detect and the wizard use the lab's service control instead
/// of the host's; anywhere else it is ignored.
pub const LAB_FILE: &str = "midrescue-lab.json";

/// The lab root for an `agent` folder (its parent) when that folder is a lab midrescue made
/// (registered, or named with `--lab`). A planted lab file gives `None`: see
/// [`registry::check_install`] for the reason.
pub fn find_lab_root(agent_dir: &Path) -> Option<PathBuf> {
    match registry::check_install(agent_dir) {
        registry::LabCheck::Lab(root) => Some(root),
        registry::LabCheck::NotALab => None,
        registry::LabCheck::Ignored { lab_file, why } => {
            tracing::warn!(lab_file = %lab_file.display(), "lab file ignored: {why}");
            None
        }
    }
}

use crate::platform::Platform;
use crate::platform::exec::CommandSpec;
use crate::platform::service::{ServiceControl, StartType};

/// The MID's status as the instance stand-in reports it (`ecc_agent.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum MidStatus {
    #[default]
    Down,
    Upgrading,
    Up,
}

impl MidStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MidStatus::Down => "Down",
            MidStatus::Upgrading => "Upgrading",
            MidStatus::Up => "Up",
        }
    }
}

/// The instance stand-in's address and the lab credentials it accepts (training only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InstanceInfo {
    /// `http://127.0.0.1:<port>/` once it listens.
    pub url: Option<String>,
    pub user: String,
    pub password: String,
}

/// What the lab file records. Readers ignore unknown fields; every field beyond the first two
/// has a default so older or hand-written lab files still load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabInfo {
    pub scenario: String,
    pub platform: Platform,
    #[serde(default)]
    pub mid_name: String,
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// The midrescue binary that runs the lab's processes (recorded at create time).
    #[serde(default)]
    pub exe: Option<PathBuf>,
    /// The upgrade temp folder (absent for `healthy`).
    #[serde(default)]
    pub temp_dir: Option<PathBuf>,
    #[serde(default = "yes")]
    pub service_installed: bool,
    #[serde(default)]
    pub start_type: Option<StartType>,
    #[serde(default)]
    pub mid_status: MidStatus,
    /// RFC 3339 time of the last status change (the stand-in's `sys_updated_on` when not Up).
    #[serde(default)]
    pub status_changed_at: String,
    #[serde(default)]
    pub installed_version: String,
    #[serde(default)]
    pub target_version: String,
    #[serde(default)]
    pub mid_pid: Option<u32>,
    #[serde(default)]
    pub simulator_pid: Option<u32>,
    #[serde(default)]
    pub instance_pid: Option<u32>,
    #[serde(default)]
    pub instance: Option<InstanceInfo>,
    /// How many times the Distribution Upgrade was re-run in this lab.
    #[serde(default)]
    pub reruns: u32,
    #[serde(default)]
    pub stop_requested: bool,
    /// Built in its pre-upgrade state (`lab create --before-upgrade`): a running MID with the
    /// scenario's hazard, for `midrescue preflight`.
    #[serde(default)]
    pub before_upgrade: bool,
    /// `agent0.log.0` rotation size in bytes (JUL `limit`).
    #[serde(default = "default_log_limit")]
    pub agent_log_limit: u64,
    #[serde(default)]
    pub created_at: String,
}

fn default_speed() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_log_limit() -> u64 {
    10_000_000
}

/// Read the lab file at `lab_root`.
pub fn read_lab_info(lab_root: &Path) -> anyhow::Result<LabInfo> {
    let text = std::fs::read_to_string(lab_root.join(LAB_FILE))?;
    Ok(serde_json::from_str(&text)?)
}

/// The lab's simulated service control (reports the lab MID process's real state).
pub fn service_control(lab_root: &Path) -> anyhow::Result<Box<dyn ServiceControl>> {
    read_lab_info(lab_root)?;
    Ok(Box::new(service::LabService::new(lab_root)))
}

/// What the runner starts instead of `cmd.exe /C glide-dist-upgrade.bat start` or the wrapper
/// `.exe` when the install is a lab (so Windows-layout labs run on Linux hosts too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimTarget {
    /// `upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat} start`.
    Script,
    /// `upgrade-wrapper/bin/wrapper-windows-x86-64.exe -c ..\conf\wrapper.conf`.
    WrapperExe,
}

/// The command that runs the lab's simulator for `target`, or `None` when `lab_root` is no lab
/// (or asks for the wrapper exe of a Linux layout, which has none).
///
/// Windows layouts get the midrescue binary with the hidden `lab simulate` arguments (the
/// runner calls it where it would call `cmd.exe` or the `.exe`). Linux layouts get their real
/// `glide-dist-upgrade.sh start`: the script execs the simulator itself, and without its exec
/// bit it fails with "Permission denied" exactly as on a real host. The spec's `cwd` is `None`:
/// run it from a neutral folder like any recovery child.
pub fn simulator_command(lab_root: &Path, target: SimTarget) -> Option<CommandSpec> {
    let info = read_lab_info(lab_root).ok()?;
    match (info.platform, target) {
        (Platform::Windows, _) => Some(sim::command_spec(info.exe.as_deref()?, lab_root, target)),
        (Platform::Linux, SimTarget::Script) => {
            let script = info
                .temp_dir?
                .join("upgrade-wrapper")
                .join("bin")
                .join("glide-dist-upgrade.sh");
            Some(CommandSpec {
                program: script.to_string_lossy().into_owned(),
                args: vec!["start".to_string()],
                cwd: None,
            })
        }
        (Platform::Linux, SimTarget::WrapperExe) => None,
    }
}

/// Options of [`create`].
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Lay the install out like this OS (default: the scenario's own).
    pub platform: Option<Platform>,
    /// Speed factor of the simulated upgrade and MID (2 = twice as fast).
    pub speed: f64,
    /// Grow the agent log history to about this many MiB.
    pub log_mb: u64,
    /// The midrescue binary the lab's scripts and processes run (default: this executable).
    pub exe: Option<PathBuf>,
    /// The state folder whose lab registry records the lab (default: the invoking user's).
    pub registry_dir: Option<PathBuf>,
    /// Build the scenario before its upgrade: a running MID with the hazard that will make
    /// the upgrade crash (for practising `midrescue preflight`).
    pub before_upgrade: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            platform: None,
            speed: 1.0,
            log_mb: 0,
            exe: None,
            registry_dir: None,
            before_upgrade: false,
        }
    }
}

/// What [`create`] built.
#[derive(Debug, Clone)]
pub struct LabCreated {
    pub root: PathBuf,
    pub agent_dir: PathBuf,
    pub scenario: &'static Scenario,
    pub platform: Platform,
    pub mid_name: String,
    /// The upgrade temp folder (may be already gone, e.g. `temp-folder-lost`).
    pub temp_dir: Option<PathBuf>,
    /// `upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat}` in the temp folder.
    pub script: Option<PathBuf>,
    pub installed_version: String,
    pub target_version: String,
    pub instance: Option<InstanceInfo>,
}

/// Build the scenario `scenario` in `dir` (absent or empty), start its processes (instance
/// stand-in; the MID for `healthy`; the simulator for `upgrade-in-progress`) and record it in
/// the lab registry, without which it would not be treated as a lab.
pub fn create(scenario: &str, dir: &Path, opts: &CreateOptions) -> anyhow::Result<LabCreated> {
    // Find the registry first: a lab that cannot be recorded is not built at all.
    let reg = match &opts.registry_dir {
        Some(d) => registry::Registry::in_dir(d),
        None => registry::Registry::for_invoking_user()?,
    };
    let made = build::create(scenario, dir, opts)?;
    if let Err(e) = reg.register(&made.root, made.scenario.name) {
        let _ = stop(&made.root);
        return Err(e.context(format!(
            "the lab in {} was built but could not be recorded in {}",
            made.root.display(),
            reg.path().display()
        )));
    }
    Ok(made)
}

/// What [`stop`] ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopReport {
    /// (role, pid) of each process that ended on request.
    pub ended: Vec<(String, u32)>,
    /// (role, pid) of each process that had to be killed.
    pub killed: Vec<(String, u32)>,
}

/// End every process of the lab at `dir`: ask them (the lab file's stop flag, which they poll),
/// wait, then kill stragglers.
pub fn stop(dir: &Path) -> anyhow::Result<StopReport> {
    let info = state::update_info(dir, |i| {
        i.stop_requested = true;
        i.clone()
    })?;
    let procs: Vec<(String, u32)> = [
        ("mid-process", info.mid_pid),
        ("simulate", info.simulator_pid),
        ("instance", info.instance_pid),
        (lock_holder::ROLE, lock_holder::holder(dir)),
    ]
    .into_iter()
    .filter_map(|(r, p)| p.map(|p| (r.to_string(), p)))
    .filter(|(_, p)| state::is_lab_process(*p, dir))
    .collect();
    let mut report = StopReport::default();
    state::wait_until(Duration::from_secs(5), || {
        procs.iter().all(|(_, p)| !state::is_lab_process(*p, dir))
    });
    for (role, pid) in procs {
        if state::is_lab_process(pid, dir) {
            state::signal(pid, true);
            report.killed.push((role, pid));
        } else {
            report.ended.push((role, pid));
        }
    }
    let _ = state::update_info(dir, |i| {
        i.mid_pid = None;
        i.simulator_pid = None;
        i.instance_pid = None;
        if i.mid_status != MidStatus::Down {
            i.mid_status = MidStatus::Down;
            i.status_changed_at = chrono::Local::now().to_rfc3339();
        }
    });
    Ok(report)
}

/// A fresh, not yet existing folder for a demo of `scenario`, in the user's private state
/// folder (`…/midrescue/demos`, created 0700) rather than a shared temp folder.
pub fn demo_dir(scenario: &str) -> anyhow::Result<PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let base = crate::platform::private_fs::own_state_dir()?.join("demos");
    crate::platform::private_fs::ensure_private_dir(&base)?;
    Ok(base.join(format!("{scenario}-{stamp}-{}", std::process::id())))
}
