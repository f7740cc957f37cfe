//! The async helper: a tokio task polls a [`Follower`] on an interval and sends batches on a
//! channel (used by the wizard). The polling itself is blocking file I/O, so it runs on the
//! blocking pool, one poll at a time.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Batch, Follower};

/// A running follow task. Dropping the receiver (or calling `stop`) ends it.
#[derive(Debug)]
pub struct FollowHandle {
    pub batches: mpsc::Receiver<Batch>,
    task: JoinHandle<()>,
}

impl FollowHandle {
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Start polling `follower` every `config().poll_interval` on the current tokio runtime.
pub fn spawn(follower: Follower) -> FollowHandle {
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(run(follower, tx));
    FollowHandle { batches: rx, task }
}

async fn run(mut follower: Follower, tx: mpsc::Sender<Batch>) {
    let mut tick = tokio::time::interval(follower.config().poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if tx.is_closed() {
            return;
        }
        let polled = tokio::task::spawn_blocking(move || {
            let batches = follower.poll();
            (follower, batches)
        })
        .await;
        let batches;
        (follower, batches) = match polled {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("follow task: poll panicked: {e}");
                return;
            }
        };
        for b in batches {
            if tx.send(b).await.is_err() {
                return;
            }
        }
    }
}
