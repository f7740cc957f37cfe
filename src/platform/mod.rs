//! The host: which OS family the MID runs on, service control, running commands.
//!
//! The platform is a runtime value so that the Windows command specs and parsers compile and are
//! tested on Linux with fixture outputs.

pub mod access;
pub mod detach;
pub mod exec;
pub mod holders;
pub mod instance;
pub mod mounts;
pub mod paths;
pub mod private_fs;
pub mod privilege;
pub mod provenance;
pub mod service;
pub mod spawn;
pub mod system_tool;

use serde::{Deserialize, Serialize};

/// `Display` as the JSON name (`snake_case`), so text output and JSON always agree.
macro_rules! display_as_json_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(s)) => f.write_str(&s),
                    _ => write!(f, "{self:?}"),
                }
            }
        }
    )*};
}
pub(crate) use display_as_json_name;

/// The OS family of a MID Server host (or of a lab that imitates one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Windows,
    Linux,
}

impl Platform {
    /// The platform this binary was built for.
    pub fn host() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Linux
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Linux => "linux",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
