//! Reading the small text files of an install (config.xml, wrapper confs, properties, unit
//! files) safely: only regular files are opened (a FIFO or device in their place would block
//! or never end), and at most `MAX_SMALL_FILE` bytes are read.

use std::io::Read;
use std::path::Path;

/// Far above any real config file; keeps a runaway file from filling memory.
pub const MAX_SMALL_FILE: u64 = 16 * 1024 * 1024;

/// The first `MAX_SMALL_FILE` bytes of the regular file at `path`.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    read_head(path, MAX_SMALL_FILE)
}

/// The first `max` bytes of the regular file at `path` (a zip's signature, a file's head).
pub fn read_head(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.min(MAX_SMALL_FILE))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_refused_and_a_file_is_read() {
        let d = tempfile::tempdir().unwrap();
        assert!(read(d.path()).is_err());
        std::fs::write(d.path().join("a"), "x").unwrap();
        assert_eq!(read(&d.path().join("a")).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("config.xml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(read(&fifo).is_err());
    }
}
