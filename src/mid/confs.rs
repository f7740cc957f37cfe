//! Small key=value configuration files of an install: the Tanuki wrapper confs
//! (`conf/wrapper-override.conf`, `conf/wrapper.conf`), Linux `bin/mid.shconf[_override]`,
//! and systemd unit files. Only the keys detect needs are kept; nothing secret is read.

use std::path::Path;

/// The wrapper's service identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrapperNames {
    /// `wrapper.name` (the Windows service name).
    pub name: Option<String>,
    /// `wrapper.displayname`.
    pub display_name: Option<String>,
}

/// `mid.shconf_override` / `mid.shconf` values (Linux service identity).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShConf {
    pub app_name: Option<String>,
    pub app_long_name: Option<String>,
    pub run_as_user: Option<String>,
    /// `SYSTEMD_KILLMODE` (`process` by default): the KillMode `mid.sh install` writes into
    /// the unit it creates.
    pub systemd_killmode: Option<String>,
}

/// What a systemd unit file says that matters to an upgrade.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemdUnit {
    pub kill_mode: Option<String>,
    pub user: Option<String>,
    pub exec_start: Option<String>,
}

fn read_lossy(path: &Path) -> Option<String> {
    crate::mid::smallfile::read(path).ok().map(|b| {
        // Notepad and PowerShell write a UTF-8 BOM; it is not part of the first key.
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&b);
        String::from_utf8_lossy(b).into_owned()
    })
}

/// The key and raw value of a `key=value` line, `None` for comments (`#`, `;`) and other lines.
/// Shell files may prefix `export `.
pub fn key_value(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.starts_with('#') || line.starts_with(';') {
        return None;
    }
    let (k, v) = line.split_once('=')?;
    let k = k.trim();
    let k = k.strip_prefix("export").map_or(k, |rest| {
        if rest.starts_with([' ', '\t']) {
            rest.trim()
        } else {
            k
        }
    });
    Some((k, v))
}

/// A shell assignment's value: `"a b"`, `'a'`, or a bare word ending at a space or ` #`.
fn shell_word(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest.split(q).next().unwrap_or(rest);
        }
    }
    v.split([' ', '\t']).next().unwrap_or(v)
}

/// The value of `key` (last assignment wins) in `key=value` text; `#` starts a comment line.
fn value_of(text: &str, key: &str) -> Option<String> {
    value_with(text, key, |v| {
        v.trim().trim_matches('"').trim_matches('\'').trim()
    })
}

/// As `value_of`, for shell files (`mid.shconf_override`): `export`, quotes, trailing comments.
fn shell_value_of(text: &str, key: &str) -> Option<String> {
    value_with(text, key, shell_word)
}

fn value_with(text: &str, key: &str, clean: impl Fn(&str) -> &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let Some((k, v)) = key_value(line) else {
            continue;
        };
        if k == key {
            let v = clean(v);
            found = (!v.is_empty()).then(|| v.to_string());
        }
    }
    found
}

/// Service name and display name: `wrapper-override.conf` wins over `wrapper.conf`.
pub fn read_wrapper_names(agent_dir: &Path) -> WrapperNames {
    let conf = agent_dir.join("conf");
    let over = read_lossy(&conf.join("wrapper-override.conf")).unwrap_or_default();
    let base = read_lossy(&conf.join("wrapper.conf")).unwrap_or_default();
    wrapper_names_of(&over, &base)
}

/// Service name and display name from the texts of `wrapper-override.conf` and `wrapper.conf`.
pub fn wrapper_names_of(over: &str, base: &str) -> WrapperNames {
    let get = |k: &str| value_of(over, k).or_else(|| value_of(base, k));
    WrapperNames {
        name: get("wrapper.name"),
        display_name: get("wrapper.displayname"),
    }
}

/// `bin/mid.shconf_override` wins over `bin/mid.shconf`.
pub fn read_shconf(agent_dir: &Path) -> ShConf {
    let bin = agent_dir.join("bin");
    let over = read_lossy(&bin.join("mid.shconf_override")).unwrap_or_default();
    let base = read_lossy(&bin.join("mid.shconf")).unwrap_or_default();
    shconf_of(&over, &base)
}

/// `mid.shconf` settings from the texts of `mid.shconf_override` and `mid.shconf`.
pub fn shconf_of(over: &str, base: &str) -> ShConf {
    let get = |k: &str| shell_value_of(over, k).or_else(|| shell_value_of(base, k));
    ShConf {
        app_name: get("APP_NAME"),
        app_long_name: get("APP_LONG_NAME"),
        run_as_user: get("RUN_AS_USER"),
        systemd_killmode: get("SYSTEMD_KILLMODE"),
    }
}

/// Parse a systemd unit file's text.
pub fn parse_unit(text: &str) -> SystemdUnit {
    SystemdUnit {
        kill_mode: value_of(text, "KillMode"),
        user: value_of(text, "User"),
        exec_start: value_of(text, "ExecStart"),
    }
}

/// Find and read `<name>.service` in the usual unit folders under `root` (`/` on a host).
pub fn read_unit(root: &Path, name: &str) -> Option<(std::path::PathBuf, SystemdUnit)> {
    [
        "etc/systemd/system",
        "usr/lib/systemd/system",
        "lib/systemd/system",
    ]
    .iter()
    .map(|d| root.join(d).join(format!("{name}.service")))
    .find_map(|p| read_lossy(&p).map(|t| (p, parse_unit(&t))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_names_override_wins() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("conf")).unwrap();
        std::fs::write(
            d.path().join("conf/wrapper.conf"),
            "wrapper.name=snc_mid\nwrapper.displayname=ServiceNow MID Server\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("conf/wrapper-override.conf"),
            "# c\r\nwrapper.name=snc_mid_prod1\r\nwrapper.ntservice.password=CANARY\r\n",
        )
        .unwrap();
        let n = read_wrapper_names(d.path());
        assert_eq!(n.name.as_deref(), Some("snc_mid_prod1"));
        assert_eq!(n.display_name.as_deref(), Some("ServiceNow MID Server"));
    }

    #[test]
    fn shconf_and_unit() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bin")).unwrap();
        std::fs::write(
            d.path().join("bin/mid.shconf"),
            "APP_NAME=mid\nSYSTEMD_KILLMODE=process\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("bin/mid.shconf_override"),
            "APP_NAME=\"midserver\"\nAPP_LONG_NAME=ServiceNow_MID_Server_Mid\nRUN_AS_USER=midserver\n",
        )
        .unwrap();
        let s = read_shconf(d.path());
        assert_eq!(s.app_name.as_deref(), Some("midserver"));
        assert_eq!(s.run_as_user.as_deref(), Some("midserver"));
        let u = parse_unit(
            "[Service]\nExecStart=/opt/servicenow/mid/agent/bin/mid.sh start sysd\nKillMode=control-group\nUser=midserver\n",
        );
        assert_eq!(u.kill_mode.as_deref(), Some("control-group"));
    }
}
