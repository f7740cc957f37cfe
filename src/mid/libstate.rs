//! The state of `agent/lib`: intact, partial (the upgrade stopped halfway through replacing
//! it) or missing. Compared with the extracted package's lib in the temp folder when there is
//! one; else judged by its contents.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::mid::report::LibState;

/// Below this many jars, a lib without a package to compare with counts as partial.
const MIN_JARS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibCheck {
    pub state: LibState,
    pub files: usize,
    /// Files the package has and agent/lib lacks (sorted).
    pub missing: Vec<String>,
    /// The package lib compared with, if any.
    pub compared_with: Option<PathBuf>,
}

fn file_names(dir: &Path) -> Option<BTreeSet<String>> {
    let rd = std::fs::read_dir(dir).ok()?;
    Some(
        rd.filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
    )
}

/// An extracted package's `agent/lib` (or `lib` holding jars) inside the upgrade temp folder.
pub fn package_lib(temp_dir: &Path) -> Option<PathBuf> {
    walkdir::WalkDir::new(temp_dir)
        .follow_links(false)
        .max_depth(4)
        .into_iter()
        .filter_entry(|e| e.file_name() != "upgrade-wrapper")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.file_name() == "lib")
        .map(|e| e.into_path())
        .find(|p| file_names(p).is_some_and(|n| n.iter().any(|f| f.ends_with(".jar"))))
}

/// Judge `agent/lib`.
pub fn check_lib(agent_dir: &Path, temp_dir: Option<&Path>) -> LibCheck {
    let have = file_names(&agent_dir.join("lib")).unwrap_or_default();
    let package = temp_dir.and_then(package_lib);
    if have.is_empty() {
        return LibCheck {
            state: LibState::Missing,
            files: 0,
            missing: Vec::new(),
            compared_with: package,
        };
    }
    if let Some(pkg) = package {
        let want = file_names(&pkg).unwrap_or_default();
        let missing: Vec<String> = want.difference(&have).cloned().collect();
        return LibCheck {
            state: if missing.is_empty() {
                LibState::Intact
            } else {
                LibState::Partial
            },
            files: have.len(),
            missing,
            compared_with: Some(pkg),
        };
    }
    let jars = have.iter().filter(|n| n.ends_with(".jar")).count();
    LibCheck {
        state: if jars < MIN_JARS {
            LibState::Partial
        } else {
            LibState::Intact
        },
        files: have.len(),
        missing: Vec::new(),
        compared_with: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        std::fs::create_dir_all(agent.join("lib")).unwrap();
        assert_eq!(check_lib(&agent, None).state, LibState::Missing);
        std::fs::write(agent.join("lib/a.jar"), "").unwrap();
        assert_eq!(check_lib(&agent, None).state, LibState::Partial);
        let pkg = d.path().join("tmp/123/agent/lib");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("a.jar"), "").unwrap();
        let c = check_lib(&agent, Some(&d.path().join("tmp/123")));
        assert_eq!(c.state, LibState::Intact);
        std::fs::write(pkg.join("b.jar"), "").unwrap();
        let c = check_lib(&agent, Some(&d.path().join("tmp/123")));
        assert_eq!(
            (c.state, c.missing),
            (LibState::Partial, vec!["b.jar".to_string()])
        );
    }
}
