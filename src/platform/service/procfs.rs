//! The MID's state read without running anything from the install (safety rule 8): the
//! wrapper's PID file (`work/<APP_NAME>.pid`, `work/mid.pid`) and the process table in `/proc`.
//! Replaces `bin/mid.sh status`, which the MID's own account can edit and which would then run
//! as root during a read-only `detect`.

use std::path::{Path, PathBuf};

use crate::platform::service::ServiceState;

/// What the files say about the install's MID process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcState {
    /// The live wrapper or Java process of this install, if any.
    pub pid: Option<u32>,
    /// Whether an init.d script for the service exists (`/etc/init.d/<APP_NAME>`).
    pub init_script: bool,
}

impl ProcState {
    /// The service state when systemd did not answer: running if the process lives; otherwise
    /// installed-but-stopped with an init.d script, not installed without one.
    pub fn state(&self) -> ServiceState {
        match (self.pid, self.init_script) {
            (Some(_), _) => ServiceState::Running,
            (None, true) => ServiceState::Stopped,
            (None, false) => ServiceState::NotInstalled,
        }
    }
}

/// Read the state of the install in `agent_dir` whose service is `app_name`, with `/proc`
/// under `proc_root` and `/etc` under `etc_root` (both `/` on a host).
pub fn read_state(
    agent_dir: &Path,
    app_name: &str,
    proc_root: &Path,
    etc_root: &Path,
) -> ProcState {
    let proc_dir = proc_root.join("proc");
    let from_pid_file = [format!("{app_name}.pid"), "mid.pid".to_string()]
        .iter()
        .filter_map(|n| read_pid(&agent_dir.join("work").join(n)))
        .find(|&pid| cmdline(&proc_dir, pid).is_some_and(|c| is_mid_process(&c, agent_dir)));
    let pid = from_pid_file.or_else(|| scan(&proc_dir, agent_dir));
    let init_script =
        is_plain_name(app_name) && etc_root.join("etc/init.d").join(app_name).is_file();
    ProcState { pid, init_script }
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".."
}

/// The number in a PID file (a regular file only: a FIFO planted there must not block us).
fn read_pid(path: &Path) -> Option<u32> {
    use std::io::Read;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(64)
        .read_to_string(&mut text)
        .ok()?;
    text.trim().parse().ok().filter(|&p: &u32| p > 0)
}

/// A process's command line (`/proc/<pid>/cmdline`, arguments joined by spaces).
fn cmdline(proc_dir: &Path, pid: u32) -> Option<String> {
    let raw = std::fs::read(proc_dir.join(pid.to_string()).join("cmdline")).ok()?;
    let text: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    (!text.is_empty()).then(|| text.join(" "))
}

/// The install's own wrapper or Java: the program is a wrapper or java binary and an argument
/// names a path inside the install. The Distribution Upgrade (its wrapper, its script) is not.
fn is_mid_process(cmdline: &str, agent_dir: &Path) -> bool {
    if super::processes::is_upgrade_process(cmdline) {
        return false;
    }
    let program = cmdline.split(' ').next().unwrap_or("");
    let base = program.rsplit('/').next().unwrap_or(program);
    if !(base.starts_with("wrapper") || base == "java") {
        return false;
    }
    let prefixes: Vec<PathBuf> = [Some(agent_dir.to_path_buf()), agent_dir.canonicalize().ok()]
        .into_iter()
        .flatten()
        .collect();
    cmdline.split([' ', '=', ':']).any(|arg| {
        let p = Path::new(arg);
        prefixes.iter().any(|pre| p.starts_with(pre))
    })
}

/// The first process in `/proc` that is this install's MID.
fn scan(proc_dir: &Path, agent_dir: &Path) -> Option<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir(proc_dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&p| p != std::process::id())
        .collect();
    pids.sort_unstable();
    pids.into_iter()
        .find(|&pid| cmdline(proc_dir, pid).is_some_and(|c| is_mid_process(&c, agent_dir)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_proc(root: &Path, pid: u32, args: &[&str]) {
        let d = root.join("proc").join(pid.to_string());
        std::fs::create_dir_all(&d).unwrap();
        let mut raw = Vec::new();
        for a in args {
            raw.extend_from_slice(a.as_bytes());
            raw.push(0);
        }
        std::fs::write(d.join("cmdline"), raw).unwrap();
    }

    #[test]
    fn wrapper_of_this_install_is_running_others_are_not() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("opt/mid/agent");
        std::fs::create_dir_all(agent.join("work")).unwrap();
        let a = agent.display().to_string();
        fake_proc(d.path(), 10, &["/sbin/init"]);
        fake_proc(
            d.path(),
            20,
            &[
                "/opt/other/agent/bin/wrapper-linux-x86-64",
                "/opt/other/agent/conf/wrapper.conf",
            ],
        );
        let none = read_state(&agent, "mid", d.path(), d.path());
        assert_eq!(none.state(), ServiceState::NotInstalled);
        std::fs::create_dir_all(d.path().join("etc/init.d")).unwrap();
        std::fs::write(d.path().join("etc/init.d/mid"), "#!/bin/sh\n").unwrap();
        assert_eq!(
            read_state(&agent, "mid", d.path(), d.path()).state(),
            ServiceState::Stopped
        );
        // The upgrade's wrapper in work/upgrade_temp is not the MID.
        fake_proc(
            d.path(),
            25,
            &[
                &format!("{a}/work/upgrade_temp/1-0/upgrade-wrapper/bin/wrapper-linux-x86-64"),
                &format!("{a}/work/upgrade_temp/1-0/upgrade-wrapper/conf/wrapper.conf"),
            ],
        );
        assert_eq!(read_state(&agent, "mid", d.path(), d.path()).pid, None);
        fake_proc(
            d.path(),
            30,
            &[
                &format!("{a}/bin/wrapper-linux-x86-64"),
                &format!("{a}/conf/wrapper.conf"),
                &format!("wrapper.pidfile={a}/work/mid.pid"),
            ],
        );
        let s = read_state(&agent, "mid", d.path(), d.path());
        assert_eq!((s.state(), s.pid), (ServiceState::Running, Some(30)));
    }

    #[test]
    fn a_pid_file_naming_a_foreign_process_is_not_believed() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        std::fs::create_dir_all(agent.join("work")).unwrap();
        fake_proc(d.path(), 40, &["/usr/bin/sleep", "100"]);
        std::fs::write(agent.join("work/mid.pid"), "40\n").unwrap();
        assert_eq!(read_state(&agent, "mid", d.path(), d.path()).pid, None);
    }
}
