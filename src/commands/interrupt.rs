//! Ctrl-C for commands that run without the wizard: the first one asks the engine to stop
//! (through its cancel flag) so that nothing half-written is left behind; a second one quits
//! at once, for an engine stuck in a read that never returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::EXIT_INTERRUPTED;

/// Watch for Ctrl-C (SIGINT, or the console's Ctrl-C on Windows) on a thread of its own:
/// the first sets `flag` and prints `stopping`; the second exits with [`EXIT_INTERRUPTED`].
/// Without a watcher (no signal support), Ctrl-C keeps its default effect.
pub fn cancel_on_ctrl_c(flag: Arc<AtomicBool>, stopping: &'static str) {
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!("cannot watch Ctrl-C: {e}");
                    return;
                }
            };
            rt.block_on(async {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                flag.store(true, Ordering::Relaxed);
                eprintln!("\n{stopping}");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot watch Ctrl-C: {e}");
    }
}
