//! systemd: `systemctl show <unit> -p ActiveState,UnitFileState,KillMode,LoadState` and
//! `systemctl enable|disable <unit>`, as command specs plus a pure parser.

use crate::platform::exec::CommandSpec;
use crate::platform::service::{ServiceState, StartType};

/// What `systemctl show` says about a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemdShow {
    pub load_state: Option<String>,
    pub active_state: Option<String>,
    pub unit_file_state: Option<String>,
    pub kill_mode: Option<String>,
}

impl SystemdShow {
    pub fn state(&self) -> ServiceState {
        if self.load_state.as_deref() == Some("not-found") {
            return ServiceState::NotInstalled;
        }
        match self.active_state.as_deref() {
            Some("active") | Some("reloading") => ServiceState::Running,
            Some("activating") | Some("deactivating") => ServiceState::Pending,
            Some("inactive") | Some("failed") => ServiceState::Stopped,
            _ => ServiceState::Unknown,
        }
    }

    pub fn start_type(&self) -> Option<StartType> {
        match self.unit_file_state.as_deref()? {
            "enabled" | "enabled-runtime" | "alias" => Some(StartType::Auto),
            "disabled" | "static" | "indirect" | "generated" | "transient" => {
                Some(StartType::Manual)
            }
            "masked" | "masked-runtime" => Some(StartType::Disabled),
            _ => None,
        }
    }
}

pub fn show_spec(unit: &str) -> CommandSpec {
    CommandSpec::new(
        "systemctl",
        &[
            "show",
            unit,
            "-p",
            "ActiveState,UnitFileState,KillMode,LoadState",
            "--no-pager",
        ],
    )
}

/// `systemctl disable <unit>` for manual (a disabled unit still starts on demand), `enable`
/// for auto, `mask` for disabled.
pub fn set_start_type_spec(unit: &str, start: StartType) -> CommandSpec {
    let verb = match start {
        StartType::Auto => "enable",
        StartType::Manual => "disable",
        StartType::Disabled => "mask",
    };
    CommandSpec::new("systemctl", &[verb, unit])
}

/// `systemctl show <unit> -p User,KillMode,LoadState,FragmentPath`: how the unit is set up.
pub fn setup_spec(unit: &str) -> CommandSpec {
    CommandSpec::new(
        "systemctl",
        &[
            "show",
            unit,
            "-p",
            "LoadState,User,KillMode,FragmentPath",
            "--no-pager",
        ],
    )
}

/// The value of `key` in `systemctl show` output (empty values are `None`).
pub fn show_value(out: &str, key: &str) -> Option<String> {
    out.lines().find_map(|l| {
        let (k, v) = l.trim().split_once('=')?;
        (k.trim() == key && !v.trim().is_empty()).then(|| v.trim().to_string())
    })
}

pub fn parse_show(out: &str) -> SystemdShow {
    let mut s = SystemdShow::default();
    for line in out.lines() {
        let Some((k, v)) = line.trim().split_once('=') else {
            continue;
        };
        let v = (!v.trim().is_empty()).then(|| v.trim().to_string());
        match k.trim() {
            "LoadState" => s.load_state = v,
            "ActiveState" => s.active_state = v,
            "UnitFileState" => s.unit_file_state = v,
            "KillMode" => s.kill_mode = v,
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_show() {
        let s = parse_show(
            "ActiveState=active\nUnitFileState=enabled\nKillMode=process\nLoadState=loaded\n",
        );
        assert_eq!(s.state(), ServiceState::Running);
        assert_eq!(s.start_type(), Some(StartType::Auto));
        assert_eq!(s.kill_mode.as_deref(), Some("process"));
        let s = parse_show(
            "LoadState=not-found\nActiveState=inactive\nUnitFileState=\nKillMode=control-group\n",
        );
        assert_eq!(s.state(), ServiceState::NotInstalled);
        assert_eq!(s.start_type(), None);
        let s = parse_show("ActiveState=failed\nUnitFileState=disabled\nLoadState=loaded");
        assert_eq!(
            (s.state(), s.start_type()),
            (ServiceState::Stopped, Some(StartType::Manual))
        );
        assert_eq!(
            set_start_type_spec("mid", StartType::Manual).display(),
            "systemctl disable mid"
        );
    }
}
