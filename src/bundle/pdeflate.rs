//! Parallel DEFLATE inside one entry, the way pigz does it: an entry's (already redacted)
//! bytes are cut into blocks of at most 1 MiB (a big log's blocks end where its reads end, so
//! they are not copied once more); each block is compressed on any compressor thread with
//! the 32 KiB before it as preset dictionary and ends with a sync flush (the last one with
//! the final block), so the compressed blocks, joined in order, are one standard DEFLATE
//! stream.
//! The block CRC-32s are combined by the writer.
//!
//! [`Sched`] bounds memory: the entry being written may have [`CURRENT_BLOCKS`] blocks in
//! flight; all other entries together at most [`OTHER_BYTES`] (counted raw while queued,
//! compressed once done), so small files finished while a big one streams wait in memory
//! without ever stalling the big one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use flate2::{Compress, Compression, FlushCompress, Status};

/// Block size.
pub const BLOCK: usize = 1 << 20;
/// DEFLATE's window: the dictionary handed to the next block.
pub const DICT: usize = 32 * 1024;
/// In-flight blocks of the entry being written.
pub const CURRENT_BLOCKS: u64 = 8;
/// In-flight bytes of all other entries.
pub const OTHER_BYTES: u64 = 8 << 20;
/// A sleeping compressor is woken once this many blocks, or [`BLOCK`] raw bytes, are queued
/// (sooner when someone waits on them): 100,000 small files woken one by one spent a fifth
/// of their CPU switching threads. Once awake, it takes blocks until the queue is empty.
pub const WAKE_BLOCKS: usize = 32;

/// One block to compress, and (`end`, with an entry's last block) what its producer hands
/// on to the writer with it, untouched here.
pub struct Task<E> {
    pub id: u64,
    pub seq: u64,
    /// Up to 32 KiB preceding the block (empty for the first).
    pub dict: Vec<u8>,
    pub data: Vec<u8>,
    pub last: bool,
    pub end: Option<E>,
}

/// DEFLATE levels per engine. `--level N` sets both to N; the default differs per engine
/// because their levels do not mean the same. On 100,000 4 KiB MID logs, libdeflate at level 1
/// compressed 1.5x faster than at its levels 2-4 (which all took the same time: the cost per
/// call dominates at that size) for +1.2% in size, while zlib's level 1 (streams of several
/// blocks) is about 40% larger than its level 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    /// Entries of several blocks (zlib, with a preset dictionary per block).
    pub stream: u32,
    /// Entries compressed in one call: files of one block and generated documents (libdeflate).
    pub whole: u32,
}

impl Levels {
    /// Level 4 for streams: on MID logs within 0.1% of `zip -6`'s size at about 85% of the
    /// CPU of level 6 (benches/bundle.rs). Level 1 for whole entries (see above).
    pub const DEFAULT: Levels = Levels {
        stream: 4,
        whole: 1,
    };

    /// The same level for every entry (0 = stored).
    pub fn uniform(level: u32) -> Levels {
        let level = level.min(9);
        Levels {
            stream: level,
            whole: level,
        }
    }

    /// Stored, not compressed (either level 0: the zip method is one for the whole bundle).
    pub fn stored(&self) -> bool {
        self.stream == 0 || self.whole == 0
    }

    /// As the manifest records it.
    pub fn describe(&self) -> String {
        if self.stored() {
            "stored".into()
        } else if self.stream == self.whole {
            format!("deflate level {}", self.stream)
        } else {
            format!(
                "deflate level {} (level {} for entries compressed in one piece)",
                self.stream, self.whole
            )
        }
    }
}

/// A reusable raw-DEFLATE block compressor.
///
/// A whole entry in one block (no dictionary, last) goes to libdeflate, which compresses a
/// buffer it has all of in one call, with no zlib stream to reset per file: on 100,000 4 KiB
/// logs the whole bundle took a quarter less CPU, at the same level and +0.02% in size.
/// Pieces of a longer stream need a preset dictionary and a sync flush, which only zlib
/// gives.
pub struct BlockCompressor {
    c: Compress,
    whole: Option<libdeflater::Compressor>,
}

impl BlockCompressor {
    pub fn new(levels: Levels) -> Self {
        BlockCompressor {
            c: Compress::new(Compression::new(levels.stream.clamp(1, 9)), false),
            whole: libdeflater::CompressionLvl::new(levels.whole.clamp(1, 9) as i32)
                .ok()
                .map(libdeflater::Compressor::new),
        }
    }

