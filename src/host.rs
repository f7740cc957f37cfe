//! The composition root: the world around one install. It decides the platform, the service
//! control that answers for it (the host's systemd / sc.exe, or a lab's simulated service) and
//! whether the install is a lab midrescue made, and hands `mid::detect` and the recovery engine
//! what they need. `mid`, `platform` and `recovery` never look at labs themselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::mid::detect::Surroundings;
use crate::mid::report::DetectReport;
use crate::mid::{confs, install};
use crate::platform::Platform;
use crate::platform::exec::{CommandSpec, Exec, SystemExec};
use crate::platform::service::hostctl::{LinuxServiceControl, WindowsServiceControl};
use crate::platform::service::{ServiceControl, UnknownService};
use crate::recovery::{self, RunKind, StandIn};

pub struct Host {
    pub platform: Platform,
    pub service: Arc<dyn ServiceControl>,
    /// The lab root when the install is a training lab.
    pub lab_root: Option<PathBuf>,
}

impl Surroundings for Host {
    fn platform(&self) -> Platform {
        self.platform
    }
    fn service(&self) -> &dyn ServiceControl {
        self.service.as_ref()
    }
    fn lab_root(&self) -> Option<&Path> {
        self.lab_root.as_deref()
    }
}

/// A lab's simulated upgrade stands in for the real command.
struct LabStandIn(PathBuf);

impl StandIn for LabStandIn {
    fn command(&self, kind: RunKind) -> Option<CommandSpec> {
        let target = match kind {
            RunKind::Script => crate::lab::SimTarget::Script,
            RunKind::WrapperFallback => crate::lab::SimTarget::WrapperExe,
        };
        crate::lab::simulator_command(&self.0, target)
    }
}

impl Host {
    /// LAB ONLY: the lab's own service control, which alone can do what starting the MID
    /// service would (the course's classic mistake). `None` for every install midrescue did not
    /// make: a real install's `ServiceControl` has no start, and nothing here adds one.
    pub fn lab_service(&self) -> Option<crate::lab::service::LabService> {
        self.lab_root
            .as_deref()
            .map(crate::lab::service::LabService::new)
    }

    /// Detect the install's state (read-only).
    pub fn detect(&self, agent_dir: &Path) -> anyhow::Result<DetectReport> {
        crate::mid::detect::detect(agent_dir, self)
    }

    /// The install as the recovery engine gets it.
    pub fn install(&self, report: DetectReport) -> recovery::Install {
        let report_agent = report.agent_dir.clone();
        recovery::Install {
            report,
            service: self.service.clone(),
            stand_in: self
                .lab_root
                .clone()
                .map(|r| Arc::new(LabStandIn(r)) as Arc<dyn StandIn>),
            temp_roots: self.temp_roots(&report_agent),
            lab_root: self.lab_root.clone(),
        }
    }

