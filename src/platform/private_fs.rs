//! Private outputs: files created new (never following a symlink, never replacing a file) and
//! readable by their owner only.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

/// Create `path` as a new file, 0600 on Unix, without following a symlink at its place.
pub fn create_private_file(path: &Path) -> anyhow::Result<File> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path)
        .with_context(|| format!("creating {}", crate::sanitize::path(path)))
}

/// Create `dir` (and missing parents) 0700 on Unix; an existing folder is left as it is.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .with_context(|| format!("creating {}", crate::sanitize::path(dir)))
}