    /// `data` as one complete raw DEFLATE stream, by libdeflate.
    fn whole(
        c: &mut libdeflater::Compressor,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        out.clear();
        out.resize(c.deflate_compress_bound(data.len()), 0);
        let n = c
            .deflate_compress(data, out)
            .map_err(|e| format!("deflate: {e}"))?;
        out.truncate(n);
        Ok(())
    }

    /// Compress `data` into `out` (cleared first) as one piece of a stream.
    pub fn block(
        &mut self,
        dict: &[u8],
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        if dict.is_empty()
            && last
            && let Some(c) = self.whole.as_mut()
        {
            return Self::whole(c, data, out);
        }
        self.c.reset();
        if !dict.is_empty() {
            self.c
                .set_dictionary(dict)
                .map_err(|e| format!("deflate dictionary: {e}"))?;
        }
        out.clear();
        out.reserve(data.len() + data.len() / 16 + 64);
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        let start_in = self.c.total_in();
        loop {
            let consumed = (self.c.total_in() - start_in) as usize;
            let status = self
                .c
                .compress_vec(&data[consumed..], out, flush)
                .map_err(|e| format!("deflate: {e}"))?;
            let all_in = (self.c.total_in() - start_in) as usize == data.len();
            // Done when everything went in and the flush fit (room left, or the stream ended).
            let done = if last {
                status == Status::StreamEnd
            } else {
                all_in && out.len() < out.capacity()
            };
            if done {
                return Ok(());
            }
            out.reserve(out.capacity() / 2 + 4096);
        }
    }
}

/// The 32 KiB window after `data`, given the window before it.
pub fn next_dict(prev: &[u8], data: &[u8]) -> Vec<u8> {
    if data.len() >= DICT {
        return data[data.len() - DICT..].to_vec();
    }
    let keep = DICT - data.len();
    let mut d = prev[prev.len().saturating_sub(keep)..].to_vec();
    d.extend_from_slice(data);
    d
}

struct State<E> {
    queue: BTreeMap<(u64, u64), Task<E>>,
    /// Raw bytes in `queue`.
    queued: u64,
    /// Bytes in flight per entry.
    held: HashMap<u64, u64>,
    blocks: HashMap<u64, u64>,
    total: u64,
    current: Option<u64>,
    producers: usize,
    /// Spent block buffers, reused so that each block does not fault in fresh pages.
    pool: Vec<Vec<u8>>,
    /// Threads waiting for a block / for room: a notification (a syscall) is only sent
    /// when someone waits, and wakes only the side that can go on.
    waiting_work: usize,
    waiting_room: usize,
}

/// Spent buffers kept for reuse.
const POOL_MAX: usize = 16;

/// The block queue and the memory bound, shared by producers, compressors and the writer.
pub struct Sched<'a, E> {
    m: Mutex<State<E>>,
    /// Compressors wait here for a block.
    work: Condvar,
    /// Producers wait here for room.
    room: Condvar,
    cancel: &'a AtomicBool,
}

#[derive(Clone, Copy)]
enum Side {
    Work,
    Room,
}

