//! Support bundle: what goes in, redaction, manifest, the zip writer.
//!
//! [`collect`] plans the sources (no file opened), checks the output folder and its free space,
//! then compresses entries in parallel: each worker opens, streams (read, redact, hash,
//! compress) and closes one file at a time; the calling thread appends finished entries to
//! `<name>.zip.partial`, adds the generated documents, fsyncs and renames it to `<name>.zip`
//! without ever overwriting, and writes the sibling `<name>.zip.sha256` (the zip's sha256 is
//! computed as it is written, see `zipw`).
//! No process is spawned here: the caller gathers [`SystemFacts`], possibly while the files
//! are compressed ([`collect_with`]).

mod assemble;
mod diskwait;
pub mod facts;
mod ordered;
pub mod output;
pub mod pdeflate;
pub mod plan;
mod pstream;
pub mod record;
pub mod redact;
pub mod source;
pub mod summary;
pub mod timeline;
mod worker;
pub mod zipw;

use std::fs::File;
use std::io::{BufWriter, Seek};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use serde::Serialize;

pub use facts::SystemFacts;
pub use output::default_out_dir;
pub use plan::Problem;
pub use redact::RuleSet;

use crate::mid::report::DetectReport;
use assemble::Assembler;
pub use pdeflate::Levels;
use pdeflate::{BlockCompressor, Sched};
use plan::Job;
use redact::Counts;
use summary::Entry;
use worker::Msg;
use zipw::{DosTime, Method, ZipOut};

/// Default per-file budget: 64 MiB (six full agent log generations fit whole).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A file from outside the install to put in the bundle (the wizard journal, the re-run's
/// captured output). Redacted like everything else.
#[derive(Debug, Clone)]
pub struct ExtraFile {
    pub source: PathBuf,
    /// Path inside the zip, `/`-separated, e.g. `midrescue/journal.txt`.
    pub zip_path: String,
}

/// What to collect and where to write it.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The MID's `agent` folder.
    pub agent_dir: PathBuf,
    /// Output folder (see [`default_out_dir`]); created if missing.
    pub out_dir: PathBuf,
    /// Per-file budget: logs over it keep their end; config files over it are not collected.
    pub max_file_bytes: u64,
    /// Leave out rotated logs last modified (UTC date) before this day.
    pub since: Option<chrono::NaiveDate>,
    /// Extra redaction rules: one regex per line, `#` comments.
    pub extra_rules_file: Option<PathBuf>,
    pub extra_files: Vec<ExtraFile>,
    /// How the recovery ended (final bundles): written as `recovery.json` and in SUMMARY.md.
    pub recovery: Option<record::RecoveryRecord>,
    /// DEFLATE levels (0 = stored).
    pub level: Levels,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Set to stop early; the partial file is removed and `collect` returns an error.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl CollectOptions {
    pub fn new(agent_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        CollectOptions {
            agent_dir: agent_dir.into(),
            out_dir: out_dir.into(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            since: None,
            extra_rules_file: None,
            extra_files: Vec::new(),
            recovery: None,
            level: Levels::DEFAULT,
            threads: 0,
            cancel: None,
        }
    }
}

/// Progress events, in order: one `Planned`; then one `File` per source file (done or failed)
/// with `Bytes` events between them, at least one per MiB read, while files are being read;
/// `Writing` (generated documents, fsync, rename); `Done`.
///
/// `bytes_done` counts input bytes read so far, files in progress included (each file counts at
/// most its share of `bytes_total`), so it moves inside one big file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Planned {
        files: u64,
        bytes: u64,
    },
    /// A file is finished; `path` is its zip path.
    File {
        path: String,
        files_done: u64,
        bytes_done: u64,
        files_total: u64,
        bytes_total: u64,
    },
    /// Bytes read moved on; `path` is the file being written to the zip.
    Bytes {
        path: String,
        files_done: u64,
        bytes_done: u64,
        files_total: u64,
        bytes_total: u64,
    },
    Writing,
    Done,
}

