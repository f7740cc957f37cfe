//! Runtime: the terminal guard, the event loop, the effect runner (effects become engine calls,
//! engine events become messages), signals. No recovery decision is made here.
//!
//! One channel of `Msg`s: keys and resizes (crossterm EventStream), a 1 s tick for the clock,
//! SIGTERM/SIGHUP/SIGINT, and the results of effects. The loop drains every pending message,
//! then draws once if the model changed, so a burst of log lines costs one frame.

pub mod clipboard;
pub mod keys;
pub mod runner;
pub mod scorecard;
pub mod session;
pub mod summary;
pub mod terminal;

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::ui::{self, Theme};
use crate::wizard::model::Options;
use crate::wizard::{Model, Msg, update};

pub use runner::RunnerConfig;
pub use summary::Summary;

pub struct AppConfig {
    pub opts: Options,
    pub theme: Theme,
    pub installs: Vec<PathBuf>,
    pub runner: RunnerConfig,
    pub log_file: Option<PathBuf>,
}

/// Run the wizard until the operator leaves; returns the summary to print.
pub fn run(cfg: AppConfig) -> anyhow::Result<Summary> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(main_loop(cfg));
    // Blocking tasks (a bundle being written) must not keep us: the summary says what is done.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn main_loop(cfg: AppConfig) -> anyhow::Result<Summary> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut guard = terminal::TerminalGuard::enter()?;
    let mut model = Model::new(cfg.opts, chrono::Utc::now());
    let size = guard.terminal.size()?;
    update(
        &mut model,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    let runner = runner::Runner::new(cfg.runner.clone(), tx.clone());
    let first = crate::wizard::update::start(&mut model, cfg.installs);
    let mut quit = runner.run_all(first) == runner::Flow::Quit;

    spawn_input(tx.clone());
    spawn_ticks(tx.clone());
    spawn_signals(tx.clone());

    while !quit {
        if model.dirty {
            let mut limits = None;
            guard
                .terminal
                .draw(|f| limits = Some(ui::draw(f, &model, &cfg.theme)))?;
            model.dirty = false;
            // What the frame measured goes back to the model (scroll counters stop at the end).
            if let Some(l) = limits
                && model.scroll_limits != Some(l)
            {
                let _ = update(&mut model, Msg::ScrollLimits(l));
            }
        }
        let Some(first) = rx.recv().await else { break };
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        for msg in batch {
            let fx = update(&mut model, msg);
            if runner.run_all(fx) == runner::Flow::Quit {
                quit = true;
            }
        }
    }
    runner.shutdown();
    drop(guard);
    let paths = summary::Paths {
        journal: cfg.runner.journal_path.clone(),
        log_file: cfg.log_file,
        outputs: runner.tee_paths(),
    };
    Ok(summary::build(&model, &paths))
}

fn spawn_input(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        // A terminal that hung up before input started: crossterm's EventStream panics when it
        // cannot open its input source, while `poll` reports the same as an error.
        if let Err(e) = crossterm::event::poll(Duration::ZERO) {
            tracing::error!("terminal input: {e}");
            let _ = tx.send(Msg::Terminate);
            return;
        }
        let mut events = crossterm::event::EventStream::new();
        while let Some(ev) = events.next().await {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::error!("terminal input: {e}");
                    let _ = tx.send(Msg::Terminate);
                    return;
                }
            };
            if let Some(msg) = keys::to_msg(&ev) {
                // Journal entries take the key's own time.
                if matches!(msg, Msg::Key(_)) {
                    let _ = tx.send(Msg::Tick(chrono::Utc::now()));
                }
                if tx.send(msg).is_err() {
                    return;
                }
            }
        }
    });
}

fn spawn_ticks(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if tx.send(Msg::Tick(chrono::Utc::now())).is_err() {
                return;
            }
        }
    });
}

#[cfg(unix)]
fn spawn_signals(tx: mpsc::UnboundedSender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ] {
        let tx = tx.clone();
        match signal(kind) {
            Ok(mut s) => {
                tokio::spawn(async move {
                    if s.recv().await.is_some() {
                        let _ = tx.send(Msg::Terminate);
                    }
                });
            }
            Err(e) => tracing::warn!("cannot watch signal {kind:?}: {e}"),
        }
    }
}

#[cfg(not(unix))]
fn spawn_signals(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Msg::Terminate);
        }
    });
}
