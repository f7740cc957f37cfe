//! Windows `sc.exe` as command specs plus pure parsers: `sc.exe query <name>`, `sc.exe qc <name>`,
//! `sc.exe query type= service state= all`, `sc.exe config <name> start= ...`. Parsers read the
//! numeric codes (`STATE : 4 RUNNING`), which stay the same on localised Windows.

use crate::platform::exec::CommandSpec;
use crate::platform::service::{ServiceState, StartType};

/// Windows error 1060: "The specified service does not exist as an installed service."
pub const ERROR_SERVICE_DOES_NOT_EXIST: u32 = 1060;

pub fn query_spec(name: &str) -> CommandSpec {
    CommandSpec::new("sc.exe", &["query", name])
}

pub fn qc_spec(name: &str) -> CommandSpec {
    CommandSpec::new("sc.exe", &["qc", name])
}

/// Every service, running or not (`type= service state= all`, the `=` belongs to the keyword).
pub fn list_spec() -> CommandSpec {
    CommandSpec::new("sc.exe", &["query", "type=", "service", "state=", "all"])
}

pub fn set_start_type_spec(name: &str, start: StartType) -> CommandSpec {
    let v = match start {
        StartType::Auto => "auto",
        StartType::Manual => "demand",
        StartType::Disabled => "disabled",
    };
    CommandSpec::new("sc.exe", &["config", name, "start=", v])
}

/// The `FAILED <code>` of an sc.exe error output.
pub fn failure_code(out: &str) -> Option<u32> {
    let i = out.find("FAILED ")?;
    out[i + 7..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The value after `KEY :` on its line.
fn field<'a>(out: &'a str, key: &str) -> Option<&'a str> {
    out.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

fn leading_number(v: &str) -> Option<u32> {
    v.split_whitespace().next()?.parse().ok()
}

/// `sc.exe query <name>`: STATE 1 stopped, 2 start pending, 3 stop pending, 4 running,
/// 5-7 continue/pause pending and paused; error 1060 → not installed.
pub fn parse_query(out: &str) -> ServiceState {
    if failure_code(out) == Some(ERROR_SERVICE_DOES_NOT_EXIST)
        || out.contains("does not exist as an installed service")
    {
        return ServiceState::NotInstalled;
    }
    match field(out, "STATE").and_then(leading_number) {
        Some(1) => ServiceState::Stopped,
        Some(2) | Some(3) | Some(5) | Some(6) => ServiceState::Pending,
        Some(4) => ServiceState::Running,
        Some(7) => ServiceState::Stopped,
        _ => ServiceState::Unknown,
    }
}

/// What `sc.exe qc <name>` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    pub not_installed: bool,
    pub start_type: Option<StartType>,
    pub binary_path: Option<String>,
    pub display_name: Option<String>,
    pub start_name: Option<String>,
}

/// `START_TYPE : 2 AUTO_START` (also `(DELAYED)`), `3 DEMAND_START`, `4 DISABLED`.
pub fn parse_qc(out: &str) -> ServiceConfig {
    if failure_code(out) == Some(ERROR_SERVICE_DOES_NOT_EXIST) {
        return ServiceConfig {
            not_installed: true,
            ..Default::default()
        };
    }
    let text = |k| field(out, k).filter(|v| !v.is_empty()).map(str::to_string);
    ServiceConfig {
        not_installed: false,
        start_type: match field(out, "START_TYPE").and_then(leading_number) {
            Some(0..=2) => Some(StartType::Auto),
            Some(3) => Some(StartType::Manual),
            Some(4) => Some(StartType::Disabled),
            _ => None,
        },
        binary_path: text("BINARY_PATH_NAME"),
        display_name: text("DISPLAY_NAME"),
        start_name: text("SERVICE_START_NAME"),
    }
}

/// Service names from `sc.exe query type= service state= all`.
pub fn parse_list(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("SERVICE_NAME:"))
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// (service name, display name) pairs from `sc.exe query type= service state= all`.
pub fn parse_list_with_display(out: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for l in out.lines() {
        let l = l.trim();
        if let Some(n) = l.strip_prefix("SERVICE_NAME:") {
            v.push((n.trim().to_string(), String::new()));
        } else if let (Some(d), Some(last)) = (l.strip_prefix("DISPLAY_NAME:"), v.last_mut()) {
            last.1 = d.trim().to_string();
        }
    }
    v.retain(|(n, _)| !n.is_empty());
    v
}

