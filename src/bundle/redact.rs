//! Redaction for the bundle is the one shared rule set of [`crate::redact`] (also used for
//! `detect`'s evidence, the wizard's live panes and `resume`'s lines); re-exported here so the
//! bundle's modules name it where they always did.

pub use crate::redact::*;
