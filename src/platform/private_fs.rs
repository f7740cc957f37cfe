//! Private outputs (safety rule 9). midrescue runs as root or administrator; everything it
//! writes (bundles, checksums, the upgrade's captured output, the journal, its own log, the lab
//! registry) may hold host details, so on Unix folders are made 0700 and files 0600, files are
//! created exclusively without following symlinks, and a folder that belongs to someone else
//! or that others may write is refused. On Windows the defaults live under the user's profile
//! (private by its ACL) and files are created exclusively.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, bail};

/// Create `dir` (and missing parents, 0700 on Unix) and check that the folder is safe to write
/// private files into: a real folder (not a symlink), owned by the current user and not
/// writable by group or others.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
    check_private_dir(dir)
}

/// Refuse a folder we would write private files into when it is a symlink, not a folder,
/// owned by another user, or writable by group or others (Unix).
pub fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    let md =
        std::fs::symlink_metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if md.file_type().is_symlink() {
        bail!(
            "refusing to write into {}: it is a symbolic link (give a real folder with --out)",
            dir.display()
        );
    }
    if !md.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = nix::unistd::geteuid().as_raw();
        if md.uid() != me {
            bail!(
                "refusing to write into {}: it belongs to uid {}, not to this user (uid {me}); \
                 choose a folder of your own with --out",
                dir.display(),
                md.uid()
            );
        }
        if md.mode() & 0o022 != 0 {
            bail!(
                "refusing to write into {}: other users may write to it (mode {:o}); \
                 `chmod go-w` it or choose another folder with --out",
                dir.display(),
                md.mode() & 0o7777
            );
        }
    }
    Ok(())
}

/// Create a new file for writing (and reading back from the same handle): exclusively (fails
/// if anything, even a dangling symlink, is at `path`), without following symlinks, mode 0600
/// on Unix.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    o.open(path)
}

/// Open `path` for appending, creating it 0600 when absent. Never follows a symlink, and on
/// Unix refuses an existing file that is not a plain file of ours, readable or writable by
/// others, or hard-linked elsewhere (a planted link to some other file).
pub fn open_private_append(path: &Path) -> anyhow::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    let f = o
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let md = f.metadata()?;
    if !md.is_file() {
        bail!("refusing to write to {}: not a plain file", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = nix::unistd::geteuid().as_raw();
        if md.uid() != me || md.nlink() != 1 || md.mode() & 0o077 != 0 {
            bail!(
                "refusing to write to {}: it is not a private file of this user \
                 (owner uid {}, mode {:o}, {} links)",
                path.display(),
                md.uid(),
                md.mode() & 0o7777,
                md.nlink()
            );
        }
    }
    Ok(f)
}

/// Write `bytes` to a new private file at `path` (exclusive, no symlink followed).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f =
        create_private_file(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// The user whose private state (lab registry) a command works with: under `sudo`, the user
/// who ran sudo (`SUDO_USER`); otherwise the current user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateOwner {
    /// The state folder (`…/midrescue`), which may not exist yet.
    pub dir: PathBuf,
    /// Unix ids to hand created files to when they differ from ours (sudo).
    pub chown_to: Option<(u32, u32)>,
}

/// The current user's own state folder for midrescue: `$XDG_STATE_HOME/midrescue`, else
/// `~/.local/state/midrescue` (home from `HOME`, else the password database); on Windows
/// `%LOCALAPPDATA%\midrescue`. Under `sudo` the caller's environment is not trusted: root's
/// home comes from the password database.
pub fn own_state_dir() -> anyhow::Result<PathBuf> {
    #[cfg(unix)]
    {
        let under_sudo =
            nix::unistd::geteuid().is_root() && std::env::var_os("SUDO_USER").is_some();
        if !under_sudo {
            if let Some(x) = abs_env("XDG_STATE_HOME") {
                return Ok(x.join("midrescue"));
            }
            if let Some(h) = abs_env("HOME") {
                return Ok(h.join(".local/state/midrescue"));
            }
        }
        let me = nix::unistd::geteuid();
        match nix::unistd::User::from_uid(me) {
            Ok(Some(u)) if u.dir.is_absolute() => Ok(u.dir.join(".local/state/midrescue")),
            _ => bail!(
                "no private state folder: HOME is not set and uid {me} has no home folder; \
                 set HOME (or XDG_STATE_HOME)"
            ),
        }
    }
    #[cfg(not(unix))]
    {
        match abs_env("LOCALAPPDATA").or_else(|| abs_env("USERPROFILE")) {
            Some(d) => Ok(d.join("midrescue")),
            None => bail!("no private state folder: LOCALAPPDATA is not set"),
        }
    }
}

/// The state folder of the user who invoked midrescue (see [`StateOwner`]).
pub fn invoking_state() -> anyhow::Result<StateOwner> {
    #[cfg(unix)]
    {
        if nix::unistd::geteuid().is_root()
            && let Some(name) = std::env::var("SUDO_USER").ok().filter(|n| !n.is_empty())
            && name != "root"
        {
            let user = nix::unistd::User::from_name(&name)
                .ok()
                .flatten()
                .with_context(|| format!("SUDO_USER {name:?} is not a known user"))?;
            if !user.dir.is_absolute() {
                bail!("SUDO_USER {name:?} has no home folder");
            }
            return Ok(StateOwner {
                dir: user.dir.join(".local/state/midrescue"),
                chown_to: Some((user.uid.as_raw(), user.gid.as_raw())),
            });
        }
    }
    Ok(StateOwner {
        dir: own_state_dir()?,
        chown_to: None,
    })
}

