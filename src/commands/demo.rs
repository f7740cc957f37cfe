//! `midrescue demo`.

use std::path::Path;

use crate::cli::{DemoArgs, EXIT_FAILED};

pub fn run(_args: &DemoArgs, _log_path: Option<&Path>) -> anyhow::Result<u8> {
    eprintln!("midrescue demo: not built yet in this version.");
    Ok(EXIT_FAILED)
}
