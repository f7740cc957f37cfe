//! `midrescue resume`.

use std::path::Path;

use crate::cli::{EXIT_FAILED, ResumeArgs};

pub fn run(_agent_dir: Option<&Path>, _args: &ResumeArgs) -> anyhow::Result<u8> {
    eprintln!("midrescue resume: not built yet in this version.");
    Ok(EXIT_FAILED)
}
