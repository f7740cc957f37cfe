//! `midrescue detect`.

use std::path::Path;

use crate::cli::{DetectArgs, EXIT_FAILED};

pub fn run(_agent_dir: Option<&Path>, _args: &DetectArgs) -> anyhow::Result<u8> {
    eprintln!("midrescue detect: not built yet in this version.");
    Ok(EXIT_FAILED)
}
