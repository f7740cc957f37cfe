//! Searching the MID's logs newest first and stopping as soon as the answers are found.
//!
//! Agent logs (`agent0.log.0` newest, then `.1` ... `.9`): the last upgrade marker, the last
//! `Bootstrapping upgrade`, the last start, the `Assigned:` package line and failure lines, all
//! since the MID last started (the scan stops at the newest start line). Wrapper logs
//! (`wrapper.log`, then `wrapper.log.1` ...) and the upgrade log: failure lines newer than a
//! cutoff time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use memchr::memmem::Finder;

use crate::mid::evidence::Hit;
use crate::mid::logline;
use crate::mid::report::FindingCode;
use crate::mid::revlines::ReverseLines;
use crate::mid::signatures;

/// Evidence lines kept per finding code.
pub const MAX_HITS_PER_CODE: usize = 3;
/// Lines to keep reading past `Bootstrapping upgrade` to find the `Assigned:` package line.
const LINES_AFTER_BOOTSTRAP: usize = 5000;
/// Lines read past the newest start to see whether an upgrade had just been bootstrapped.
const LOOK_BEHIND_LINES: usize = 5000;
/// Byte budget for the wrapper logs when no cutoff time is known.
pub const WRAPPER_BUDGET: u64 = 64 * 1024 * 1024;

/// What the agent logs say.
#[derive(Debug, Clone, Default)]
pub struct AgentLogFacts {
    pub marker: Option<Hit>,
    pub bootstrapping: Option<Hit>,
    /// The newest `MID Server started` / `Initializing MID Server` / `MID Server starting`.
    pub last_start: Option<Hit>,
    /// The newest `MID Server stopped`/`stopping` since the last start.
    pub last_stop: Option<Hit>,
    pub assigned: Option<Hit>,
    /// The newest marker written BEFORE the last start (KB0792621: the service was started on a
    /// half-upgraded install). Only looked for within `LOOK_BEHIND_LINES` of that start.
    pub marker_before_start: Option<Hit>,
    /// The newest `Assigned:` line before the last start (the version that upgrade aimed at).
    pub assigned_before_start: Option<Hit>,
    /// The newest line with a timestamp (to tell how recent the log is).
    pub newest_time: Option<NaiveDateTime>,
    pub hits: Vec<(FindingCode, Hit)>,
    pub files_read: Vec<PathBuf>,
    pub bytes_read: u64,
    /// Files that could not be read, with why.
    pub errors: Vec<(PathBuf, String)>,
}

/// Rotated generations of a log family, newest first: `base` then `base.1`, `base.2`... (JUL
/// agent logs: `agent0.log.0`, `.1`...). Tanuki puts the roll number where `ROLLNUM` stands in
/// `wrapper.logfile`, so `wrapper.1.log`, `wrapper.2.log`... are the same family. Symlinked
/// files count (container setups link logs elsewhere); folders and broken links do not.
pub fn generations(dir: &Path, base: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(u64, PathBuf)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = generation_of(&name, base)?;
            std::fs::metadata(e.path())
                .ok()?
                .is_file()
                .then(|| (n, e.path()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

/// 0 for `base` itself, `N + 1` for `base.N` or (when `base` is `stem.ext`) `stem.N.ext`.
fn generation_of(name: &str, base: &str) -> Option<u64> {
    if name == base {
        return Some(0);
    }
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .map(|n| n + 1)
    };
    if let Some(n) = name.strip_prefix(base).and_then(|r| r.strip_prefix('.')) {
        return number(n);
    }
    let (stem, ext) = base.rsplit_once('.')?;
    let mid = name
        .strip_prefix(stem)?
        .strip_prefix('.')?
        .strip_suffix(ext)?
        .strip_suffix('.')?;
    number(mid)
}

/// The agent log family to read: `agent0.log` unless another unique number's family
/// (JUL's `logs/agent%u.log`: `agent1.log.0` when `agent0.log.0.lck` is held, e.g. by an old
/// MID process that never stopped) was written to more recently.
pub fn agent_log_family(logs_dir: &Path) -> String {
    let default = "agent0.log".to_string();
    let Ok(rd) = std::fs::read_dir(logs_dir) else {
        return default;
    };
    let mut best: Option<(std::time::SystemTime, String)> = None;
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(family) = family_of(&name) else {
            continue;
        };
        let Some(mtime) = std::fs::metadata(e.path())
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
        else {
            continue;
        };
        // Ties keep agent0.log (names sort agent0 first).
        let better = best
            .as_ref()
            .is_none_or(|(t, f)| mtime > *t || (mtime == *t && family.as_str() < f.as_str()));
        if better {
            best = Some((mtime, family));
        }
    }
    best.map_or(default, |(_, f)| f)
}

/// `agent<N>.log` for `agent<N>.log` or `agent<N>.log.<G>`.
pub fn family_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix("agent")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (n, tail) = rest.split_at(digits);
    let tail = tail.strip_prefix(".log")?;
    let ok = tail.is_empty()
        || tail
            .strip_prefix('.')
            .is_some_and(|g| !g.is_empty() && g.bytes().all(|c| c.is_ascii_digit()));
    ok.then(|| format!("agent{n}.log"))
}

