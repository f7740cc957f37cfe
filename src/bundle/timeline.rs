//! Upgrade timeline: the few log lines that tell the story of an upgrade (download, extract,
//! bootstrap, marker, failures, restarts), picked from the redacted bytes as they stream by,
//! for SUMMARY.md.

use std::collections::VecDeque;

use chrono::NaiveDateTime;
use regex::bytes::Regex;

/// Lines kept per file (the newest win).
const PER_FILE: usize = 120;
/// Longest line text kept.
const MAX_TEXT: usize = 400;

/// One timeline line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub when: Option<NaiveDateTime>,
    /// Path inside the zip.
    pub file: String,
    /// 1-based line number in the bundled copy.
    pub line: u64,
    pub text: String,
}

/// Phrases from mid-server.md §4.3-4.5 and §8 (upgrade steps, failure signatures, restarts).
const PHRASES: &[&str] = &[
    "Setting mid status to",
    "Bootstrapping upgrade",
    "Added marker",
    "Added service",
    "Upgrade failed",
    "Aborting MID Server upgrade",
    "Upgrading MID server",
    "Extracting package",
    "Downloading package",
    "successfully downloaded",
    "Pre-upgrade validation",
    "Initializing MID Server",
    "MID Server started",
    "MID Server stopped",
    "MID Server starting",
    "Missing: [",
    "Assigned: [",
    "UPGRADE MAIN LOG",
    "SEVERE",
    "cannot be deleted",
    "UpgradeException",
    "Unable to delete directory",
    "Removing previous MID JRE",
    "Machine is shutting down",
    "Startup failed",
    "Launching a JVM",
    "Wrapper Started",
    "Wrapper Stopped",
    "is not installed",
    "failed to start",
    "UPGRADE_FAILED",
    "Not enough free disk space",
    "Permission denied",
    "Access is denied",
];

/// Finds timeline lines in a stream.
#[derive(Debug)]
pub struct Scanner {
    re: Regex,
}

impl Scanner {
    pub fn new() -> anyhow::Result<Self> {
        let alt: Vec<String> = PHRASES.iter().map(|p| regex::escape(p)).collect();
        // Case-sensitive: the MID writes these phrases with fixed case, and a plain literal
        // alternation is several times faster than a case-folded one over a 1 GB log set.
        Ok(Scanner {
            re: Regex::new(&alt.join("|"))?,
        })
    }
}

/// Per-file scan state.
#[derive(Debug, Default)]
pub struct FileScan {
    /// Newlines seen before the current chunk.
    lines_before: u64,
    pub found: VecDeque<Line>,
}

impl Scanner {
    /// Scan a chunk of whole lines (redacted bytes) of `file`.
    pub fn scan(&self, file: &str, chunk: &[u8], st: &mut FileScan) {
        let mut counted_to = 0usize;
        let mut line_no = st.lines_before;
        let mut last_line_end = 0usize;
        for m in self.re.find_iter(chunk) {
            if m.start() < last_line_end {
                continue;
            }
            let start = memchr::memrchr(b'\n', &chunk[..m.start()]).map_or(0, |i| i + 1);
            let end =
                memchr::memchr(b'\n', &chunk[m.start()..]).map_or(chunk.len(), |i| m.start() + i);
            line_no += memchr::memchr_iter(b'\n', &chunk[counted_to..start]).count() as u64;
            counted_to = start;
            last_line_end = end;
            let raw = &chunk[start..end];
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let cut = &raw[..raw.len().min(MAX_TEXT)];
            let text = String::from_utf8_lossy(cut).trim_end().to_string();
            if st.found.len() == PER_FILE {
                st.found.pop_front();
            }
            st.found.push_back(Line {
                when: parse_time(&text),
                file: file.to_string(),
                line: line_no + 1,
                text,
            });
        }
        st.lines_before += memchr::memchr_iter(b'\n', chunk).count() as u64;
    }
}

/// The timestamp of a MID, wrapper or upgrade-wrapper log line (local time of the host; the
/// zone of ISO lines is dropped so all formats sort together).
pub fn parse_time(line: &str) -> Option<NaiveDateTime> {
    let t = line.trim_start();
    // 2022-10-21T13:08:58.330+0200 INFO (MIDServer) ...
    if let Some(s) = t.get(..23)
        && let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f")
    {
        return Some(d);
    }
    // 10/22/18 17:56:13 (898) AutoUpgrade.3600 ...
    if let Some(s) = t.get(..17)
        && let Ok(d) = NaiveDateTime::parse_from_str(s, "%m/%d/%y %H:%M:%S")
    {
        return Some(d);
    }
    // 2019/12/15 00:35:29 | message
    if let Some(s) = t.get(..19)
        && let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S")
    {
        return Some(d);
    }
    // INFO   | jvm 1    | 2019/09/21 16:30:47.114 | ...
    let mut cols = t.split('|').map(str::trim);
    let (_, _, third) = (cols.next(), cols.next(), cols.next());
    if let Some(c) = third
        && let Some(s) = c.get(..19)
        && let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S")
    {
        return Some(d);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_formats() {
        for l in [
            "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
            "10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed.",
            "2019/12/15 00:35:29 | --> Wrapper Started as Service",
            "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | INFO: Removing previous MID JRE",
            "ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (x) service is already started",
        ] {
            assert!(parse_time(l).is_some(), "{l}");
        }
        assert!(parse_time("no time here").is_none());
    }

    #[test]
    fn finds_lines_with_numbers_across_chunks() {
        let s = Scanner::new().unwrap();
        let mut st = FileScan::default();
        s.scan(
            "a",
            b"x\n03/02/23 09:25:24 (742) MIDServer MID Server stopped\n",
            &mut st,
        );
        s.scan(
            "a",
            b"y\r\n10/22/18 17:56:13 (898) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.\r\n",
            &mut st,
        );
        let v: Vec<_> = st
            .found
            .iter()
            .map(|l| (l.line, l.when.is_some()))
            .collect();
        assert_eq!(v, vec![(2, true), (4, true)]);
        assert!(!st.found[1].text.ends_with('\r'));
    }
}