/// Where a bundle stands, as a `File` or `Bytes` event tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    pub path: &'a str,
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl Progress {
    /// The position a `File` or `Bytes` event carries (the faces show both alike).
    pub fn position(&self) -> Option<Position<'_>> {
        match self {
            Progress::File {
                path,
                files_done,
                bytes_done,
                files_total,
                bytes_total,
            }
            | Progress::Bytes {
                path,
                files_done,
                bytes_done,
                files_total,
                bytes_total,
            } => Some(Position {
                path,
                files_done: *files_done,
                files_total: *files_total,
                bytes_done: *bytes_done,
                bytes_total: *bytes_total,
            }),
            _ => None,
        }
    }
}

/// The result (printed by `collect`, `--json` prints it as one object).
#[derive(Debug, Clone, Serialize)]
pub struct BundleSummary {
    pub path: PathBuf,
    pub sha256: String,
    /// Size of the zip in bytes.
    pub size: u64,
    /// Entries in the zip, manifest.json included.
    pub files: u64,
    /// Values masked, all rules together.
    pub redactions: u64,
    /// Zip paths of logs of which only the end was kept.
    pub truncated: Vec<String>,
    /// (file, reason) for everything not collected: errors first, then policy.
    pub skipped: Vec<(String, String)>,
}

/// Build the support bundle for `report`'s install. See the module docs.
pub fn collect(
    opts: &CollectOptions,
    report: &DetectReport,
    facts: &SystemFacts,
    progress: &mut dyn FnMut(Progress),
) -> anyhow::Result<BundleSummary> {
    collect_with(opts, report, facts, || facts.clone(), progress)
}

