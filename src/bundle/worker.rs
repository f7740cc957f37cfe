//! One file into one zip entry: open, stream (read, redact, hash, cut into blocks for the
//! compressor threads) up to the size seen when planning, close. Runs on producer threads; holds
//! at most a few MiB of raw bytes (the memory bound on blocks is in [`super::pdeflate::Sched`]).
//!
//! Completeness rules: a file that shrinks while read is marked truncated with a note; a log's
//! leading NUL padding (left by a crash) is dropped instead of the log being called binary; a
//! UTF-16 configuration file is converted to UTF-8 before redaction; a log line longer than
//! [`LINE_CAP`] keeps its start and a marker, and a log over the budget keeps as many of its
//! last (capped) lines as fit, so one giant line cannot push the real lines out.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::diskwait::{self, DiskWait};
use super::pdeflate::{self, BLOCK, Sched, Task};
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
/// A log line keeps at most this many bytes (then a marker saying how many were left out).
pub const LINE_CAP: usize = 256 * 1024;

/// Shared, read-only context of the producers.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub rules: &'a RuleSet,
    pub scanner: &'a Scanner,
    pub budget: u64,
    pub cancel: &'a AtomicBool,
    pub sched: &'a Queue<'a>,
    /// Input bytes read so far, all files (each file counts at most its planned share).
    pub progress: &'a AtomicU64,
    /// How long the reads take, for the producers that work only while the disk is slow.
    pub disk: &'a DiskWait,
}

/// A bundled file's facts for the manifest (its data went to the writer as blocks).
pub struct Done {
    pub bundled_size: u64,
    pub sha256: super::summary::Digest,
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

/// What producers and compressors tell the writer. `id` is the entry's number (jobs are
/// numbered in the order they are taken); `job` its index in the plan.
pub enum Msg {
    /// The first block of an entry of several is queued: the writer may stream it.
    Start { id: u64, job: usize },
    /// A compressed block and the CRC-32 of its raw bytes; the last one with the entry's end.
    Block {
        id: u64,
        seq: u64,
        data: Result<Vec<u8>, String>,
        crc: crc32fast::Hasher,
        end: Option<End>,
    },
    Failed {
        id: u64,
        job: usize,
        failure: Failure,
    },
}

/// What an entry's last block carries to the writer: the entry has `blocks` blocks.
pub struct End {
    pub job: usize,
    pub blocks: u64,
    pub done: Box<Done>,
}

/// The block queue, its tasks carrying [`End`].
pub type Queue<'a> = Sched<'a, End>;

/// Progress accounting of one file: input bytes counted so far, at most `share`.
pub struct Share {
    pub share: u64,
    pub counted: u64,
}

impl Share {
    fn add(&mut self, n: u64, progress: &AtomicU64) {
        let add = n.min(self.share - self.counted);
        if add > 0 {
            self.counted += add;
            progress.fetch_add(add, Ordering::Relaxed);
        }
    }

    /// Count the rest of the share (the file is finished, however it ended).
    pub fn complete(&mut self, progress: &AtomicU64) {
        self.add(u64::MAX, progress);
    }
}

/// Reader that counts bytes read, for progress and to tell a file shrank.
struct Counted<'p, R> {
    inner: R,
    read: u64,
    /// Time spent in reads.
    took: Duration,
    share: &'p mut Share,
    progress: &'p AtomicU64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let t = Instant::now();
        let n = self.inner.read(buf);
        self.took += t.elapsed();
        let n = n?;
        self.read += n as u64;
        self.share.add(n as u64, self.progress);
        Ok(n)
    }
}

/// Output sink: hashes the bundled (post-redaction) bytes and cuts them into blocks.
struct Sink<'s, 'a> {
    ctx: &'s Ctx<'a>,
    tx: &'s Sender<Msg>,
    id: u64,
    job: usize,
    sha: Sha256,
    size: u64,
    block: Vec<u8>,
    dict: Vec<u8>,
    seq: u64,
}

