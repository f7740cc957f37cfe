//! The host's real service controls, built from command specs and parsers:
//! Linux (systemd, else the PID file and `/proc`, never the install's `mid.sh`) and Windows
//! (`sc.exe`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::platform::Platform;
use crate::platform::exec::{CommandOutput, CommandSpec, Exec};
use crate::platform::service::{
    ServiceControl, ServiceSetup, ServiceState, ServiceStatus, StartType, is_upgrade_service_name,
};
use crate::platform::service::{processes, procfs, sc, systemd};

fn run(exec: &dyn Exec, spec: &CommandSpec, raw: &mut String) -> std::io::Result<CommandOutput> {
    let out = exec.run(spec)?;
    raw.push_str(&format!(
        "$ {}\n{}{}\n",
        spec.display(),
        out.stdout,
        out.stderr
    ));
    Ok(out)
}

fn check(spec: &CommandSpec, out: std::io::Result<CommandOutput>) -> anyhow::Result<()> {
    let out = out.map_err(|e| anyhow::anyhow!("`{}` could not run: {e}", spec.display()))?;
    if out.status == Some(0) {
        Ok(())
    } else {
        anyhow::bail!(
            "`{}` failed ({:?}): {}{}",
            spec.display(),
            out.status,
            out.stdout.trim(),
            out.stderr.trim()
        )
    }
}

fn upgrade_running(exec: &dyn Exec, platform: Platform) -> bool {
    upgrade_list(exec, platform).is_some_and(|l| !l.is_empty())
}

/// The upgrade processes on this host (`None` when the listing failed).
fn upgrade_list(exec: &dyn Exec, platform: Platform) -> Option<Vec<processes::ProcessInfo>> {
    let spec = processes::list_spec(platform);
    match exec.run(&spec) {
        Ok(out) => {
            let list = processes::parse_list(platform, &out.stdout);
            let mut found = processes::upgrade_processes(&list);
            if platform == Platform::Linux && cfg!(target_os = "linux") {
                processes::fill_cwd(&mut found, std::path::Path::new("/proc"));
            }
            if !found.is_empty() {
                tracing::info!(?found, "upgrade process running");
            }
            Some(found)
        }
        Err(e) => {
            tracing::warn!("`{}` failed: {e}", spec.display());
            None
        }
    }
}

/// systemd unit `<APP_NAME>`, falling back to the PID file and `/proc` when systemd does not
/// know it.
pub struct LinuxServiceControl {
    pub unit: String,
    pub display_name: Option<String>,
    pub agent_dir: PathBuf,
    /// `RUN_AS_USER` of `bin/mid.shconf(_override)`: the account of the init.d arrangement.
    pub run_as_user: Option<String>,
    pub exec: Arc<dyn Exec>,
}

impl ServiceControl for LinuxServiceControl {
    fn query(&self) -> ServiceStatus {
        let mut raw = String::new();
        let mut note = None;
        let spec = systemd::show_spec(&self.unit);
        let mut not_in_systemd = false;
        match run(self.exec.as_ref(), &spec, &mut raw) {
            Ok(out) => {
                let show = systemd::parse_show(&out.stdout);
                let state = show.state();
                if state != ServiceState::NotInstalled && state != ServiceState::Unknown {
                    return ServiceStatus {
                        name: Some(self.unit.clone()),
                        display_name: self.display_name.clone(),
                        state,
                        start_type: show.start_type(),
                        raw,
                        note: None,
                    };
                }
                not_in_systemd = state == ServiceState::NotInstalled;
            }
            Err(e) => note = Some(format!("systemctl: {e}")),
        }
        // Read-only: never `bin/mid.sh status` (a script the MID's account may edit, which
        // would run as root); the PID file and /proc tell whether the MID runs.
        let root = Path::new("/");
        let st = procfs::read_state(&self.agent_dir, &self.unit, root, root);
        let state = match (st.state(), not_in_systemd) {
            // systemd does not know the unit: the files tell the whole story.
            (s, true) => s,
            // systemd could not be asked or gave no clear answer: trust only what was seen.
            (ServiceState::NotInstalled, false) => ServiceState::Unknown,
            (s, false) => s,
        };
        raw.push_str(&format!(
            "(from the PID file and /proc) MID process: {}; /etc/init.d/{}: {}\n",
            st.pid.map_or("none".to_string(), |p| format!("pid {p}")),
            self.unit,
            if st.init_script { "present" } else { "absent" }
        ));
        ServiceStatus {
            name: Some(self.unit.clone()),
            display_name: self.display_name.clone(),
            state,
            start_type: None,
            raw,
            note: if state == ServiceState::Unknown {
                note.or_else(|| Some("systemd gave no clear state and no MID process runs".into()))
            } else {
                note
            },
        }
    }

    fn set_start_type(&self, start: StartType) -> anyhow::Result<()> {
        let spec = systemd::set_start_type_spec(&self.unit, start);
        check(&spec, self.exec.run(&spec))
    }

