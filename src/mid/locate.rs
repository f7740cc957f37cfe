//! Finding MID installs on a host (mid-server.md §1.1): the folder the operator named, else the
//! usual places. Several MID Servers on one host are common, so all are returned.

use std::path::{Path, PathBuf};

use crate::mid::install;
use crate::platform::Platform;
use crate::platform::exec::Exec;
use crate::platform::service::sc;

/// Fixed places per platform.
fn usual_places(platform: Platform) -> Vec<PathBuf> {
    match platform {
        Platform::Linux => [
            "/opt/servicenow/mid/agent",
            "/opt/snc_mid_server/agent",
            "/opt/agent",
            "/opt/servicenow/agent",
        ]
        .iter()
        .map(PathBuf::from)
        .collect(),
        Platform::Windows => [r"C:\ServiceNow\agent", r"C:\snc_mid_server\agent"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    }
}

/// Parents whose children may hold an `agent` folder (`C:\ServiceNow\*\agent`, `/opt/*/agent`).
fn parent_globs(platform: Platform) -> Vec<PathBuf> {
    match platform {
        Platform::Linux => vec![PathBuf::from("/opt"), PathBuf::from("/opt/servicenow")],
        Platform::Windows => ["C", "D", "E"]
            .iter()
            .map(|d| PathBuf::from(format!(r"{d}:\ServiceNow")))
            .collect(),
    }
}

/// systemd units whose `ExecStart` runs `<agent>/bin/mid.sh` (custom locations, `--prefix`).
fn agents_from_units(unit_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in unit_dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "service") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let unit = crate::mid::confs::parse_unit(&text);
            if let Some(exec) = unit.exec_start {
                let exe = exec.split_whitespace().next().unwrap_or("");
                if let Some(bin) = exe.strip_suffix("/mid.sh").map(Path::new)
                    && let Some(agent) = bin.parent()
                {
                    v.push(agent.to_path_buf());
                }
            }
        }
    }
    v
}

/// Agent folders of Windows services whose binary is `...\agent\bin\wrapper-windows-x86-64.exe`.
fn agents_from_sc(exec: &dyn Exec) -> Vec<PathBuf> {
    let list = match exec.run(&sc::list_spec()) {
        Ok(o) => sc::parse_list(&o.stdout),
        Err(e) => {
            tracing::warn!("sc.exe query failed: {e}");
            return Vec::new();
        }
    };
    // `sc.exe qc` per service is slow; ask the likely ones first, then (if none) all.
    let likely: Vec<&String> = list
        .iter()
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.contains("mid") || l.contains("snc") || l.contains("servicenow")
        })
        .collect();
    let ask = |names: &[&String]| -> Vec<PathBuf> {
        names
            .iter()
            .filter_map(|n| exec.run(&sc::qc_spec(n)).ok())
            .filter_map(|o| sc::parse_qc(&o.stdout).binary_path)
            .filter_map(|b| sc::agent_dir_of_binary(&b))
            .map(PathBuf::from)
            .collect()
    };
    let found = ask(&likely);
    if !found.is_empty() {
        return found;
    }
    let all: Vec<&String> = list.iter().take(1000).collect();
    ask(&all)
}

/// The installs to look at. `explicit` (the `agent` folder or its parent) wins and is returned
/// as given when it does not look like an install, so that detect can say so. Else every
/// install found in the usual places, de-duplicated.
pub fn find_installs(
    explicit: Option<&Path>,
    platform: Platform,
    exec: &dyn Exec,
) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(dir) = explicit {
        if !dir.exists() {
            anyhow::bail!("{} does not exist", dir.display());
        }
        let abs = std::path::absolute(dir)?;
        return Ok(vec![install::resolve_agent_dir(&abs).unwrap_or(abs)]);
    }
    let mut candidates = usual_places(platform);
    for parent in parent_globs(platform) {
        if let Ok(rd) = std::fs::read_dir(&parent) {
            candidates.extend(rd.filter_map(Result::ok).map(|e| e.path().join("agent")));
        }
    }
    match platform {
        Platform::Linux => candidates.extend(agents_from_units(&[
            PathBuf::from("/etc/systemd/system"),
            PathBuf::from("/usr/lib/systemd/system"),
            PathBuf::from("/lib/systemd/system"),
        ])),
        Platform::Windows if Platform::host() == Platform::Windows => {
            candidates.extend(agents_from_sc(exec))
        }
        Platform::Windows => {}
    }
    let mut found: Vec<PathBuf> = Vec::new();
    let mut seen = Vec::new();
    for c in candidates {
        if !c.is_dir() || !install::install_marks(&c).any() {
            continue;
        }
        let key = crate::platform::paths::canonicalize(&c).unwrap_or_else(|_| c.clone());
        if !seen.contains(&key) {
            seen.push(key);
            found.push(c);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::exec::{CommandOutput, CommandSpec};

    struct NoExec;
    impl Exec for NoExec {
        fn run(&self, s: &CommandSpec) -> std::io::Result<CommandOutput> {
            Err(std::io::Error::other(s.display()))
        }
    }

    #[test]
    fn explicit_parent_or_agent() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("agent")).unwrap();
        std::fs::write(d.path().join("agent/config.xml"), "<parameters/>").unwrap();
        let v = find_installs(Some(d.path()), Platform::Linux, &NoExec).unwrap();
        assert_eq!(v, vec![d.path().join("agent")]);
        let v = find_installs(Some(&d.path().join("agent")), Platform::Linux, &NoExec).unwrap();
        assert_eq!(v, vec![d.path().join("agent")]);
        assert!(find_installs(Some(&d.path().join("nope")), Platform::Linux, &NoExec).is_err());
    }

    #[test]
    fn units_name_agents() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("midserver.service"),
            "[Service]\nExecStart=/data/mid/agent/bin/mid.sh start sysd\n",
        )
        .unwrap();
        assert_eq!(
            agents_from_units(&[d.path().into()]),
            vec![PathBuf::from("/data/mid/agent")]
        );
    }

    #[test]
    fn sc_names_agents() {
        struct Fx;
        impl Exec for Fx {
            fn run(&self, s: &CommandSpec) -> std::io::Result<CommandOutput> {
                let stdout = match s.display().as_str() {
                    "sc.exe query type= service state= all" => {
                        "SERVICE_NAME: Spooler\r\nDISPLAY_NAME: Print Spooler\r\n\r\nSERVICE_NAME: snc_mid_a\r\nDISPLAY_NAME: ServiceNow MID Server_a\r\n"
                    }
                    "sc.exe qc snc_mid_a" => {
                        "SERVICE_NAME: snc_mid_a\r\n        BINARY_PATH_NAME   : \"C:\\ServiceNow\\MID Server1\\agent\\bin\\wrapper-windows-x86-64.exe\" -s \"C:\\ServiceNow\\MID Server1\\agent\\conf\\wrapper.conf\"\r\n"
                    }
                    _ => return Err(std::io::Error::other("unexpected")),
                };
                Ok(CommandOutput {
                    status: Some(0),
                    stdout: stdout.into(),
                    stderr: String::new(),
                })
            }
        }
        assert_eq!(
            agents_from_sc(&Fx),
            vec![PathBuf::from("C:\\ServiceNow\\MID Server1\\agent")]
        );
    }
}