/// [`collect`] with facts still being gathered: `facts` holds what planning needs (host, unit
/// file); `all` gives every fact and is called once, after the files are compressed, to write
/// `system.txt` (so slow queries can run meanwhile).
pub fn collect_with(
    opts: &CollectOptions,
    report: &DetectReport,
    facts: &SystemFacts,
    all: impl FnOnce() -> SystemFacts,
    progress: &mut dyn FnMut(Progress),
) -> anyhow::Result<BundleSummary> {
    // The built-in set is shared with the rest of the process (compiled once).
    let with_user_rules;
    let rules: &RuleSet = match opts.extra_rules_file.as_deref() {
        None => crate::redact::builtin_rules()?,
        Some(file) => {
            with_user_rules = RuleSet::load(Some(file))?;
            &with_user_rules
        }
    };
    if !opts.agent_dir.is_dir() {
        bail!("{} is not a folder", opts.agent_dir.display());
    }
    let started = std::time::Instant::now();
    let plan = plan::build(opts, report, facts);
    tracing::info!(
        files = plan.jobs.len(),
        errors = plan.errors.len(),
        elapsed = ?started.elapsed(),
        "bundle planned"
    );
    let temp_paths: Vec<PathBuf> = plan.temp_dirs.iter().map(|(_, p)| p.clone()).collect();
    output::check_out_dir(&opts.out_dir, &opts.agent_dir, &temp_paths)?;
    crate::platform::private_fs::ensure_private_dir(&opts.out_dir)
        .with_context(|| format!("cannot use the output folder {}", opts.out_dir.display()))?;
    output::check_out_dir(&opts.out_dir, &opts.agent_dir, &temp_paths)?;

    let budget = opts.max_file_bytes.max(1);
    let bytes_total = plan::planned_bytes(&plan, budget);
    let files_total = plan.jobs.len() as u64;
    progress(Progress::Planned {
        files: files_total,
        bytes: bytes_total,
    });
    output::check_free_space(&opts.out_dir, plan::estimate_output_bytes(&plan, budget))?;

    let now = chrono::Utc::now();
    let stem = output::bundle_stem(report.mid_name.as_deref(), &facts.host, now);
    let final_path = output::free_zip_path(&opts.out_dir, &stem);
    let partial = output::sibling(&final_path, ".partial");
    let file = crate::platform::private_fs::create_private_file(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;

    let cancel = opts.cancel.clone().unwrap_or_default();
    let built = write_zip(
        file,
        opts,
        report,
        Box::new(all),
        rules,
        plan,
        now,
        &cancel,
        progress,
        (files_total, bytes_total),
    );
    let (built, sha256) =
        match built.and_then(|(b, file, digest)| Ok((b, sync_and_hash(&file, digest)?))) {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
    tracing::info!(elapsed = ?started.elapsed(), "bundle zip written and synced");
    if let Err(e) = output::persist_no_clobber(&partial, &final_path) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let zip_name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output::write_new_file(
        &output::sibling(&final_path, ".sha256"),
        format!("{sha256}  {zip_name}\n").as_bytes(),
    )?;
    let size = std::fs::metadata(&final_path)?.len();
    progress(Progress::Done);
    tracing::info!(path = %final_path.display(), size, elapsed = ?started.elapsed(), "bundle done");
    Ok(BundleSummary {
        path: final_path,
        sha256,
        size,
        ..built
    })
}

/// Flush the finished zip to disk; its sha256 is `digest` when the writer computed it, else it
/// is read back meanwhile (the two waits were a tenth of a big bundle's serial end).
fn sync_and_hash(file: &File, digest: Option<[u8; 32]>) -> anyhow::Result<String> {
    if let Some(d) = digest {
        file.sync_all().context("syncing the zip to disk")?;
        return Ok(worker::hex(&d));
    }
    std::thread::scope(|s| {
        let synced = s.spawn(|| file.sync_all());
        let sum = output::sha256_of(file);
        let synced = synced
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the sync thread failed")));
        synced.context("syncing the zip to disk")?;
        sum
    })
}

/// The zip as written: buffered, with early writeback.
type ZipFile = BufWriter<output::Writeback>;

/// Compress everything into `file`; returns the summary without path, hash and size, the file
/// (complete, not yet synced) and its sha256 when it was computed on the way.
///
/// Entries in zip-path order. Unstable (no scratch copy of 100,000 entries); paths are unique
/// in a zip, the source breaks any tie so the order is still deterministic.
fn sort_entries(entries: &mut [Entry]) {
    entries.sort_unstable_by(|a, b| (&a.zip_path, &a.source).cmp(&(&b.zip_path, &b.source)));
}

/// Most standby producers (they sleep unless reads wait for the disk; more reads in flight
/// than this gain little).
const STANDBY_MAX: usize = 8;

/// Threads: producers (one file each: read, redact, hash, cut into blocks), compressors (any
/// block of any file), and this thread, which writes entries in block order and reports
/// progress at least every MiB read.
#[allow(clippy::too_many_arguments)]
fn write_zip(
    file: File,
    opts: &CollectOptions,
    report: &DetectReport,
    all_facts: Box<dyn FnOnce() -> SystemFacts + '_>,
    rules: &RuleSet,
    plan: plan::Plan,
    now: chrono::DateTime<chrono::Utc>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
    (files_total, bytes_total): (u64, u64),
) -> anyhow::Result<(BundleSummary, File, Option<[u8; 32]>)> {
    let budget = opts.max_file_bytes.max(1);
    let level = opts.level;
    let method = if level.stored() {
        Method::Stored
    } else {
        Method::Deflated
    };
    let zip = ZipOut::new(BufWriter::with_capacity(
        1 << 20,
        output::Writeback::new(file),
    ))?;

    let scanner = timeline::Scanner::new()?;
    let jobs: Vec<Job> = plan.jobs;
    // Biggest first: a big file's blocks then keep every core busy while small files fill in.
    // Files of one block keep the plan's order, folder by folder, so a producer opens them
    // from the folder handle it already holds (`source::Opener`).
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| {
        let size = jobs[i].size.min(budget);
        std::cmp::Reverse(if size > pdeflate::BLOCK as u64 {
            size
        } else {
            0
        })
    });
    let queue = Mutex::new(order.into_iter().enumerate());
    let threads = if opts.threads > 0 {
        opts.threads
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
    .clamp(1, 8);
    let producers = threads.min(jobs.len().max(1));
    // Producers that take files only while reads wait for the disk (see `diskwait`).
    let standby = (3 * threads)
        .min(STANDBY_MAX)
        .min(jobs.len().saturating_sub(producers));
    let read_bytes = AtomicU64::new(0);
    let disk = diskwait::DiskWait::default();
    let sched = Sched::new(producers + standby, cancel);
    let ctx = worker::Ctx {
        rules,
        scanner: &scanner,
        budget,
        cancel,
        sched: &sched,
        progress: &read_bytes,
        disk: &disk,
    };
    let mut asm = Assembler::new(zip, &jobs, method, &sched);

    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        for n in 0..producers + standby {
            let standing_by = n >= producers;
            let tx = tx.clone();
            let (queue, jobs, ctx, sched, read_bytes) = (&queue, &jobs, &ctx, &sched, &read_bytes);
            s.spawn(move || {
                // Own regex caches: on a shared `Regex` every thread but the first takes its
                // cache from a locked pool on every search.
                let (rules, scanner) = (ctx.rules.clone(), ctx.scanner.clone());
                let ctx = &worker::Ctx {
                    rules: &rules,
                    scanner: &scanner,
                    ..*ctx
                };
                let mut scratch = worker::Scratch::default();
                loop {
                    if standing_by && !ctx.disk.waiting() {
                        if ctx.cancel.load(Ordering::Relaxed)
                            || queue.lock().map_or(true, |q| q.len() == 0)
                        {
                            break;
                        }
                        std::thread::sleep(diskwait::STANDBY_POLL);
                        continue;
                    }
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((id, i)) = next else { break };
                    let id = id as u64;
                    let mut share = worker::Share {
                        share: jobs[i].size.min(budget),
                        counted: 0,
                    };
                    let r = worker::run((i, id, &jobs[i]), ctx, &tx, &mut share, &mut scratch);
                    // A file left unread because of a cancel is not progress.
                    if !matches!(r, Err(worker::Failure::Cancelled)) {
                        share.complete(read_bytes);
                    }
                    if let Err(failure) = r
                        && tx
                            .send(Msg::Failed {
                                id,
                                job: i,
                                failure,
                            })
                            .is_err()
                    {
                        break;
                    }
                }
                sched.producer_done();
            });
        }
        for _ in 0..threads {
            let tx = tx.clone();
            let sched = &sched;
            s.spawn(move || {
                let mut bc = BlockCompressor::new(level);
                // Compressed into a scratch buffer and copied out at its size: a block waiting
                // for the writer then holds only its compressed bytes.
                let mut scratch = Vec::new();
                let mut awake = false;
                while let Some(t) = sched.pop(&mut awake) {
                    let mut crc = crc32fast::Hasher::new();
                    crc.update(&t.data);
                    let raw = t.data.len() as u64;
                    let data = if level.stored() {
                        Ok(t.data)
                    } else {
                        let r = bc
                            .block(&t.dict, &t.data, t.last, &mut scratch)
                            .map(|()| scratch.clone())
                            .map_err(|e| format!("compression failed: {e}"));
                        sched.recycle(t.data);
                        r
                    };
                    let len = data.as_ref().map_or(0, |d| d.len() as u64);
                    sched.compressed(t.id, raw, len);
                    let msg = Msg::Block {
                        id: t.id,
                        seq: t.seq,
                        data,
                        crc,
                        end: t.end,
                    };
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // (files, bytes) last reported.
        let mut shown = (0u64, 0u64);
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(msg) => {
                    asm.handle(msg);
                    if asm.error.is_some() {
                        cancel.store(true, Ordering::Relaxed);
                        sched.wake();
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let bytes_done = read_bytes.load(Ordering::Relaxed).min(bytes_total);
            let finished = std::mem::take(&mut asm.finished_paths);
            if !finished.is_empty() {
                for path in finished {
                    shown.0 += 1;
                    progress(Progress::File {
                        path,
                        files_done: shown.0,
                        bytes_done,
                        files_total,
                        bytes_total,
                    });
                }
                shown.1 = bytes_done;
            } else if bytes_done >= shown.1 + (1 << 20) {
                shown.1 = bytes_done;
                progress(Progress::Bytes {
                    path: asm.path.clone(),
                    files_done: shown.0,
                    bytes_done,
                    files_total,
                    bytes_total,
                });
            }
        }
    });
    tracing::info!(threads, files = asm.files_done, "bundle entries compressed");
    if cancel.load(Ordering::Relaxed) && asm.error.is_none() {
        bail!("collection cancelled; no bundle was written");
    }
    let (finished, failures, tl) = (
        std::mem::take(&mut asm.finished),
        std::mem::take(&mut asm.failures),
        std::mem::take(&mut asm.timeline),
    );
    let mut zip = asm.into_zip()?;

    let mut entries: Vec<Entry> = Vec::with_capacity(jobs.len() + 8);
    let mut errors = plan.errors;
    let mut skipped = plan.skipped;
    let mut totals = Counts::new();
    // Moved out of the plan, not copied: with 100,000 files the copies were tens of MB.
    let mut jobs = jobs;
    for (i, d) in finished {
        let job = &mut jobs[i];
        for (k, v) in &d.redactions {
            *totals.entry(k.clone()).or_default() += v;
        }
        let d = *d;
        entries.push(Entry {
            zip_path: std::mem::take(&mut job.zip_path),
            // Moved, not copied (100,000 paths); lossy like `display()` for non-UTF-8 names.
            source: Some(
                std::mem::take(&mut job.source)
                    .into_os_string()
                    .into_string()
                    .unwrap_or_else(|os| os.to_string_lossy().into_owned()),
            ),
            source_size: Some(job.size),
            size: d.bundled_size,
            mtime: job.mtime.take(),
            sha256: d.sha256,
            truncated: d.truncated,
            note: d.note,
            redactions: d.redactions,
        });
    }
    for (i, f) in failures {
        let file = plan::shown_path(&jobs[i].source);
        match f {
            worker::Failure::Error(reason) => errors.push(Problem { file, reason }),
            worker::Failure::Skipped(reason) => skipped.push(Problem { file, reason }),
            worker::Failure::Cancelled => {}
        }
    }
    // Everything the manifest needs moved into `entries`: with 100,000 files the jobs are
    // tens of MB that need not stay for the rest.
    drop(jobs);
    progress(Progress::Writing);

    // Generated documents, redacted like everything else.
    let created_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut generated: Vec<(String, Vec<u8>, Counts)> = Vec::new();
    let text_doc = |path: String, raw: &[u8]| {
        let mut c = Counts::new();
        let bytes = rules.redact_text(raw, &mut c);
        (path, bytes, c)
    };
    for (path, text) in plan.listings {
        generated.push(text_doc(path, text.as_bytes()));
    }
    let facts = all_facts();
    generated.push(text_doc(
        "system.txt".into(),
        summary::system_txt(&facts, &opts.agent_dir, &plan.temp_dirs, &created_at).as_bytes(),
    ));
    // JSON is redacted value by value so that it stays valid JSON.
    let mut diag = serde_json::to_value(report)?;
    let mut diag_counts = Counts::new();
    redact::redact_json(rules, &mut diag, &mut diag_counts);
    generated.push((
        "diagnosis.json".into(),
        serde_json::to_vec_pretty(&diag)?,
        diag_counts,
    ));
    if let Some(rec) = &opts.recovery {
        let mut v = serde_json::to_value(rec)?;
        let mut c = Counts::new();
        redact::redact_json(rules, &mut v, &mut c);
        generated.push(("recovery.json".into(), serde_json::to_vec_pretty(&v)?, c));
    }
    let gen_time = DosTime::from(now.naive_utc());
    let add_generated = |zip: &mut ZipOut<ZipFile>,
                         entries: &mut Vec<Entry>,
                         totals: &mut Counts,
                         (path, bytes, counts): (String, Vec<u8>, Counts)|
     -> anyhow::Result<()> {
        add_whole(zip, &path, method, level, gen_time, &bytes)?;
        for (k, v) in &counts {
            *totals.entry(k.clone()).or_default() += v;
        }
        entries.push(Entry {
            zip_path: path,
            source: None,
            source_size: None,
            size: bytes.len() as u64,
            mtime: Some(now),
            sha256: summary::Digest(<sha2::Sha256 as sha2::Digest>::digest(&bytes).into()),
            truncated: false,
            note: None,
            redactions: counts,
        });
        Ok(())
    };
    for doc in generated {
        add_generated(&mut zip, &mut entries, &mut totals, doc)?;
    }
    // SUMMARY.md describes the entries above, then the manifest lists everything.
    sort_entries(&mut entries);
    let (summary_text, summary_counts) = summary::summary_md(&summary::SummaryInput {
        report,
        rules,
        host: &facts.host,
        created_at: &created_at,
        entries: &entries,
        errors: &errors,
        skipped: &skipped,
        timeline: tl.finish(),
        redactions: &totals,
        recovery: opts.recovery.as_ref(),
    });
    let mut summary_doc = text_doc("SUMMARY.md".into(), summary_text.as_bytes());
    for (k, v) in summary_counts {
        *summary_doc.2.entry(k).or_default() += v;
    }
    add_generated(&mut zip, &mut entries, &mut totals, summary_doc)?;
    sort_entries(&mut entries);
    let manifest = summary::Manifest {
        schema_version: summary::MANIFEST_SCHEMA,
        tool: format!("midrescue {}", env!("CARGO_PKG_VERSION")),
        created_at: created_at.clone(),
        host: &facts.host,
        mid_name: report.mid_name.as_deref(),
        agent_dir: opts.agent_dir.display().to_string(),
        options: summary::ManifestOptions {
            max_file_bytes: budget,
            since: opts.since.map(|d| d.to_string()),
            compression: level.describe(),
        },
        redaction_rules: rules.rule_names(),
        redactions: totals.clone(),
        entries: &entries,
        errors: &errors,
        skipped: &skipped,
    };
    // The manifest is generated from already-redacted data; it is written as is so that the
    // hashes and paths it lists stay exact. Streamed: with 100,000 files it is tens of MB.
    pstream::add_streamed(
        &mut zip,
        "manifest.json",
        (method, level, threads),
        gen_time,
        |w| serde_json::to_writer_pretty(w, &manifest).map_err(anyhow::Error::from),
    )?;

    let (buf, digest) = zip.finish().context("finishing the zip")?;
    let mut file = buf
        .into_inner()
        .map_err(|e| anyhow::anyhow!("flushing the zip: {}", e.error()))?
        .into_inner();
    // An entry that failed part-way may have left bytes past the end: cut them.
    let end = file.stream_position()?;
    file.set_len(end).context("finishing the zip")?;

    let truncated = entries
        .iter()
        .filter(|e| e.truncated)
        .map(|e| e.zip_path.clone())
        .collect();
    let skipped_all = errors
        .iter()
        .chain(skipped.iter())
        .map(|p| (p.file.clone(), p.reason.clone()))
        .collect();
    Ok((
        BundleSummary {
            path: PathBuf::new(),
            sha256: String::new(),
            size: 0,
            files: entries.len() as u64 + 1,
            redactions: totals.values().sum(),
            truncated,
            skipped: skipped_all,
        },
        file,
        digest,
    ))
}

/// A generated document as one entry, compressed in one go.
fn add_whole(
    zip: &mut ZipOut<ZipFile>,
    path: &str,
    method: Method,
    level: Levels,
    time: DosTime,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let crc = crc32fast::hash(bytes);
    let size = bytes.len() as u64;
    if method == Method::Stored {
        zip.add(path, method, time, crc, size, bytes)?;
    } else {
        let mut out = Vec::new();
        BlockCompressor::new(level)
            .block(&[], bytes, true, &mut out)
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        zip.add(path, method, time, crc, size, &out)?;
    }
    Ok(())
}
