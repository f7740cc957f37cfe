//! Following files by name without holding them open (poll, open, read, close).
//!
//! Like `tail -F`, but no handle and no OS watcher survives a poll (bundle-and-follow.md B.5):
//! each poll `stat`s every name and opens a file only when it changed, reads from the saved offset
//! up to the size `stat` reported, and closes it. Locked files are what crash MID upgrades, so
//! the follower must never be the one holding a lock. It knows nothing about what lines mean.

mod identity;
mod lines;
#[cfg(any(test, feature = "test-support"))]
mod task;
mod tracked;

use std::path::PathBuf;
use std::time::Duration;

pub use identity::HEAD_LEN;
pub use lines::{LineSplitter, SplitStats};
#[cfg(any(test, feature = "test-support"))]
pub use task::{FollowHandle, spawn};

use tracked::Tracked;

/// Where following starts in a file that already exists at the first poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// From byte 0.
    Beginning,
    /// From the end, keeping the last `context_bytes` (cut to whole lines) for context.
    End { context_bytes: u64 },
}

/// Knobs of a [`Follower`]. Files that appear after the first poll are always read from byte 0.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// Interval of the async helper (the sync core polls when told to).
    pub poll_interval: Duration,
    pub start: StartAt,
    /// At most this much is read from one file per poll, so a huge append cannot stall the others.
    pub read_budget_bytes: u64,
    /// Longer lines are delivered cut to this many bytes (memory stays bounded).
    pub max_line_bytes: usize,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            poll_interval: Duration::from_millis(200),
            start: StartAt::End { context_bytes: 0 },
            read_budget_bytes: 8 * 1024 * 1024,
            max_line_bytes: 64 * 1024,
        }
    }
}

/// Something that happened to a followed name (each reported once per occurrence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowEvent {
    /// The name did not exist at the first poll; we keep checking quietly.
    Waiting,
    /// The name exists again (or for the first time after `Waiting`); read from its start.
    Appeared,
    /// First attach skipped the start of an existing file; reading begins at this offset.
    StartedAt { offset: u64 },
    /// The file shrank: reading restarts at 0.
    Truncated,
    /// The name now points to a different file, or the file was overwritten: restart at 0.
    Replaced,
    /// The old file was renamed to `to` (its remaining lines were read); the name is followed on.
    Rotated { to: PathBuf },
    /// The name went away (e.g. the upgrade temp folder was cleaned up).
    Deleted,
    /// Lines longer than `max_bytes` were delivered cut.
    LongLinesCut { count: u32, max_bytes: usize },
    /// A read failed (locked, permission); retried at the next poll, reported once per message.
    Error(String),
}

/// What one poll found for one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub source: String,
    pub lines: Vec<String>,
    pub events: Vec<FollowEvent>,
}

/// Follows several names; call [`Follower::poll`] periodically (or use [`spawn`]).
#[derive(Debug)]
pub struct Follower {
    config: FollowConfig,
    files: Vec<Tracked>,
}

impl Follower {
    pub fn new(config: FollowConfig) -> Self {
        Follower {
            config,
            files: Vec::new(),
        }
    }

    pub fn config(&self) -> &FollowConfig {
        &self.config
    }

    /// Follow `path` under the name `label` (shown as the source of its lines).
    pub fn add(&mut self, label: impl Into<String>, path: impl Into<PathBuf>) {
        let start = self.config.start;
        self.add_starting(label, path, start);
    }

    /// Like [`Follower::add`], with its own start position (e.g. our own output file from its
    /// beginning, the MID's logs from their end).
    pub fn add_starting(
        &mut self,
        label: impl Into<String>,
        path: impl Into<PathBuf>,
        start: StartAt,
    ) {
        self.files
            .push(Tracked::new(label.into(), path.into(), start, &self.config));
    }

    /// The followed (label, path) pairs.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &std::path::Path)> {
        self.files
            .iter()
            .map(|t| (t.label.as_str(), t.path.as_path()))
    }

    /// Read what changed since the last poll. Only sources with lines or events are returned.
    pub fn poll(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        for t in &mut self.files {
            let mut lines = Vec::new();
            let mut events = Vec::new();
            t.poll(&self.config, &mut lines, &mut events);
            if !lines.is_empty() || !events.is_empty() {
                out.push(Batch {
                    source: t.label.clone(),
                    lines,
                    events,
                });
            }
        }
        out
    }

    /// Deliver unfinished last lines (call once when following ends).
    pub fn finish(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        for t in &mut self.files {
            let mut lines = Vec::new();
            t.finish(&mut lines);
            if !lines.is_empty() {
                out.push(Batch {
                    source: t.label.clone(),
                    lines,
                    events: Vec::new(),
                });
            }
        }
        out
    }

    /// Current read offset of the source `label` (for tests and progress displays).
    pub fn offset(&self, label: &str) -> Option<u64> {
        self.files
            .iter()
            .find(|t| t.label == label)
            .map(Tracked::offset)
    }
}
