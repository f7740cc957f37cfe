//! Log lines kept as evidence: where they are, and their text with secrets masked.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

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

/// Mask every secret in a line (or a few lines) with the one shared rule set of
/// [`crate::redact`]: the same rules as the support bundle and the live panes.
pub fn mask_secrets(text: &str) -> String {
    crate::redact::redact_str(text).into_owned()
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

/// Text fit for a report: control characters replaced, then secrets masked (in that order,
/// so that an escape byte between a key and its value cannot hide the value).
pub fn clean_text(text: &str) -> String {
    mask_secrets(&strip_controls(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_with_the_shared_rules() {
        for (line, secret) in [
            ("wrapper.ntservice.password=CANARY123 more", "CANARY123"),
            ("-Djavax.net.ssl.trustStorePassword=s3cr3t", "s3cr3t"),
            ("Authorization: Basic YWRtaW46cGFzcw==", "YWRtaW46cGFzcw"),
            ("Authorization: NTLM TlRMTVNTUAAB x", "TlRMTVNTUAAB"),
            (
                "posting to https://admin:pw@acme.service-now.com/x",
                "admin:pw",
            ),
            (
                r#"read <parameter name="mid.proxy.password" value="pw1"/>"#,
                "pw1",
            ),
            ("value=encrypted:7cHG3x8Ssx9m84qHaHlgKQ== x", "7cHG3x8S"),
            // Shapes the old evidence-only list missed.
            ("JSESSIONID=abc123def", "abc123def"),
            ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
            ("password=has spaces in it", "spaces in it"),
        ] {
            let out = mask_secrets(line);
            assert!(!out.contains(secret), "{line} -> {out}");
            assert!(out.contains("***REDACTED***"), "{out}");
        }
        assert_eq!(mask_secrets("MID Server started"), "MID Server started");
        assert!(
            mask_secrets("posting to https://admin:pw@acme.service-now.com/x")
                .ends_with("@acme.service-now.com/x")
        );
        assert_eq!(clean_text("a\u{1b}[2Jb\tc"), "a\u{fffd}[2Jb c");
    }
}
