//! Opening MID files safely: check the file type BEFORE opening (a FIFO must never hang us, a
//! symlink is never followed), open with the std share modes (B.4), read up to the size seen
//! when the plan was made, close at once.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

/// Why a source could not be bundled (goes to the manifest's `errors`).
pub fn describe_io_error(e: &io::Error) -> String {
    // Windows sharing/lock violations (ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33).
    if matches!(e.raw_os_error(), Some(32) | Some(33)) && cfg!(windows) {
        return format!("locked by another process ({e})");
    }
    match e.kind() {
        io::ErrorKind::NotFound => "vanished before it could be read".to_string(),
        io::ErrorKind::PermissionDenied => format!(
            "permission denied: run midrescue as the MID service user or as root/Administrator ({e})"
        ),
        _ => format!("unreadable: {e}"),
    }
}

/// What `symlink_metadata` says about a path, without opening it.
pub enum Kind {
    Regular(Metadata),
    /// Not bundled; the reason says why.
    Other(String),
}

/// Classify `path` without opening it (and without following a symlink).
pub fn classify(path: &Path) -> Kind {
    let md = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return Kind::Other(describe_io_error(&e)),
    };
    let ft = md.file_type();
    if ft.is_file() {
        return Kind::Regular(md);
    }
    if ft.is_symlink() {
        return Kind::Other(match std::fs::metadata(path) {
            Err(_) => match std::fs::read_link(path) {
                Ok(t) => format!("dangling symbolic link (to {})", t.display()),
                Err(_) => "dangling symbolic link".to_string(),
            },
            Ok(_) => match std::fs::read_link(path) {
                Ok(t) => format!("symbolic link (to {}), not followed", t.display()),
                Err(_) => "symbolic link, not followed".to_string(),
            },
        });
    }
    Kind::Other(format!("not a regular file ({})", type_name(&md)))
}

fn type_name(md: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ft = md.file_type();
        if ft.is_fifo() {
            return "named pipe (FIFO)";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "device";
        }
    }
    if md.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Open a file that [`classify`] called regular. `path` is the resolved path the plan made
/// (no link in it). On Unix it is opened non-blocking and without following a final
/// symlink, then checked on the handle: a FIFO swapped in between the check and the open can
/// neither block nor be read. On Linux the file is opened relative to a handle on its folder
/// whose own path was checked to be the planned one, so a folder on the way replaced by a
/// link (to `/etc`) after planning is refused. Elsewhere the path is resolved just before
/// the open and must be unchanged. Returns the handle's own metadata.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), String> {
    Opener::default().open(path)
}

/// Opens files one after another as [`open_regular`] does. On Linux it keeps the handle on
/// the last folder (a producer's files come folder by folder), so each file costs one
/// `openat` of a name, not a walk of its whole path and a `readlink` of its handle: about
/// 40% of the kernel time per small file. The folder handle lives as long as the opener (a
/// producer thread) and is never read.
#[derive(Default)]
pub struct Opener {
    #[cfg(target_os = "linux")]
    dir: Option<(std::path::PathBuf, std::os::fd::OwnedFd)>,
}

impl Opener {
    pub fn open(&mut self, path: &Path) -> Result<(File, Metadata), String> {
        let f = self.open_handle(path)?;
        match f.metadata() {
            Ok(m) if m.is_file() => Ok((f, m)),
            Ok(m) => Err(format!("not a regular file ({})", type_name(&m))),
            Err(e) => Err(describe_io_error(&e)),
        }
    }

    #[cfg(target_os = "linux")]
    fn open_handle(&mut self, path: &Path) -> Result<File, String> {
        use nix::fcntl::{OFlag, openat};
        use nix::sys::stat::Mode;
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(describe_io_error(&io::Error::from(io::ErrorKind::NotFound)));
        };
        // Another folder's handle is closed before this one is opened (or fails to be).
        let (_, dfd) = match self.dir.take().filter(|(p, _)| p == dir) {
            Some(held) => self.dir.insert(held),
            None => self.dir.insert((dir.to_path_buf(), open_checked_dir(dir)?)),
        };
        let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        openat(dfd, name, flags, Mode::empty())
            .map(File::from)
            .map_err(|e| describe_io_error(&io::Error::from(e)))
    }

    #[cfg(not(target_os = "linux"))]
    fn open_handle(&mut self, path: &Path) -> Result<File, String> {
        check_unlinked(path)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
        }
        opts.open(path).map_err(|e| describe_io_error(&e))
    }
}

