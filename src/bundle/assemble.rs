//! The writer's side of the pipeline: compressed blocks arrive from any compressor in any
//! order; each entry is written whole and in block order, one at a time. While one entry
//! streams, blocks of the others wait in memory (bounded by [`super::pdeflate::Sched`]). A
//! complete waiting entry is written before an unfinished one, and an entry of one block only
//! once complete; an entry that fails after its header was written is cut off again (the next
//! entry overwrites it).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Seek, Write};

use super::plan::Job;
use super::worker::{self, Done, Failure, Msg, Queue};
use super::zipw::{Method, Open, ZipOut};

#[derive(Default)]
struct Pending {
    job: Option<usize>,
    blocks: BTreeMap<u64, (Vec<u8>, crc32fast::Hasher)>,
    next: u64,
    end: Option<(u64, Box<Done>)>,
}

impl Pending {
    fn complete(&self) -> bool {
        self.end
            .as_ref()
            .is_some_and(|(n, _)| self.next + self.blocks.len() as u64 == *n)
    }
}

pub struct Assembler<'a, W: Write + Seek> {
    zip: ZipOut<W>,
    jobs: &'a [Job],
    method: Method,
    sched: &'a Queue<'a>,
    pending: BTreeMap<u64, Pending>,
    /// Pending entries with every block and their end in: written first, lowest id first
    /// (kept aside so that choosing one is not a scan of all pending entries).
    ready: BTreeSet<u64>,
    failed: HashSet<u64>,
    /// The entry being written, and whether the scheduler was told (see `advance`).
    current: Option<(u64, Open, crc32fast::Hasher, bool)>,
    /// Entries written: (job index, facts; their timeline lines moved to `timeline`).
    pub finished: Vec<(usize, Box<Done>)>,
    /// Timeline lines of the entries written, folded as they finish (bounded memory).
    pub timeline: super::timeline::Collector,
    pub failures: Vec<(usize, Failure)>,
    /// Files written or failed.
    pub files_done: u64,
    /// Zip paths of the files finished (written or failed) since the caller last took them.
    pub finished_paths: Vec<String>,
    /// The file being written, else the last one finished (for progress).
    pub path: String,
    /// The first write error; everything after it is dropped.
    pub error: Option<anyhow::Error>,
}

impl<'a, W: Write + Seek> Assembler<'a, W> {
    pub fn new(zip: ZipOut<W>, jobs: &'a [Job], method: Method, sched: &'a Queue<'a>) -> Self {
        Assembler {
            zip,
            jobs,
            method,
            sched,
            pending: BTreeMap::new(),
            ready: BTreeSet::new(),
            failed: HashSet::new(),
            current: None,
            finished: Vec::new(),
            timeline: Default::default(),
            failures: Vec::new(),
            files_done: 0,
            finished_paths: Vec::new(),
            path: String::new(),
            error: None,
        }
    }

    pub fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Start { id, job } => self.pending.entry(id).or_default().job = Some(job),
            Msg::Block {
                id,
                seq,
                data,
                crc,
                end,
            } => match data {
                Ok(d) if self.error.is_none() && !self.failed.contains(&id) => {
                    let p = self.pending.entry(id).or_default();
                    p.blocks.insert(seq, (d, crc));
                    if let Some(e) = end {
                        p.job = Some(e.job);
                        p.end = Some((e.blocks, e.done));
                    }
                    if p.complete() {
                        self.ready.insert(id);
                    }
                }
                Ok(d) => self.sched.release(id, d.len() as u64),
                Err(reason) => {
                    self.sched.release(id, 0);
                    let job = end
                        .map(|e| e.job)
                        .or_else(|| self.pending.get(&id).and_then(|p| p.job));
                    if !self.failed.contains(&id)
                        && let Some(job) = job
                    {
                        self.failures.push((job, Failure::Error(reason)));
                        self.count_finished(job);
                        self.fail(id);
                    }
                }
            },
            Msg::Failed { id, job, failure } => {
                if !self.failed.contains(&id) {
                    self.failures.push((job, failure));
                    self.count_finished(job);
                    self.fail(id);
                }
            }
        }
        if self.error.is_none()
            && let Err(e) = self.advance()
        {
            self.error = Some(e);
        }
    }

    fn count_finished(&mut self, job: usize) {
        self.files_done += 1;
        self.finished_paths.push(self.jobs[job].zip_path.clone());
    }

    fn fail(&mut self, id: u64) {
        self.failed.insert(id);
        self.ready.remove(&id);
        if self.current.as_ref().is_some_and(|c| c.0 == id) {
            if let Some((_, open, _, _)) = self.current.take()
                && let Err(e) = self.zip.abort(open)
            {
                self.error.get_or_insert(e.into());
            }
            self.sched.set_current(None);
        }
        if let Some(p) = self.pending.remove(&id) {
            for (d, _) in p.blocks.values() {
                self.sched.release(id, d.len() as u64);
            }
        }
    }

    /// Write whatever can be written now.
    fn advance(&mut self) -> anyhow::Result<()> {
        loop {
            if self.current.is_none() {
                // Else an entry of several blocks that has started (its `Start` set `job`):
                // one of a single block has its job only once complete.
                let next = self
                    .ready
                    .first()
                    .and_then(|id| self.pending.get_key_value(id))
                    .or_else(|| self.pending.iter().find(|(_, p)| p.job.is_some()))
                    .and_then(|(id, p)| Some((*id, p.job?)));
                let Some((id, job)) = next else {
                    return Ok(());
                };
                let j = &self.jobs[job];
                let open = self
                    .zip
                    .begin(&j.zip_path, self.method, worker::zip_time(j), j.size)?;
                self.path.clone_from(&j.zip_path);
                // A complete entry has nothing left to hurry: it is written at once, without
                // two more trips through the scheduler's lock.
                let hurry = !self.ready.contains(&id);
                if hurry {
                    self.sched.set_current(Some(id));
                }
                self.current = Some((id, open, crc32fast::Hasher::new(), hurry));
            }
            let Some((id, open, crc, _)) = self.current.as_mut() else {
                return Ok(());
            };
            let id = *id;
            let Some(p) = self.pending.get_mut(&id) else {
                return Ok(());
            };
            while let Some((data, c)) = p.blocks.remove(&p.next) {
                self.zip.data(open, &data)?;
                crc.combine(&c);
                self.sched.release(id, data.len() as u64);
                p.next += 1;
            }
            if p.end.as_ref().is_none_or(|(n, _)| p.next != *n) {
                return Ok(());
            }
            self.ready.remove(&id);
            let (Some(p), Some((_, open, crc, hurry))) =
                (self.pending.remove(&id), self.current.take())
            else {
                return Ok(());
            };
            if hurry {
                self.sched.set_current(None);
            }
            let (Some(job), Some((_, done))) = (p.job, p.end) else {
                return Ok(());
            };
            self.zip.end(open, crc.finalize(), done.bundled_size)?;
            let mut done = done;
            for l in std::mem::take(&mut done.timeline) {
                self.timeline.add(l);
            }
            self.finished.push((job, done));
            self.count_finished(job);
        }
    }

    /// The zip writer, once every message was handled.
    pub fn into_zip(self) -> anyhow::Result<ZipOut<W>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some((id, _)) = self.pending.iter().next() {
            anyhow::bail!("internal error: bundle entry {id} was never completed");
        }
        Ok(self.zip)
    }
}