/// Create `dir` for the invoking user (0700) and hand new folders to them under sudo, then
/// check it is theirs and private.
pub fn ensure_owned_dir(dir: &Path, owner: Option<(u32, u32)>) -> anyhow::Result<()> {
    let Some((uid, gid)) = owner else {
        return ensure_private_dir(dir);
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Create and chown each missing level, top-down, so the user can use it without sudo.
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|p| std::fs::symlink_metadata(p).is_err())
            .collect();
        for p in missing.into_iter().rev() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(p)
                .with_context(|| format!("cannot create the folder {}", p.display()))?;
            chown_nofollow(p, uid, gid)?;
        }
        let md = std::fs::symlink_metadata(dir)?;
        if md.file_type().is_symlink() || !md.is_dir() {
            bail!("refusing {}: not a real folder", dir.display());
        }
        if (md.uid() != uid && md.uid() != 0) || md.mode() & 0o022 != 0 {
            bail!(
                "refusing {}: it belongs to uid {} (expected {uid}) or others may write to it \
                 (mode {:o})",
                dir.display(),
                md.uid(),
                md.mode() & 0o7777
            );
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = (uid, gid);
        ensure_private_dir(dir)
    }
}

/// Hand `path` (not following a symlink) to `uid:gid`.
#[cfg(unix)]
pub fn chown_nofollow(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    nix::unistd::fchownat(
        nix::fcntl::AT_FDCWD,
        path,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .with_context(|| format!("cannot hand {} to uid {uid}", path.display()))
}

fn abs_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// The user's home folder: `HOME` (`USERPROFILE` on Windows) when absolute and present, else
/// (Unix) the password database's entry for the current user.
pub fn home_dir() -> Option<PathBuf> {
    for var in ["HOME", "USERPROFILE"] {
        if let Some(h) = abs_env(var).filter(|h| h.is_dir()) {
            return Some(h);
        }
    }
    #[cfg(unix)]
    {
        if let Ok(Some(u)) = nix::unistd::User::from_uid(nix::unistd::geteuid())
            && u.dir.is_absolute()
            && u.dir.is_dir()
        {
            return Some(u.dir);
        }
    }
    None
}

/// A folder of last resort when the user has no home: a new folder created exclusively (0700)
/// in the temp folder, once per process. Never an existing, possibly shared, folder.
pub fn fresh_private_temp_dir() -> anyhow::Result<PathBuf> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| make_fresh_dir(&std::env::temp_dir()).map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}

fn make_fresh_dir(base: &Path) -> anyhow::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for k in 0..100u32 {
        let p = base.join(format!(
            "midrescue-{}-{:08x}",
            std::process::id(),
            nanos.wrapping_add(k.wrapping_mul(0x9e37_79b9))
        ));
        let mut b = std::fs::DirBuilder::new();
        b.recursive(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        // Not recursive: mkdir fails on anything already there, so the folder is ours alone.
        match b.create(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", p.display())),
        }
    }
    bail!("cannot create a private folder in {}", base.display())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn new_dirs_are_0700_and_files_0600() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("a/b");
        ensure_private_dir(&out).unwrap();
        assert_eq!(mode(&out), 0o700);
        assert_eq!(mode(&d.path().join("a")), 0o700);
        let f = out.join("x.zip");
        write_private_file(&f, b"hi").unwrap();
        assert_eq!(mode(&f), 0o600);
        // Exclusive: a second create fails and keeps the content.
        assert!(create_private_file(&f).is_err());
        assert_eq!(std::fs::read(&f).unwrap(), b"hi");
    }

    #[test]
    fn others_writable_or_symlinked_dirs_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let open = d.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = ensure_private_dir(&open).unwrap_err().to_string();
        assert!(
            e.contains("other users may write") && e.contains("--out"),
            "{e}"
        );
        let link = d.path().join("link");
        std::os::unix::fs::symlink(d.path(), &link).unwrap();
        let e = ensure_private_dir(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }

    #[test]
    fn symlinks_are_never_followed_when_writing() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let planted = d.path().join("planted.log");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        assert!(create_private_file(&planted).is_err());
        assert!(open_private_append(&planted).is_err());
        // A hard link to another file is refused too.
        let hard = d.path().join("hard.log");
        std::fs::hard_link(&victim, &hard).unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(open_private_append(&hard).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }

    #[test]
    fn append_creates_0600_and_reopens_its_own_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("journal.txt");
        drop(open_private_append(&p).unwrap());
        assert_eq!(mode(&p), 0o600);
        drop(open_private_append(&p).unwrap());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(open_private_append(&p).is_err());
    }

    #[test]
    fn fresh_temp_dirs_are_new_and_private() {
        let d = tempfile::tempdir().unwrap();
        let a = make_fresh_dir(d.path()).unwrap();
        let b = make_fresh_dir(d.path()).unwrap();
        assert_ne!(a, b);
        assert_eq!(mode(&a), 0o700);
    }
}
