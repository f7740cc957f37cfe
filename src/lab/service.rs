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

    fn mid_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.root.join("agent/work/mid.pid")).ok()?;
        text.trim().parse().ok()
    }
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
