//! "Is this a MID Server install?" and which OS layout it has. Tolerant: any one of the usual
//! files is enough, because a crashed upgrade may have deleted the others.

use std::path::{Path, PathBuf};

use crate::platform::Platform;

/// The marks of a MID `agent` folder that were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallMarks {
    pub config_xml: bool,
    pub wrapper_conf: bool,
    pub scripts: bool,
    pub agent_log: bool,
}

impl InstallMarks {
    pub fn any(&self) -> bool {
        self.config_xml || self.wrapper_conf || self.scripts || self.agent_log
    }
}

/// Look for config.xml, conf/wrapper.conf, bin/mid.sh|mid.bat|wrapper-*, logs/agent0.log.*.
pub fn install_marks(dir: &Path) -> InstallMarks {
    let bin_names = list_names(&dir.join("bin"));
    let log_names = list_names(&dir.join("logs"));
    InstallMarks {
        config_xml: dir.join("config.xml").is_file(),
        wrapper_conf: dir.join("conf/wrapper.conf").is_file()
            || dir.join("conf/wrapper-override.conf").is_file(),
        scripts: bin_names
            .iter()
            .any(|n| n == "mid.sh" || n == "mid.bat" || n.starts_with("wrapper-")),
        agent_log: log_names.iter().any(|n| n.starts_with("agent0.log")),
    }
}

fn list_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The `agent` folder for a folder the operator named: the folder itself when it looks like
/// one, else its `agent` child when that does. `None` when neither looks like a MID install.
pub fn resolve_agent_dir(dir: &Path) -> Option<PathBuf> {
    if install_marks(dir).any() {
        return Some(dir.to_path_buf());
    }
    let child = dir.join("agent");
    install_marks(&child).any().then_some(child)
}

/// The OS layout of an install from its files: `.bat` or Windows wrapper → Windows, `mid.sh` or
/// Linux wrapper → Linux; `None` when the files do not tell.
pub fn platform_of(agent_dir: &Path) -> Option<Platform> {
    let bin = list_names(&agent_dir.join("bin"));
    if bin
        .iter()
        .any(|n| n.ends_with(".bat") || n.starts_with("wrapper-windows"))
        || agent_dir.join("start.bat").is_file()
    {
        return Some(Platform::Windows);
    }
    if bin
        .iter()
        .any(|n| n == "mid.sh" || n.starts_with("wrapper-linux"))
        || agent_dir.join("start.sh").is_file()
    {
        return Some(Platform::Linux);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_platform() {
        let d = tempfile::tempdir().unwrap();
        let agent = d.path().join("agent");
        assert_eq!(resolve_agent_dir(d.path()), None);
        std::fs::create_dir_all(agent.join("bin")).unwrap();
        std::fs::write(agent.join("bin/mid.bat"), "").unwrap();
        assert_eq!(resolve_agent_dir(d.path()), Some(agent.clone()));
        assert_eq!(resolve_agent_dir(&agent), Some(agent.clone()));
        assert_eq!(platform_of(&agent), Some(Platform::Windows));
    }
}
