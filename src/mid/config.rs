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
    let bytes = std::fs::read(path)?;
    parse_config(&String::from_utf8_lossy(&bytes))
}

/// Parse config.xml text.
pub fn parse_config(text: &str) -> anyhow::Result<MidConfig> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut cfg = MidConfig::default();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| anyhow::anyhow!("config.xml is not valid XML: {e}"))?;
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
                .is_some_and(|v| v.starts_with("encrypted:"));
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
    fn broken_xml_is_an_error() {
        assert!(parse_config("<parameters><parameter name='a' value='b'></x>").is_err());
    }
}
