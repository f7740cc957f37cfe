//! The checks, one function each, grouped by what they look at. Each returns an `Outcome`;
//! `run_one` maps a `CheckId` to its function.

mod config;
mod files;
mod service;
mod temp;

use std::path::{Path, PathBuf};

use super::{CheckId, Facts, Options, Outcome, Status};
use crate::mid::config::MidConfig;
use crate::mid::release::Release;
use crate::mid::report::Evidence;
use crate::platform::service::{ServiceSetup, ServiceStatus};

/// What every check may need, read once.
pub(crate) struct Context<'a> {
    pub agent: PathBuf,
    pub facts: &'a dyn Facts,
    pub opts: &'a Options,
    pub config: MidConfig,
    /// Why config.xml could not be read, when it could not.
    pub config_error: Option<String>,
    pub installed: Option<String>,
    pub release: Option<Release>,
    pub status: ServiceStatus,
    pub setup: ServiceSetup,
}

impl<'a> Context<'a> {
    pub fn read(agent_dir: &Path, facts: &'a dyn Facts, opts: &'a Options) -> Self {
        let (config, config_error) =
            match crate::mid::config::read_config(&agent_dir.join("config.xml")) {
                Ok(c) => (c, None),
                Err(e) => (MidConfig::default(), Some(format!("{e:#}"))),
            };
        let installed = crate::mid::versions::installed_version(agent_dir);
        let release = installed.as_deref().and_then(Release::of_buildstamp);
        Context {
            agent: agent_dir.to_path_buf(),
            facts,
            opts,
            config,
            config_error,
            installed,
            release,
            status: facts.service().query(),
            setup: facts.service().setup(),
        }
    }

    pub fn windows(&self) -> bool {
        self.facts.platform() == crate::platform::Platform::Windows
    }

    /// Where the next upgrade extracts its package (mid-server.md §5.1), and why there.
    pub fn temp_location(&self) -> (PathBuf, String) {
        let os = self.config.use_os_temp_folder == Some(true);
        match self.release {
            Some(r) if r < Release::ROME => (
                self.facts.os_temp_dir(),
                format!("{} is before Rome: the OS temp folder", r.name()),
            ),
            _ if os => (
                self.facts.os_temp_dir(),
                "mid.upgrade.use_os_temp_folder=true: the OS temp folder".into(),
            ),
            Some(r) => (
                self.agent.join("work").join("upgrade_temp"),
                format!("{} is Rome or later: agent/work/upgrade_temp", r.name()),
            ),
            None => (
                self.agent.join("work").join("upgrade_temp"),
                "installed version unknown: assuming Rome or later (agent/work/upgrade_temp)"
                    .into(),
            ),
        }
    }

    /// The account the service runs as, with where it was read.
    pub fn account(&self) -> Option<(String, String)> {
        let a = self.setup.account.clone()?;
        Some((
            a,
            self.setup
                .account_source
                .clone()
                .unwrap_or_else(|| "the service".into()),
        ))
    }
}

/// Evidence that is a fact, not a line of a file.
pub(crate) fn fact(file: &Path, text: impl Into<String>) -> Evidence {
    Evidence {
        file: file.to_path_buf(),
        line: 0,
        text: text.into(),
    }
}

pub(crate) fn said(text: impl Into<String>) -> Evidence {
    Evidence {
        file: PathBuf::new(),
        line: 0,
        text: text.into(),
    }
}

pub(crate) fn outcome(status: Status, message: impl Into<String>) -> Outcome {
    Outcome {
        status,
        message: message.into(),
        evidence: Vec::new(),
        fix: String::new(),
    }
}

impl Outcome {
    pub(crate) fn with(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }
    pub(crate) fn with_all(mut self, e: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(e);
        self
    }
    pub(crate) fn fix(mut self, f: impl Into<String>) -> Self {
        self.fix = f.into();
        self
    }
}

pub(crate) fn run_one(id: CheckId, cx: &Context<'_>) -> Outcome {
    match id {
        CheckId::FilesHeldOpen => files::held_open(cx),
        CheckId::TempFolderWritable => temp::writable(cx),
        CheckId::TempMountExec => temp::mount_exec(cx),
        CheckId::TempFreeSpace => temp::free_space(cx),
        CheckId::ServiceUserRights => service::user_rights(cx),
        CheckId::ServiceStartType => service::start_type(cx),
        CheckId::SystemdKillMode => service::kill_mode(cx),
        CheckId::WrapperServiceName => service::wrapper_name(cx),
        CheckId::MidNameUnique => config::name_unique(cx),
        CheckId::PinnedVersion => config::pinned(cx),
        CheckId::PrecheckDisabled => config::precheck(cx),
        CheckId::IncomingPackages => config::incoming(cx),
        CheckId::ScriptsTrusted => files::scripts(cx),
        CheckId::LeftoverUpgrade => files::leftover(cx),
    }
}