impl Sink<'_, '_> {
    fn put(&mut self, mut b: &[u8]) -> Result<(), Failure> {
        self.sha.update(b);
        self.size += b.len() as u64;
        while !b.is_empty() {
            let take = (BLOCK - self.block.len()).min(b.len());
            self.block.extend_from_slice(&b[..take]);
            b = &b[take..];
            if self.block.len() == BLOCK {
                self.emit(None)?;
            }
        }
        Ok(())
    }

    /// Like [`Sink::put`] for a buffer the caller is done with: bytes that make a block of
    /// their own (the usual case for a big log, read a MiB at a time) are queued as one
    /// without being copied. `b` is left empty, holding a buffer to reuse.
    fn put_vec(&mut self, b: &mut Vec<u8>) -> Result<(), Failure> {
        if self.block.is_empty() && (BLOCK / 2..=BLOCK).contains(&b.len()) {
            self.sha.update(&b[..]);
            self.size += b.len() as u64;
            std::mem::swap(&mut self.block, b);
            self.emit(None)?;
        } else {
            self.put(b)?;
        }
        b.clear();
        Ok(())
    }

    /// Queue the current block (blocks of at most [`BLOCK`] bytes); the last one carries
    /// `end`. A full block is queued at once, so a size that is an exact multiple of the block
    /// size ends with an empty final block.
    fn emit(&mut self, end: Option<End>) -> Result<(), Failure> {
        let last = end.is_some();
        // Only an entry of several blocks is streamed before it is complete.
        if self.seq == 0 && !last {
            let _ = self.tx.send(Msg::Start {
                id: self.id,
                job: self.job,
            });
        }
        let next = if last {
            Vec::new()
        } else {
            self.ctx.sched.buffer()
        };
        let data = std::mem::replace(&mut self.block, next);
        let dict = if last {
            Vec::new()
        } else {
            pdeflate::next_dict(&self.dict, &data)
        };
        let task = Task {
            id: self.id,
            seq: self.seq,
            dict: std::mem::replace(&mut self.dict, dict),
            data,
            last,
            end,
        };
        self.seq += 1;
        if self.ctx.sched.push(task) {
            Ok(())
        } else {
            Err(Failure::Cancelled)
        }
    }

    /// Bytes put so far and their SHA-256 (call once, when all are put).
    fn totals(&mut self) -> (u64, super::summary::Digest) {
        let sha = std::mem::take(&mut self.sha).finalize();
        (self.size, super::summary::Digest(sha.into()))
    }

    /// Queue the final block, carrying the entry's facts to the writer.
    fn finish(mut self, done: Done) -> Result<(), Failure> {
        let end = End {
            job: self.job,
            blocks: self.seq + 1,
            done: Box::new(done),
        };
        self.emit(Some(end))
    }
}

/// A producer's buffers, kept from one file to the next (100,000 small logs allocated and
/// freed three each).
#[derive(Default)]
pub struct Scratch {
    opener: source::Opener,
    disk: diskwait::Window,
    raw: Vec<u8>,
    pending: Vec<u8>,
    out: Vec<u8>,
}

/// Bytes a [`Scratch`] buffer keeps between files.
const SCRATCH_KEEP: usize = 4 << 20;

impl Scratch {
    /// After a file: give back what one long line or a big file made them grow to.
    fn trim(&mut self) {
        for b in [&mut self.raw, &mut self.pending, &mut self.out] {
            if b.capacity() > SCRATCH_KEEP {
                b.truncate(SCRATCH_KEEP);
                b.shrink_to(SCRATCH_KEEP);
            }
        }
    }
}

