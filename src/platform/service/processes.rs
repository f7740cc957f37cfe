//! "Is the Distribution Upgrade running right now?": list processes (`ps -eo pid,args` on Linux,
//! PowerShell `Get-CimInstance Win32_Process` as CSV on Windows) and look for the upgrade's
//! command lines, then tell which of them belong to a given install (several MIDs may share a
//! host: another one's upgrade must not make this one "in progress").

use crate::platform::Platform;
use crate::platform::exec::CommandSpec;

use std::path::{Path, PathBuf};

/// A running process: id, command line and (Linux, when readable) working folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub command_line: String,
    pub cwd: Option<PathBuf>,
}

pub fn list_spec(platform: Platform) -> CommandSpec {
    match platform {
        Platform::Linux => CommandSpec::new("ps", &["-eo", "pid,args", "--no-headers"]),
        Platform::Windows => CommandSpec::new(
            "powershell.exe",
            &[
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                "Get-CimInstance Win32_Process | Select-Object ProcessId,CommandLine | ConvertTo-Csv -NoTypeInformation",
            ],
        ),
    }
}

pub fn parse_list(platform: Platform, out: &str) -> Vec<ProcessInfo> {
    match platform {
        Platform::Linux => parse_ps(out),
        Platform::Windows => parse_csv(out),
    }
}

/// `  PID ARGS` lines (a header line, if any, is skipped because its PID is not a number).
pub fn parse_ps(out: &str) -> Vec<ProcessInfo> {
    out.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let (pid, args) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            Some(ProcessInfo {
                pid: pid.parse().ok()?,
                command_line: args.trim().to_string(),
                cwd: None,
            })
        })
        .collect()
}

/// `"ProcessId","CommandLine"` CSV with quoted fields (`""` escapes a quote).
pub fn parse_csv(out: &str) -> Vec<ProcessInfo> {
    out.lines()
        .filter_map(|l| {
            let fields = csv_fields(l.trim_end_matches('\r'));
            let pid = fields.first()?.trim().parse().ok()?;
            Some(ProcessInfo {
                pid,
                command_line: fields.get(1).cloned().unwrap_or_default(),
                cwd: None,
            })
        })
        .collect()
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Whether a command line is the Distribution Upgrade (its script, its wrapper with the
/// upgrade-wrapper conf, or its Java main class).
pub fn is_upgrade_process(command_line: &str) -> bool {
    let l = command_line.to_ascii_lowercase();
    l.contains("glide-dist-upgrade")
        || l.contains("com.snc.dist.mid_upgrade")
        || (l.contains("upgrade-wrapper") && l.contains("wrapper"))
}

/// The upgrade processes in a listing (ids and command lines).
pub fn upgrade_processes(list: &[ProcessInfo]) -> Vec<ProcessInfo> {
    list.iter()
        .filter(|p| p.pid != std::process::id() && is_upgrade_process(&p.command_line))
        .cloned()
        .collect()
}

/// Linux: each process's working folder from `/proc/<pid>/cwd` (left `None` when it cannot
/// be read: another user's process without root).
pub fn fill_cwd(list: &mut [ProcessInfo], proc_root: &Path) {
    for p in list {
        p.cwd = std::fs::read_link(proc_root.join(p.pid.to_string()).join("cwd")).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_ps() {
        let out = "    1 /sbin/init\n 4242 /bin/sh bin/glide-dist-upgrade.sh start\n 4250 /tmp/1528126003155-0/upgrade-wrapper/bin/wrapper-linux-x86-64 /tmp/1528126003155-0/upgrade-wrapper/conf/wrapper.conf\n 5000 /opt/servicenow/mid/agent/bin/wrapper-linux-x86-64 /opt/servicenow/mid/agent/conf/wrapper.conf\n";
        let l = parse_list(Platform::Linux, out);
        assert_eq!(l.len(), 4);
        let up: Vec<u32> = upgrade_processes(&l).iter().map(|p| p.pid).collect();
        assert_eq!(up, vec![4242, 4250]);
    }

    #[test]
    fn windows_csv() {
        let out = "\"ProcessId\",\"CommandLine\"\r\n\"0\",\r\n\"4\",\"\"\r\n\"6120\",\"\"\"C:\\WINDOWS\\TEMP\\1569035472492-0\\upgrade-wrapper\\bin\\wrapper-windows-x86-64.exe\"\" -s \"\"C:\\WINDOWS\\TEMP\\1569035472492-0\\upgrade-wrapper\\conf\\wrapper.conf\"\"\"\r\n\"7000\",\"cmd.exe /C bin\\glide-dist-upgrade.bat start\"\r\n";
        let l = parse_list(Platform::Windows, out);
        assert_eq!(l.len(), 4);
        assert!(l[2].command_line.starts_with("\"C:\\WINDOWS\\TEMP"));
        let up: Vec<u32> = upgrade_processes(&l).iter().map(|p| p.pid).collect();
        assert_eq!(up, vec![6120, 7000]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn working_folders_come_from_proc() {
        let me = std::process::id();
        let mut l = vec![ProcessInfo {
            pid: me,
            command_line: String::new(),
            cwd: None,
        }];
        fill_cwd(&mut l, Path::new("/proc"));
        assert_eq!(l[0].cwd, std::env::current_dir().ok());
    }
}