fn hit_of(file: &Path, offset: u64, text: &str) -> Hit {
    let parsed = logline::parse(text);
    Hit {
        file: file.to_path_buf(),
        offset,
        line: 0,
        text: text.to_string(),
        time: parsed.as_ref().and_then(|l| l.instant()),
        rfc3339: parsed.as_ref().map(|l| l.rfc3339()),
    }
}

/// Record a signature hit unless that code already has enough evidence.
fn push_hit(
    hits: &mut Vec<(FindingCode, Hit)>,
    counts: &mut HashMap<FindingCode, usize>,
    code: FindingCode,
    hit: Hit,
) {
    let n = counts.entry(code).or_insert(0);
    if *n < MAX_HITS_PER_CODE {
        *n += 1;
        hits.push((code, hit));
    }
}

struct AgentFinders {
    marker: Finder<'static>,
    bootstrap: Finder<'static>,
    started: Finder<'static>,
    starting: Finder<'static>,
    initializing: Finder<'static>,
    stopped: Finder<'static>,
    stopping: Finder<'static>,
    assigned: Finder<'static>,
}

impl AgentFinders {
    fn new() -> Self {
        AgentFinders {
            marker: Finder::new("Added marker `"),
            bootstrap: Finder::new("Bootstrapping upgrade"),
            started: Finder::new("MID Server started"),
            starting: Finder::new("MID Server starting"),
            initializing: Finder::new("Initializing MID Server"),
            stopped: Finder::new("MID Server stopped"),
            stopping: Finder::new("MID Server stopping"),
            assigned: Finder::new("Assigned:"),
        }
    }
}

/// `Assigned: [...]`, however the KB copy spaced it (`Assigned:  [`, indented sub-lines).
fn is_assigned_line(f: &AgentFinders, b: &[u8]) -> bool {
    f.assigned.find(b).is_some_and(|i| {
        b[i + "Assigned:".len()..]
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            == Some(&b'[')
    })
}

