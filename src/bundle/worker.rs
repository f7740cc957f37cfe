//! One file into one prepared zip entry: open, stream (read, redact, hash, compress) up to the
//! size seen when planning, close. Runs on worker threads; holds at most a few MiB of raw bytes
//! plus the entry's compressed bytes.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};
use zip::write::{PreparedZipFile, SimpleFileOptions, ZipFileBuilder};

use super::plan::{Category, Job};
use super::redact::{Counts, MAX_LINE, RuleSet};
use super::source;
use super::timeline::{self, FileScan, Scanner};

/// Read size per step.
const CHUNK: usize = 1 << 20;
/// How far past the cut point a tailed log may look for the next line start.
const TAIL_SEEK_LINE: usize = 1 << 20;
/// Bytes inspected for NUL to decide a file is binary.
const SNIFF: usize = 8192;

/// Shared, read-only context of the workers.
pub struct Ctx<'a> {
    pub rules: &'a RuleSet,
    pub scanner: &'a Scanner,
    pub budget: u64,
    pub options: SimpleFileOptions,
    pub cancel: &'a AtomicBool,
}

/// A bundled file.
pub struct Done {
    pub prepared: PreparedZipFile,
    pub bundled_size: u64,
    pub sha256: String,
    pub truncated: bool,
    pub note: Option<String>,
    pub redactions: Counts,
    pub timeline: Vec<timeline::Line>,
}

/// Why a job failed: recorded in the manifest's `errors` (or `skipped` for policy).
pub enum Failure {
    Error(String),
    Skipped(String),
    Cancelled,
}

/// Output sink: hashes and compresses the bundled (post-redaction) bytes.
struct Sink {
    zip: ZipFileBuilder,
    sha: Sha256,
    size: u64,
}

impl Sink {
    fn put(&mut self, b: &[u8]) -> Result<(), Failure> {
        self.sha.update(b);
        self.size += b.len() as u64;
        self.zip
            .write_all(b)
            .map_err(|e| Failure::Error(format!("compression failed: {e}")))
    }
}

/// Bundle one job.
pub fn run(job: &Job, ctx: &Ctx<'_>) -> Result<Done, Failure> {
    if ctx.cancel.load(Ordering::Relaxed) {
        return Err(Failure::Cancelled);
    }
    let mut file = source::open_regular(&job.source).map_err(Failure::Error)?;
    let now_len = file.metadata().map(|m| m.len()).unwrap_or(job.size);
    // Never read past the size seen when planning (a growing log stays bounded).
    let limit = job.size;
    let mut start = 0u64;
    let mut truncated = false;
    if limit > ctx.budget {
        if job.category != Category::Log {
            return Err(Failure::Error(format!(
                "{} bytes: over the per-file budget of {} bytes, and configuration files are never cut",
                limit, ctx.budget
            )));
        }
        start = limit - ctx.budget;
        truncated = true;
    }
    let mut note = None;
    if now_len < limit {
        note = Some(format!(
            "shrank from {limit} to {now_len} bytes during collection (rotated or truncated)"
        ));
    } else if now_len > limit {
        note = Some(format!(
            "grew from {limit} to {now_len} bytes during collection; read up to {limit}"
        ));
    }
    if start > 0 {
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Failure::Error(source::describe_io_error(&e)))?;
    }
    let mut reader = file.take(limit - start);

    let mut sink = Sink {
        zip: ZipFileBuilder::new(&job.zip_path, ctx.options.last_modified_time(zip_time(job)))
            .map_err(|e| Failure::Error(format!("zip entry: {e}")))?,
        sha: Sha256::new(),
        size: 0,
    };
    let mut counts = Counts::new();
    let mut scan = FileScan::default();

    match job.category {
        Category::Config | Category::ConfigXml => {
            let mut whole = Vec::with_capacity(limit as usize);
            reader
                .read_to_end(&mut whole)
                .map_err(|e| Failure::Error(source::describe_io_error(&e)))?;
            if is_binary(&whole) {
                return Err(Failure::Skipped(binary_reason()));
            }
            let red = if job.category == Category::ConfigXml {
                ctx.rules.redact_config_xml(&whole, &mut counts)
            } else {
                ctx.rules.redact_text(&whole, &mut counts)
            };
            sink.put(&red)?;
        }
        Category::Log => {
            stream_log(
                &mut reader,
                &mut sink,
                ctx,
                job,
                truncated,
                &mut counts,
                &mut scan,
            )?;
        }
    }
    // The handle is closed here, before compression finishes.
    drop(reader);

    if truncated {
        let kept = sink.size;
        note = Some(match note {
            Some(n) => format!("kept the last {kept} of {limit} bytes; {n}"),
            None => format!("kept the last {kept} of {limit} bytes (per-file budget)"),
        });
    }
    let bundled_size = sink.size;
    let sha256 = hex(&sink.sha.finalize());
    let prepared = sink
        .zip
        .finish()
        .map_err(|e| Failure::Error(format!("compression failed: {e}")))?;
    Ok(Done {
        prepared,
        bundled_size,
        sha256,
        truncated,
        note,
        redactions: counts,
        timeline: scan.found.into_iter().collect(),
    })
}

