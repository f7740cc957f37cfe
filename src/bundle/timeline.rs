//! Upgrade timeline: the few log lines that tell the story of an upgrade (download, extract,
//! bootstrap, marker, failures, restarts), picked from the redacted bytes as they stream by,
//! for SUMMARY.md.

use std::collections::{HashMap, HashSet, VecDeque};

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

/// Finds timeline lines in a stream (a clone shares the pattern, with its own caches).
#[derive(Debug, Clone)]
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
        // Line spans of the matches first: only the last PER_FILE of a file are kept, so a
        // big log with an error every few lines builds (allocates, parses) only those.
        let mut spans: VecDeque<(usize, usize)> = VecDeque::new();
        let mut last_line_end = 0usize;
        for m in self.re.find_iter(chunk) {
            if m.start() < last_line_end {
                continue;
            }
            let start = memchr::memrchr(b'\n', &chunk[..m.start()]).map_or(0, |i| i + 1);
            let end =
                memchr::memchr(b'\n', &chunk[m.start()..]).map_or(chunk.len(), |i| m.start() + i);
            last_line_end = end;
            if spans.len() == PER_FILE {
                spans.pop_front();
            }
            spans.push_back((start, end));
        }
        let mut counted_to = 0usize;
        let mut line_no = st.lines_before;
        for (start, end) in spans {
            line_no += memchr::memchr_iter(b'\n', &chunk[counted_to..start]).count() as u64;
            counted_to = start;
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

/// Distinct dated lines the collector keeps before it leaves out the oldest half: SUMMARY.md
/// shows 80, so this is plenty, and it bounds memory whatever the number of files.
const KEEP: usize = 4096;
/// Distinct undated lines counted exactly (beyond that, "at least").
const UNDATED_MAX: usize = 65_536;

/// One timeline line with how many earlier copies of its message there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The newest copy.
    pub line: Line,
    /// Earlier copies counted.
    pub earlier: usize,
    /// When the first counted copy was logged.
    pub first: Option<NaiveDateTime>,
}

/// The timeline of a whole bundle, from [`Collector::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Dated lines, oldest first, repeats collapsed into their newest copy.
    pub lines: Vec<Kept>,
    /// Distinct dated lines left out (the oldest) to bound memory.
    pub left_out: usize,
    /// Distinct matching lines without a parsable time.
    pub undated: usize,
    /// Lines were left out while collecting, so repeat counts are lower bounds.
    pub approximate: bool,
}

/// Gathers the timeline lines of every file as files finish, in bounded memory: repeats of a
/// message (the hourly `AutoUpgrade.3600 Missing: []`) fold into their newest copy with a
/// count, and past [`KEEP`] distinct messages the oldest half is left out (and counted).
/// Keyed by a hash of the message (see [`Collector::repeat_key`]), not the message itself:
/// with 100,000 small files, formatting a key string per line was a sixth of the writer
/// thread's time. The hash is SipHash with this process's random keys, so a log cannot be
/// written to make two messages collide; by chance that is one in 2^64 per pair.
#[derive(Debug, Default)]
pub struct Collector {
    hasher: std::hash::RandomState,
    by_key: HashMap<u64, Kept>,
    undated: HashSet<u64>,
    undated_capped: bool,
    left_out: usize,
}

/// Order of lines in the timeline: time, then file, then line number.
fn order(l: &Line) -> (Option<NaiveDateTime>, &str, u64) {
    (l.when, l.file.as_str(), l.line)
}

impl Collector {
    /// What makes two lines "the same message": the thread and message without the timestamp
    /// (the whole text when the line has no known layout).
    fn repeat_key(&self, l: &Line) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        match crate::mid::logline::parse(&l.text) {
            Some(p) => {
                1u8.hash(&mut h);
                p.thread.unwrap_or("").hash(&mut h);
                p.message.hash(&mut h);
            }
            None => {
                0u8.hash(&mut h);
                l.text.hash(&mut h);
            }
        }
        h.finish()
    }

    pub fn add(&mut self, l: Line) {
        let key = self.repeat_key(&l);
        if l.when.is_none() {
            if self.undated.len() < UNDATED_MAX {
                self.undated.insert(key);
            } else {
                self.undated_capped = true;
            }
            return;
        }
        match self.by_key.get_mut(&key) {
            Some(k) if k.line.file == l.file && k.line.line == l.line => {}
            Some(k) => {
                // Both dated here, so `min` is the earlier time.
                k.earlier += 1;
                k.first = k.first.min(l.when);
                if order(&l) > order(&k.line) {
                    k.line = l;
                }
            }
            None => {
                let first = l.when;
                self.by_key.insert(
                    key,
                    Kept {
                        line: l,
                        earlier: 0,
                        first,
                    },
                );
                if self.by_key.len() > KEEP {
                    self.leave_out_oldest();
                }
            }
        }
    }

    /// Drop the older half of the distinct lines (their newest copies are the oldest).
    fn leave_out_oldest(&mut self) {
        // Borrowed and partitioned (not sorted): this runs every 2,048 new messages, which
        // with 100,000 small files is often.
        let mut newest: Vec<(_, u64)> = self
            .by_key
            .iter()
            .map(|(k, v)| (order(&v.line), *k))
            .collect();
        let drop = newest.len() - KEEP / 2;
        newest.select_nth_unstable(drop - 1);
        let gone: Vec<u64> = newest[..drop].iter().map(|(_, k)| *k).collect();
        for k in gone {
            self.by_key.remove(&k);
        }
        self.left_out += drop;
    }

    pub fn finish(self) -> Timeline {
        let mut lines: Vec<Kept> = self.by_key.into_values().collect();
        lines.sort_by(|a, b| order(&a.line).cmp(&order(&b.line)));
        Timeline {
            lines,
            left_out: self.left_out,
            undated: self.undated.len(),
            approximate: self.left_out > 0 || self.undated_capped,
        }
    }
}

