//! One followed name: its state between polls (offset, identity, head, unfinished line) and the
//! poll step. No handle survives a poll: open, seek, read up to the size `stat` reported, close.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::identity::{FileId, HEAD_LEN, heads_agree};
use super::lines::LineSplitter;
use super::{FollowConfig, FollowEvent, StartAt};

const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Never polled yet.
    New,
    /// The name did not exist at the first poll (reported once).
    Waiting,
    /// The name exists and we read it.
    Following,
    /// The name existed and went away (reported once).
    Gone,
}

/// What we know about the file a name pointed to at the last poll.
#[derive(Debug)]
struct Seen {
    id: Option<FileId>,
    size: u64,
    mtime: Option<SystemTime>,
    head: Vec<u8>,
}

#[derive(Debug)]
pub(super) struct Tracked {
    pub label: String,
    pub path: PathBuf,
    phase: Phase,
    start: StartAt,
    offset: u64,
    seen: Option<Seen>,
    splitter: LineSplitter,
    last_error: Option<String>,
}

impl Tracked {
    pub fn new(label: String, path: PathBuf, start: StartAt, cfg: &FollowConfig) -> Self {
        Tracked {
            label,
            path,
            phase: Phase::New,
            start,
            offset: 0,
            seen: None,
            splitter: LineSplitter::new(cfg.max_line_bytes),
            last_error: None,
        }
    }

    /// Bytes read so far from the current file (the next read starts here).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn poll(
        &mut self,
        cfg: &FollowConfig,
        lines: &mut Vec<String>,
        events: &mut Vec<FollowEvent>,
    ) {
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.on_missing(cfg, lines, events);
            }
            Err(e) => return self.on_error(e, events),
        };
        if !meta.is_file() {
            return self.on_error(
                io::Error::other(format!("{} is not a regular file", self.path.display())),
                events,
            );
        }
        let id = FileId::of(&meta);
        match self.phase {
            Phase::New => self.attach(&meta, events),
            Phase::Waiting | Phase::Gone => {
                events.push(FollowEvent::Appeared);
                self.restart_at_zero();
            }
            Phase::Following => {
                if let Some(seen) = &self.seen {
                    if seen.id != id {
                        self.on_replaced(cfg, lines, events);
                    } else if meta.len() < self.offset {
                        // Windows keeps a re-created name's creation time (NTFS tunnelling, 15 s),
                        // so a rotation can look like a truncation: look for the rotated file
                        // (same head) first, and read what was appended to it.
                        let rotated = self.read_rest_of_rotated(cfg, lines);
                        self.splitter.finish(lines);
                        events.push(match rotated {
                            Some(to) => FollowEvent::Rotated { to },
                            None => FollowEvent::Truncated,
                        });
                        self.restart_at_zero();
                    } else if meta.len() == seen.size && mtime(&meta) == seen.mtime {
                        return; // Idle: nothing changed, no open at all.
                    }
                }
            }
        }
        self.phase = Phase::Following;
        if let Err(e) = self.read(&meta, cfg, lines, events) {
            // Transient (a lock, a permission flicker): retry next poll from the same offset.
            return self.on_error(e, events);
        }
        self.last_error = None;
    }

    /// Flush an unfinished line (end of all following).
    pub fn finish(&mut self, lines: &mut Vec<String>) {
        self.splitter.finish(lines);
    }

    fn attach(&mut self, meta: &Metadata, events: &mut Vec<FollowEvent>) {
        let size = meta.len();
        let start = match self.start {
            StartAt::Beginning => 0,
            StartAt::End { context_bytes } => size.saturating_sub(context_bytes),
        };
        self.offset = start;
        self.splitter.reset();
        if start > 0 {
            // Starting mid-line would deliver a fragment as if it were a line: skip to the next one.
            if !byte_before_is_newline(&self.path, start) {
                self.splitter.skip_to_next_line();
            }
            events.push(FollowEvent::StartedAt { offset: start });
        }
    }

    fn restart_at_zero(&mut self) {
        self.offset = 0;
        self.seen = None;
        self.splitter.reset();
    }

    fn on_missing(
        &mut self,
        cfg: &FollowConfig,
        lines: &mut Vec<String>,
        events: &mut Vec<FollowEvent>,
    ) {
        match self.phase {
            Phase::New => {
                self.phase = Phase::Waiting;
                events.push(FollowEvent::Waiting);
            }
            Phase::Following => {
                let rotated = self.read_rest_of_rotated(cfg, lines);
                self.splitter.finish(lines);
                events.push(match rotated {
                    Some(to) => FollowEvent::Rotated { to },
                    None => FollowEvent::Deleted,
                });
                self.phase = Phase::Gone;
                self.restart_at_zero();
            }
            Phase::Waiting | Phase::Gone => {}
        }
        self.last_error = None;
    }

    fn on_replaced(
        &mut self,
        cfg: &FollowConfig,
        lines: &mut Vec<String>,
        events: &mut Vec<FollowEvent>,
    ) {
        let rotated = self.read_rest_of_rotated(cfg, lines);
        self.splitter.finish(lines);
        events.push(match rotated {
            Some(to) => FollowEvent::Rotated { to },
            None => FollowEvent::Replaced,
        });
        self.restart_at_zero();
    }

    fn on_error(&mut self, e: io::Error, events: &mut Vec<FollowEvent>) {
        let msg = e.to_string();
        if self.last_error.as_deref() != Some(msg.as_str()) {
            tracing::debug!(path = %self.path.display(), "follow: {msg}");
            events.push(FollowEvent::Error(msg.clone()));
            self.last_error = Some(msg);
        }
    }

    /// One open-read-close: check the head (overwrite detection), then read the new bytes up to
    /// the size `stat` gave (never beyond: tail's network-filesystem rule), within the budget.
    fn read(
        &mut self,
        meta: &Metadata,
        cfg: &FollowConfig,
        lines: &mut Vec<String>,
        events: &mut Vec<FollowEvent>,
    ) -> io::Result<()> {
        let size = meta.len();
        let mut file = File::open(&self.path)?;
        let head = read_head(&mut file, size)?;
        if let Some(seen) = &self.seen
            && !heads_agree(&seen.head, &head)
        {
            self.splitter.finish(lines);
            events.push(FollowEvent::Replaced);
            self.restart_at_zero();
        }
        let end = size.min(self.offset.saturating_add(cfg.read_budget_bytes));
        if end > self.offset {
            file.seek(SeekFrom::Start(self.offset))?;
            let mut reader = (&mut file).take(end - self.offset);
            let mut buf = vec![0u8; CHUNK.min((end - self.offset) as usize)];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.offset += n as u64;
                let stats = self.splitter.push(&buf[..n], lines);
                if stats.cut_lines > 0 {
                    events.push(FollowEvent::LongLinesCut {
                        count: stats.cut_lines,
                        max_bytes: cfg.max_line_bytes,
                    });
                }
            }
        }
        drop(file);
        // Remember the stat only once everything up to it was read, so a budget-limited poll is
        // continued by the next one even if the file did not change in between.
        let caught_up = self.offset >= size;
        self.seen = Some(Seen {
            id: FileId::of(meta),
            size: if caught_up { size } else { u64::MAX },
            mtime: mtime(meta),
            head,
        });
        Ok(())
    }

    /// The name now points elsewhere or nowhere: if the old file still exists under its rotated
    /// name (`x.0` → `x.1`, `x` → `x.1`), read what was appended before the rotation.
    fn read_rest_of_rotated(
        &mut self,
        cfg: &FollowConfig,
        lines: &mut Vec<String>,
    ) -> Option<PathBuf> {
        let seen = self.seen.as_ref()?;
        for candidate in rotated_names(&self.path) {
            let Ok(meta) = fs::metadata(&candidate) else {
                continue;
            };
            if !meta.is_file() || meta.len() < self.offset {
                continue;
            }
            let same = match (FileId::of(&meta), seen.id) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            let Ok(mut file) = File::open(&candidate) else {
                continue;
            };
            let Ok(head) = read_head(&mut file, meta.len()) else {
                continue;
            };
            // Without a trustworthy id (Windows), a matching head of a full KiB is the evidence.
            let same = same
                || (cfg!(not(unix))
                    && seen.head.len() == HEAD_LEN
                    && heads_agree(&seen.head, &head));
            if !same {
                continue;
            }
            let end = meta
                .len()
                .min(self.offset.saturating_add(cfg.read_budget_bytes));
            if end > self.offset && file.seek(SeekFrom::Start(self.offset)).is_ok() {
                let mut rest = Vec::new();
                let _ = (&mut file).take(end - self.offset).read_to_end(&mut rest);
                self.splitter.push(&rest, lines);
            }
            return Some(candidate);
        }
        None
    }
}