/// Bundle one job as entry `id`: its blocks go to the compressors, its facts with the last
/// one (a failure is the caller's to report).
pub fn run(
    (job_index, id, job): (usize, u64, &Job),
    ctx: &Ctx<'_>,
    tx: &Sender<Msg>,
    share: &mut Share,
    scratch: &mut Scratch,
) -> Result<(), Failure> {
    if ctx.cancel.load(Ordering::Relaxed) {
        return Err(Failure::Cancelled);
    }
    let opening = Instant::now();
    let (mut file, md) = scratch.opener.open(&job.source).map_err(Failure::Error)?;
    let opened = opening.elapsed();
    let now_len = md.len();
    // Never read past the size seen when planning (a growing log stays bounded).
    let limit = job.size;
    let mut start = 0u64;
    let mut truncated = false;
    let mut skip_to_line = false;
    let mut cap_until = 0u64;
    if limit > ctx.budget {
        if job.category != Category::Log {
            return Err(Failure::Error(format!(
                "{} bytes: over the per-file budget of {} bytes, and configuration files are never cut",
                limit, ctx.budget
            )));
        }
        let tail = tail_start(&mut file, limit.min(now_len), ctx.budget)
            .map_err(|e| Failure::Error(source::describe_io_error(&e)))?;
        start = tail.start;
        truncated = start > 0;
        skip_to_line = start > 0 && !tail.at_line;
        cap_until = tail.cap_until.saturating_sub(start);
    }
    let mut notes: Vec<String> = Vec::new();
    if now_len > limit {
        notes.push(format!(
            "grew from {limit} to {now_len} bytes during collection; read up to {limit}"
        ));
    }
    // Also after `tail_start`, which moved the position even when it returns 0.
    if limit > ctx.budget {
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Failure::Error(source::describe_io_error(&e)))?;
    }
    let expected = limit - start;
    let mut reader = Counted {
        inner: file.take(expected),
        read: 0,
        took: Duration::ZERO,
        share,
        progress: ctx.progress,
    };

    let mut sink = Sink {
        ctx,
        tx,
        id,
        job: job_index,
        sha: Sha256::new(),
        size: 0,
        block: Vec::new(),
        dict: Vec::new(),
        seq: 0,
    };
    let mut counts = Counts::new();
    let mut scan = FileScan::default();

    match job.category {
        Category::Config | Category::ConfigXml => {
            let mut whole = Vec::with_capacity(expected as usize);
            reader
                .read_to_end(&mut whole)
                .map_err(|e| Failure::Error(source::describe_io_error(&e)))?;
            if let Some((text, enc)) = decode_utf16(&whole) {
                whole = text;
                notes.push(format!("converted from {enc} to UTF-8"));
            }
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
            let mut log = LogNotes {
                cap_until,
                ..LogNotes::default()
            };
            let r = stream_log(
                &mut reader,
                &mut sink,
                (ctx, job, &mut *scratch),
                skip_to_line,
                &mut counts,
                &mut scan,
                &mut log,
            );
            scratch.trim();
            r?;
            if log.leading_nuls > 0 {
                notes.push(format!(
                    "{} leading NUL bytes dropped (padding left by a crash)",
                    log.leading_nuls
                ));
            }
            if log.cut_lines > 0 {
                truncated = true;
                notes.push(format!(
                    "{} line(s) longer than {} KiB cut to their start",
                    log.cut_lines,
                    LINE_CAP / 1024
                ));
            }
        }
    }
    let read = reader.read;
    ctx.disk
        .report(&mut scratch.disk, opened + reader.took, reader.read);
    // The handle is closed here, before compression finishes.
    drop(reader);
    if read < expected {
        truncated = true;
        notes.insert(
            0,
            format!(
                "shrank while being read: {read} of the {expected} bytes expected (rotated or truncated)"
            ),
        );
    }
    let (bundled_size, sha256) = sink.totals();
    if truncated && start > 0 {
        notes.insert(
            0,
            format!("kept the last {bundled_size} of {limit} bytes (per-file budget)"),
        );
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    sink.finish(Done {
        bundled_size,
        sha256,
        truncated,
        note,
        redactions: counts,
        timeline: scan.found.into_iter().collect(),
    })
}

#[derive(Default)]
struct LogNotes {
    /// Lines before this many bytes of the stream are capped (see [`Tail`]).
    cap_until: u64,
    leading_nuls: u64,
    cut_lines: u64,
}

