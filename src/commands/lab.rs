//! `midrescue lab ...`.

use crate::cli::{EXIT_FAILED, LabCommand};

pub fn run(_cmd: &LabCommand) -> anyhow::Result<u8> {
    eprintln!("midrescue lab: not built yet in this version.");
    Ok(EXIT_FAILED)
}
