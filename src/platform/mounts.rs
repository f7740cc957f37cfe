//! Which mount a path lives on and with what options (`/proc/self/mountinfo`), for the
//! preflight's `noexec` check. The parser is pure so it is tested with fixture text.

use std::path::{Path, PathBuf};

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub mount_point: PathBuf,
    pub fs_type: String,
    /// Per-mount and super-block options together (`rw,nosuid,noexec,...`).
    pub options: Vec<String>,
    /// The line as read, for the evidence.
    pub line: String,
}

impl Mount {
    pub fn has(&self, opt: &str) -> bool {
        self.options.iter().any(|o| o == opt)
    }
}

/// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = oct.iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse mountinfo text: `id parent maj:min root mount_point mount_opts [optional...] - fstype source super_opts`.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let l: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            let mount_point = PathBuf::from(unescape(l.get(4)?));
            let mut options: Vec<String> = l.get(5)?.split(',').map(str::to_string).collect();
            if let Some(sup) = r.get(2) {
                options.extend(sup.split(',').map(str::to_string));
            }
            Some(Mount {
                mount_point,
                fs_type: r.first()?.to_string(),
                options,
                line: line.to_string(),
            })
        })
        .collect()
}

/// The mount `path` lives on: the longest mount point that is a prefix of it (the last one
/// listed wins among equals, as later mounts cover earlier ones).
pub fn mount_for<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for m in mounts {
        if path.starts_with(&m.mount_point)
            && best.is_none_or(|b| {
                m.mount_point.components().count() >= b.mount_point.components().count()
            })
        {
            best = Some(m);
        }
    }
    best
}

/// This host's mount table (Linux); `None` elsewhere or when unreadable.
pub fn host_mounts() -> Option<Vec<Mount>> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    Some(parse_mountinfo(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:26 / /tmp rw,nosuid,nodev,noexec,relatime shared:12 - tmpfs tmpfs rw,size=100m
31 22 8:2 / /opt/service\\040now rw,relatime - xfs /dev/sda2 rw,noexec
";

    #[test]
    fn longest_prefix_and_options() {
        let m = parse_mountinfo(INFO);
        assert_eq!(m.len(), 3);
        let tmp = mount_for(&m, Path::new("/tmp/1528126003155-0")).unwrap();
        assert_eq!(tmp.mount_point, PathBuf::from("/tmp"));
        assert!(tmp.has("noexec"));
        let root = mount_for(&m, Path::new("/opt/servicenow/mid")).unwrap();
        assert_eq!(root.mount_point, PathBuf::from("/"));
        assert!(!root.has("noexec"));
        // Escaped space in the mount point; noexec given as a super-block option.
        let sp = mount_for(&m, Path::new("/opt/service now/agent")).unwrap();
        assert!(sp.has("noexec"));
        // `/tmpfoo` is not under `/tmp`.
        assert_eq!(
            mount_for(&m, Path::new("/tmpfoo")).unwrap().mount_point,
            PathBuf::from("/")
        );
    }

    #[test]
    fn garbage_is_ignored() {
        assert!(parse_mountinfo("nonsense\n\u{fffd}\n - \n").is_empty());
    }
}