    fn upgrade_process_running(&self) -> bool {
        upgrade_running(self.exec.as_ref(), Platform::Linux)
    }

    fn upgrade_processes(&self) -> Option<Vec<processes::ProcessInfo>> {
        upgrade_list(self.exec.as_ref(), Platform::Linux)
    }

    fn setup(&self) -> ServiceSetup {
        let mut raw = String::new();
        let spec = systemd::setup_spec(&self.unit);
        let shown = run(self.exec.as_ref(), &spec, &mut raw).ok();
        let out = shown.as_ref().map(|o| o.stdout.as_str()).unwrap_or("");
        let loaded = systemd::show_value(out, "LoadState").is_some_and(|v| v == "loaded");
        if loaded {
            return ServiceSetup {
                account: systemd::show_value(out, "User").or_else(|| Some("root".into())),
                account_source: Some(format!("systemd unit {}", self.unit)),
                systemd: true,
                kill_mode: systemd::show_value(out, "KillMode"),
                upgrade_services: Some(Vec::new()),
                raw,
                note: None,
            };
        }
        // No systemd unit: the init.d arrangement runs the MID as RUN_AS_USER (mid.shconf).
        ServiceSetup {
            account: self.run_as_user.clone(),
            account_source: Some("RUN_AS_USER in bin/mid.shconf".into()),
            systemd: false,
            kill_mode: None,
            upgrade_services: Some(Vec::new()),
            raw,
            note: shown.is_none().then(|| "systemctl could not run".into()),
        }
    }
}

/// A Windows service queried with `sc.exe query` and `sc.exe qc`.
pub struct WindowsServiceControl {
    pub name: String,
    pub display_name: Option<String>,
    pub exec: Arc<dyn Exec>,
}

impl ServiceControl for WindowsServiceControl {
    fn query(&self) -> ServiceStatus {
        let mut raw = String::new();
        let q = sc::query_spec(&self.name);
        let state = match run(self.exec.as_ref(), &q, &mut raw) {
            Ok(out) => sc::parse_query(&format!("{}\n{}", out.stdout, out.stderr)),
            Err(e) => {
                let mut s = ServiceStatus::unknown(Some(self.name.clone()), format!("sc.exe: {e}"));
                s.display_name = self.display_name.clone();
                return s;
            }
        };
        let mut status = ServiceStatus {
            name: Some(self.name.clone()),
            display_name: self.display_name.clone(),
            state,
            start_type: None,
            raw: String::new(),
            note: None,
        };
        if state != ServiceState::NotInstalled {
            let qc = sc::qc_spec(&self.name);
            if let Ok(out) = run(self.exec.as_ref(), &qc, &mut raw) {
                let cfg = sc::parse_qc(&out.stdout);
                status.start_type = cfg.start_type;
                status.display_name = cfg.display_name.or(status.display_name);
            }
        }
        if state == ServiceState::Unknown {
            status.note = Some("sc.exe gave no state (access denied?)".into());
        }
        status.raw = raw;
        status
    }

    fn set_start_type(&self, start: StartType) -> anyhow::Result<()> {
        let spec = sc::set_start_type_spec(&self.name, start);
        check(&spec, self.exec.run(&spec))
    }

    fn upgrade_process_running(&self) -> bool {
        upgrade_running(self.exec.as_ref(), Platform::Windows)
    }

    fn upgrade_processes(&self) -> Option<Vec<processes::ProcessInfo>> {
        upgrade_list(self.exec.as_ref(), Platform::Windows)
    }

    fn setup(&self) -> ServiceSetup {
        let mut raw = String::new();
        let qc = sc::qc_spec(&self.name);
        let account = run(self.exec.as_ref(), &qc, &mut raw)
            .ok()
            .and_then(|o| sc::parse_qc(&o.stdout).start_name);
        let list = sc::list_spec();
        let upgrade_services = run(self.exec.as_ref(), &list, &mut raw).ok().map(|o| {
            sc::parse_list_with_display(&o.stdout)
                .into_iter()
                .filter(|(_, d)| is_upgrade_service_name(d))
                .map(|(n, d)| format!("{d} ({n})"))
                .collect()
        });
        ServiceSetup {
            note: account
                .is_none()
                .then(|| format!("`{}` gave no SERVICE_START_NAME", qc.display())),
            account,
            account_source: Some(format!("sc.exe qc {}", self.name)),
            systemd: false,
            kill_mode: None,
            upgrade_services,
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Answers command specs from fixture outputs.
    struct Fixture(HashMap<String, CommandOutput>);

    impl Exec for Fixture {
        fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutput> {
            self.0
                .get(&spec.display())
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, spec.display()))
        }
    }

    fn out(s: &str) -> CommandOutput {
        CommandOutput {
            status: Some(0),
            stdout: s.into(),
            stderr: String::new(),
        }
    }

