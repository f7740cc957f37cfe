//! A minimal streaming ZIP writer: entries whose DEFLATE data arrives in pieces (compressed on
//! other threads) go straight to the file, so no entry is ever held whole in memory. A small
//! entry's CRC and sizes are patched into its local header while it is still buffered; a
//! DEFLATE entry that may outgrow the buffer gets them in a data descriptor after its data
//! (flag bit 3), so the file is written front to back and its sha256 is computed on the way
//! (no second read of a big zip). ZIP64 records are written only when a size, offset or count
//! needs them.

use std::io::{Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

/// Values at or above this do not fit a classic 32-bit field.
const U32_MAX: u64 = 0xFFFF_FFFF;
/// An entry whose input may reach this gets a ZIP64 extra field in its local header (the real
/// sizes are known only at the end, and redaction may grow the text a little).
const ZIP64_LOCAL_FROM: u64 = 1 << 31;
/// UTF-8 names (bit 11).
const FLAG_UTF8: u16 = 1 << 11;
/// CRC and sizes in a data descriptor after the data (bit 3).
const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// A DEFLATE entry whose input may reach this gets a data descriptor: its data may not fit
/// the buffer, and a header patched on disk would break the streamed sha256.
const DESCRIPTOR_FROM: u64 = (BUF / 2) as u64;
/// `max_input` of a generated document of unknown size (under 2 GiB): data descriptor, no ZIP64.
pub const STREAMED: u64 = ZIP64_LOCAL_FROM - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Stored,
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

/// A DOS date and time (local header format), from a UTC time; 1980-01-01 when out of range.
#[derive(Debug, Clone, Copy, Default)]
pub struct DosTime {
    pub time: u16,
    pub date: u16,
}

impl DosTime {
    pub fn from(d: chrono::NaiveDateTime) -> DosTime {
        use chrono::{Datelike, Timelike};
        if !(1980..=2107).contains(&d.year()) {
            return DosTime {
                time: 0,
                date: (1 << 5) | 1,
            };
        }
        DosTime {
            time: ((d.hour() as u16) << 11) | ((d.minute() as u16) << 5) | (d.second() as u16 / 2),
            date: (((d.year() - 1980) as u16) << 9) | ((d.month() as u16) << 5) | d.day() as u16,
        }
    }
}

/// What the central directory needs to know about a written entry.
struct Central {
    name: Vec<u8>,
    method: Method,
    time: DosTime,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    zip64_local: bool,
    descriptor: bool,
}

/// An entry being streamed: where its local header starts.
#[derive(Debug)]
pub struct Open {
    offset: u64,
    zip64_local: bool,
    descriptor: bool,
    name: Vec<u8>,
    method: Method,
    time: DosTime,
    compressed: u64,
}

/// Bytes held before they are written out: a small entry's local header is then patched in
/// memory, without the two seeks and the flush that cost four syscalls per file.
const BUF: usize = 1 << 20;

pub struct ZipOut<W: Write + Seek> {
    w: W,
    /// The zip's logical end (everything written or buffered).
    pos: u64,
    /// Not yet written; `buf[0]` is at offset `buf_start`, where `w` stands.
    buf: Vec<u8>,
    buf_start: u64,
    entries: Vec<Central>,
    /// The open entry whose header is patched in memory: the buffer is written out only up
    /// to it (unless it outgrows the buffer itself).
    patch_at: Option<u64>,
    /// sha256 of everything written out, while it was written strictly front to back (a
    /// header patched on disk or a rewind past the buffer ends it: the caller reads back).
    hash: Option<Sha256>,
}

impl<W: Write + Seek> ZipOut<W> {
    pub fn new(mut w: W) -> std::io::Result<Self> {
        let pos = w.stream_position()?;
        Ok(ZipOut {
            w,
            pos,
            buf: Vec::with_capacity(BUF),
            buf_start: pos,
            entries: Vec::new(),
            patch_at: None,
            // Streamed only from the start of the file.
            hash: (pos == 0).then(Sha256::new),
        })
    }

    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(b);
        self.pos += b.len() as u64;
        if self.buf.len() >= BUF {
            // Keep an entry whose header is still to be patched, when there is something
            // before it to write; an entry bigger than the buffer goes out and is patched on
            // disk.
            match self.patch_at {
                Some(at) if at > self.buf_start => self.write_before(at)?,
                _ => self.write_out()?,
            }
        }
        Ok(())
    }

    fn write_out(&mut self) -> std::io::Result<()> {
        self.write_before(self.pos)
    }

    /// Write out the buffered bytes before `at`.
    fn write_before(&mut self, at: u64) -> std::io::Result<()> {
        let n = (at - self.buf_start) as usize;
        self.w.write_all(&self.buf[..n])?;
        if let Some(h) = self.hash.as_mut() {
            h.update(&self.buf[..n]);
        }
        self.buf_start += n as u64;
        self.buf.drain(..n);
        Ok(())
    }

    /// Overwrite bytes at `offset` (before the end): in memory when still buffered.
    fn patch(&mut self, offset: u64, b: &[u8]) -> std::io::Result<()> {
        if offset >= self.buf_start {
            let at = (offset - self.buf_start) as usize;
            self.buf[at..at + b.len()].copy_from_slice(b);
            return Ok(());
        }
        self.write_out()?;
        self.hash = None;
        self.w.seek(SeekFrom::Start(offset))?;
        self.w.write_all(b)?;
        self.w.seek(SeekFrom::Start(self.pos))?;
        Ok(())
    }

    /// Start an entry whose input is at most `max_input` bytes; its data follows with
    /// [`ZipOut::data`] and it ends with [`ZipOut::end`] (or [`ZipOut::abort`]).
    pub fn begin(
        &mut self,
        name: &str,
        method: Method,
        time: DosTime,
        max_input: u64,
    ) -> std::io::Result<Open> {
        let zip64_local = max_input >= ZIP64_LOCAL_FROM;
        let descriptor = method == Method::Deflated && max_input >= DESCRIPTOR_FROM;
        let open = Open {
            offset: self.pos,
            zip64_local,
            descriptor,
            name: name.as_bytes().to_vec(),
            method,
            time,
            compressed: 0,
        };
        let header = local_header(&open, 0, 0, 0);
        self.patch_at = (!descriptor).then_some(open.offset);
        self.put(&header)?;
        Ok(open)
    }

    /// Append compressed bytes to the open entry.
    pub fn data(&mut self, open: &mut Open, b: &[u8]) -> std::io::Result<()> {
        open.compressed += b.len() as u64;
        self.put(b)
    }

    /// Finish the open entry: patch its CRC and sizes into the local header.
    pub fn end(&mut self, open: Open, crc: u32, size: u64) -> std::io::Result<()> {
        if !open.zip64_local && (size >= U32_MAX || open.compressed >= U32_MAX) {
            return Err(std::io::Error::other(format!(
                "{}: entry grew past 4 GiB without a ZIP64 header",
                String::from_utf8_lossy(&open.name)
            )));
        }
        self.patch_at = None;
        if open.descriptor {
            let mut d = Vec::with_capacity(24);
            d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
            d.extend_from_slice(&crc.to_le_bytes());
            if open.zip64_local {
                d.extend_from_slice(&open.compressed.to_le_bytes());
                d.extend_from_slice(&size.to_le_bytes());
            } else {
                d.extend_from_slice(&(open.compressed as u32).to_le_bytes());
                d.extend_from_slice(&(size as u32).to_le_bytes());
            }
            self.put(&d)?;
        } else {
            let header = local_header(&open, crc, open.compressed, size);
            self.patch(open.offset, &header)?;
        }
        self.entries.push(Central {
            name: open.name,
            method: open.method,
            time: open.time,
            crc,
            compressed: open.compressed,
            size,
            offset: open.offset,
            zip64_local: open.zip64_local,
            descriptor: open.descriptor,
        });
        Ok(())
    }

    /// Drop the open entry: the next entry overwrites it, [`ZipOut::finish`] cuts what is left.
    pub fn abort(&mut self, open: Open) -> std::io::Result<()> {
        self.pos = open.offset;
        self.patch_at = None;
        if open.offset >= self.buf_start {
            self.buf.truncate((open.offset - self.buf_start) as usize);
        } else {
            self.buf.clear();
            self.hash = None;
            self.w.seek(SeekFrom::Start(open.offset))?;
            self.buf_start = open.offset;
        }
        Ok(())
    }

    /// A whole entry whose compressed data, CRC and size are known.
    pub fn add(
        &mut self,
        name: &str,
        method: Method,
        time: DosTime,
        crc: u32,
        size: u64,
        data: &[u8],
    ) -> std::io::Result<()> {
        let mut open = self.begin(name, method, time, size)?;
        self.data(&mut open, data)?;
        self.end(open, crc, size)
    }

    /// Write the central directory and return the writer, positioned at the end of the zip,
    /// with the zip's sha256 when it was written front to back.
    pub fn finish(mut self) -> std::io::Result<(W, Option<[u8; 32]>)> {
        let cd_start = self.pos;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let h = central_header(e);
            self.put(&h)?;
        }
        let cd_size = self.pos - cd_start;
        let count = entries.len() as u64;
        let need64 = count >= 0xFFFF || cd_start >= U32_MAX || cd_size >= U32_MAX;
        if need64 {
            let eocd64_at = self.pos;
            let mut r = Vec::with_capacity(76);
            r.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            r.extend_from_slice(&44u64.to_le_bytes());
            r.extend_from_slice(&(0x0300u16 | 45).to_le_bytes());
            r.extend_from_slice(&45u16.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&count.to_le_bytes());
            r.extend_from_slice(&count.to_le_bytes());
            r.extend_from_slice(&cd_size.to_le_bytes());
            r.extend_from_slice(&cd_start.to_le_bytes());
            // Locator.
            r.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&eocd64_at.to_le_bytes());
            r.extend_from_slice(&1u32.to_le_bytes());
            self.put(&r)?;
        }
        let mut r = Vec::with_capacity(22);
        r.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        let n16 = count.min(0xFFFF) as u16;
        r.extend_from_slice(&n16.to_le_bytes());
        r.extend_from_slice(&n16.to_le_bytes());
        r.extend_from_slice(&(cd_size.min(U32_MAX) as u32).to_le_bytes());
        r.extend_from_slice(&(cd_start.min(U32_MAX) as u32).to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        self.put(&r)?;
        self.write_out()?;
        self.w.flush()?;
        Ok((self.w, self.hash.map(|h| h.finalize().into())))
    }

    /// The writer's current end (everything after it is stale, see [`ZipOut::abort`]).
    pub fn position(&self) -> u64 {
        self.pos
    }
}

