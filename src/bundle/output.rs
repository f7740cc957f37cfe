//! Where the bundle goes and how it lands there: the default folder, refusing folders inside
//! the install or an upgrade temp folder, the name, the free-space check, and the atomic,
//! never-overwriting final rename.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::worker::hex;

/// A `midrescue` folder in the user's home (HOME, USERPROFILE, else the password database);
/// without a home, a new private folder made for this run, never a shared temp folder.
pub fn default_out_dir() -> PathBuf {
    use crate::platform::private_fs;
    if let Some(h) = private_fs::home_dir() {
        return h.join("midrescue");
    }
    // If even that fails, the temp folder itself is returned, and the private-folder check
    // refuses it with an error that names --out.
    private_fs::fresh_private_temp_dir().unwrap_or_else(|_| std::env::temp_dir())
}

/// Best-effort absolute, symlink-free form of a path that may not exist yet: canonicalize the
/// longest existing ancestor and append the rest.
pub fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(c) = crate::platform::paths::canonicalize(&existing) {
            let mut out = c;
            for r in rest.iter().rev() {
                out.push(r);
            }
            return out;
        }
        match (
            existing.file_name().map(|s| s.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return abs,
        }
    }
}

fn is_inside(child: &Path, parent: &Path) -> bool {
    let norm = |p: &Path| -> Vec<String> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| {
                let s = c.as_os_str().to_string_lossy().to_string();
                // NTFS is case-insensitive; on Linux a false positive only means a refusal.
                if cfg!(windows) { s.to_lowercase() } else { s }
            })
            .collect()
    };
    let (c, p) = (norm(child), norm(parent));
    !p.is_empty() && c.len() >= p.len() && c[..p.len()] == p[..]
}

/// Refuse an output folder inside the install or an upgrade temp folder (writing there would
/// change the install, and the MID's own cleanup would delete the bundle with the temp folder).
pub fn check_out_dir(out: &Path, agent_dir: &Path, temp_dirs: &[PathBuf]) -> anyhow::Result<()> {
    let out_r = resolve(out);
    let mut forbidden: Vec<(PathBuf, &str)> = vec![(resolve(agent_dir), "the MID install")];
    for t in temp_dirs {
        forbidden.push((resolve(t), "the upgrade temp folder"));
    }
    for (f, what) in forbidden {
        if is_inside(&out_r, &f) {
            bail!(
                "refusing to write the bundle to {}: it is inside {what} ({}). Choose a folder \
                 outside it with --out (the default is {}).",
                out.display(),
                f.display(),
                default_out_dir().display()
            );
        }
    }
    Ok(())
}

/// A file-name part: `plan::sanitize_component`'s characters, at most `max` of them.
fn sanitize(s: &str, max: usize) -> String {
    let t: String = super::plan::sanitize_component(s)
        .chars()
        .take(max)
        .collect();
    let t = t.trim_matches(|c| c == '.' || c == '_');
    if t.is_empty() {
        "unknown".to_string()
    } else {
        t.to_string()
    }
}

/// `midsupport-<mid name>-<host>-<UTC yyyymmddThhmmssZ>`, without extension.
pub fn bundle_stem(
    mid_name: Option<&str>,
    host: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    format!(
        "midsupport-{}-{}-{}",
        sanitize(mid_name.unwrap_or("unknown-mid"), 64),
        sanitize(host, 64),
        now.format("%Y%m%dT%H%M%SZ")
    )
}

/// The first free `<stem>.zip`, `<stem>-2.zip`, … in `dir` (also free of `.partial` and
/// `.sha256` companions).
pub fn free_zip_path(dir: &Path, stem: &str) -> PathBuf {
    let taken =
        |p: &Path| p.exists() || sibling(p, ".partial").exists() || sibling(p, ".sha256").exists();
    let mut p = dir.join(format!("{stem}.zip"));
    let mut k = 2;
    while taken(&p) {
        p = dir.join(format!("{stem}-{k}.zip"));
        k += 1;
    }
    p
}

/// `path` with `suffix` appended to its file name.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Move `from` to `to` without ever replacing an existing `to`.
pub fn persist_no_clobber(from: &Path, to: &Path) -> anyhow::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            std::fs::remove_file(from)
                .with_context(|| format!("cannot remove {}", from.display()))?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} appeared while the bundle was written; not overwriting it",
                to.display()
            )
        }
        // File systems without hard links (FAT, some network shares).
        Err(_) => {
            if to.exists() {
                bail!("{} already exists; not overwriting it", to.display());
            }
            std::fs::rename(from, to)
                .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
        }
    }
}