    #[test]
    fn windows_query_and_qc() {
        let mut m = HashMap::new();
        m.insert(
            "sc.exe query snc_mid_a".to_string(),
            out("SERVICE_NAME: snc_mid_a\r\n        STATE              : 1  STOPPED\r\n"),
        );
        m.insert("sc.exe qc snc_mid_a".to_string(), out("SERVICE_NAME: snc_mid_a\r\n        START_TYPE         : 2   AUTO_START\r\n        DISPLAY_NAME       : ServiceNow MID Server_a\r\n"));
        m.insert("sc.exe query snc_mid_b".to_string(), out("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n"));
        let exec: Arc<dyn Exec> = Arc::new(Fixture(m));
        let a = WindowsServiceControl {
            name: "snc_mid_a".into(),
            display_name: None,
            exec: exec.clone(),
        }
        .query();
        assert_eq!(
            (a.state, a.start_type),
            (ServiceState::Stopped, Some(StartType::Auto))
        );
        assert_eq!(a.display_name.as_deref(), Some("ServiceNow MID Server_a"));
        let b = WindowsServiceControl {
            name: "snc_mid_b".into(),
            display_name: None,
            exec: exec.clone(),
        }
        .query();
        assert_eq!(b.state, ServiceState::NotInstalled);
        let c = WindowsServiceControl {
            name: "snc_mid_c".into(),
            display_name: None,
            exec,
        }
        .query();
        assert_eq!(c.state, ServiceState::Unknown);
        assert!(c.note.is_some());
    }

    #[test]
    fn linux_systemd_then_mid_sh() {
        let d = tempfile::tempdir().unwrap();
        let mut m = HashMap::new();
        m.insert(
            "systemctl show mid -p ActiveState,UnitFileState,KillMode,LoadState --no-pager"
                .to_string(),
            out(
                "ActiveState=inactive\nUnitFileState=enabled\nKillMode=process\nLoadState=loaded\n",
            ),
        );
        let exec: Arc<dyn Exec> = Arc::new(Fixture(m));
        let s = LinuxServiceControl {
            unit: "mid".into(),
            display_name: None,
            agent_dir: d.path().into(),
            run_as_user: None,
            exec: exec.clone(),
        }
        .query();
        assert_eq!(
            (s.state, s.start_type),
            (ServiceState::Stopped, Some(StartType::Auto))
        );
        let s = LinuxServiceControl {
            unit: "other".into(),
            display_name: None,
            agent_dir: d.path().into(),
            run_as_user: None,
            exec,
        }
        .query();
        assert_eq!(s.state, ServiceState::Unknown);
    }

    #[test]
    fn linux_setup_from_systemd_or_shconf() {
        let d = tempfile::tempdir().unwrap();
        let mut m = HashMap::new();
        m.insert(
            "systemctl show mid -p LoadState,User,KillMode,FragmentPath --no-pager".to_string(),
            out("LoadState=loaded\nUser=midsrv\nKillMode=control-group\nFragmentPath=/etc/systemd/system/mid.service\n"),
        );
        m.insert(
            "systemctl show gone -p LoadState,User,KillMode,FragmentPath --no-pager".to_string(),
            out("LoadState=not-found\nUser=\nKillMode=control-group\n"),
        );
        let exec: Arc<dyn Exec> = Arc::new(Fixture(m));
        let ctl = |unit: &str| LinuxServiceControl {
            unit: unit.into(),
            display_name: None,
            agent_dir: d.path().into(),
            run_as_user: Some("midinit".into()),
            exec: exec.clone(),
        };
        let s = ctl("mid").setup();
        assert!(s.systemd);
        assert_eq!(s.account.as_deref(), Some("midsrv"));
        assert_eq!(s.kill_mode.as_deref(), Some("control-group"));
        let s = ctl("gone").setup();
        assert!(!s.systemd);
        assert_eq!(s.account.as_deref(), Some("midinit"));
        assert_eq!(s.kill_mode, None);
    }

    #[test]
    fn windows_setup_account_and_leftover_upgrade_service() {
        let mut m = HashMap::new();
        m.insert(
            "sc.exe qc snc_mid_a".to_string(),
            out("[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: snc_mid_a\r\n        SERVICE_START_NAME : LocalSystem\r\n"),
        );
        m.insert(
            "sc.exe query type= service state= all".to_string(),
            out("SERVICE_NAME: snc_mid_a\r\nDISPLAY_NAME: ServiceNow MID Server_a\r\n\r\nSERVICE_NAME: snc_upgrade_a\r\nDISPLAY_NAME: ServiceNow Platform Distribution Upgrade (a)\r\n"),
        );
        let s = WindowsServiceControl {
            name: "snc_mid_a".into(),
            display_name: None,
            exec: Arc::new(Fixture(m)),
        }
        .setup();
        assert_eq!(s.account.as_deref(), Some("LocalSystem"));
        assert_eq!(
            s.upgrade_services,
            Some(vec![
                "ServiceNow Platform Distribution Upgrade (a) (snc_upgrade_a)".to_string()
            ])
        );
    }
}
