//! A map over items on helper threads while the caller is still producing them, with the
//! results handed back in the items' order on the calling thread. Planning uses it so that
//! listing a log tree, the lstat of each file and recording it into the plan overlap: with
//! 100,000 files the three ran one after the other and kept a core idle for a fifth of a
//! second each.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

/// Items per hand-off.
const CHUNK: usize = 256;

/// See the module documentation. Helper threads start with the first full chunk, so a short
/// list is mapped on the calling thread and costs no thread.
pub struct Ordered<'scope, 'env, T, R, F> {
    scope: &'scope Scope<'scope, 'env>,
    f: &'env F,
    threads: usize,
    /// The helpers' queue, once they are started.
    work: Option<Sender<(usize, Vec<T>)>>,
    /// Cloned into each helper; dropped by `finish` so that a panicked helper ends the wait.
    done_tx: Sender<(usize, Vec<R>)>,
    done: Receiver<(usize, Vec<R>)>,
    chunk: Vec<T>,
    /// Chunks sent, and the number of the next chunk to hand back.
    sent: usize,
    next: usize,
    /// Chunks mapped ahead of `next`.
    early: BTreeMap<usize, Vec<R>>,
}

impl<'scope, 'env, T, R, F> Ordered<'scope, 'env, T, R, F>
where
    T: Send + 'scope,
    R: Send + 'scope,
    F: Fn(T) -> R + Sync,
{
    /// Up to `threads` helpers (at least one) in `scope`.
    pub fn new(scope: &'scope Scope<'scope, 'env>, threads: usize, f: &'env F) -> Self {
        let (done_tx, done) = mpsc::channel();
        Ordered {
            scope,
            f,
            threads: threads.max(1),
            work: None,
            done_tx,
            done,
            chunk: Vec::with_capacity(CHUNK),
            sent: 0,
            next: 0,
            early: BTreeMap::new(),
        }
    }

    /// Queue `item`; returns the results that are ready, in order (often none).
    pub fn push(&mut self, item: T) -> Vec<R> {
        self.chunk.push(item);
        if self.chunk.len() < CHUNK {
            return Vec::new();
        }
        self.send();
        let mut out = Vec::new();
        while let Ok((i, r)) = self.done.try_recv() {
            self.early.insert(i, r);
        }
        take_ready(&mut self.early, &mut self.next, &mut out);
        out
    }

    /// Every remaining result, in order (waits for the helpers).
    pub fn finish(mut self) -> Vec<R> {
        let mut out = Vec::new();
        if self.work.is_none() {
            // Nothing was handed off: a short list, mapped here.
            return std::mem::take(&mut self.chunk)
                .into_iter()
                .map(self.f)
                .collect();
        }
        if !self.chunk.is_empty() {
            self.send();
        }
        // The helpers end once the work queue is closed and drained; with our sender gone
        // too, `recv` fails instead of waiting for a chunk a panicked helper never sends.
        let Ordered {
            work,
            done_tx,
            done,
            sent,
            mut next,
            mut early,
            ..
        } = self;
        drop((work, done_tx));
        while next < sent {
            match done.recv() {
                Ok((i, r)) => {
                    early.insert(i, r);
                    take_ready(&mut early, &mut next, &mut out);
                }
                // A helper panicked: the scope re-raises its panic when it ends.
                Err(_) => break,
            }
        }
        out
    }

    fn send(&mut self) {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        if self.work.is_none() {
            self.start();
        }
        if let Some(w) = &self.work {
            // Fails only when every helper is gone (a panic, re-raised by the scope).
            let _ = w.send((self.sent, chunk));
        }
        self.sent += 1;
    }

    fn start(&mut self) {
        let (tx, rx) = mpsc::channel::<(usize, Vec<T>)>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..self.threads {
            let (rx, f, done) = (Arc::clone(&rx), self.f, self.done_tx.clone());
            self.scope.spawn(move || {
                loop {
                    let next = rx.lock().ok().and_then(|r| r.recv().ok());
                    let Some((i, items)) = next else { break };
                    let mapped: Vec<R> = items.into_iter().map(f).collect();
                    if done.send((i, mapped)).is_err() {
                        break;
                    }
                }
            });
        }
        self.work = Some(tx);
    }
}

/// Move the chunks that are next in order from `early` to `out`.
fn take_ready<R>(early: &mut BTreeMap<usize, Vec<R>>, next: &mut usize, out: &mut Vec<R>) {
    while let Some(r) = early.remove(next) {
        out.extend(r);
        *next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(n: usize, threads: usize) -> Vec<usize> {
        let f = |x: usize| {
            // Uneven work, so that chunks finish out of order.
            if x.is_multiple_of(7) {
                std::thread::yield_now();
            }
            x * 3
        };
        std::thread::scope(|s| {
            let mut o = Ordered::new(s, threads, &f);
            let mut got = Vec::new();
            for x in 0..n {
                got.extend(o.push(x));
            }
            got.extend(o.finish());
            got
        })
    }

    #[test]
    fn results_come_back_in_order_whatever_the_size() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 10_007] {
            for threads in [1, 2, 3] {
                assert_eq!(
                    mapped(n, threads),
                    (0..n).map(|x| x * 3).collect::<Vec<_>>(),
                    "{n} items, {threads} threads"
                );
            }
        }
    }
}