fn flags(name: &[u8], descriptor: bool) -> u16 {
    let utf8 = if name.is_ascii() { 0 } else { FLAG_UTF8 };
    utf8 | if descriptor { FLAG_DESCRIPTOR } else { 0 }
}

fn version_needed(zip64: bool, method: Method) -> u16 {
    if zip64 {
        45
    } else if method == Method::Deflated {
        20
    } else {
        10
    }
}

fn local_header(o: &Open, crc: u32, compressed: u64, size: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(30 + o.name.len() + 20);
    h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    h.extend_from_slice(&version_needed(o.zip64_local, o.method).to_le_bytes());
    h.extend_from_slice(&flags(&o.name, o.descriptor).to_le_bytes());
    h.extend_from_slice(&o.method.code().to_le_bytes());
    h.extend_from_slice(&o.time.time.to_le_bytes());
    h.extend_from_slice(&o.time.date.to_le_bytes());
    h.extend_from_slice(&crc.to_le_bytes());
    if o.zip64_local {
        h.extend_from_slice(&u32::MAX.to_le_bytes());
        h.extend_from_slice(&u32::MAX.to_le_bytes());
    } else {
        h.extend_from_slice(&(compressed as u32).to_le_bytes());
        h.extend_from_slice(&(size as u32).to_le_bytes());
    }
    h.extend_from_slice(&(o.name.len() as u16).to_le_bytes());
    h.extend_from_slice(&(if o.zip64_local { 20u16 } else { 0 }).to_le_bytes());
    h.extend_from_slice(&o.name);
    if o.zip64_local {
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&16u16.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&compressed.to_le_bytes());
    }
    h
}

