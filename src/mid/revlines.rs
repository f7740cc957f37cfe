//! Reading a log file newest line first, from the end, in fixed-size chunks.
//!
//! Memory stays bounded whatever the line length: a line longer than `max_line` keeps only its
//! first `max_line` bytes (read back with one positioned read once the line's start is known).
//! CR before LF is dropped; a bare CR (old Mac-style files, logs copied through some
//! editors) ends a line too; invalid UTF-8 becomes U+FFFD. The file is opened once, read, and
//! closed when the reader is dropped; never mapped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Chunk size for backwards reads.
const CHUNK: usize = 256 * 1024;
/// Default cap of the bytes kept per line.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// One line read backwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevLine {
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// The line (lossy UTF-8, without the line break), at most `max_line` bytes of it.
    pub text: String,
    /// Whether the line was longer than `max_line` and got cut.
    pub truncated: bool,
}

/// Iterates over a file's lines from the last to the first.
pub struct ReverseLines {
    file: File,
    max_line: usize,
    /// Bytes per backwards read (`CHUNK`; smaller in the fuzz and property tests, so that
    /// line breaks and long lines straddle reads).
    chunk: usize,
    /// File position below which nothing has been read yet.
    pos: u64,
    /// Bytes read but not yet returned: `buf[..]` covers `[pos, pos + buf.len())`.
    buf: Vec<u8>,
    /// The end offset (exclusive, line break excluded) of the line being assembled when it
    /// already outgrew `max_line` and its bytes were dropped.
    long_line_end: Option<u64>,
    /// Whether the first (last-in-file) line break has been handled.
    started: bool,
    /// Total bytes read, for budgets.
    bytes_read: u64,
    done: bool,
}

impl ReverseLines {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Self::open_with(path, DEFAULT_MAX_LINE)
    }

    pub fn open_with(path: &Path, max_line: usize) -> std::io::Result<Self> {
        Self::open_tuned(path, max_line, CHUNK)
    }

    /// As `open_with`, reading `chunk` bytes at a time (at least 1).
    #[doc(hidden)]
    pub fn open_tuned(path: &Path, max_line: usize, chunk: usize) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(ReverseLines {
            file,
            max_line: max_line.max(1),
            chunk: chunk.max(1),
            pos: len,
            buf: Vec::new(),
            long_line_end: None,
            started: false,
            bytes_read: 0,
            // An empty file has no lines (a file holding only "\n" has one empty line).
            done: len == 0,
        })
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Read the chunk below `pos` and put it in front of `buf`.
    fn read_chunk(&mut self) -> std::io::Result<()> {
        let take = (self.pos as usize).min(self.chunk);
        let start = self.pos - take as u64;
        let mut chunk = vec![0u8; take];
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut chunk)?;
        self.bytes_read += take as u64;
        chunk.extend_from_slice(&self.buf);
        self.buf = chunk;
        self.pos = start;
        Ok(())
    }

    fn make_line(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<RevLine> {
        if let Some(end) = self.long_line_end.take() {
            // The line outgrew the cap: fetch its first bytes directly.
            let want = ((end - offset) as usize).min(self.max_line);
            let mut head = vec![0u8; want];
            self.file.seek(SeekFrom::Start(offset))?;
            self.file.read_exact(&mut head)?;
            return Ok(RevLine {
                offset,
                text: String::from_utf8_lossy(&head).into_owned(),
                truncated: true,
            });
        }
        let mut b = bytes;
        if let [rest @ .., b'\r'] = b {
            b = rest;
        }
        let truncated = b.len() > self.max_line;
        let b = &b[..b.len().min(self.max_line)];
        Ok(RevLine {
            offset,
            text: String::from_utf8_lossy(b).into_owned(),
            truncated,
        })
    }

    /// Drop the line break at the end of `buf`: `\n`, `\r\n` or a bare `\r`. A `\n` at the very
    /// start of `buf` may have its `\r` in the chunk below, which is read first.
    fn pop_break(&mut self) -> std::io::Result<()> {
        match self.buf.last() {
            Some(b'\n') => {
                self.buf.pop();
                if self.buf.is_empty() && self.pos > 0 {
                    self.read_chunk()?;
                }
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            }
            Some(b'\r') => {
                self.buf.pop();
            }
            _ => {}
        }
        Ok(())
    }

    fn next_line(&mut self) -> std::io::Result<Option<RevLine>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if !self.started {
                // A trailing line break ends the last line; it does not start an empty one.
                if self.buf.is_empty() && self.pos > 0 {
                    self.read_chunk()?;
                }
                self.pop_break()?;
                self.started = true;
            }
            if let Some(nl) = memchr::memrchr2(b'\n', b'\r', &self.buf) {
                let offset = self.pos + nl as u64 + 1;
                let line_bytes = self.buf.split_off(nl + 1);
                let line = self.make_line(offset, &line_bytes)?;
                self.pop_break()?;
                return Ok(Some(line));
            }
            if self.pos == 0 {
                self.done = true;
                let bytes = std::mem::take(&mut self.buf);
                return self.make_line(0, &bytes).map(Some);
            }
            if self.buf.len() > self.max_line + 1 && self.long_line_end.is_none() {
                // Too long to keep: remember where it ends and drop its bytes.
                self.long_line_end = Some(self.pos + self.buf.len() as u64);
                self.buf.clear();
            } else if self.long_line_end.is_some() {
                self.buf.clear();
            }
            self.read_chunk()?;
        }
    }
}

