//! Which file a name points to. Unix: device and inode. Elsewhere: the creation time. Either way
//! the follower also compares the first KiB of content (lnav's content id) to catch overwrites.

use std::fs::Metadata;

/// How many leading bytes identify a file's content.
pub const HEAD_LEN: usize = 1024;

/// The OS identity of a file, as far as `metadata` tells it without opening the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    a: u64,
    b: u64,
}

impl FileId {
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            a: meta.dev(),
            b: meta.ino(),
        })
    }

    /// Windows' file index needs an open handle (or an unstable std API); the creation time is
    /// available from `metadata` alone and changes when a name is re-created.
    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> Option<FileId> {
        let created = meta.created().ok()?;
        let d = created.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(FileId {
            a: d.as_secs(),
            b: u64::from(d.subsec_nanos()),
        })
    }
}

/// Whether two heads (the first ≤ [`HEAD_LEN`] bytes read at different times) can belong to the
/// same growing file: the shorter must be a prefix of the longer.
pub fn heads_agree(old: &[u8], new: &[u8]) -> bool {
    let n = old.len().min(new.len());
    old[..n] == new[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_head_agrees_rewritten_head_does_not() {
        assert!(heads_agree(b"abc", b"abcdef"));
        assert!(heads_agree(b"abcdef", b"abc"));
        assert!(!heads_agree(b"abc", b"abX"));
        assert!(heads_agree(b"", b"anything"));
    }
}