#[allow(clippy::too_many_arguments)]
fn stream_log(
    reader: &mut impl Read,
    sink: &mut Sink<'_, '_>,
    (ctx, job, scratch): (&Ctx<'_>, &Job, &mut Scratch),
    tailed: bool,
    counts: &mut Counts,
    scan: &mut FileScan,
    notes: &mut LogNotes,
) -> Result<(), Failure> {
    let mut stream = ctx.rules.stream();
    // Reads sized to the file: zeroing 1 MiB for each of 100,000 small logs was a fifth of
    // the CPU of such a bundle.
    let step = read_size(job.size.min(ctx.budget));
    if scratch.raw.len() < step {
        scratch.raw.resize(step, 0);
    }
    let raw = &mut scratch.raw[..step];
    let pending = &mut scratch.pending;
    let out = &mut scratch.out;
    pending.clear();
    out.clear();
    let mut cap = LineCap {
        until: notes.cap_until,
        ..LineCap::default()
    };
    let mut leading = true;
    // A tailed log starts mid-line: drop bytes up to the next line start.
    let mut skip_to_line = tailed;
    let mut eof = false;
    while !eof {
        if ctx.cancel.load(Ordering::Relaxed) {
            return Err(Failure::Cancelled);
        }
        let n = read_some(reader, raw)?;
        eof = n == 0;
        let mut chunk = &raw[..n];
        if leading {
            let k = chunk.iter().position(|&b| b != 0).unwrap_or(chunk.len());
            notes.leading_nuls += k as u64;
            cap.skip(k);
            chunk = &chunk[k..];
            if !chunk.is_empty() {
                leading = false;
                if is_binary(chunk) {
                    return Err(Failure::Skipped(binary_reason()));
                }
            }
        }
        cap.push(chunk, pending, &mut notes.cut_lines);
        if eof {
            cap.end_line(pending, &mut notes.cut_lines);
        }
        if skip_to_line {
            match memchr::memchr(b'\n', pending) {
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
            match memchr::memrchr(b'\n', pending) {
                Some(i) => i + 1,
                None if pending.len() >= MAX_LINE => pending.len(),
                None => continue,
            }
        };
        if cut == 0 {
            continue;
        }
        out.clear();
        stream.push(&pending[..cut], out, counts);
        if job.timeline {
            ctx.scanner.scan(&job.zip_path, out, scan);
        }
        sink.put_vec(out)?;
        pending.drain(..cut);
    }
    Ok(())
}

/// Caps each line that ends before `until` at [`LINE_CAP`] bytes, appending a marker to a cut
/// line; bytes from `until` on pass unchanged.
#[derive(Default)]
struct LineCap {
    /// Bytes of the current line passed on so far.
    len: usize,
    /// Bytes of the current line left out.
    dropped: u64,
    /// Stream offset reached.
    pos: u64,
    until: u64,
}

fn cut_marker(dropped: u64) -> String {
    format!(" [midrescue: {dropped} more bytes of this line left out]")
}

impl LineCap {
    fn skip(&mut self, n: usize) {
        self.pos += n as u64;
    }

    fn push(&mut self, b: &[u8], out: &mut Vec<u8>, cut: &mut u64) {
        let capped = self.until.saturating_sub(self.pos).min(b.len() as u64) as usize;
        self.pos += b.len() as u64;
        let (a, rest) = b.split_at(capped);
        if !a.is_empty() {
            self.push_capped(a, out, cut);
        }
        out.extend_from_slice(rest);
    }

    fn push_capped(&mut self, b: &[u8], out: &mut Vec<u8>, cut: &mut u64) {
        // Fast path: no line in this piece reaches the cap.
        let mut prev = 0usize;
        let mut run = self.len;
        let mut long = false;
        for i in memchr::memchr_iter(b'\n', b) {
            if run + (i - prev) > LINE_CAP {
                long = true;
                break;
            }
            run = 0;
            prev = i + 1;
        }
        if !long && run + (b.len() - prev) <= LINE_CAP && self.dropped == 0 {
            out.extend_from_slice(b);
            self.len = run + (b.len() - prev);
            return;
        }
        let mut b = b;
        while !b.is_empty() {
            let (seg, nl) = match memchr::memchr(b'\n', b) {
                Some(i) => (&b[..i], true),
                None => (b, false),
            };
            let take = LINE_CAP.saturating_sub(self.len).min(seg.len());
            out.extend_from_slice(&seg[..take]);
            self.len += take;
            self.dropped += (seg.len() - take) as u64;
            b = &b[seg.len()..];
            if nl {
                self.end_line(out, cut);
                out.push(b'\n');
                b = &b[1..];
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<u8>, cut: &mut u64) {
        if self.dropped > 0 {
            out.extend_from_slice(cut_marker(self.dropped).as_bytes());
            *cut += 1;
        }
        self.len = 0;
        self.dropped = 0;
    }
}

/// Where to read a log over the budget from.
#[derive(Debug, PartialEq, Eq)]
struct Tail {
    start: u64,
    /// Whether `start` is a line start.
    at_line: bool,
    /// Lines before this offset are capped at [`LINE_CAP`]; the last line never is.
    cap_until: u64,
}

/// Read size for a file of `size` bytes: enough to read it in one step (plus one byte to see
/// the end), at most [`CHUNK`].
fn read_size(size: u64) -> usize {
    usize::try_from(size.saturating_add(1))
        .unwrap_or(CHUNK)
        .next_power_of_two()
        .clamp(8192, CHUNK)
}

/// Where to start reading a log over the budget so that its last lines, each but the last one
/// capped at [`LINE_CAP`], fill at most `budget` bytes: scans backwards from `limit`. When even
/// the last line does not fit, its last `budget` bytes (mid-line).
fn tail_start(file: &mut File, limit: u64, budget: u64) -> std::io::Result<Tail> {
    let mut buf = vec![0u8; CHUNK];
    let mut kept = 0u64;
    // End (exclusive) of the line being measured, walking backwards.
    let mut line_end = limit;
    let mut pos = limit;
    let no_fit = Tail {
        start: limit.saturating_sub(budget),
        at_line: false,
        cap_until: 0,
    };
    let capped = |len: u64, last: bool| {
        if !last && len > LINE_CAP as u64 {
            LINE_CAP as u64 + cut_marker(len).len() as u64
        } else {
            len
        }
    };
    let mut cap_until = 0u64;
    while pos > 0 {
        let n = (pos.min(CHUNK as u64)) as usize;
        pos -= n as u64;
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut buf[..n])?;
        // A newline at index i: the line after it is (pos + i + 1 .. line_end).
        for i in memchr::memrchr_iter(b'\n', &buf[..n]) {
            let line_start = pos + i as u64 + 1;
            if line_start == limit {
                // The file's own trailing newline belongs to the last line.
                continue;
            }
            let last = line_end == limit;
            let len = capped(line_end - line_start, last);
            if kept + len > budget {
                return Ok(if last {
                    no_fit
                } else {
                    Tail {
                        start: line_end,
                        at_line: true,
                        cap_until,
                    }
                });
            }
            if last {
                cap_until = line_start;
            }
            kept += len;
            line_end = line_start;
        }
    }
    let last = line_end == limit;
    if kept + capped(line_end, last) > budget {
        return Ok(if last {
            no_fit
        } else {
            Tail {
                start: line_end,
                at_line: true,
                cap_until,
            }
        });
    }
    Ok(Tail {
        start: 0,
        at_line: true,
        cap_until,
    })
}

/// UTF-16 text (BOM, or `<\0` / `\0<`-style ASCII in the first bytes) as UTF-8, with the
/// encoding's name; an XML declaration's `encoding` is changed to match.
fn decode_utf16(b: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    let (le, body) = match b {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        [a, 0, c, 0, ..] if *a != 0 && *c != 0 => (true, b),
        [0, a, 0, c, ..] if *a != 0 && *c != 0 => (false, b),
        _ => return None,
    };
    let units = body.chunks(2).map(|p| match (p, le) {
        ([x, y], true) => u16::from_le_bytes([*x, *y]),
        ([x, y], false) => u16::from_be_bytes([*x, *y]),
        _ => 0xFFFD,
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let text = fix_xml_encoding(text);
    Some((text.into_bytes(), if le { "UTF-16LE" } else { "UTF-16BE" }))
}

/// `<?xml ... encoding="UTF-16"?>` → `encoding="UTF-8"`.
fn fix_xml_encoding(text: String) -> String {
    let Some(decl_end) = text.starts_with("<?xml").then(|| text.find("?>")).flatten() else {
        return text;
    };
    let decl = &text[..decl_end];
    let Some(at) = decl.find("encoding") else {
        return text;
    };
    let rest = &decl[at..];
    let Some(q) = rest.find(['"', '\'']) else {
        return text;
    };
    let quote = &rest[q..=q];
    let Some(close) = rest[q + 1..].find(quote) else {
        return text;
    };
    let (from, to) = (at + q + 1, at + q + 1 + close);
    format!("{}UTF-8{}", &text[..from], &text[to..])
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
pub fn zip_time(job: &Job) -> super::zipw::DosTime {
    job.mtime
        .map(|d| super::zipw::DosTime::from(d.naive_utc()))
        .unwrap_or_default()
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    // By table, not `write!` per byte: the manifest hexes 100,000 digests.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0a, 0xab, 0xff, 0x10]), "000aabff10");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn line_cap_keeps_short_lines_and_cuts_long_ones() {
        let mut c = LineCap {
            until: u64::MAX,
            ..LineCap::default()
        };
        let (mut out, mut cut) = (Vec::new(), 0);
        let long = vec![b'x'; LINE_CAP + 10];
        c.push(b"a\nb", &mut out, &mut cut);
        c.push(&long[..LINE_CAP / 2], &mut out, &mut cut);
        c.push(&long[LINE_CAP / 2..], &mut out, &mut cut);
        c.push(b"\nc\n", &mut out, &mut cut);
        assert_eq!(cut, 1);
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "a");
        assert!(lines[1].starts_with('b'));
        assert!(lines[1].ends_with("[midrescue: 11 more bytes of this line left out]"));
        assert_eq!(lines[1].len(), LINE_CAP + cut_marker(11).len());
        assert_eq!(lines[2], "c");
    }

    #[test]
    fn tail_start_counts_capped_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.log");
        let mut data = b"old 1\nold 2\n".to_vec();
        data.extend(vec![b'g'; 3 * CHUNK]);
        data.extend_from_slice(b"\nnew 1\nnew 2\n");
        std::fs::write(&p, &data).unwrap();
        let n = data.len() as u64;
        let t = |budget: u64, start: u64, at_line: bool, cap_until: u64| {
            let want = Tail {
                start,
                at_line,
                cap_until,
            };
            assert_eq!(
                tail_start(&mut File::open(&p).unwrap(), n, budget).unwrap(),
                want
            );
        };
        // Everything fits once the giant line is capped; the last line is never capped.
        t((LINE_CAP + 200) as u64, 0, true, n - 6);
        // Only the two last lines fit.
        t(12, n - 12, true, n - 6);
        // Not even the last line: its last bytes, mid-line.
        t(3, n - 3, false, 0);
        // One line only, over the budget: its end, not capped.
        std::fs::write(&p, vec![b'x'; 3 * CHUNK]).unwrap();
        let n = 3 * CHUNK as u64;
        assert_eq!(
            tail_start(&mut File::open(&p).unwrap(), n, 100).unwrap(),
            Tail {
                start: n - 100,
                at_line: false,
                cap_until: 0
            }
        );
    }

    #[test]
    fn utf16_config_is_decoded_and_its_declaration_fixed() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<parameters/>\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        let (t, enc) = decode_utf16(&le).unwrap();
        assert_eq!(enc, "UTF-16LE");
        assert_eq!(
            String::from_utf8(t).unwrap(),
            xml.replace("UTF-16", "UTF-8")
        );
        let be: Vec<u8> = xml.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_utf16(&be).unwrap().1, "UTF-16BE");
        assert!(decode_utf16(b"<?xml version").is_none());
    }
}
