//! The default command: the full-screen wizard.

use std::path::Path;

use crate::cli::{EXIT_FAILED, WizardArgs};

pub fn run(_args: &WizardArgs, _log_path: Option<&Path>) -> anyhow::Result<u8> {
    eprintln!(
        "midrescue: the full-screen wizard is not built yet in this version.\n\
         Use the subcommands: midrescue detect | collect | resume (see --help)."
    );
    Ok(EXIT_FAILED)
}