fn central_header(e: &Central) -> Vec<u8> {
    // Sizes go to the ZIP64 field when they do not fit, or when the local header had one (the
    // two headers then agree); the offset only when it does not fit.
    let sizes64 = e.zip64_local || e.size >= U32_MAX || e.compressed >= U32_MAX;
    let offset64 = e.offset >= U32_MAX;
    let mut extra = Vec::new();
    if sizes64 || offset64 {
        let len = if sizes64 { 16u16 } else { 0 } + if offset64 { 8 } else { 0 };
        extra.extend_from_slice(&1u16.to_le_bytes());
        extra.extend_from_slice(&len.to_le_bytes());
        if sizes64 {
            extra.extend_from_slice(&e.size.to_le_bytes());
            extra.extend_from_slice(&e.compressed.to_le_bytes());
        }
        if offset64 {
            extra.extend_from_slice(&e.offset.to_le_bytes());
        }
    }
    let zip64 = !extra.is_empty();
    let mut h = Vec::with_capacity(46 + e.name.len() + extra.len());
    h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    // Made by: Unix (3), so that the permission bits below are read.
    h.extend_from_slice(&(0x0300u16 | 45).to_le_bytes());
    h.extend_from_slice(&version_needed(zip64, e.method).to_le_bytes());
    h.extend_from_slice(&flags(&e.name, e.descriptor).to_le_bytes());
    h.extend_from_slice(&e.method.code().to_le_bytes());
    h.extend_from_slice(&e.time.time.to_le_bytes());
    h.extend_from_slice(&e.time.date.to_le_bytes());
    h.extend_from_slice(&e.crc.to_le_bytes());
    let (c32, s32) = if sizes64 {
        (u32::MAX, u32::MAX)
    } else {
        (e.compressed as u32, e.size as u32)
    };
    h.extend_from_slice(&c32.to_le_bytes());
    h.extend_from_slice(&s32.to_le_bytes());
    h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
    h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // comment
    h.extend_from_slice(&0u16.to_le_bytes()); // disk
    h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    h.extend_from_slice(&((0o100_644u32) << 16).to_le_bytes());
    let off32 = if offset64 { u32::MAX } else { e.offset as u32 };
    h.extend_from_slice(&off32.to_le_bytes());
    h.extend_from_slice(&e.name);
    h.extend_from_slice(&extra);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn nov21(h: u32, m: u32, s: u32) -> DosTime {
        DosTime::from(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
                .unwrap()
                .and_hms_opt(h, m, s)
                .unwrap(),
        )
    }

    #[test]
    fn entries_read_back_with_the_zip_crate_and_an_aborted_one_is_gone() {
        let mut z = ZipOut::new(Cursor::new(Vec::new())).unwrap();
        let t = nov21(16, 30, 46);
        let data = b"hello, hello, hello\n".repeat(50);
        let mut c = flate2::Compress::new(flate2::Compression::new(4), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(&data, &mut out, flate2::FlushCompress::Finish)
            .unwrap();
        let mut h = crc32fast::Hasher::new();
        h.update(&data);
        z.add(
            "a/dé.txt",
            Method::Deflated,
            t,
            h.finalize(),
            data.len() as u64,
            &out,
        )
        .unwrap();
        let mut o = z.begin("gone.txt", Method::Stored, t, 5).unwrap();
        z.data(&mut o, b"xxxxx").unwrap();
        z.abort(o).unwrap();
        z.add(
            "s.txt",
            Method::Stored,
            t,
            crc32fast::hash(b"abc"),
            3,
            b"abc",
        )
        .unwrap();
        let end = z.position();
        let (mut cur, _) = z.finish().unwrap();
        assert!(end < cur.get_ref().len() as u64);
        let at = cur.position() as usize;
        cur.get_mut().truncate(at);
        let mut a = zip::ZipArchive::new(Cursor::new(cur.into_inner())).unwrap();
        assert_eq!(a.len(), 2);
        let mut s = String::new();
        a.by_name("a/dé.txt")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s.as_bytes(), &data[..]);
        let f = a.by_name("s.txt").unwrap();
        assert_eq!(f.unix_mode(), Some(0o100_644));
        let lm = f.last_modified().unwrap();
        assert_eq!((lm.year(), lm.hour(), lm.second()), (2026, 16, 46));
    }

    #[test]
    fn entries_past_the_buffer_are_patched_on_disk_and_an_abort_across_it_rewinds() {
        let mut z = ZipOut::new(Cursor::new(Vec::new())).unwrap();
        let t = nov21(1, 2, 4);
        let big: Vec<u8> = (0..BUF + BUF / 2).map(|i| (i % 251) as u8).collect();
        let stored = |z: &mut ZipOut<Cursor<Vec<u8>>>, name: &str, data: &[u8]| {
            z.add(
                name,
                Method::Stored,
                t,
                crc32fast::hash(data),
                data.len() as u64,
                data,
            )
            .unwrap();
        };
        stored(&mut z, "small-1.txt", b"one");
        // Its header is written out before the entry ends: patched with a seek.
        stored(&mut z, "big.bin", &big);
        // Begun in the buffer, aborted after the buffer was written out.
        let mut o = z
            .begin("gone.bin", Method::Stored, t, big.len() as u64)
            .unwrap();
        z.data(&mut o, &big).unwrap();
        z.abort(o).unwrap();
        stored(&mut z, "small-2.txt", b"two");
        let end = z.position();
        let (mut cur, digest) = z.finish().unwrap();
        // Patched on disk: the zip was not written front to back, so no streamed sha256.
        assert!(digest.is_none());
        let at = cur.position() as usize;
        assert!(at as u64 > end);
        cur.get_mut().truncate(at);
        let mut a = zip::ZipArchive::new(Cursor::new(cur.into_inner())).unwrap();
        assert_eq!(a.len(), 3);
        for (name, want) in [
            ("small-1.txt", &b"one"[..]),
            ("big.bin", &big[..]),
            ("small-2.txt", &b"two"[..]),
        ] {
            let mut got = Vec::new();
            a.by_name(name).unwrap().read_to_end(&mut got).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    /// Raw DEFLATE of `data` in one piece.
    fn deflate(data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(1));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn big_deflated_entries_get_a_data_descriptor_and_the_zip_its_sha256_on_the_way() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("z.zip");
        let mut z = ZipOut::new(std::fs::File::create(&p).unwrap()).unwrap();
        let t = nov21(3, 4, 6);
        // Noise that does not compress: the entry's data passes the buffer several times.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let big: Vec<u8> = (0..3 * BUF)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let small = b"small text, small text\n".repeat(20);
        let add = |z: &mut ZipOut<std::fs::File>, name: &str, data: &[u8], max: u64| {
            let packed = deflate(data);
            let mut o = z.begin(name, Method::Deflated, t, max).unwrap();
            // In pieces, as the compressors hand them over.
            for piece in packed.chunks(100_000) {
                z.data(&mut o, piece).unwrap();
            }
            z.end(o, crc32fast::hash(data), data.len() as u64).unwrap();
        };
        add(&mut z, "a-small.txt", &small, small.len() as u64);
        add(&mut z, "big.bin", &big, big.len() as u64);
        for i in 0..40 {
            add(&mut z, &format!("s{i}.txt"), &small, small.len() as u64);
        }
        // Small entries that straddle the buffer's end stay in it until patched.
        for i in 0..3000 {
            let piece = &big[i * 1000..i * 1000 + 1000];
            z.add(
                &format!("p{i}.bin"),
                Method::Stored,
                t,
                crc32fast::hash(piece),
                1000,
                piece,
            )
            .unwrap();
        }
        add(&mut z, "huge.bin", &big, 5 << 30);
        add(&mut z, "manifest.json", &small, STREAMED);
        let (f, digest) = z.finish().unwrap();
        drop(f);
        let bytes = std::fs::read(&p).unwrap();
        let want: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(digest, Some(want), "streamed sha256 = sha256 of the file");
        // Flag bit 3 on the entries that may outgrow the buffer (local and central headers).
        let flag_of = |name: &str| {
            let at = bytes
                .windows(name.len())
                .position(|w| w == name.as_bytes())
                .unwrap();
            u16::from_le_bytes([bytes[at - 30 + 6], bytes[at - 30 + 7]])
        };
        assert_eq!(flag_of("big.bin") & FLAG_DESCRIPTOR, FLAG_DESCRIPTOR);
        assert_eq!(flag_of("huge.bin") & FLAG_DESCRIPTOR, FLAG_DESCRIPTOR);
        assert_eq!(flag_of("manifest.json") & FLAG_DESCRIPTOR, FLAG_DESCRIPTOR);
        assert_eq!(flag_of("a-small.txt") & FLAG_DESCRIPTOR, 0);
        let mut a = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert_eq!(a.len(), 3044);
        for (name, want) in [
            ("p0.bin", &big[..1000]),
            ("p2999.bin", &big[2_999_000..3_000_000]),
            ("big.bin", &big[..]),
            ("huge.bin", &big[..]),
            ("s39.txt", &small[..]),
            ("manifest.json", &small[..]),
        ] {
            let mut got = Vec::new();
            a.by_name(name).unwrap().read_to_end(&mut got).unwrap();
            assert!(got == want, "{name}");
        }
        match python_ok(&p) {
            Some(ok) => assert!(ok, "python zipfile rejects the zip"),
            None => eprintln!("NOTE: python3 is not installed; check skipped"),
        }
        for (tool, args) in [("unzip", &["-tq"][..]), ("7z", &["t"][..])] {
            match std::process::Command::new(tool).args(args).arg(&p).output() {
                Ok(o) => assert!(
                    o.status.success(),
                    "{tool}: {}",
                    String::from_utf8_lossy(&o.stdout)
                ),
                Err(_) => eprintln!("NOTE: {tool} is not installed; check skipped"),
            }
        }
    }

    /// Python's zipfile test of a zip file, when python3 is installed.
    fn python_ok(path: &std::path::Path) -> Option<bool> {
        let o = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.exit(0 if z.testzip() is None else 1)",
            ])
            .arg(path)
            .output()
            .ok()?;
        Some(o.status.success())
    }

    #[test]
    fn zip64_records_when_an_entry_may_be_huge_or_there_are_many_entries() {
        let d = tempfile::tempdir().unwrap();
        // A ZIP64 local header (input that may pass 4 GiB), and 70,000 entries (ZIP64 end
        // records).
        let p = d.path().join("z.zip");
        let mut z = ZipOut::new(std::fs::File::create(&p).unwrap()).unwrap();
        let t = DosTime::default();
        let mut o = z.begin("big.log", Method::Stored, t, 5 << 30).unwrap();
        z.data(&mut o, b"hello\n").unwrap();
        z.end(o, crc32fast::hash(b"hello\n"), 6).unwrap();
        for i in 0..70_000 {
            z.add(&format!("f{i}"), Method::Stored, t, 0, 0, b"")
                .unwrap();
        }
        z.finish().unwrap();
        let mut a = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert_eq!(a.len(), 70_001);
        let mut s = String::new();
        a.by_name("big.log")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "hello\n");
        match python_ok(&p) {
            Some(ok) => assert!(ok, "python zipfile rejects the ZIP64 zip"),
            None => eprintln!("NOTE: python3 is not installed; check skipped"),
        }
        if let Ok(o) = std::process::Command::new("unzip")
            .arg("-tq")
            .arg(&p)
            .output()
        {
            assert!(
                o.status.success(),
                "unzip -t: {}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }
}