/// Scan `logs/agent0.log*` newest first (see module docs).
pub fn scan_agent_logs(logs_dir: &Path) -> AgentLogFacts {
    let f = AgentFinders::new();
    let mut facts = AgentLogFacts::default();
    let mut counts = HashMap::new();
    let mut after_bootstrap = 0usize;
    let mut look_behind: Option<usize> = None;
    'files: for path in generations(logs_dir, &agent_log_family(logs_dir)) {
        let reader = match ReverseLines::open(&path) {
            Ok(r) => r,
            Err(e) => {
                facts.errors.push((path.clone(), e.to_string()));
                continue;
            }
        };
        facts.files_read.push(path.clone());
        let mut reader = reader;
        while let Some(line) = reader.next() {
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    facts.errors.push((path.clone(), e.to_string()));
                    break;
                }
            };
            let b = line.text.as_bytes();
            if facts.newest_time.is_none() {
                facts.newest_time = logline::parse(&line.text).map(|l| l.time);
            }
            if let Some(n) = look_behind.as_mut() {
                // Past the newest start: only the upgrade that may have preceded it matters.
                *n += 1;
                if facts.marker_before_start.is_none()
                    && f.marker.find(b).is_some()
                    && super::tempdir::marker_path(&line.text).is_some()
                {
                    facts.marker_before_start = Some(hit_of(&path, line.offset, &line.text));
                } else if facts.marker_before_start.is_some()
                    && facts.assigned_before_start.is_none()
                    && is_assigned_line(&f, b)
                {
                    facts.assigned_before_start = Some(hit_of(&path, line.offset, &line.text));
                }
                if facts.assigned_before_start.is_some() || *n > LOOK_BEHIND_LINES {
                    facts.bytes_read += reader.bytes_read();
                    break 'files;
                }
                continue;
            }
            if f.started.find(b).is_some()
                || f.initializing.find(b).is_some()
                || f.starting.find(b).is_some()
            {
                facts.last_start = Some(hit_of(&path, line.offset, &line.text));
                look_behind = Some(0);
                continue;
            }
            if facts.marker.is_none()
                && f.marker.find(b).is_some()
                && super::tempdir::marker_path(&line.text).is_some()
            {
                facts.marker = Some(hit_of(&path, line.offset, &line.text));
            } else if facts.bootstrapping.is_none() && f.bootstrap.find(b).is_some() {
                facts.bootstrapping = Some(hit_of(&path, line.offset, &line.text));
            } else if facts.assigned.is_none() && is_assigned_line(&f, b) {
                facts.assigned = Some(hit_of(&path, line.offset, &line.text));
            } else if facts.last_stop.is_none()
                && (f.stopped.find(b).is_some() || f.stopping.find(b).is_some())
            {
                facts.last_stop = Some(hit_of(&path, line.offset, &line.text));
            }
            if let Some(code) = signatures::classify(&line.text) {
                push_hit(
                    &mut facts.hits,
                    &mut counts,
                    code,
                    hit_of(&path, line.offset, &line.text),
                );
            }
            if facts.bootstrapping.is_some() {
                after_bootstrap += 1;
                if facts.assigned.is_some() || after_bootstrap > LINES_AFTER_BOOTSTRAP {
                    facts.bytes_read += reader.bytes_read();
                    break 'files;
                }
            }
        }
        facts.bytes_read += reader.bytes_read();
    }
    facts
}

/// Failure lines of a wrapper-format log family or the upgrade log.
#[derive(Debug, Clone, Default)]
pub struct SignatureScan {
    pub hits: Vec<(FindingCode, Hit)>,
    pub files_read: Vec<PathBuf>,
    pub bytes_read: u64,
    /// Whether the byte budget ran out before the cutoff was reached.
    pub budget_exhausted: bool,
    pub errors: Vec<(PathBuf, String)>,
}

