//! Log lines kept as evidence: where they are, and their text with secrets masked.

use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::mid::report::Evidence;

/// A line found in a file. `line` is 0 until resolved from `offset` (see `revlines::line_numbers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub file: PathBuf,
    pub offset: u64,
    pub line: u64,
    pub text: String,
    /// The instant the line shows (its own offset, else the host's zone), when it has a time;
    /// a continuation line (stack trace) takes the time of the line above it.
    pub time: Option<DateTime<Utc>>,
    /// The time as RFC 3339, when the line has one.
    pub rfc3339: Option<String>,
}

impl Hit {
    pub fn evidence(&self) -> Evidence {
        Evidence {
            file: self.file.clone(),
            line: self.line,
            text: clean_text(&self.text),
        }
    }
}

static KEY_VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|credential)[\w.\-]*["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;]+)"#,
    )
    .ok()
});
static AUTH_HEADER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*(?:(?:basic|bearer|ntlm|negotiate|digest|token)\s+)?)[^\s,;]+").ok()
});
static AUTH_SCHEME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(basic|bearer|ntlm|negotiate|digest)\s+[A-Za-z0-9+/=._\-]{8,}").ok()
});
/// A config.xml `<parameter>` quoted in a log line: secret by its name, its flag or its value.
static XML_PARAM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)(<parameter\b[^>]*?\bvalue\s*=\s*)("[^"]*"|'[^']*')([^>]*>)"#).ok()
});
static ENCRYPTED_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"encrypted:[A-Za-z0-9+/=]+").ok());
static URL_USERINFO: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@:]+:[^\s/@]*@").ok());

/// Mask `password=...`-like values, Authorization credentials (any scheme) and the
/// `user:password@` of URLs in a line.
pub fn mask_secrets(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(re) = KEY_VALUE.as_ref() {
        out = re.replace_all(&out, "${1}***").into_owned();
    }
    if let Some(re) = AUTH_HEADER.as_ref() {
        out = re.replace_all(&out, "${1}***").into_owned();
    }
    if let Some(re) = AUTH_SCHEME.as_ref() {
        out = re.replace_all(&out, "${1} ***").into_owned();
    }
    if let Some(re) = XML_PARAM.as_ref() {
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                let whole = c[0].to_ascii_lowercase();
                let flagged = whole.contains("secure=\"true\"")
                    || whole.contains("encrypt=\"true\"")
                    || whole.contains("secure='true'")
                    || whole.contains("encrypt='true'");
                let name_secret = whole
                    .split("name")
                    .nth(1)
                    .and_then(|r| r.split(['"', '\'']).nth(1))
                    .is_some_and(crate::mid::config::is_secret_name);
                if flagged || name_secret {
                    format!("{}\"***\"{}", &c[1], &c[3])
                } else {
                    c[0].to_string()
                }
            })
            .into_owned();
    }
    if let Some(re) = ENCRYPTED_VALUE.as_ref() {
        out = re.replace_all(&out, "encrypted:***").into_owned();
    }
    if let Some(re) = URL_USERINFO.as_ref() {
        out = re.replace_all(&out, "${1}***@").into_owned();
    }
    out
}

/// Control characters (escape sequences, BEL, backspace, C1 controls) replaced by U+FFFD so
/// that shown or saved text cannot drive a terminal; tabs become spaces.
pub fn strip_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Text fit for a report: secrets masked, control characters replaced.
pub fn clean_text(text: &str) -> String {
    strip_controls(&mask_secrets(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(
            mask_secrets("wrapper.ntservice.password=CANARY123 more"),
            "wrapper.ntservice.password=*** more"
        );
        assert_eq!(
            mask_secrets("-Djavax.net.ssl.trustStorePassword=s3cr3t"),
            "-Djavax.net.ssl.trustStorePassword=***"
        );
        assert_eq!(
            mask_secrets("Authorization: Basic YWRtaW46cGFzcw=="),
            "Authorization: Basic ***"
        );
        assert_eq!(mask_secrets("MID Server started"), "MID Server started");
        assert_eq!(
            mask_secrets("Authorization: NTLM TlRMTVNTUAAB x"),
            "Authorization: NTLM *** x"
        );
        assert_eq!(
            mask_secrets("posting to https://admin:pw@acme.service-now.com/x"),
            "posting to https://***@acme.service-now.com/x"
        );
        assert_eq!(
            mask_secrets(
                r#"read <parameter name="mid.proxy.password" value="pw1"/> and <parameter secure="true" name="x" value='pw2'/> and <parameter name="name" value="mid1"/>"#
            ),
            r#"read <parameter name="mid.proxy.password" value="***"/> and <parameter secure="true" name="x" value="***"/> and <parameter name="name" value="mid1"/>"#
        );
        assert_eq!(
            mask_secrets("value=encrypted:7cHG3x8Ssx9m84qHaHlgKQ== x"),
            "value=encrypted:*** x"
        );
        assert_eq!(clean_text("a\u{1b}[2Jb\tc"), "a\u{fffd}[2Jb c");
    }
}