impl<'a, E> Sched<'a, E> {
    pub fn new(producers: usize, cancel: &'a AtomicBool) -> Self {
        Sched {
            m: Mutex::new(State {
                queue: BTreeMap::new(),
                queued: 0,
                held: HashMap::new(),
                blocks: HashMap::new(),
                total: 0,
                current: None,
                producers,
                pool: Vec::new(),
                waiting_work: 0,
                waiting_room: 0,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            cancel,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<E>> {
        self.m.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'g>(&self, mut g: MutexGuard<'g, State<E>>, side: Side) -> MutexGuard<'g, State<E>> {
        let cv = match side {
            Side::Work => {
                g.waiting_work += 1;
                &self.work
            }
            Side::Room => {
                g.waiting_room += 1;
                &self.room
            }
        };
        // Timed, so that a cancel is seen even without a notification.
        let mut g = match cv.wait_timeout(g, Duration::from_millis(100)) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
        match side {
            Side::Work => g.waiting_work -= 1,
            Side::Room => g.waiting_room -= 1,
        }
        g
    }

    /// Wake the waiters of `side`, if any, after releasing the lock.
    fn notify(&self, g: MutexGuard<'_, State<E>>, side: Side, all: bool) {
        let (waiting, cv) = match side {
            Side::Work => (g.waiting_work, &self.work),
            Side::Room => (g.waiting_room, &self.room),
        };
        drop(g);
        if waiting > 0 {
            if all {
                cv.notify_all();
            } else {
                cv.notify_one();
            }
        }
    }

    /// Whether a sleeping compressor should be woken for the queued blocks: enough of them,
    /// or someone waits on them (the writer for its current entry, a producer for room, or
    /// the end of the run).
    fn worth_waking(g: &State<E>) -> bool {
        !g.queue.is_empty()
            && (g.queue.len() >= WAKE_BLOCKS
                || g.queued >= BLOCK as u64
                || g.waiting_room > 0
                || g.producers == 0
                || g.current
                    .is_some_and(|c| g.queue.range((c, 0)..=(c, u64::MAX)).next().is_some()))
    }

    /// Wake a sleeping compressor if [`Self::worth_waking`].
    fn nudge(&self, g: MutexGuard<'_, State<E>>) {
        if g.waiting_work > 0 && Self::worth_waking(&g) {
            self.notify(g, Side::Work, false);
        }
    }

    /// Queue a block, waiting for room; false when cancelled.
    pub fn push(&self, t: Task<E>) -> bool {
        let len = t.data.len() as u64;
        let mut g = self.lock();
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return false;
            }
            let cur = g.current.and_then(|c| g.held.get(&c).copied()).unwrap_or(0);
            let others = g.total - cur;
            // The current entry only waits for the writer; the others for each other (a block
            // may always go when nothing else is waiting, whatever its size).
            let room = if g.current == Some(t.id) {
                g.blocks.get(&t.id).copied().unwrap_or(0) < CURRENT_BLOCKS
            } else {
                others == 0 || others + len <= OTHER_BYTES
            };
            if room {
                break;
            }
            // Room comes from compressing what is queued: nobody may sleep on it.
            if g.waiting_work > 0 && !g.queue.is_empty() {
                self.work.notify_all();
            }
            g = self.wait(g, Side::Room);
        }
        *g.held.entry(t.id).or_default() += len;
        *g.blocks.entry(t.id).or_default() += 1;
        g.total += len;
        g.queued += len;
        g.queue.insert((t.id, t.seq), t);
        self.nudge(g);
        true
    }

    /// The next block (the current entry's, else the lowest entry's; lowest block first),
    /// waiting for one; None once every producer is done and the queue is empty, or on cancel.
    /// `awake` is the caller's: while it holds, blocks are taken as they come; once the queue
    /// ran dry, the caller sleeps until blocks are [worth waking](Self::worth_waking) for
    /// (or 100 ms passed).
    pub fn pop(&self, awake: &mut bool) -> Option<Task<E>> {
        let mut g = self.lock();
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return None;
            }
            if !(*awake || Self::worth_waking(&g)) && g.producers > 0 {
                g = self.wait(g, Side::Work);
                // Woken by a notification or the timeout: take whatever is queued.
                *awake = true;
                continue;
            }
            // The entry being written first: the writer waits for nothing else.
            let key = g
                .current
                .and_then(|c| {
                    g.queue
                        .range((c, 0)..=(c, u64::MAX))
                        .next()
                        .map(|(k, _)| *k)
                })
                .or_else(|| g.queue.first_key_value().map(|(k, _)| *k));
            if let Some(t) = key.and_then(|k| g.queue.remove(&k)) {
                g.queued -= t.data.len() as u64;
                *awake = true;
                return Some(t);
            }
            if g.producers == 0 {
                return None;
            }
            *awake = false;
        }
    }

    /// A block was compressed: it now holds `compressed` bytes instead of `raw`.
    pub fn compressed(&self, id: u64, raw: u64, compressed: u64) {
        let mut g = self.lock();
        let h = g.held.entry(id).or_default();
        *h = (*h + compressed).saturating_sub(raw);
        g.total = (g.total + compressed).saturating_sub(raw);
        self.notify(g, Side::Room, true);
    }

    /// The writer wrote or dropped a compressed block of `bytes`.
    pub fn release(&self, id: u64, bytes: u64) {
        let mut g = self.lock();
        let h = g.held.entry(id).or_default();
        *h = h.saturating_sub(bytes);
        g.total = g.total.saturating_sub(bytes);
        let b = g.blocks.entry(id).or_default();
        *b = b.saturating_sub(1);
        // Forgotten once empty (a missing row reads as zero), so that an entry written
        // without ever being current leaves nothing behind.
        if *b == 0 && g.held.get(&id) == Some(&0) {
            g.held.remove(&id);
            g.blocks.remove(&id);
        }
        self.notify(g, Side::Room, true);
    }

    /// The entry the writer is streaming (its producer gets priority).
    pub fn set_current(&self, id: Option<u64>) {
        let mut g = self.lock();
        if let Some(old) = g.current.filter(|o| Some(*o) != id)
            && g.held.get(&old) == Some(&0)
        {
            g.held.remove(&old);
            g.blocks.remove(&old);
        }
        g.current = id;
        // Its queued blocks are now awaited.
        if g.waiting_work > 0 && Self::worth_waking(&g) {
            self.work.notify_one();
        }
        self.notify(g, Side::Room, true);
    }

    /// An empty buffer for a new block (a spent one when there is one).
    pub fn buffer(&self) -> Vec<u8> {
        self.lock().pool.pop().unwrap_or_default()
    }

    /// Give back a block's buffer once it is compressed.
    pub fn recycle(&self, mut b: Vec<u8>) {
        if b.capacity() >= BLOCK {
            b.clear();
            let mut g = self.lock();
            if g.pool.len() < POOL_MAX {
                g.pool.push(b);
            }
        }
    }

    /// A producer thread ended.
    pub fn producer_done(&self) {
        let mut g = self.lock();
        g.producers = g.producers.saturating_sub(1);
        drop(g);
        self.wake();
    }

    /// Wake everyone (after a cancel, or when the last producer ended).
    pub fn wake(&self) {
        self.work.notify_all();
        self.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn joined(data: &[u8], block: usize, level: u32) -> Vec<u8> {
        let mut bc = BlockCompressor::new(Levels::uniform(level));
        let mut out = Vec::new();
        let mut dict = Vec::new();
        let mut piece = Vec::new();
        let mut chunks: Vec<&[u8]> = data.chunks(block).collect();
        // An exact multiple of the block size ends with an empty final block.
        if data.len().is_multiple_of(block) {
            chunks.push(&[]);
        }
        let n = chunks.len();
        for (i, c) in chunks.into_iter().enumerate() {
            bc.block(&dict, c, i + 1 == n, &mut piece).unwrap();
            out.extend_from_slice(&piece);
            dict = next_dict(&dict, c);
        }
        out
    }

    #[test]
    fn joined_blocks_are_one_deflate_stream() {
        let mut data = Vec::new();
        for i in 0..40_000u32 {
            data.extend_from_slice(
                format!("2026-11-21T16:30:{:02} INFO line {i} of the log\n", i % 60).as_bytes(),
            );
        }
        for (len, block) in [
            (data.len(), 1000),
            (64 * 1000, 1000),
            (0, 1000),
            (5, 1 << 20),
        ] {
            let input = &data[..len];
            let z = joined(input, block, 4);
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&z[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, input, "len {len} block {block}");
        }
        // The dictionary keeps the ratio close to one stream's.
        let whole = joined(&data, data.len() + 1, 4).len();
        let split = joined(&data, 64 * 1024, 4).len();
        assert!(split < whole + whole / 20, "{split} vs {whole}");
    }

    #[test]
    fn a_whole_entry_is_one_libdeflate_stream_at_every_level() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.extend_from_slice(format!("INFO worker {i} done in {}ms\n", i * 7).as_bytes());
        }
        // Incompressible bytes: the output must grow past the input without an error.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..70_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for level in 1..=9 {
            let mut bc = BlockCompressor::new(Levels {
                stream: 4,
                whole: level,
            });
            assert!(
                bc.whole.is_some(),
                "level {level} has no libdeflate compressor"
            );
            for input in [&text[..], &noise[..], &[][..]] {
                let mut z = vec![0xAA; 3]; // stale bytes must not survive
                bc.block(&[], input, true, &mut z).unwrap();
                let mut back = Vec::new();
                flate2::read::DeflateDecoder::new(&z[..])
                    .read_to_end(&mut back)
                    .unwrap();
                assert_eq!(back, input, "level {level}, {} bytes", input.len());
            }
        }
    }

    #[test]
    fn next_dict_keeps_the_last_32_kib() {
        let a = vec![1u8; DICT];
        let d = next_dict(&a, &[2, 3]);
        assert_eq!(d.len(), DICT);
        assert_eq!(&d[DICT - 3..], &[1, 2, 3]);
        assert_eq!(next_dict(&[], &[7; 10]), vec![7; 10]);
    }

    fn task(id: u64, seq: u64, len: usize, last: bool) -> Task<u64> {
        Task {
            id,
            seq,
            dict: Vec::new(),
            data: vec![b'x'; len],
            last,
            end: last.then_some(id),
        }
    }

    #[test]
    fn compressors_are_woken_for_a_batch_or_a_waiter_not_for_each_block() {
        let cancel = AtomicBool::new(false);
        let s: Sched<'_, u64> = Sched::new(1, &cancel);
        let worth = |s: &Sched<'_, u64>| Sched::worth_waking(&s.lock());
        assert!(!worth(&s), "an empty queue");
        for id in 0..WAKE_BLOCKS as u64 - 1 {
            assert!(s.push(task(id, 0, 4096, true)));
        }
        assert!(!worth(&s), "{} small blocks", WAKE_BLOCKS - 1);
        assert!(s.push(task(99, 0, 4096, true)));
        assert!(worth(&s), "a batch");

        // A single block: worth it once it is big, awaited by the writer, or the last one.
        let one = |f: &dyn Fn(&Sched<'_, u64>)| {
            let s: Sched<'_, u64> = Sched::new(1, &cancel);
            assert!(s.push(task(7, 0, 4096, true)));
            assert!(!worth(&s));
            f(&s);
            worth(&s)
        };
        assert!(one(&|s| assert!(s.push(task(8, 0, BLOCK, false)))));
        assert!(one(&|s| s.set_current(Some(7))));
        assert!(one(&|s| s.producer_done()));
        assert!(
            !one(&|s| s.set_current(Some(3))),
            "the writer awaits another entry"
        );
    }

    #[test]
    fn an_awake_compressor_takes_what_is_queued_and_the_end_rides_with_the_last_block() {
        let cancel = AtomicBool::new(false);
        let s: Sched<'_, u64> = Sched::new(1, &cancel);
        assert!(s.push(task(1, 0, 10, false)));
        assert!(s.push(task(1, 1, 10, true)));
        let mut awake = true;
        let a = s.pop(&mut awake).unwrap();
        let b = s.pop(&mut awake).unwrap();
        assert_eq!((a.seq, a.end, b.seq, b.end), (0, None, 1, Some(1)));
        s.producer_done();
        assert!(
            s.pop(&mut awake).is_none(),
            "no producer and nothing queued"
        );
    }

    /// Producers, compressors and a writer through the scheduler, with the memory bound
    /// biting (blocks of 1 MiB, several entries): everything arrives, nothing hangs, and
    /// nothing stays counted.
    #[test]
    fn a_pipeline_under_the_memory_bound_finishes_and_releases_everything() {
        use std::sync::mpsc;
        let cancel = AtomicBool::new(false);
        let producers = 2;
        let s: Sched<'_, u64> = Sched::new(producers, &cancel);
        let (tx, rx) = mpsc::channel::<(u64, u64, u64, Option<u64>)>();
        let got = std::thread::scope(|sc| {
            for p in 0..producers as u64 {
                let s = &s;
                sc.spawn(move || {
                    // Entry ids 0, 2, 4.. and 1, 3, 5..: small ones and ones of 12 MiB.
                    for k in 0..40u64 {
                        let id = 2 * k + p;
                        let (blocks, len) = if k % 10 == 3 { (12, BLOCK) } else { (1, 300) };
                        for seq in 0..blocks {
                            assert!(s.push(task(id, seq, len, seq + 1 == blocks)));
                        }
                    }
                    s.producer_done();
                });
            }
            for _ in 0..2 {
                let (s, tx) = (&s, tx.clone());
                sc.spawn(move || {
                    let mut awake = false;
                    while let Some(t) = s.pop(&mut awake) {
                        s.compressed(t.id, t.data.len() as u64, 1);
                        tx.send((t.id, t.seq, 1, t.end)).unwrap();
                    }
                });
            }
            drop(tx);
            // The writer: releases every block as it comes (as written).
            let mut got = Vec::new();
            for (id, seq, bytes, end) in rx {
                s.release(id, bytes);
                got.push((id, seq, end));
            }
            got
        });
        assert_eq!(got.len(), 8 * 12 + 72);
        let ends = got.iter().filter(|(id, _, e)| *e == Some(*id)).count();
        assert_eq!(ends, 80, "every entry's end came with its last block");
        let st = s.lock();
        assert_eq!((st.total, st.queued, st.queue.len()), (0, 0, 0));
        assert!(
            st.held.is_empty() && st.blocks.is_empty(),
            "rows left behind"
        );
    }
}
