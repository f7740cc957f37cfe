//! `agent/config.xml` (mid-server.md §3): the MID name, instance URL and sys_id. Parsed as XML
//! so attribute order does not matter. Secret parameters are recognised by name and flags and
//! only their names are kept: their values never leave this function.

use std::path::Path;

use quick_xml::events::Event;

/// What detect needs from config.xml. Holds no secret values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MidConfig {
    pub name: Option<String>,
    pub url: Option<String>,
    pub mid_sys_id: Option<String>,
    /// `mid.upgrade.use_os_temp_folder` (pre-Rome temp location on newer MIDs).
    pub use_os_temp_folder: Option<bool>,
    /// `mid.pinned.version`: the MID stays on this build (§3.2).
    pub pinned_version: Option<String>,
    /// `mid.upgrade.run_precheck` (default true; false skips the pre-upgrade check).
    pub run_precheck: Option<bool>,
    /// Names of the parameters whose values are secret (never their values).
    pub secret_params: Vec<String>,
}

/// Whether a parameter name looks secret (mid-server.md §3.3).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "key",
        "credential",
        "ksm_config",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Read and parse `config.xml`.
pub fn read_config(path: &Path) -> anyhow::Result<MidConfig> {
    let bytes = crate::mid::smallfile::read(path)?;
    parse_config_bytes(&bytes)
}

/// Parse config.xml as read from disk (UTF-8 or UTF-16 with a BOM, see `decode`).
pub fn parse_config_bytes(bytes: &[u8]) -> anyhow::Result<MidConfig> {
    parse_config(&decode(bytes))
}

/// config.xml bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM (an editor's
/// "Unicode"); invalid sequences become U+FFFD.
fn decode(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], le: bool| {
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Parse config.xml text. A file broken after some parameters (truncated by a crash, a stray
/// `&`) keeps what was read before the break; one that yields nothing is an error.
pub fn parse_config(text: &str) -> anyhow::Result<MidConfig> {
    let mut reader = quick_xml::Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut cfg = MidConfig::default();
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) if cfg.name.is_some() || cfg.url.is_some() => {
                tracing::warn!(
                    "config.xml is broken after byte {}: {e}",
                    reader.buffer_position()
                );
                break;
            }
            Err(e) => anyhow::bail!("config.xml is not valid XML: {e}"),
        };
        let el = match ev {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) => e,
            _ => continue,
        };
        if el.local_name().as_ref() != "parameter" {
            continue;
        }
        let mut name = None;
        let mut value = None;
        let mut flagged = false;
        for attr in el.attributes().flatten() {
            let v = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|c| c.into_owned())
                .unwrap_or_default();
            match attr.key.local_name().as_ref() {
                "name" => name = Some(v),
                "value" => value = Some(v),
                "secure" | "encrypt" => flagged |= v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        let Some(name) = name else { continue };
        let secret = flagged
            || is_secret_name(&name)
            || value
                .as_deref()
                .is_some_and(|v| v.trim_start().starts_with("encrypted:"));
        if secret {
            cfg.secret_params.push(name);
            continue;
        }
        let value = value
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_string());
        match name.as_str() {
            "name" => cfg.name = value,
            "url" => cfg.url = value,
            "mid_sys_id" => cfg.mid_sys_id = value,
            "mid.upgrade.use_os_temp_folder" => {
                cfg.use_os_temp_folder = value.map(|v| v.eq_ignore_ascii_case("true"))
            }
            "mid.pinned.version" => cfg.pinned_version = value,
            "mid.upgrade.run_precheck" => {
                cfg.run_precheck = value.map(|v| !v.eq_ignore_ascii_case("false"))
            }
            _ => {}
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_template_and_any_attribute_order() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme.service-now.com/"/>
    <parameter name="mid.instance.username" value="mid_user"/>
    <parameter name="mid.instance.password" secure="true" value="encrypted:7cHG3x8Ssx9m84qHaHlgKQ=="/>
    <parameter value="mid-prod-1" name="name"/>
    <parameter name="mid_sys_id" value=""/>
    <parameter name="mid.proxy.password" value="CANARY-plain"/>
    <parameter name="other" value="x" encrypt="true"></parameter>
</parameters>"#;
        let c = parse_config(xml).unwrap();
        assert_eq!(c.name.as_deref(), Some("mid-prod-1"));
        assert_eq!(c.url.as_deref(), Some("https://acme.service-now.com/"));
        assert_eq!(c.mid_sys_id, None);
        assert_eq!(
            c.secret_params,
            vec!["mid.instance.password", "mid.proxy.password", "other"]
        );
        assert!(!format!("{c:?}").contains("CANARY"));
        assert!(!format!("{c:?}").contains("7cHG3x8"));
    }

    #[test]
    fn truncated_and_utf16_files_keep_what_they_hold() {
        let c = parse_config(
            "<parameters><parameter name=\"name\" value=\"mid1\"/><parameter name=\"url\" value=\"https://a/\"/></parameters></oops>",
        )
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("mid1"));
        let mut b = vec![0xFF, 0xFE];
        for u in "<parameters><parameter name=\"name\" value=\"mid2\"/></parameters>".encode_utf16()
        {
            b.extend(u.to_le_bytes());
        }
        assert_eq!(
            parse_config(&decode(&b)).unwrap().name.as_deref(),
            Some("mid2")
        );
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse_config("<parameters><parameter name='a' value='b'></x>").is_err());
    }
}
