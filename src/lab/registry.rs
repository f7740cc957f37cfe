//! Labs are what midrescue made: `lab create` and `demo` record each lab in a private registry
//! of the invoking user (`labs.json`, 0600, in their state folder; under `sudo`, the state
//! folder of `SUDO_USER`). Lab mode, which runs the lab file's `exe` and trusts its service
//! stand-in, applies only to a registered folder or one named with `--lab DIR`. A lab file
//! anywhere else (say, planted beside a real install by the MID's account) is ignored.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::LAB_FILE;
use crate::platform::private_fs::{self, StateOwner};

/// The registry's file name in the state folder.
pub const REGISTRY_FILE: &str = "labs.json";

/// One lab midrescue made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The lab root, canonical.
    pub root: PathBuf,
    pub scenario: String,
    #[serde(default)]
    pub created_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    labs: Vec<Entry>,
}

/// A lab as `lab list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub root: PathBuf,
    pub scenario: String,
    /// Whether any of the lab's processes (MID, simulator, instance stand-in) runs.
    pub running: bool,
}

/// The registry in one state folder.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
    /// Under sudo: the invoking user's ids, to whom new files are handed.
    chown_to: Option<(u32, u32)>,
}

impl Registry {
    /// The invoking user's registry (see the module doc).
    pub fn for_invoking_user() -> anyhow::Result<Registry> {
        let StateOwner { dir, chown_to } = private_fs::invoking_state()?;
        Ok(Registry { dir, chown_to })
    }

    /// A registry kept in `dir` (tests, and `CreateOptions::registry_dir`).
    pub fn in_dir(dir: &Path) -> Registry {
        Registry {
            dir: dir.to_path_buf(),
            chown_to: None,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(REGISTRY_FILE)
    }

    /// Record the lab at `root` (replacing an older record of the same folder) and forget
    /// records of labs that no longer exist.
    pub fn register(&self, root: &Path, scenario: &str) -> anyhow::Result<()> {
        let root =
            std::fs::canonicalize(root).with_context(|| format!("resolving {}", root.display()))?;
        private_fs::ensure_owned_dir(&self.dir, self.chown_to)?;
        let lock = self.lock()?;
        let mut file = self.read_file()?;
        file.labs
            .retain(|e| e.root != root && e.root.join(LAB_FILE).is_file());
        file.labs.push(Entry {
            root,
            scenario: scenario.to_string(),
            created_at: chrono::Local::now().to_rfc3339(),
        });
        let res = self.write_file(&file);
        let _ = fs4::FileExt::unlock(&lock);
        res
    }

    /// Every recorded lab (an absent registry is an empty one).
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        Ok(self.read_file()?.labs)
    }

    /// Whether `root` (any spelling of it) is a recorded lab.
    pub fn contains(&self, root: &Path) -> anyhow::Result<bool> {
        let Ok(root) = std::fs::canonicalize(root) else {
            return Ok(false);
        };
        Ok(self.entries()?.iter().any(|e| e.root == root))
    }

    fn lock(&self) -> anyhow::Result<std::fs::File> {
        let p = self.dir.join("labs.lock");
        let f = match private_fs::create_private_file(&p) {
            Ok(f) => {
                self.hand_over(&p)?;
                f
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => open_checked(
                &p,
                self.allowed_owners(),
                std::fs::OpenOptions::new().append(true),
            )?,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", p.display())),
        };
        fs4::FileExt::lock(&f).with_context(|| format!("locking {}", p.display()))?;
        Ok(f)
    }

    fn read_file(&self) -> anyhow::Result<File> {
        let p = self.path();
        let mut f = match open_checked(
            &p,
            self.allowed_owners(),
            std::fs::OpenOptions::new().read(true),
        ) {
            Ok(f) => f,
            Err(e)
                if e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) =>
            {
                return Ok(File::default());
            }
            Err(e) => return Err(e),
        };
        let mut text = String::new();
        f.read_to_string(&mut text)
            .with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", p.display()))
    }

