//! Canonical paths as people write them. On Windows `std::fs::canonicalize` returns verbatim
//! paths (`\\?\C:\ServiceNow\...`, `\\?\UNC\server\share\...`): correct for the API, but wrong
//! in what midrescue shows, writes into a lab's `.bat` or `cmd.exe` runs, and never equal to the
//! `C:\...` form an operator or a MID log uses. std adds the prefix itself where a path needs it.

use std::path::{Path, PathBuf};

/// `std::fs::canonicalize`, without the verbatim prefix on Windows.
pub fn canonicalize(p: &Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(p).map(strip_verbatim)
}

/// `\\?\C:\x` → `C:\x`, `\\?\UNC\srv\share\x` → `\\srv\share\x`; anything else unchanged
/// (other verbatim forms, such as `\\?\Volume{...}`, have no plain spelling).
pub fn strip_verbatim(p: PathBuf) -> PathBuf {
    let Some(s) = p.to_str() else {
        return p;
    };
    if let Some(rest) = s.strip_prefix(r"\\?\UNC\") {
        return PathBuf::from(format!(r"\\{rest}"));
    }
    if let Some(rest) = s.strip_prefix(r"\\?\") {
        let b = rest.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
            return PathBuf::from(rest);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_drive_and_unc_paths_lose_the_prefix_others_stay() {
        let s = |x: &str| strip_verbatim(PathBuf::from(x));
        assert_eq!(
            s(r"\\?\C:\ServiceNow\MID Server 1"),
            PathBuf::from(r"C:\ServiceNow\MID Server 1")
        );
        assert_eq!(
            s(r"\\?\UNC\srv\share\agent"),
            PathBuf::from(r"\\srv\share\agent")
        );
        for same in [
            r"\\?\Volume{0b1e}\x",
            r"C:\ServiceNow",
            "/opt/servicenow/mid/agent",
            r"\\?\C:",
        ] {
            assert_eq!(s(same), PathBuf::from(same));
        }
    }

    #[test]
    fn canonicalize_resolves_a_real_folder() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("a b")).unwrap();
        let c = canonicalize(&d.path().join("a b").join("..").join("a b")).unwrap();
        assert!(c.is_absolute() && c.ends_with("a b"));
        assert!(!c.to_string_lossy().starts_with(r"\\?\"));
    }
}
