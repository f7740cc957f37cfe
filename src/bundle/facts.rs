//! System facts for `system.txt`: OS, host, service state with the raw status output, running
//! java/wrapper processes. The command layer gathers them (it may spawn `sc.exe`, `tasklist`);
//! the helpers here only read files.

use std::path::PathBuf;

use crate::platform::service::ServiceStatus;

/// What `system.txt` reports besides disk space (which the bundle measures itself).
#[derive(Debug, Clone, Default)]
pub struct SystemFacts {
    /// OS name and version, e.g. `linux x86_64, Debian GNU/Linux 12 (bookworm)`.
    pub os: String,
    pub host: String,
    /// The service query's answer, with its raw output.
    pub service: Option<ServiceStatus>,
    /// Running java / wrapper processes (one per line), as text.
    pub processes: String,
    /// The MID's systemd unit file, when there is one.
    pub unit_file: Option<PathBuf>,
    /// Anything the gatherer wants support to know (e.g. "process list unavailable: ...").
    pub notes: Vec<String>,
}

impl SystemFacts {
    /// OS and host name of this machine; service and processes left for the caller.
    pub fn this_host() -> Self {
        SystemFacts {
            os: os_description(),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            ..Default::default()
        }
    }
}

/// `<os> <arch>` plus the distribution's PRETTY_NAME when readable.
pub fn os_description() -> String {
    let mut s = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    if let Ok(text) = std::fs::read_to_string("/etc/os-release")
        && let Some(v) = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))
    {
        s.push_str(", ");
        s.push_str(v.trim_matches('"'));
    }
    s
}