#[allow(clippy::too_many_arguments)]
fn stream_log(
    reader: &mut impl Read,
    sink: &mut Sink,
    ctx: &Ctx<'_>,
    job: &Job,
    tailed: bool,
    counts: &mut Counts,
    scan: &mut FileScan,
) -> Result<(), Failure> {
    let mut stream = ctx.rules.stream();
    let mut pending: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut first = true;
    // A tailed log starts mid-line: drop bytes up to the next line start.
    let mut skip_to_line = tailed;
    let mut eof = false;
    while !eof {
        if ctx.cancel.load(Ordering::Relaxed) {
            return Err(Failure::Cancelled);
        }
        let old = pending.len();
        pending.resize(old + CHUNK, 0);
        let n = read_some(reader, &mut pending[old..])?;
        pending.truncate(old + n);
        eof = n == 0;
        if first && !pending.is_empty() {
            first = false;
            if is_binary(&pending) {
                return Err(Failure::Skipped(binary_reason()));
            }
        }
        if skip_to_line {
            match memchr::memchr(b'\n', &pending) {
                Some(i) => {
                    pending.drain(..=i);
                    skip_to_line = false;
                }
                None if pending.len() >= TAIL_SEEK_LINE || eof => skip_to_line = false,
                None => continue,
            }
        }
        // Process whole lines; an over-long line goes in pieces; at EOF everything.
        let cut = if eof {
            pending.len()
        } else {
            match memchr::memrchr(b'\n', &pending) {
                Some(i) => i + 1,
                None if pending.len() >= MAX_LINE => pending.len(),
                None => continue,
            }
        };
        if cut == 0 {
            continue;
        }
        out.clear();
        stream.push(&pending[..cut], &mut out, counts);
        if job.timeline {
            ctx.scanner.scan(&job.zip_path, &out, scan);
        }
        sink.put(&out)?;
        pending.drain(..cut);
    }
    Ok(())
}

fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, Failure> {
    loop {
        match reader.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::Error(format!(
                    "read failed part-way: {}",
                    source::describe_io_error(&e)
                )));
            }
        }
    }
}

fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(SNIFF)]).is_some()
}

fn binary_reason() -> String {
    "binary content (NUL bytes): cannot be redacted safely, not collected".to_string()
}

/// The entry's zip timestamp: the source's mtime (UTC), or the DOS epoch when unknown.
fn zip_time(job: &Job) -> zip::DateTime {
    job.mtime
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .and_then(|d| to_zip_time(d.naive_utc()))
        .unwrap_or_default()
}

/// A chrono time as a zip (DOS) time, when representable (1980-2107).
pub fn to_zip_time(d: chrono::NaiveDateTime) -> Option<zip::DateTime> {
    use chrono::{Datelike, Timelike};
    zip::DateTime::from_date_and_time(
        u16::try_from(d.year()).ok()?,
        d.month() as u8,
        d.day() as u8,
        d.hour() as u8,
        d.minute() as u8,
        d.second() as u8,
    )
    .ok()
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}
