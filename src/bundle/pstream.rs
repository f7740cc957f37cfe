//! A generated document (the manifest: tens of MB with 100,000 files) written into the zip as
//! it is made, its DEFLATE spread over the cores: the text is cut into blocks of
//! [`BLOCK`], each compressed on a helper thread with the 32 KiB before it as dictionary (the
//! scheme of [`super::pdeflate`]), and the compressed blocks are written in order while the
//! text goes on being made. Compressing it on the writing thread alone was most of a big
//! bundle's serial end.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use anyhow::Context;

use super::pdeflate::{self, BLOCK, BlockCompressor, Levels};
use super::zipw::{self, DosTime, Method, Open, ZipOut};

/// One block for a helper: (sequence number, dictionary, text, last).
type Task = (u64, Vec<u8>, Vec<u8>, bool);
/// A helper's answer: (sequence number, compressed block or why not).
type Answer = (u64, Result<Vec<u8>, String>);

/// Write the entry `path` from what `write` produces, compressed at `level` on up to
/// `threads` helper threads (stored as is with [`Method::Stored`]).
pub fn add_streamed<W: Write + std::io::Seek>(
    zip: &mut ZipOut<W>,
    path: &str,
    (method, level, threads): (Method, Levels, usize),
    time: DosTime,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let open = zip.begin(path, method, time, zipw::STREAMED)?;
    let threads = threads.clamp(1, 8);
    let (open, crc, size) = if method == Method::Stored {
        let mut e = Entry::new(zip, open, None);
        run(&mut e, write)?;
        e.finish()?
    } else {
        let (task_tx, task_rx) = mpsc::sync_channel::<Task>(threads);
        let task_rx = Mutex::new(task_rx);
        let (done_tx, done_rx) = mpsc::channel::<Answer>();
        std::thread::scope(|s| {
            for _ in 0..threads {
                let (task_rx, done_tx) = (&task_rx, done_tx.clone());
                s.spawn(move || helper(level, task_rx, done_tx));
            }
            drop(done_tx);
            let mut e = Entry::new(
                zip,
                open,
                Some(Par {
                    tasks: Some(task_tx),
                    done: done_rx,
                    waiting: BTreeMap::new(),
                    next_seq: 0,
                    next_write: 0,
                    dict: Vec::new(),
                    in_flight_max: 2 * threads as u64,
                }),
            );
            match run(&mut e, write) {
                Ok(()) => e.finish(),
                // Dropping the entry closes the queue: the helpers end before the scope waits.
                Err(err) => {
                    drop(e);
                    Err(err)
                }
            }
        })?
    };
    zip.end(open, crc, size)
        .with_context(|| format!("writing {path}"))
}

/// Compress blocks until the queue closes.
fn helper(level: Levels, tasks: &Mutex<Receiver<Task>>, done: Sender<Answer>) {
    let mut c = BlockCompressor::new(level);
    let mut out = Vec::new();
    loop {
        let next = match tasks.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, dict, data, last)) = next else {
            return;
        };
        // A panic becomes an answer: the writer waits for every block it sent.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c.block(&dict, &data, last, &mut out)
                .map(|()| out.clone())
                .map_err(|e| format!("compression failed: {e}"))
        }));
        let broken = answer.is_err();
        let answer = answer.unwrap_or_else(|_| Err("compression failed (internal error)".into()));
        if done.send((seq, answer)).is_err() || broken {
            return;
        }
    }
}

fn run(
    e: &mut Entry<'_, impl Write + std::io::Seek>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *e);
    write(&mut w)?;
    w.flush()?;
    Ok(())
}

/// The helpers' side of an entry being written.
struct Par {
    /// `None` once closed.
    tasks: Option<SyncSender<Task>>,
    done: Receiver<Answer>,
    /// Compressed blocks that arrived before the ones ahead of them.
    waiting: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    next_write: u64,
    /// The last 32 KiB of text sent.
    dict: Vec<u8>,
    in_flight_max: u64,
}

/// The entry being written: counts and checksums the text, cuts it into blocks for the
/// helpers (or stores it), and writes what comes back in order.
struct Entry<'z, W: Write + std::io::Seek> {
    zip: &'z mut ZipOut<W>,
    open: Open,
    crc: crc32fast::Hasher,
    size: u64,
    block: Vec<u8>,
    par: Option<Par>,
}

impl<'z, W: Write + std::io::Seek> Entry<'z, W> {
    fn new(zip: &'z mut ZipOut<W>, open: Open, par: Option<Par>) -> Self {
        Entry {
            zip,
            open,
            crc: crc32fast::Hasher::new(),
            size: 0,
            block: Vec::new(),
            par,
        }
    }