/// The timestamp of a MID, wrapper or upgrade-wrapper log line (local time of the host; the
/// zone of ISO lines is dropped so all formats sort together).
pub fn parse_time(line: &str) -> Option<NaiveDateTime> {
    let t = line.trim_start().as_bytes();
    // Fixed layouts read digit by digit: chrono's `parse_from_str` re-reads its format string
    // on every call, which showed in profiles of logs with an error every few lines.
    // 2022-10-21T13:08:58.330+0200 INFO (MIDServer) ...
    if let Some(d) = fixed(t, b"dddd-dd-ddTdd:dd:dd.ddd", [0, 5, 8, 11, 14, 17, 20], 4) {
        return Some(d);
    }
    // 10/22/18 17:56:13 (898) AutoUpgrade.3600 ...
    if let Some(d) = fixed(t, b"dd/dd/dd dd:dd:dd", [6, 0, 3, 9, 12, 15, usize::MAX], 2) {
        return Some(d);
    }
    // 2019/12/15 00:35:29 | message
    if let Some(d) = fixed(
        t,
        b"dddd/dd/dd dd:dd:dd",
        [0, 5, 8, 11, 14, 17, usize::MAX],
        4,
    ) {
        return Some(d);
    }
    // INFO   | jvm 1    | 2019/09/21 16:30:47.114 | ...
    let mut cols = line.trim_start().split('|').map(str::trim);
    let (_, _, third) = (cols.next(), cols.next(), cols.next());
    let c = third?.as_bytes();
    fixed(
        c,
        b"dddd/dd/dd dd:dd:dd",
        [0, 5, 8, 11, 14, 17, usize::MAX],
        4,
    )
}