impl Iterator for ReverseLines {
    type Item = std::io::Result<RevLine>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_line() {
            Ok(Some(l)) => Some(Ok(l)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Line breaks in `buf`: every `\n`, and every `\r` not followed by `\n`. A `\r` at the end
/// is counted when `cr_at_end_breaks` (the byte after it is not `\n`, or a line starts there).
fn breaks(buf: &[u8], cr_at_end_breaks: bool) -> u64 {
    let mut n = memchr::memchr_iter(b'\n', buf).count() as u64;
    for i in memchr::memchr_iter(b'\r', buf) {
        match buf.get(i + 1) {
            Some(b'\n') => {}
            Some(_) => n += 1,
            None if cr_at_end_breaks => n += 1,
            None => {}
        }
    }
    n
}

/// 1-based line numbers of the lines starting at `offsets` (each the offset of a line's first
/// byte), by counting line breaks (as `ReverseLines` splits them) in one forward pass up to
/// the largest offset.
pub fn line_numbers(path: &Path, offsets: &[u64]) -> std::io::Result<Vec<u64>> {
    let Some(&max) = offsets.iter().max() else {
        return Ok(Vec::new());
    };
    let mut sorted: Vec<(u64, usize)> = offsets.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let mut result = vec![0u64; offsets.len()];
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut base = 0u64;
    let mut count = 0u64;
    // The previous chunk ended with `\r`: a break unless this chunk starts with `\n`.
    let mut pending_cr = false;
    let mut next = 0usize;
    while next < sorted.len() {
        let n = if base >= max {
            0
        } else {
            let want = ((max - base) as usize).min(CHUNK);
            file.read(&mut buf[..want])?
        };
        if pending_cr && (n == 0 || buf[0] != b'\n') {
            count += 1;
        }
        // Resolve every offset that falls inside [base, base + n] (or everything on EOF).
        let end = base + n as u64;
        while next < sorted.len() && (sorted[next].0 <= end || n == 0) {
            let upto = (sorted[next].0.saturating_sub(base) as usize).min(n);
            // A line starts at `upto`, so a `\r` just before it was a break.
            result[sorted[next].1] = count + breaks(&buf[..upto], true) + 1;
            next += 1;
        }
        if n == 0 {
            break;
        }
        pending_cr = buf[n - 1] == b'\r';
        count += breaks(&buf[..n], false);
        base = end;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(content: &[u8], max: usize) -> Vec<RevLine> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content)
            .unwrap();
        ReverseLines::open_with(&p, max)
            .unwrap()
            .map(|l| l.unwrap())
            .collect()
    }

    #[test]
    fn reads_newest_first_with_offsets() {
        let v = lines_of(b"one\ntwo\r\nthree\n", 100);
        let t: Vec<_> = v.iter().map(|l| (l.offset, l.text.as_str())).collect();
        assert_eq!(t, vec![(9, "three"), (4, "two"), (0, "one")]);
    }

    #[test]
    fn no_trailing_newline_and_empty_lines() {
        let v = lines_of(b"a\n\nb", 100);
        let t: Vec<_> = v.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(t, vec!["b", "", "a"]);
        assert!(lines_of(b"", 100).is_empty());
        assert_eq!(lines_of(b"\n", 100).len(), 1);
    }

    #[test]
    fn long_lines_are_capped_and_keep_their_start() {
        let mut content = b"first\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 3 * CHUNK + 17));
        content[6] = b'S';
        content.extend_from_slice(b"\nlast\n");
        let v = lines_of(&content, 10);
        assert_eq!(v[0].text, "last");
        assert_eq!(v[1].text, "Sxxxxxxxxx");
        assert!(v[1].truncated);
        assert_eq!(v[1].offset, 6);
        assert_eq!(v[2].text, "first");
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let v = lines_of(b"ok\n\xff\xfebad\n", 100);
        assert_eq!(v[0].text, "\u{fffd}\u{fffd}bad");
    }

    #[test]
    fn bare_cr_and_crlf_end_lines() {
        let v = lines_of(b"one\rtwo\r\nthree\rfour\r", 100);
        let t: Vec<_> = v.iter().map(|l| (l.offset, l.text.as_str())).collect();
        assert_eq!(t, vec![(15, "four"), (9, "three"), (4, "two"), (0, "one")]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        std::fs::write(&p, b"one\rtwo\r\nthree\rfour\r").unwrap();
        assert_eq!(line_numbers(&p, &[15, 9, 4, 0]).unwrap(), vec![4, 3, 2, 1]);
    }

    #[test]
    fn crlf_split_across_chunks_is_one_break() {
        let mut content = vec![b'x'; CHUNK - 1];
        content.extend_from_slice(b"\r\nlast\r\n");
        let v = lines_of(&content, 10);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].text, "last");
        let mut content = vec![b'x'; CHUNK - 1];
        content.extend_from_slice(b"\r\n");
        let v = lines_of(&content, CHUNK);
        assert_eq!(v.len(), 1);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        let mut content = vec![b'x'; CHUNK - 1];
        content.extend_from_slice(b"\r\nsecond\rthird\n");
        std::fs::write(&p, &content).unwrap();
        let second = CHUNK as u64 + 1;
        assert_eq!(line_numbers(&p, &[second, second + 7]).unwrap(), vec![2, 3]);
    }

    #[test]
    fn line_numbers_are_one_based() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        std::fs::write(&p, "a\nbb\nccc\n").unwrap();
        assert_eq!(line_numbers(&p, &[5, 0, 2]).unwrap(), vec![3, 1, 2]);
    }

    #[test]
    fn chunk_boundaries_do_not_split_lines() {
        let mut content = Vec::new();
        for i in 0..100_000 {
            content.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let v = lines_of(&content, 100);
        assert_eq!(v.len(), 100_000);
        assert_eq!(v[0].text, "line 99999");
        assert_eq!(v[99_999].text, "line 0");
        assert!(
            v.iter()
                .rev()
                .enumerate()
                .all(|(i, l)| l.text == format!("line {i}"))
        );
    }
}
