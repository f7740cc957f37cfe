//! The lab's `ServiceControl`: the MID "service" is the lab MID process (its pid file and the
//! lab file), the start type lives in the lab file, the upgrade process is the simulator.

use std::path::{Path, PathBuf};

use super::{read_lab_info, state};
use crate::platform::Platform;
use crate::platform::service::{
    ServiceControl, ServiceSetup, ServiceState, ServiceStatus, StartType,
};

pub struct LabService {
    root: PathBuf,
}

impl LabService {
    pub fn new(root: &Path) -> Self {
        LabService {
            root: root.to_path_buf(),
        }
    }

    /// LAB ONLY: the classic mistake, done safely. What starting the real MID service during a
    /// crashed upgrade does: the MID deletes the upgrade temp folder (and with it
    /// `glide-dist-upgrade.log`, the only record of why the upgrade died), then cannot load from
    /// the half-replaced install and stays Down. This is not part of `ServiceControl`, which has
    /// no start at all: only the lab's own control offers it, so no real install ever can.
    pub fn start_like_the_real_service(&self) -> anyhow::Result<LabServiceStart> {
        let info = read_lab_info(&self.root)?;
        let sc = super::scenario(&info.scenario)
            .ok_or_else(|| anyhow::anyhow!("unknown lab scenario `{}`", info.scenario))?;
        if !info.service_installed {
            anyhow::bail!(
                "the lab MID service is not installed: there is nothing to start (the same on a real host)"
            );
        }
        if self.query().state == ServiceState::Running {
            anyhow::bail!("the lab MID service already runs");
        }
        if self.upgrade_process_running() {
            anyhow::bail!(
                "the lab's Distribution Upgrade is running: starting the service now is refused by the lab"
            );
        }
        if sc.stage != super::Stage::Crashed {
            anyhow::bail!(
                "in `{}` the upgrade temp folder is already gone: starting the service cannot lose more",
                sc.name
            );
        }
        let temp = info.temp_dir.clone().filter(|t| t.is_dir());
        let lost = match &temp {
            Some(t) => lost_logs(t),
            None => Vec::new(),
        };
        let wrapper_log = self.root.join("agent/logs/wrapper.log");
        super::history::service_started_on_broken_install(
            &wrapper_log,
            temp.as_deref(),
            info.platform == Platform::Windows,
            chrono::Local::now(),
        )?;
        state::update_info(&self.root, |i| {
            i.mid_status = super::MidStatus::Down;
            i.status_changed_at = chrono::Utc::now().to_rfc3339();
        })?;
        Ok(LabServiceStart {
            temp_dir: temp,
            lost_logs: lost,
        })
    }

    fn mid_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.root.join("agent/work/mid.pid")).ok()?;
        text.trim().parse().ok()
    }
}

/// What the lab-only service start destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabServiceStart {
    /// The upgrade temp folder it deleted (`None`: there was none left).
    pub temp_dir: Option<PathBuf>,
    /// The log files that were in it (names relative to the temp folder).
    pub lost_logs: Vec<String>,
}

/// The `*.log` files under the temp folder, relative names, sorted (bounded walk).
fn lost_logs(temp: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(temp)
        .follow_links(false)
        .max_depth(6)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(".log"))
        .filter_map(|e| {
            e.path()
                .strip_prefix(temp)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .take(64)
        .collect();
    out.sort();
    out
}

impl ServiceControl for LabService {
    fn query(&self) -> ServiceStatus {
        let info = match read_lab_info(&self.root) {
            Ok(i) => i,
            Err(e) => return ServiceStatus::unknown(None, format!("lab file unreadable: {e}")),
        };
        let (name, display) = match info.platform {
            Platform::Windows => (
                format!("snc_mid_{}", info.mid_name),
                format!("ServiceNow MID Server_{}", info.mid_name),
            ),
            Platform::Linux => (
                "mid".to_string(),
                format!("ServiceNow_MID_Server_{}", info.mid_name),
            ),
        };
        let pid = self.mid_pid();
        let running = pid.is_some_and(|p| state::is_lab_process(p, &self.root));
        let state = if !info.service_installed {
            ServiceState::NotInstalled
        } else if running {
            ServiceState::Running
        } else {
            ServiceState::Stopped
        };
        let raw = format!(
            "lab service {name} ({display}): {state}; mid.pid={}; start type {}; lab {}",
            pid.map(|p| p.to_string())
                .unwrap_or_else(|| "absent".into()),
            info.start_type
                .map_or_else(|| "unknown".to_string(), |t| t.to_string()),
            self.root.display()
        );
        ServiceStatus {
            name: Some(name),
            display_name: Some(display),
            state,
            start_type: info.service_installed.then_some(info.start_type).flatten(),
            raw,
            note: None,
        }
    }

    fn set_start_type(&self, start: StartType) -> anyhow::Result<()> {
        state::update_info(&self.root, |i| {
            if i.service_installed {
                i.start_type = Some(start);
                Ok(())
            } else {
                Err(anyhow::anyhow!("the lab MID service is not installed"))
            }
        })?
    }

    fn upgrade_process_running(&self) -> bool {
        read_lab_info(&self.root)
            .ok()
            .and_then(|i| i.simulator_pid)
            .is_some_and(|p| state::is_lab_process(p, &self.root))
    }

    /// The lab's service runs as the lab's owner (Linux, a systemd-like unit whose KillMode
    /// is the lab's `SYSTEMD_KILLMODE`) or as LocalSystem (Windows).
    fn setup(&self) -> ServiceSetup {
        let platform = read_lab_info(&self.root).map(|i| i.platform).ok();
        let sh = crate::mid::confs::read_shconf(&self.root.join("agent"));
        match platform {
            Some(Platform::Windows) => ServiceSetup {
                account: Some("LocalSystem".into()),
                account_source: Some("the lab's simulated Windows service".into()),
                upgrade_services: Some(Vec::new()),
                ..ServiceSetup::default()
            },
            Some(Platform::Linux) => ServiceSetup {
                account: sh.run_as_user,
                account_source: Some("RUN_AS_USER in the lab's bin/mid.shconf_override".into()),
                systemd: true,
                kill_mode: sh.systemd_killmode,
                upgrade_services: Some(Vec::new()),
                ..ServiceSetup::default()
            },
            None => ServiceSetup {
                note: Some("lab file unreadable".into()),
                ..ServiceSetup::default()
            },
        }
    }
}