/// `s` read against `layout` (`d` = an ASCII digit, anything else itself); `at` gives where
/// year, month, day, hour, minute, second and milliseconds (or `usize::MAX`) start; a 2-digit
/// year is read as chrono's `%y` (00-69: 20yy, else 19yy) and second 60 as a leap second, so
/// the answers equal `NaiveDateTime::parse_from_str` on these layouts (tested).
fn fixed(s: &[u8], layout: &[u8], at: [usize; 7], year_digits: usize) -> Option<NaiveDateTime> {
    let s = s.get(..layout.len())?;
    let shape_ok = s.iter().zip(layout).all(|(c, l)| match l {
        b'd' => c.is_ascii_digit(),
        _ => c == l,
    });
    if !shape_ok {
        return None;
    }
    let num = |from: usize, n: usize| {
        s[from..from + n]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'))
    };
    let year = num(at[0], year_digits);
    let year = if year_digits == 2 {
        if year < 70 { 2000 + year } else { 1900 + year }
    } else {
        year
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, num(at[1], 2), num(at[2], 2))?;
    let mut milli = if at[6] == usize::MAX {
        0
    } else {
        num(at[6], 3)
    };
    let mut sec = num(at[5], 2);
    if sec == 60 {
        (sec, milli) = (59, milli + 1000);
    }
    let time = chrono::NaiveTime::from_hms_milli_opt(num(at[3], 2), num(at[4], 2), sec, milli)?;
    Some(NaiveDateTime::new(date, time))
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

    /// What `parse_time` did with chrono's parser; the digit reader must agree with it.
    fn chrono_parse_time(line: &str) -> Option<NaiveDateTime> {
        let t = line.trim_start();
        let try_at =
            |s: Option<&str>, f: &str| s.and_then(|s| NaiveDateTime::parse_from_str(s, f).ok());
        try_at(t.get(..23), "%Y-%m-%dT%H:%M:%S%.3f")
            .or_else(|| try_at(t.get(..17), "%m/%d/%y %H:%M:%S"))
            .or_else(|| try_at(t.get(..19), "%Y/%m/%d %H:%M:%S"))
            .or_else(|| {
                let third = t.split('|').map(str::trim).nth(2)?;
                try_at(third.get(..19), "%Y/%m/%d %H:%M:%S")
            })
    }

    #[test]
    fn the_digit_reader_agrees_with_chrono() {
        let shapes = [
            "2022-10-21T13:08:58.330+0200 INFO (MIDServer) x",
            "  2022-10-21T13:08:58.330",
            "10/22/18 17:56:13 (898) AutoUpgrade.3600",
            "2019/12/15 00:35:29 | --> Wrapper Started",
            "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | INFO: x",
            "ERROR | wrapperm | 2019/11/02 19:07:59 | x",
        ];
        // Every digit position gets random digits: month 13, day 31 in February, hour 24,
        // second 60, year 69/70. (chrono also reads space-padded fields, " 8"; the MID writes
        // zero-padded ones, and such a line is only left undated.)
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"01234567890123456789069";
        for shape in shapes {
            for _ in 0..20_000 {
                let mut b = shape.as_bytes().to_vec();
                for c in b.iter_mut() {
                    if c.is_ascii_digit() && next() % 3 == 0 {
                        *c = alphabet[(next() % alphabet.len() as u64) as usize];
                    }
                }
                let l = String::from_utf8(b).unwrap();
                assert_eq!(parse_time(&l), chrono_parse_time(&l), "{l:?}");
            }
        }
        for l in [
            "02/29/24 23:59:60 (1)",
            "02/29/23 00:00:00 (1)",
            "01/01/69 00:00:00 (1)",
            "01/01/70 00:00:00 (1)",
        ] {
            assert_eq!(parse_time(l), chrono_parse_time(l), "{l:?}");
        }
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

    #[test]
    fn a_chunk_with_more_matches_than_kept_keeps_the_newest_with_their_numbers() {
        let s = Scanner::new().unwrap();
        let mut st = FileScan::default();
        let mut chunk = Vec::new();
        for i in 1..=300 {
            if i % 2 == 0 {
                chunk.extend_from_slice(format!("line {i} SEVERE failure {i}\n").as_bytes());
            } else {
                chunk.extend_from_slice(format!("line {i} fine\n").as_bytes());
            }
        }
        s.scan("a", &chunk, &mut st);
        s.scan("a", b"quiet\nlast SEVERE one\n", &mut st);
        assert_eq!(st.found.len(), PER_FILE);
        let newest = st.found.back().unwrap();
        assert_eq!(
            (newest.line, newest.text.as_str()),
            (302, "last SEVERE one")
        );
        // 150 matches in the first chunk, the last 119 survive the second: lines 64, 66, ... 300.
        let first = &st.found[0];
        assert_eq!(
            (first.line, first.text.as_str()),
            (64, "line 64 SEVERE failure 64")
        );
        assert!(
            st.found
                .iter()
                .take(PER_FILE - 1)
                .all(|l| l.text == format!("line {} SEVERE failure {}", l.line, l.line))
        );
    }

    fn line(n: u64, text: &str) -> Line {
        Line {
            when: parse_time(text),
            file: "agent/logs/agent0.log.0".into(),
            line: n,
            text: text.into(),
        }
    }

    #[test]
    fn hourly_checks_collapse_to_the_newest_and_the_upgrade_story_stays() {
        let mut c = Collector::default();
        for l in [
            line(3, "11/21/26 03:10:59 (770) AutoUpgrade.3600 Missing: []"),
            line(1, "11/21/26 01:10:59 (770) AutoUpgrade.3600 Missing: []"),
            line(
                4,
                "11/21/26 03:11:02 (101) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.",
            ),
            line(2, "11/21/26 02:10:59 (770) AutoUpgrade.3600 Missing: []"),
            line(9, "no time: Upgrade failed"),
        ] {
            c.add(l);
        }
        let t = c.finish();
        assert_eq!(t.lines.len(), 2);
        assert_eq!(t.lines[0].line.line, 3, "the newest copy is kept");
        assert_eq!(t.lines[0].earlier, 2);
        assert_eq!(
            t.lines[0].first.map(|f| f.to_string()).as_deref(),
            Some("2026-11-21 01:10:59")
        );
        assert!(t.lines[1].line.text.contains("Bootstrapping upgrade"));
        assert_eq!(t.lines[1].earlier, 0);
        assert_eq!((t.undated, t.left_out, t.approximate), (1, 0, false));
    }

    /// However many distinct lines arrive, the collector keeps at most KEEP, leaves out the
    /// oldest, counts what it left out, and the newest lines are all there.
    #[test]
    fn memory_stays_bounded_and_the_newest_lines_survive() {
        let mut c = Collector::default();
        let n = 50_000u64;
        // Out of order on purpose: files finish in any order.
        for i in (0..n).rev().step_by(2).chain((0..n).step_by(2)) {
            let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
            let d = 1 + i / 86_400;
            c.add(line(
                i + 1,
                &format!("2026-11-{d:02}T{h:02}:{m:02}:{s:02}.000+0000 SEVERE (W) [X:1] event {i}"),
            ));
            assert!(c.by_key.len() <= KEEP);
        }
        let t = c.finish();
        assert!(t.approximate);
        assert_eq!(t.lines.len() + t.left_out, n as usize);
        let last: Vec<u64> = t.lines.iter().rev().take(80).map(|k| k.line.line).collect();
        let want: Vec<u64> = (n - 79..=n).rev().collect();
        assert_eq!(last, want, "the 80 newest lines are kept, in order");
    }
}
