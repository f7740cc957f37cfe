//! Whether the producers' reads wait for the disk. With the logs in the page cache, two
//! producers on two cores are best; with them on disk (a MID host at 3 a.m.), each read of a
//! small log blocks and more reads in flight are what speeds it up. Measured on 100,000
//! small files with the page cache dropped: 13.75 s with 2 producers, 7.21 s with 8; with
//! the files cached, 4 producers always at work were 1.09x slower than 2. So the extra
//! producers work only while most recent files were slow to read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Fixed part of a slow read: a cached small log opens and reads in about 5 us here, one on
/// disk in 70-170 us.
const SLOW_BASE: Duration = Duration::from_micros(40);
/// Per byte on top (copying out of the page cache runs at several GB/s; 1 GB/s is slow).
const SLOW_NS_PER_BYTE: u64 = 1;
/// Files in a producer's window, and how many of them must be slow to say "waiting" (or at
/// most fast to say it no longer is). A read can also look slow because its thread was
/// preempted; that happens to a minority of files, never to most of them.
const WINDOW: u32 = 16;
const ON: u32 = 12;
const OFF: u32 = 4;
/// How often a standing-by producer looks again.
pub const STANDBY_POLL: Duration = Duration::from_millis(25);

/// Shared by the producers of one bundle.
#[derive(Debug, Default)]
pub struct DiskWait {
    waiting: AtomicBool,
}

/// One producer's recent files (a bit per file, set when slow).
#[derive(Debug, Default)]
pub struct Window {
    bits: u16,
    seen: u32,
}

impl DiskWait {
    /// Whether reads currently wait for the disk.
    pub fn waiting(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A file of `bytes` took `took` to open and read (not to process).
    pub fn report(&self, w: &mut Window, took: Duration, bytes: u64) {
        let slow = took > SLOW_BASE + Duration::from_nanos(bytes.saturating_mul(SLOW_NS_PER_BYTE));
        w.bits = (w.bits << 1) | u16::from(slow);
        w.seen = (w.seen + 1).min(WINDOW);
        if w.seen < WINDOW {
            return;
        }
        let n = w.bits.count_ones();
        if n >= ON {
            self.waiting.store(true, Ordering::Relaxed);
        } else if n <= OFF {
            self.waiting.store(false, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_files_slow_means_waiting_and_a_few_preempted_reads_do_not() {
        let d = DiskWait::default();
        let mut w = Window::default();
        let fast = Duration::from_micros(8);
        let slow = Duration::from_millis(2);
        // Every fourth read preempted: not waiting.
        for i in 0..64 {
            d.report(&mut w, if i % 4 == 0 { slow } else { fast }, 4096);
            assert!(!d.waiting(), "read {i}");
        }
        // Nearly every read slow: waiting, once the window holds enough of them.
        for _ in 0..ON {
            d.report(&mut w, slow, 4096);
        }
        assert!(d.waiting());
        // Back in the cache: no longer waiting.
        for _ in 0..WINDOW {
            d.report(&mut w, fast, 4096);
        }
        assert!(!d.waiting());
        // A big cached read is not slow: 1 MiB in 300 us.
        let mut w = Window::default();
        for _ in 0..WINDOW {
            d.report(&mut w, Duration::from_micros(300), 1 << 20);
        }
        assert!(!d.waiting());
    }
}
