//! The world around one install: its platform and the service control that answers for it
//! (the host's systemd / mid.sh / sc.exe, or a lab's simulated service).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::mid::{confs, install};
use crate::platform::Platform;
use crate::platform::exec::{Exec, SystemExec};
use crate::platform::service::hostctl::{LinuxServiceControl, WindowsServiceControl};
use crate::platform::service::{ServiceControl, UnknownService};

pub struct Host {
    pub platform: Platform,
    pub service: Box<dyn ServiceControl>,
    /// The lab root when the install is a training lab.
    pub lab_root: Option<PathBuf>,
}

impl Host {
    /// The host for the install in `agent_dir`: a lab's simulated service when the install is a
    /// lab, else the platform told by the install's files and this host's service control.
    pub fn for_install(agent_dir: &Path) -> Host {
        Self::for_install_with(agent_dir, Arc::new(SystemExec::default()))
    }

    /// As `for_install`, running commands through `exec`.
    pub fn for_install_with(agent_dir: &Path, exec: Arc<dyn Exec>) -> Host {
        if let Some(root) = crate::lab::find_lab_root(agent_dir) {
            let platform = crate::lab::read_lab_info(&root)
                .map(|i| i.platform)
                .ok()
                .or_else(|| install::platform_of(agent_dir))
                .unwrap_or_else(Platform::host);
            let service = match crate::lab::service_control(&root) {
                Ok(s) => s,
                Err(e) => Box::new(UnknownService::new(None, format!("{e:#}"))),
            };
            return Host {
                platform,
                service,
                lab_root: Some(root),
            };
        }
        let platform = install::platform_of(agent_dir).unwrap_or_else(Platform::host);
        Host {
            platform,
            service: host_service(agent_dir, platform, exec),
            lab_root: None,
        }
    }
}

/// This host's control for the install's service. A Windows install read on a Unix host (or
/// the reverse) gets an unknown control: its service lives on another machine.
pub fn host_service(
    agent_dir: &Path,
    platform: Platform,
    exec: Arc<dyn Exec>,
) -> Box<dyn ServiceControl> {
    if platform != Platform::host() {
        return Box::new(UnknownService::new(
            None,
            format!("a {platform} install read on a {} host", Platform::host()),
        ));
    }
    match platform {
        Platform::Windows => {
            let names = confs::read_wrapper_names(agent_dir);
            match names.name {
                Some(name) => Box::new(WindowsServiceControl {
                    name,
                    display_name: names.display_name,
                    exec,
                }),
                None => Box::new(UnknownService::new(
                    None,
                    "wrapper.name is not set in conf/wrapper-override.conf or conf/wrapper.conf",
                )),
            }
        }
        Platform::Linux => {
            let sh = confs::read_shconf(agent_dir);
            Box::new(LinuxServiceControl {
                unit: sh.app_name.unwrap_or_else(|| "mid".into()),
                display_name: sh.app_long_name,
                agent_dir: agent_dir.to_path_buf(),
                exec,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::exec::{CommandOutput, CommandSpec};
    use crate::platform::service::ServiceState;

    struct NoExec;
    impl Exec for NoExec {
        fn run(&self, s: &CommandSpec) -> std::io::Result<CommandOutput> {
            Err(std::io::Error::other(format!(
                "not run in tests: {}",
                s.display()
            )))
        }
    }

    #[test]
    fn platform_from_install_files() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        std::fs::create_dir_all(agent.join("bin")).unwrap();
        std::fs::write(agent.join("bin/wrapper-windows-x86-64.exe"), "MZ").unwrap();
        let h = Host::for_install_with(&agent, Arc::new(NoExec));
        assert_eq!(h.platform, Platform::Windows);
        assert!(h.lab_root.is_none());
        if Platform::host() == Platform::Linux {
            // A Windows install read on Linux: its service is elsewhere.
            let s = h.service.query();
            assert_eq!(s.state, ServiceState::Unknown);
            assert!(s.note.unwrap().contains("windows install"));
        }
    }

    #[test]
    fn linux_install_without_answers_is_unknown() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        std::fs::create_dir_all(agent.join("bin")).unwrap();
        std::fs::write(agent.join("bin/mid.shconf_override"), "APP_NAME=midprod\n").unwrap();
        std::fs::write(agent.join("bin/mid.sh"), "#!/bin/sh\n").unwrap();
        let h = Host::for_install_with(&agent, Arc::new(NoExec));
        assert_eq!(h.platform, Platform::Linux);
        if Platform::host() == Platform::Linux {
            let s = h.service.query();
            assert_eq!(s.name.as_deref(), Some("midprod"));
            assert_eq!(s.state, ServiceState::Unknown);
            assert!(!h.service.upgrade_process_running());
        }
    }

    #[test]
    fn an_unregistered_lab_file_is_ignored() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        std::fs::create_dir_all(agent.join("bin")).unwrap();
        std::fs::write(
            d.path().join(crate::lab::LAB_FILE),
            r#"{"scenario":"x","platform":"windows"}"#,
        )
        .unwrap();
        // Planted, not made by midrescue: the install is treated as real.
        let h = Host::for_install_with(&agent, Arc::new(NoExec));
        assert!(h.lab_root.is_none());
    }
}
