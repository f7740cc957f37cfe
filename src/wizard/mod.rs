//! The wizard state machine: `Model`, `Msg`, `Effect`, a pure `update()`, the keymap.
//!
//! Nothing here does I/O, spawns tasks or reads the clock: time arrives as `Msg::Tick(now)`, and
//! finished work arrives as messages that carry the run id of the effect that asked for it.

pub mod effect;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod pane;
pub mod update;

pub use effect::{Effect, JournalEntry};
pub use keymap::{Action, Binding};
pub use model::{Ending, Model, Overlay, Step};
pub use msg::{Key, Msg};
pub use update::update;

/// Identifies one requested piece of work; results carrying another id are stale and ignored.
pub type RunId = u64;

/// A moment, as the runtime saw it.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