    fn write_file(&self, file: &File) -> anyhow::Result<()> {
        let p = self.path();
        let tmp = self
            .dir
            .join(format!("{REGISTRY_FILE}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        private_fs::write_private_file(&tmp, serde_json::to_string_pretty(file)?.as_bytes())?;
        self.hand_over(&tmp)?;
        std::fs::rename(&tmp, &p).with_context(|| format!("replacing {}", p.display()))
    }

    fn hand_over(&self, p: &Path) -> anyhow::Result<()> {
        #[cfg(unix)]
        if let Some((uid, gid)) = self.chown_to {
            private_fs::chown_nofollow(p, uid, gid)?;
        }
        let _ = p;
        Ok(())
    }

    fn allowed_owners(&self) -> Vec<u32> {
        let mut v = vec![current_uid()];
        if let Some((uid, _)) = self.chown_to {
            v.push(uid);
        }
        v
    }
}

/// Open `path` without following a symlink, and check (Unix) that it is a plain file owned by
/// one of `owners` that nobody else may read or write.
fn open_checked(
    path: &Path,
    owners: Vec<u32>,
    opts: &mut std::fs::OpenOptions,
) -> anyhow::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    let f = opts.open(path)?;
    let md = f.metadata()?;
    if !md.is_file() {
        bail!("{} is not a plain file", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !owners.contains(&md.uid()) || md.mode() & 0o077 != 0 {
            bail!(
                "refusing {}: owned by uid {} with mode {:o}; it must be private to you",
                path.display(),
                md.uid(),
                md.mode() & 0o7777
            );
        }
    }
    let _ = owners;
    Ok(f)
}

fn current_uid() -> u32 {
    #[cfg(unix)]
    {
        nix::unistd::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// The labs in the invoking user's registry, with whether each runs. Labs whose folder is gone
/// are left out.
pub fn list() -> anyhow::Result<Vec<Listed>> {
    list_in(&Registry::for_invoking_user()?)
}

/// As [`list`], for one registry.
pub fn list_in(reg: &Registry) -> anyhow::Result<Vec<Listed>> {
    Ok(reg
        .entries()?
        .into_iter()
        .filter_map(|e| {
            let info = super::read_lab_info(&e.root).ok()?;
            let running = [info.mid_pid, info.simulator_pid, info.instance_pid]
                .into_iter()
                .flatten()
                .any(|pid| super::state::is_lab_process(pid, &e.root));
            Some(Listed {
                root: e.root,
                scenario: e.scenario,
                running,
            })
        })
        .collect())
}

static EXPLICIT_LAB: OnceLock<PathBuf> = OnceLock::new();

/// Remember the `--lab DIR` the operator named (once, at start-up).
pub fn set_explicit_lab(dir: &Path) {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let _ = EXPLICIT_LAB.set(dir);
}

/// How an install relates to the labs midrescue made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCheck {
    /// No lab file beside the install.
    NotALab,
    /// A lab midrescue made (registered or named with `--lab`): lab mode applies.
    Lab(PathBuf),
    /// A lab file that is not trusted: treat the install as real, and say why.
    Ignored { lab_file: PathBuf, why: String },
}

/// Decide lab mode for the install in `agent_dir` with the invoking user's registry and the
/// `--lab` folder named at start-up.
pub fn check_install(agent_dir: &Path) -> LabCheck {
    let reg = Registry::for_invoking_user();
    check_install_with(
        agent_dir,
        reg.as_ref().ok(),
        EXPLICIT_LAB.get().map(|p| p.as_path()),
    )
}

/// As [`check_install`], with the registry and explicit folder given.
pub fn check_install_with(
    agent_dir: &Path,
    registry: Option<&Registry>,
    explicit: Option<&Path>,
) -> LabCheck {
    let Some(root) = agent_dir.parent() else {
        return LabCheck::NotALab;
    };
    let lab_file = root.join(LAB_FILE);
    if std::fs::symlink_metadata(&lab_file).is_err() {
        return LabCheck::NotALab;
    }
    let ignored = |why: String| LabCheck::Ignored {
        lab_file: lab_file.clone(),
        why,
    };
    let Ok(canon) = std::fs::canonicalize(root) else {
        return ignored("its folder cannot be resolved".into());
    };
    let named = explicit.is_some_and(|e| {
        std::fs::canonicalize(e).is_ok_and(|e| e == canon) || e == canon.as_path()
    });
    let registered = match registry.map(|r| r.contains(&canon)) {
        Some(Ok(b)) => b,
        Some(Err(e)) => return ignored(format!("the lab registry is unreadable: {e:#}")),
        None => false,
    };
    if !named && !registered {
        return ignored(
            "midrescue did not make this lab (not in your lab registry, not named with --lab)"
                .into(),
        );
    }
    let owners = registry
        .map(|r| r.allowed_owners())
        .unwrap_or_else(|| vec![current_uid()]);
    if let Err(why) = owned_and_private(&canon, &owners)
        .and_then(|()| owned_and_private(&canon.join(LAB_FILE), &owners))
    {
        return ignored(why);
    }
    LabCheck::Lab(canon)
}

/// The lab root and its lab file must belong to the user (or root) and be writable by nobody
/// else, or another account could swap what lab mode runs.
fn owned_and_private(p: &Path, owners: &[u32]) -> Result<(), String> {
    let md = std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
    if md.file_type().is_symlink() {
        return Err(format!("{} is a symbolic link", p.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !(owners.contains(&md.uid()) || md.uid() == 0) {
            return Err(format!(
                "{} belongs to uid {}, not to you",
                p.display(),
                md.uid()
            ));
        }
        if md.mode() & 0o022 != 0 {
            return Err(format!("others may write to {}", p.display()));
        }
    }
    let _ = owners;
    Ok(())
}

/// The loopback instance URL of a lab midrescue made (its instance stand-in), for the
/// instance check's one plain-HTTP exception.
pub fn lab_instance_url(lab_root: &Path) -> Option<String> {
    super::read_lab_info(lab_root).ok()?.instance?.url
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn fake_lab(dir: &Path) -> PathBuf {
        let agent = dir.join("agent");
        std::fs::create_dir_all(&agent).unwrap();
        std::fs::write(
            dir.join(LAB_FILE),
            r#"{"scenario":"healthy","platform":"linux"}"#,
        )
        .unwrap();
        agent
    }

    #[test]
    fn only_registered_or_named_labs_are_labs() {
        let state = tempfile::tempdir().unwrap();
        let reg = Registry::in_dir(state.path());
        let lab = tempfile::tempdir().unwrap();
        let agent = fake_lab(lab.path());
        assert!(matches!(
            check_install_with(&agent, Some(&reg), None),
            LabCheck::Ignored { .. }
        ));
        assert!(matches!(
            check_install_with(&agent, Some(&reg), Some(lab.path())),
            LabCheck::Lab(_)
        ));
        reg.register(lab.path(), "healthy").unwrap();
        let canon = std::fs::canonicalize(lab.path()).unwrap();
        assert_eq!(
            check_install_with(&agent, Some(&reg), None),
            LabCheck::Lab(canon.clone())
        );
        let l = list_in(&reg).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].root.clone(), l[0].running), (canon, false));
        let no_lab = tempfile::tempdir().unwrap();
        std::fs::create_dir(no_lab.path().join("agent")).unwrap();
        assert_eq!(
            check_install_with(&no_lab.path().join("agent"), Some(&reg), None),
            LabCheck::NotALab
        );
    }

    #[test]
    fn registry_is_private_and_forgets_removed_labs() {
        use std::os::unix::fs::MetadataExt;
        let state = tempfile::tempdir().unwrap();
        let reg = Registry::in_dir(&state.path().join("midrescue"));
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        fake_lab(a.path());
        fake_lab(b.path());
        reg.register(a.path(), "x").unwrap();
        reg.register(b.path(), "y").unwrap();
        reg.register(a.path(), "x2").unwrap();
        assert_eq!(reg.entries().unwrap().len(), 2);
        let md = std::fs::metadata(reg.path()).unwrap();
        assert_eq!(md.mode() & 0o777, 0o600);
        let dmd = std::fs::metadata(state.path().join("midrescue")).unwrap();
        assert_eq!(dmd.mode() & 0o777, 0o700);
        std::fs::remove_file(b.path().join(LAB_FILE)).unwrap();
        let c = tempfile::tempdir().unwrap();
        fake_lab(c.path());
        reg.register(c.path(), "z").unwrap();
        let names: Vec<String> = reg
            .entries()
            .unwrap()
            .into_iter()
            .map(|e| e.scenario)
            .collect();
        assert_eq!(names, vec!["x2", "z"]);
    }
}
