//! Log lines kept as evidence: where they are, and their text with secrets masked.

use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use regex::Regex;

use crate::mid::report::Evidence;

/// A line found in a file. `line` is 0 until resolved from `offset` (see `revlines::line_numbers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub file: PathBuf,
    pub offset: u64,
    pub line: u64,
    pub text: String,
    pub time: Option<NaiveDateTime>,
    /// The time as RFC 3339, when the line has one.
    pub rfc3339: Option<String>,
}

impl Hit {
    pub fn evidence(&self) -> Evidence {
        Evidence {
            file: self.file.clone(),
            line: self.line,
            text: mask_secrets(&self.text),
        }
    }
}

static KEY_VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|credential)[\w.\-]*["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;]+)"#,
    )
    .ok()
});
static AUTH_HEADER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._\-]{8,}").ok());

/// Mask `password=...`-like values and Authorization credentials in a line.
pub fn mask_secrets(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(re) = KEY_VALUE.as_ref() {
        out = re.replace_all(&out, "${1}***").into_owned();
    }
    if let Some(re) = AUTH_HEADER.as_ref() {
        out = re.replace_all(&out, "${1} ***").into_owned();
    }
    out
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
    }
}
