//! The output of `bin/mid.sh status` (mid-server.md §2.2), as an operator may paste it or a
//! log may quote it: a pure parser. midrescue never runs `mid.sh` itself: the MID's own account
//! can edit it, and it would run as root (see `procfs` for the read-only state).

use crate::platform::service::ServiceState;

/// Parsed `mid.sh status` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidShStatus {
    /// The leading name (`APP_LONG_NAME`).
    pub long_name: Option<String>,
    /// Whether a daemon is installed (`installed with systemd`/`init.d`), `None` when not said.
    pub installed: Option<bool>,
    pub running: Option<bool>,
    pub pid: Option<u32>,
}

impl MidShStatus {
    pub fn state(&self) -> ServiceState {
        match (self.installed, self.running) {
            (_, Some(true)) => ServiceState::Running,
            (Some(false), Some(false)) => ServiceState::NotInstalled,
            (_, Some(false)) => ServiceState::Stopped,
            _ => ServiceState::Unknown,
        }
    }
}

/// `ServiceNow MID Server (installed with systemd) is running: PID:6096, Wrapper:STARTED, Java:STARTED`
/// / `... is not running.` / `ServiceNow MID Server (not installed) is running: PID:59954, ...`
pub fn parse_status(out: &str) -> MidShStatus {
    let mut st = MidShStatus {
        long_name: None,
        installed: None,
        running: None,
        pid: None,
    };
    for line in out.lines().map(str::trim) {
        let (running, head) = if let Some(i) = line.find(" is not running") {
            (false, &line[..i])
        } else if let Some(i) = line.find(" is running") {
            (true, &line[..i])
        } else {
            continue;
        };
        st.running = Some(running);
        let (name, paren) = match head.rfind(" (") {
            Some(i) => (&head[..i], Some(head[i + 2..].trim_end_matches(')'))),
            None => (head, None),
        };
        st.long_name = Some(name.trim().to_string());
        st.installed = paren.map(|p| !p.starts_with("not installed"));
        st.pid = line
            .split_once("PID:")
            .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok());
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_outputs() {
        let s = parse_status(
            "ServiceNow MID Server (installed with systemd) is running: PID:6096, Wrapper:STARTED, Java:STARTED\n",
        );
        assert_eq!(s.state(), ServiceState::Running);
        assert_eq!(s.pid, Some(6096));
        assert_eq!(s.long_name.as_deref(), Some("ServiceNow MID Server"));
        let s = parse_status("ServiceNow MID Server (installed with systemd) is not running.\n");
        assert_eq!(s.state(), ServiceState::Stopped);
        let s = parse_status(
            "ServiceNow MID Server (not installed) is running: PID:59954, Wrapper:STARTED, Java:Started",
        );
        assert_eq!(
            (s.state(), s.installed),
            (ServiceState::Running, Some(false))
        );
        let s = parse_status("ServiceNow MID Server (not installed) is not running.");
        assert_eq!(s.state(), ServiceState::NotInstalled);
        assert_eq!(parse_status("garbage").state(), ServiceState::Unknown);
    }
}
