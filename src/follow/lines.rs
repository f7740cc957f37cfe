//! Turning appended bytes into lines: split on `\n`, strip a trailing `\r`, lossy UTF-8, keep an
//! unfinished last line until it is completed, and cap what one line may hold in memory.

use memchr::memchr;

/// Splits a byte stream into lines with bounded memory.
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max_line: usize,
    /// Bytes of the current line were dropped because it outgrew `max_line`.
    overflowed: bool,
    /// The current line was already delivered cut; drop bytes until its newline.
    discarding: bool,
}

/// What one `push` produced besides the lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SplitStats {
    /// Lines delivered cut at `max_line` bytes.
    pub cut_lines: u32,
}

impl LineSplitter {
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            partial: Vec::new(),
            max_line: max_line.max(1),
            overflowed: false,
            discarding: false,
        }
    }

    /// Feed bytes; complete lines are appended to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<String>) -> SplitStats {
        let mut stats = SplitStats::default();
        while !chunk.is_empty() {
            match memchr(b'\n', chunk) {
                Some(i) => {
                    if self.discarding {
                        self.discarding = false;
                    } else {
                        self.append(&chunk[..i]);
                        if self.overflowed {
                            stats.cut_lines += 1;
                        }
                        self.emit(out);
                    }
                    chunk = &chunk[i + 1..];
                }
                None => {
                    if !self.discarding {
                        self.append(chunk);
                        if self.overflowed {
                            // Deliver what we kept now, so a 50 MB line neither grows memory nor
                            // hides everything behind it until its end arrives.
                            stats.cut_lines += 1;
                            self.emit(out);
                            self.discarding = true;
                        }
                    }
                    break;
                }
            }
        }
        stats
    }

    /// Skip everything up to and including the next newline (used when starting mid-file).
    pub fn skip_to_next_line(&mut self) {
        self.partial.clear();
        self.overflowed = false;
        self.discarding = true;
    }

    /// Deliver an unfinished last line (the file went away or was replaced) and reset.
    pub fn finish(&mut self, out: &mut Vec<String>) {
        if !self.discarding && !self.partial.is_empty() {
            self.emit(out);
        }
        self.reset();
    }

    /// Forget any unfinished line.
    pub fn reset(&mut self) {
        self.partial.clear();
        self.overflowed = false;
        self.discarding = false;
    }

    /// Bytes currently held for an unfinished line.
    pub fn pending_len(&self) -> usize {
        self.partial.len()
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = self.max_line.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.partial.extend_from_slice(&bytes[..room]);
            self.overflowed = true;
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn emit(&mut self, out: &mut Vec<String>) {
        let mut line: &[u8] = &self.partial;
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        out.push(String::from_utf8_lossy(line).into_owned());
        self.partial.clear();
        self.overflowed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max: usize) -> (Vec<String>, u32) {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        let mut cut = 0;
        for c in chunks {
            cut += s.push(c, &mut out).cut_lines;
        }
        (out, cut)
    }

    #[test]
    fn crlf_and_partial_lines() {
        let (lines, cut) = split(&[b"a\r\nb", b"c\r", b"\nd"], 100);
        assert_eq!(lines, vec!["a", "bc"]);
        assert_eq!(cut, 0);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (lines, _) = split(&[b"ok \xff\xfe end\n"], 100);
        assert_eq!(lines, vec!["ok \u{fffd}\u{fffd} end"]);
    }

    #[test]
    fn long_line_is_cut_and_rest_dropped() {
        let (lines, cut) = split(&[b"0123456789abc", b"def\nnext\n"], 8);
        assert_eq!(lines, vec!["01234567", "next"]);
        assert_eq!(cut, 1);
    }

    #[test]
    fn line_of_exactly_max_is_not_cut() {
        let (lines, cut) = split(&[b"12345678", b"\n"], 8);
        assert_eq!(lines, vec!["12345678"]);
        assert_eq!(cut, 0);
    }

    #[test]
    fn skip_to_next_line_drops_fragment() {
        let mut s = LineSplitter::new(100);
        s.skip_to_next_line();
        let mut out = Vec::new();
        s.push(b"tail of old\nfresh\n", &mut out);
        assert_eq!(out, vec!["fresh"]);
    }

    #[test]
    fn finish_delivers_unfinished_line() {
        let mut s = LineSplitter::new(100);
        let mut out = Vec::new();
        s.push(b"done\nhalf", &mut out);
        s.finish(&mut out);
        assert_eq!(out, vec!["done", "half"]);
        assert_eq!(s.pending_len(), 0);
    }
}