/// Write `bytes` to `path` atomically (temp file, fsync, no-clobber rename).
pub fn write_new_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = sibling(path, ".partial");
    let mut f = crate::platform::private_fs::create_private_file(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    persist_no_clobber(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// sha256 of an open file, from its start (read in chunks).
pub fn sha256_of(file: &File) -> anyhow::Result<String> {
    let mut f = file;
    f.seek(std::io::SeekFrom::Start(0))
        .context("reading the zip back")?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).context("reading the zip back")?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// The device or volume that holds `path`, for error messages ("which device is full").
pub fn volume_of(path: &Path) -> String {
    let p = resolve(path);
    #[cfg(target_os = "linux")]
    {
        if let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") {
            let mut best: Option<(usize, String, String)> = None;
            for line in text.lines() {
                // id parent maj:min root mount-point opts ... - fstype source superopts
                let f: Vec<&str> = line.split(' ').collect();
                let Some(mp) = f.get(4) else { continue };
                let mp = mp.replace("\\040", " ");
                let dev = line
                    .split(" - ")
                    .nth(1)
                    .and_then(|r| r.split(' ').nth(1))
                    .unwrap_or("?")
                    .to_string();
                if is_inside(&p, Path::new(&mp))
                    && best.as_ref().is_none_or(|(l, _, _)| mp.len() > *l)
                {
                    best = Some((mp.len(), mp, dev));
                }
            }
            if let Some((_, mp, dev)) = best {
                return format!("device {dev} mounted on {mp}");
            }
        }
    }
    match p.components().next() {
        Some(Component::Prefix(pre)) => format!("volume {}", pre.as_os_str().to_string_lossy()),
        _ => format!("the volume of {}", p.display()),
    }
}

/// Fail early, naming the device, when the output folder cannot hold `need` bytes.
pub fn check_free_space(dir: &Path, need: u64) -> anyhow::Result<()> {
    match fs4::available_space(dir) {
        Ok(avail) if avail < need => bail!(
            "not enough free space for the bundle in {} ({}): about {} MB needed, {} MB free. \
             Free some space or choose another folder with --out.",
            dir.display(),
            volume_of(dir),
            need.div_ceil(1_000_000),
            avail / 1_000_000
        ),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!("cannot tell the free space of {}: {e}", dir.display());
            Ok(())
        }
    }
}

/// The zip file as the writer sees it: on Linux, every [`WRITEBACK_EVERY`] bytes written the
/// kernel is asked to start writing them to disk, so that the final sync has little left to
/// wait for (it was a third of a big bundle's end).
pub struct Writeback {
    file: File,
    pos: u64,
    started_to: u64,
}

/// Bytes written between two writeback requests.
const WRITEBACK_EVERY: u64 = 8 << 20;

impl Writeback {
    pub fn new(file: File) -> Self {
        Writeback {
            file,
            pos: 0,
            started_to: 0,
        }
    }

    pub fn into_inner(self) -> File {
        self.file
    }

    fn start_writeback(&mut self) {
        if self.pos < self.started_to + WRITEBACK_EVERY {
            return;
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let (from, len) = (self.started_to, self.pos - self.started_to);
            if let (Ok(from), Ok(len)) = (i64::try_from(from), i64::try_from(len)) {
                // SAFETY: the descriptor is the open file we own; the call reads and writes no
                // memory of ours. A failure only means the final sync does all the work.
                let _ = unsafe {
                    libc::sync_file_range(
                        self.file.as_raw_fd(),
                        from,
                        len,
                        libc::SYNC_FILE_RANGE_WRITE,
                    )
                };
            }
        }
        self.started_to = self.pos;
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.pos += n as u64;
        self.start_writeback();
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Seek for Writeback {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.file.seek(to)?;
        self.started_to = self.started_to.min(self.pos);
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writeback_passes_writes_and_seeks_through() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("z");
        let mut w = Writeback::new(File::create(&p).unwrap());
        let chunk = vec![7u8; 3 << 20];
        for _ in 0..4 {
            w.write_all(&chunk).unwrap();
        }
        // Back over bytes already handed to the kernel, then on at the end.
        w.seek(std::io::SeekFrom::Start(10)).unwrap();
        w.write_all(b"head").unwrap();
        w.seek(std::io::SeekFrom::End(0)).unwrap();
        w.write_all(b"tail").unwrap();
        let f = w.into_inner();
        f.sync_all().unwrap();
        let got = std::fs::read(&p).unwrap();
        assert_eq!(got.len(), (12 << 20) + 4);
        assert_eq!(&got[10..14], b"head");
        assert_eq!(&got[got.len() - 4..], b"tail");
        assert!(got[14..got.len() - 4].iter().all(|&b| b == 7));
    }

    #[test]
    fn names_are_sanitized_and_never_reused() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T04:05:06Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            bundle_stem(Some("mid prod/01"), "host.example", now),
            "midsupport-mid_prod_01-host.example-20261122T040506Z"
        );
        let d = tempfile::tempdir().unwrap();
        let p1 = free_zip_path(d.path(), "x");
        std::fs::write(&p1, b"").unwrap();
        let p2 = free_zip_path(d.path(), "x");
        assert!(p2.ends_with("x-2.zip"));
        std::fs::write(sibling(&p2, ".partial"), b"").unwrap();
        assert!(free_zip_path(d.path(), "x").ends_with("x-3.zip"));
        // No clobber.
        let a = d.path().join("a");
        std::fs::write(&a, b"new").unwrap();
        assert!(persist_no_clobber(&a, &p1).is_err());
        assert_eq!(std::fs::read(&p1).unwrap(), b"");
    }

    #[test]
    fn refuses_inside_install_or_temp() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("mid").join("agent");
        let temp = agent.join("work").join("upgrade_temp").join("123");
        std::fs::create_dir_all(&temp).unwrap();
        let e = check_out_dir(&agent.join("logs").join("new"), &agent, &[]).unwrap_err();
        assert!(e.to_string().contains("inside the MID install"), "{e}");
        let e = check_out_dir(&temp, &agent, std::slice::from_ref(&temp)).unwrap_err();
        assert!(e.to_string().contains("refusing"), "{e}");
        assert!(check_out_dir(&d.path().join("out"), &agent, &[temp]).is_ok());
    }

    #[test]
    fn free_space_error_names_the_device() {
        let d = tempfile::tempdir().unwrap();
        let e = check_free_space(d.path(), u64::MAX / 2)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not enough free space") && e.contains("mounted on"),
            "{e}"
        );
    }
}
