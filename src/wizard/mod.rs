//! The wizard state machine: `Model`, `Msg`, `Effect`, a pure `update()`, the keymap.
