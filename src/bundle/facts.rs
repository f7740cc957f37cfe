//! System facts for `system.txt`: OS, host, service state with the raw status output, running
//! java/wrapper processes. The command layer gathers them (it may spawn `sc.exe`, `tasklist`);
//! the helpers here only read files.

use std::path::{Path, PathBuf};

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

/// Candidate systemd unit files for a service name (Linux).
pub fn systemd_unit_candidates(service: &str) -> Vec<PathBuf> {
    let unit = if service.ends_with(".service") {
        service.to_string()
    } else {
        format!("{service}.service")
    };
    ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
        .iter()
        .map(|d| Path::new(d).join(&unit))
        .collect()
}

/// Java and Tanuki wrapper processes from a Linux `/proc` (pid, command line), one per line.
/// Command lines go through redaction later like everything else in the bundle.
pub fn java_wrapper_processes(proc_root: &Path) -> std::io::Result<String> {
    let mut rows: Vec<(u32, String)> = Vec::new();
    for e in std::fs::read_dir(proc_root)?.filter_map(Result::ok) {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if raw.is_empty() {
            continue;
        }
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let exe = args
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
            .unwrap_or_default();
        let interesting = exe == "java"
            || exe.starts_with("wrapper")
            || args.iter().any(|a| a.contains("service_now.mid") || a.contains("glide-dist-upgrade"));
        if interesting {
            let mut line = args.join(" ");
            if line.len() > 4000 {
                let mut cut = 4000;
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
                line.push_str(" …");
            }
            rows.push((pid, line));
        }
    }
    rows.sort();
    Ok(if rows.is_empty() {
        "(no java or wrapper process running)\n".to_string()
    } else {
        rows.iter().map(|(p, l)| format!("{p}\t{l}\n")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_processes_from_a_proc_tree() {
        let d = tempfile::tempdir().unwrap();
        for (pid, cmd) in [
            ("42", &b"/opt/mid/agent/jre/bin/java\0-Dx.password=s3\0com.service_now.mid.Main\0"[..]),
            ("7", b"/opt/mid/agent/bin/wrapper-linux-x86-64\0conf/wrapper.conf\0"),
            ("9", b"bash\0"),
            ("self", b"java\0"),
        ] {
            std::fs::create_dir_all(d.path().join(pid)).unwrap();
            std::fs::write(d.path().join(pid).join("cmdline"), cmd).unwrap();
        }
        let t = java_wrapper_processes(d.path()).unwrap();
        let lines: Vec<_> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        assert!(lines[0].starts_with("7\t") && lines[1].starts_with("42\t"));
    }
}