    /// Hand the current block to the helpers, first writing (or waiting for) earlier ones
    /// so that at most `in_flight_max` are out.
    fn send(&mut self, last: bool) -> std::io::Result<()> {
        let Some(p) = self.par.as_mut() else {
            return Ok(());
        };
        let data = std::mem::take(&mut self.block);
        let dict = if last {
            Vec::new()
        } else {
            pdeflate::next_dict(&p.dict, &data)
        };
        let task = (p.next_seq, std::mem::replace(&mut p.dict, dict), data, last);
        p.next_seq += 1;
        let sent = p.tasks.as_ref().map(|t| t.send(task));
        if !matches!(sent, Some(Ok(()))) {
            return Err(std::io::Error::other("the compression helpers stopped"));
        }
        if last {
            p.tasks = None;
        }
        self.write_ready(last)
    }

    /// Write the compressed blocks that are next in order; wait while too many are out (or,
    /// with `all`, until every one is written).
    fn write_ready(&mut self, all: bool) -> std::io::Result<()> {
        let Some(p) = self.par.as_mut() else {
            return Ok(());
        };
        loop {
            while let Ok((seq, answer)) = p.done.try_recv() {
                p.waiting
                    .insert(seq, answer.map_err(std::io::Error::other)?);
            }
            while let Some(b) = p.waiting.remove(&p.next_write) {
                self.zip.data(&mut self.open, &b)?;
                p.next_write += 1;
            }
            let out = p.next_seq - p.next_write;
            if out == 0 || (!all && out < p.in_flight_max) {
                return Ok(());
            }
            match p.done.recv() {
                Ok((seq, answer)) => {
                    p.waiting
                        .insert(seq, answer.map_err(std::io::Error::other)?);
                }
                Err(_) => return Err(std::io::Error::other("the compression helpers stopped")),
            }
        }
    }

    /// The last block; returns the entry with its CRC and size.
    fn finish(mut self) -> anyhow::Result<(Open, u32, u64)> {
        if self.par.is_some() {
            self.send(true)?;
        } else {
            self.zip.data(&mut self.open, &self.block)?;
        }
        let Entry {
            open, crc, size, ..
        } = self;
        Ok((open, crc.finalize(), size))
    }
}

impl<W: Write + std::io::Seek> Write for Entry<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.crc.update(buf);
        self.size += buf.len() as u64;
        let mut rest = buf;
        while !rest.is_empty() {
            let take = (BLOCK - self.block.len()).min(rest.len());
            self.block.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.block.len() == BLOCK {
                if self.par.is_some() {
                    self.send(false)?;
                } else {
                    self.zip.data(&mut self.open, &self.block)?;
                    self.block.clear();
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn streamed(text: &[u8], method: Method, threads: usize) -> Vec<u8> {
        let mut z = ZipOut::new(Cursor::new(Vec::new())).unwrap();
        add_streamed(
            &mut z,
            "manifest.json",
            (method, Levels::uniform(4), threads),
            DosTime::default(),
            |w| {
                // In uneven pieces, as a serializer writes.
                for piece in text.chunks(7777) {
                    w.write_all(piece)?;
                }
                Ok(())
            },
        )
        .unwrap();
        let (cur, _) = z.finish().unwrap();
        let mut a = zip::ZipArchive::new(Cursor::new(cur.into_inner())).unwrap();
        let mut got = Vec::new();
        a.by_name("manifest.json")
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        got
    }

    #[test]
    fn the_text_reads_back_whole_however_it_is_cut_and_compressed() {
        let text: Vec<u8> = (0..400_000u32)
            .flat_map(|i| {
                format!(
                    "{{\"zip_path\": \"agent/logs/probe-{i}.log\", \"n\": {}}},\n",
                    i % 977
                )
                .into_bytes()
            })
            .collect();
        assert!(text.len() > 5 * BLOCK);
        for threads in [1, 2, 3] {
            assert!(
                streamed(&text, Method::Deflated, threads) == text,
                "{threads}"
            );
        }
        assert!(streamed(&text, Method::Stored, 2) == text);
        // Exactly one block, and nothing.
        assert!(streamed(&text[..BLOCK], Method::Deflated, 2) == text[..BLOCK]);
        assert!(streamed(b"", Method::Deflated, 2).is_empty());
    }

    #[test]
    fn an_error_while_writing_ends_the_helpers_and_is_returned() {
        let mut z = ZipOut::new(Cursor::new(Vec::new())).unwrap();
        let r = add_streamed(
            &mut z,
            "manifest.json",
            (Method::Deflated, Levels::uniform(4), 2),
            DosTime::default(),
            |w| {
                w.write_all(&vec![b'x'; 3 * BLOCK])?;
                anyhow::bail!("serializer failed")
            },
        );
        assert!(format!("{:#}", r.unwrap_err()).contains("serializer failed"));
    }
}