/// The executable of a `BINARY_PATH_NAME` (quoted or not, arguments dropped).
pub fn binary_of(path_name: &str) -> &str {
    let p = path_name.trim();
    if let Some(rest) = p.strip_prefix('"') {
        return rest.split('"').next().unwrap_or(rest);
    }
    // Unquoted: up to `.exe` when present (paths may hold spaces), else the first word.
    match p.to_ascii_lowercase().find(".exe") {
        Some(i) => &p[..i + 4],
        None => p.split_whitespace().next().unwrap_or(p),
    }
}

/// The agent folder of a MID service binary `...\agent\bin\wrapper-windows-x86-64.exe`.
pub fn agent_dir_of_binary(path_name: &str) -> Option<String> {
    let bin = binary_of(path_name);
    let lower = bin.to_ascii_lowercase().replace('/', "\\");
    let suffix = "\\bin\\wrapper-windows-x86-64.exe";
    if !lower.ends_with(&format!("\\agent{suffix}")) {
        return None;
    }
    Some(bin[..bin.len() - suffix.len()].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY_RUNNING: &str = "\r\nSERVICE_NAME: snc_mid_prod1\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n";
    const QUERY_MISSING: &str = "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n";
    const QC: &str = "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: snc_mid_prod1\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        START_TYPE         : 2   AUTO_START\r\n        ERROR_CONTROL      : 1   NORMAL\r\n        BINARY_PATH_NAME   : \"C:\\ServiceNow\\MID Server1\\agent\\bin\\wrapper-windows-x86-64.exe\" -s \"C:\\ServiceNow\\MID Server1\\agent\\conf\\wrapper.conf\"\r\n        LOAD_ORDER_GROUP   :\r\n        TAG                : 0\r\n        DISPLAY_NAME       : ServiceNow MID Server_prod1\r\n        DEPENDENCIES       :\r\n        SERVICE_START_NAME : LocalSystem\r\n";

    #[test]
    fn query_states() {
        assert_eq!(parse_query(QUERY_RUNNING), ServiceState::Running);
        assert_eq!(parse_query(QUERY_MISSING), ServiceState::NotInstalled);
        assert_eq!(
            parse_query(&QUERY_RUNNING.replace("4  RUNNING", "1  STOPPED")),
            ServiceState::Stopped
        );
        assert_eq!(
            parse_query(&QUERY_RUNNING.replace("4  RUNNING", "2  START_PENDING")),
            ServiceState::Pending
        );
        assert_eq!(
            parse_query("[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n"),
            ServiceState::Unknown
        );
    }

    #[test]
    fn qc_config() {
        let c = parse_qc(QC);
        assert_eq!(c.start_type, Some(StartType::Auto));
        assert_eq!(
            c.display_name.as_deref(),
            Some("ServiceNow MID Server_prod1")
        );
        assert_eq!(c.start_name.as_deref(), Some("LocalSystem"));
        assert_eq!(
            agent_dir_of_binary(c.binary_path.as_deref().unwrap()).as_deref(),
            Some("C:\\ServiceNow\\MID Server1\\agent")
        );
        assert_eq!(
            parse_qc(&QC.replace("2   AUTO_START", "3   DEMAND_START")).start_type,
            Some(StartType::Manual)
        );
        assert_eq!(
            parse_qc(&QC.replace("2   AUTO_START", "4   DISABLED")).start_type,
            Some(StartType::Disabled)
        );
        assert_eq!(
            parse_qc(&QC.replace("2   AUTO_START", "2   AUTO_START  (DELAYED)")).start_type,
            Some(StartType::Auto)
        );
        assert!(parse_qc("[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n").not_installed);
        assert_eq!(
            agent_dir_of_binary("C:\\Windows\\system32\\svchost.exe -k netsvcs"),
            None
        );
        assert_eq!(
            agent_dir_of_binary("D:\\mid\\agent\\bin\\wrapper-windows-x86-64.exe -s D:\\mid\\agent\\conf\\wrapper.conf").as_deref(),
            Some("D:\\mid\\agent")
        );
    }

    #[test]
    fn list_and_specs() {
        let out = "\r\nSERVICE_NAME: AarSvc\r\nDISPLAY_NAME: Agent Activation Runtime\r\n        TYPE               : 60  USER_SHARE_PROCESS TEMPLATE\r\n\r\nSERVICE_NAME: snc_mid_prod1\r\nDISPLAY_NAME: ServiceNow MID Server_prod1\r\n";
        assert_eq!(parse_list(out), vec!["AarSvc", "snc_mid_prod1"]);
        assert_eq!(
            set_start_type_spec("snc_mid_prod1", StartType::Manual).display(),
            "sc.exe config snc_mid_prod1 start= demand"
        );
        assert_eq!(
            list_spec().display(),
            "sc.exe query type= service state= all"
        );
    }
}