    /// Where this install's upgrade temp folder may lie: its own `work/upgrade_temp`, and the
    /// OS temp folders of a real host or the lab's own folder.
    fn temp_roots(&self, agent_dir: &Path) -> Vec<PathBuf> {
        let mut roots = vec![agent_dir.join("work").join("upgrade_temp")];
        match &self.lab_root {
            Some(root) => roots.push(root.clone()),
            None => roots.extend(crate::mid::tempdir::default_os_temp_dirs(Platform::host())),
        }
        roots
    }
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
            let service: Arc<dyn ServiceControl> = match crate::lab::service_control(&root) {
                Ok(s) => Arc::from(s),
                Err(e) => Arc::new(UnknownService::new(None, format!("{e:#}"))),
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

/// The preflight's questions, answered by this host's real processes, mounts, disks and
/// accounts; for a lab, by the lab's own folder and simulated service where they differ.
impl crate::preflight::Facts for Host {
    fn platform(&self) -> Platform {
        self.platform
    }
    fn service(&self) -> &dyn ServiceControl {
        self.service.as_ref()
    }
    fn open_files(&self, roots: &[PathBuf]) -> crate::platform::holders::HolderScan {
        crate::platform::holders::host_scan(roots)
    }
    fn mid_processes(&self, agent_dir: &Path) -> Vec<u32> {
        if let Some(root) = &self.lab_root {
            return crate::lab::read_lab_info(root)
                .ok()
                .and_then(|i| i.mid_pid)
                .into_iter()
                .collect();
        }
        if self.platform != Platform::Linux || !cfg!(target_os = "linux") {
            return Vec::new();
        }
        let sh = confs::read_shconf(agent_dir);
        let app = sh.app_name.unwrap_or_else(|| "mid".into());
        let root = Path::new("/");
        crate::platform::service::procfs::read_state(agent_dir, &app, root, root)
            .pid
            .into_iter()
            .collect()
    }
    fn parent_of(&self, pid: u32) -> Option<u32> {
        crate::platform::holders::parent_pid(Path::new("/proc"), pid)
    }
    fn mounts(&self) -> Option<Vec<crate::platform::mounts::Mount>> {
        crate::platform::mounts::host_mounts()
    }
    fn free_bytes(&self, path: &Path) -> Option<u64> {
        fs4::available_space(path).ok()
    }
    fn account(&self, name: &str) -> Option<crate::platform::access::Account> {
        crate::platform::access::account(name)
    }
    fn owner_name(&self, path: &Path) -> Option<String> {
        let (uid, _) = crate::platform::privilege::owner(path)?;
        Some(crate::platform::privilege::user_name(uid).unwrap_or_else(|| format!("uid {uid}")))
    }
    fn other_installs(&self, agent_dir: &Path) -> Vec<PathBuf> {
        let me = crate::platform::paths::canonicalize(agent_dir).unwrap_or(agent_dir.to_path_buf());
        let found: Vec<PathBuf> = match &self.lab_root {
            // A lab's host is its folder: installs laid out inside it.
            Some(root) => walkdir::WalkDir::new(root)
                .follow_links(false)
                .max_depth(3)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_dir() && e.file_name() == "agent")
                .map(|e| e.into_path())
                .filter(|p| p.join("config.xml").is_file())
                .collect(),
            None => crate::mid::locate::find_installs(None, self.platform, &SystemExec::default())
                .unwrap_or_default(),
        };
        found
            .into_iter()
            .filter(|p| crate::platform::paths::canonicalize(p).unwrap_or(p.clone()) != me)
            .collect()
    }
    fn os_temp_dir(&self) -> PathBuf {
        match &self.lab_root {
            Some(root) => root.join("os-temp"),
            None => crate::mid::tempdir::default_os_temp_dirs(self.platform)
                .into_iter()
                .next()
                .unwrap_or_else(std::env::temp_dir),
        }
    }
    fn administrators(&self) -> Option<Vec<String>> {
        if self.lab_root.is_some() || Platform::host() != Platform::Windows {
            return None;
        }
        let spec = crate::platform::privilege::administrators_spec();
        let out = SystemExec::default().run(&spec).ok()?;
        crate::platform::privilege::parse_group_members(&out.stdout)
    }
}

/// The one install named, or the only one found, with its host and its diagnosis.
pub fn detect_one(agent_dir: Option<&Path>) -> anyhow::Result<(Host, DetectReport)> {
    let installs =
        crate::mid::locate::find_installs(agent_dir, Platform::host(), &SystemExec::default())?;
    let dir = match installs.as_slice() {
        [] => anyhow::bail!(
            "no MID Server install found in the usual places; name it with --agent-dir DIR"
        ),
        [one] => one.clone(),
        many => anyhow::bail!(
            "{} MID Server installs found ({}); choose one with --agent-dir DIR",
            many.len(),
            many.iter()
                .map(|p| crate::sanitize::path(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let host = Host::for_install(&dir);
    let report = host.detect(&dir)?;
    Ok((host, report))
}

/// This host's control for the install's service. A Windows install read on a Unix host (or
/// the reverse) gets an unknown control: its service lives on another machine.
pub fn host_service(
    agent_dir: &Path,
    platform: Platform,
    exec: Arc<dyn Exec>,
) -> Arc<dyn ServiceControl> {
    if platform != Platform::host() {
        return Arc::new(UnknownService::new(
            None,
            format!("a {platform} install read on a {} host", Platform::host()),
        ));
    }
    match platform {
        Platform::Windows => {
            let names = confs::read_wrapper_names(agent_dir);
            match names.name {
                Some(name) => Arc::new(WindowsServiceControl {
                    name,
                    display_name: names.display_name,
                    exec,
                }),
                None => Arc::new(UnknownService::new(
                    None,
                    "wrapper.name is not set in conf/wrapper-override.conf or conf/wrapper.conf",
                )),
            }
        }
        Platform::Linux => {
            let sh = confs::read_shconf(agent_dir);
            Arc::new(LinuxServiceControl {
                unit: sh.app_name.unwrap_or_else(|| "mid".into()),
                display_name: sh.app_long_name,
                agent_dir: agent_dir.to_path_buf(),
                run_as_user: sh.run_as_user,
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
