//! `midrescue collect`.

use std::path::Path;

use crate::cli::{CollectArgs, EXIT_FAILED};

pub fn run(_agent_dir: Option<&Path>, _args: &CollectArgs) -> anyhow::Result<u8> {
    eprintln!("midrescue collect: not built yet in this version.");
    Ok(EXIT_FAILED)
}