fn byte_before_is_newline(path: &Path, offset: u64) -> bool {
    let mut b = [0u8; 1];
    File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::Start(offset - 1))?;
            f.read_exact(&mut b)
        })
        .map(|()| b[0] == b'\n')
        .unwrap_or(false)
}

fn mtime(meta: &Metadata) -> Option<SystemTime> {
    meta.modified().ok()
}

fn read_head(file: &mut File, size: u64) -> io::Result<Vec<u8>> {
    let want = (size as usize).min(HEAD_LEN);
    let mut head = Vec::with_capacity(want);
    file.seek(SeekFrom::Start(0))?;
    file.by_ref().take(want as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Names a rotated file may have taken: `agent0.log.0` → `agent0.log.1` (java.util.logging),
/// `wrapper.log` → `wrapper.log.1` (Tanuki).
fn rotated_names(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return out;
    };
    if let Some((stem, n)) = name.rsplit_once('.')
        && let Ok(n) = n.parse::<u32>()
    {
        out.push(path.with_file_name(format!("{stem}.{}", n + 1)));
    }
    out.push(path.with_file_name(format!("{name}.1")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_cover_java_and_tanuki_schemes() {
        assert_eq!(
            rotated_names(Path::new("logs/agent0.log.0")),
            vec![
                PathBuf::from("logs/agent0.log.1"),
                PathBuf::from("logs/agent0.log.0.1")
            ]
        );
        assert_eq!(
            rotated_names(Path::new("logs/wrapper.log")),
            vec![PathBuf::from("logs/wrapper.log.1")]
        );
    }
}