/// A handle on folder `dir` whose own path is `dir`: no component of it is a link.
#[cfg(target_os = "linux")]
fn open_checked_dir(dir: &Path) -> Result<std::os::fd::OwnedFd, String> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    use std::os::fd::AsRawFd;
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = open(dir, flags, Mode::empty()).map_err(|e| {
        // The folder itself is now a link: O_NOFOLLOW with O_DIRECTORY answers ENOTDIR.
        let linked = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        if linked {
            MOVED.to_string()
        } else {
            describe_io_error(&io::Error::from(e))
        }
    })?;
    match std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())) {
        Ok(real) if real == dir => Ok(fd),
        Ok(_) => Err(MOVED.to_string()),
        // No /proc: fall back to resolving the path.
        Err(_) => check_unlinked(dir).map(|()| fd),
    }
}

const MOVED: &str =
    "a folder on its path was replaced by a symbolic link during collection; not followed";

/// `path` resolves to itself: no component is a link.
fn check_unlinked(path: &Path) -> Result<(), String> {
    let real = std::fs::canonicalize(path).map_err(|e| describe_io_error(&e))?;
    let real = super::plan::strip_verbatim(real);
    let same = if cfg!(windows) {
        real.to_string_lossy().to_lowercase() == path.to_string_lossy().to_lowercase()
    } else {
        real == path
    };
    if same { Ok(()) } else { Err(MOVED.to_string()) }
}

/// Modification time in UTC (None when the platform cannot tell).
pub fn mtime(md: &Metadata) -> Option<chrono::DateTime<chrono::Utc>> {
    md.modified().ok().map(Into::into)
}

/// A time as the manifest and listings write it: RFC 3339 UTC, whole seconds.
pub fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Modification time as RFC 3339 UTC (None when the platform cannot tell).
pub fn mtime_rfc3339(md: &Metadata) -> Option<String> {
    mtime(md).as_ref().map(rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_without_opening() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.log");
        std::fs::write(&f, b"x").unwrap();
        assert!(matches!(classify(&f), Kind::Regular(_)));
        match classify(&d.path().join("missing")) {
            Kind::Other(r) => assert!(r.contains("vanished"), "{r}"),
            Kind::Regular(_) => panic!(),
        }
        #[cfg(unix)]
        {
            let l = d.path().join("dangling");
            std::os::unix::fs::symlink(d.path().join("nowhere"), &l).unwrap();
            match classify(&l) {
                Kind::Other(r) => assert!(r.contains("dangling"), "{r}"),
                Kind::Regular(_) => panic!(),
            }
            let fifo = d.path().join("pipe");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
            match classify(&fifo) {
                Kind::Other(r) => assert!(r.contains("FIFO"), "{r}"),
                Kind::Regular(_) => panic!(),
            }
            // Even if asked to open it, a FIFO without writer neither blocks nor is accepted.
            assert!(open_regular(&fifo).unwrap_err().contains("FIFO"));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_after_planning_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        let outside = root.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("shadow"), b"root:secret").unwrap();
        let logs = root.join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(logs.join("shadow"), b"ok").unwrap();
        assert!(open_regular(&logs.join("shadow")).is_ok());
        // The planned path now runs through a link.
        std::fs::remove_dir_all(&logs).unwrap();
        std::os::unix::fs::symlink(&outside, &logs).unwrap();
        let err = open_regular(&logs.join("shadow")).unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn an_opener_never_reads_through_a_folder_swapped_for_a_link() {
        use std::io::Read;
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        let outside = root.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("b.log"), b"root:secret").unwrap();
        let logs = root.join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(logs.join("a.log"), b"first").unwrap();
        std::fs::write(logs.join("b.log"), b"second").unwrap();
        let mut opener = Opener::default();
        let read = |opener: &mut Opener, name: &str| -> Result<String, String> {
            let (mut f, md) = opener.open(&logs.join(name))?;
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(md.len() as usize, s.len());
            Ok(s)
        };
        assert_eq!(read(&mut opener, "a.log").unwrap(), "first");
        // The folder is moved away and a link to another folder takes its name.
        std::fs::rename(&logs, root.join("logs.old")).unwrap();
        std::os::unix::fs::symlink(&outside, &logs).unwrap();
        // Whatever an opener holds, it never reads the link's target.
        match read(&mut opener, "b.log") {
            Ok(s) => assert_eq!(s, "second", "read through the link"),
            Err(e) => assert!(e.contains("symbolic link"), "{e}"),
        }
        let err = read(&mut Opener::default(), "b.log").unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        // Neither a link as the file itself.
        std::fs::remove_file(&logs).unwrap();
        std::fs::create_dir(&logs).unwrap();
        std::os::unix::fs::symlink(outside.join("b.log"), logs.join("c.log")).unwrap();
        assert!(read(&mut Opener::default(), "c.log").is_err());
    }

    #[test]
    fn open_error_is_recorded_even_as_root() {
        // A path through a regular file fails with ENOTDIR for every user, root included.
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("file");
        std::fs::write(&f, b"x").unwrap();
        let err = open_regular(&f.join("below")).unwrap_err();
        assert!(err.starts_with("unreadable"), "{err}");
    }
}