/// Scan `files` (newest first) backwards for signature lines, stopping at the first line older
/// than `cutoff` (instants: a zone-less line is read in the host's zone) or when `budget`
/// bytes were read. A continuation line (stack trace) belongs to the timed line above it: it
/// is kept or cut with that line and takes its time.
pub fn scan_signatures(
    files: &[PathBuf],
    cutoff: Option<DateTime<Utc>>,
    budget: u64,
) -> SignatureScan {
    let mut scan = SignatureScan::default();
    let mut counts = HashMap::new();
    // Hits on continuation lines, waiting for the line above them (read next).
    let mut pending: Vec<(FindingCode, Hit)> = Vec::new();
    'files: for path in files {
        let mut reader = match ReverseLines::open(path) {
            Ok(r) => r,
            Err(e) => {
                scan.errors.push((path.clone(), e.to_string()));
                continue;
            }
        };
        scan.files_read.push(path.clone());
        let before = scan.bytes_read;
        while let Some(line) = reader.next() {
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    scan.errors.push((path.clone(), e.to_string()));
                    break;
                }
            };
            let parsed = logline::parse(&line.text);
            let time = parsed.as_ref().and_then(|l| l.instant());
            if let Some(cut) = cutoff
                && time.is_some_and(|t| t < cut)
            {
                // This line and the continuation lines below it are older than the cutoff.
                pending.clear();
                scan.bytes_read = before + reader.bytes_read();
                break 'files;
            }
            if parsed.is_some() {
                let rfc = parsed.as_ref().map(|l| l.rfc3339());
                for (code, mut hit) in pending.drain(..).rev() {
                    hit.time = time;
                    hit.rfc3339.clone_from(&rfc);
                    push_hit(&mut scan.hits, &mut counts, code, hit);
                }
            }
            if let Some(code) = signatures::classify(&line.text) {
                let hit = hit_of(path, line.offset, &line.text);
                if parsed.is_none() && cutoff.is_some() {
                    pending.push((code, hit));
                } else {
                    push_hit(&mut scan.hits, &mut counts, code, hit);
                }
            }
            if before + reader.bytes_read() > budget {
                scan.budget_exhausted = true;
                scan.bytes_read = before + reader.bytes_read();
                break 'files;
            }
        }
        scan.bytes_read = before + reader.bytes_read();
    }
    // Continuation lines at the very top of the oldest file read: no line above tells their
    // time, so they are kept.
    for (code, hit) in pending.into_iter().rev() {
        push_hit(&mut scan.hits, &mut counts, code, hit);
    }
    scan
}

/// How recently `agent0.log.0` must have been written for its `.lck` to mean "the MID runs".
pub const LOCK_FRESH: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Whether the agent log's lock file is there and the log was written within `LOCK_FRESH` of
/// `now`: the sign of a running MID (a crash leaves the `.lck` behind, but the log goes quiet).
pub fn log_lock_live(logs_dir: &Path, now: std::time::SystemTime) -> bool {
    let family = agent_log_family(logs_dir);
    let log = logs_dir.join(format!("{family}.0"));
    let lck = logs_dir.join(format!("{family}.0.lck"));
    if !std::fs::symlink_metadata(&lck).is_ok_and(|m| m.is_file()) {
        return false;
    }
    std::fs::metadata(&log)
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).map_or(true, |age| age <= LOCK_FRESH))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn continuation_lines_belong_to_the_line_above() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("wrapper.log");
        // KB0745202's shape: the SEVERE line, then stack lines without a time, CRLF endings.
        write(
            &log,
            "2019/05/15 10:00:00 | old line\r\n\
             2019/05/15 10:38:22 | MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server\r\n\
             java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting\r\n\
             \tat com.service_now.mid.services.config.ConfigParameters.get(ConfigParameters.java:42)\r\n",
        );
        let at = |h: u32, m: u32| {
            crate::mid::logline::to_instant(
                chrono::NaiveDate::from_ymd_opt(2019, 5, 15)
                    .unwrap()
                    .and_hms_opt(h, m, 0)
                    .unwrap(),
                None,
            )
        };
        let s = scan_signatures(std::slice::from_ref(&log), at(10, 30), 1 << 20);
        assert_eq!(s.hits.len(), 1, "{:?}", s.hits);
        assert_eq!(s.hits[0].0, FindingCode::ConfigDecryptFailed);
        assert!(s.hits[0].1.time.is_some());
        // The timed line above is older than the cutoff: its stack lines go with it.
        let s = scan_signatures(std::slice::from_ref(&log), at(10, 40), 1 << 20);
        assert!(s.hits.is_empty(), "{:?}", s.hits);
    }

    #[test]
    fn lock_file_with_a_fresh_log_means_running() {
        let d = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now();
        write(&d.path().join("agent0.log.0"), "x\n");
        assert!(!log_lock_live(d.path(), now));
        write(&d.path().join("agent0.log.0.lck"), "");
        assert!(log_lock_live(d.path(), now));
        // The lock survives a crash; the log then goes quiet.
        assert!(!log_lock_live(
            d.path(),
            now + LOCK_FRESH + std::time::Duration::from_secs(60)
        ));
    }
}
