//! midrescue: rescue a ServiceNow MID Server whose auto-upgrade crashed midway.
//!
//! Layers, top to bottom (see README "Architecture"); each uses only layers below it:
//! `cli` (arguments), `commands` (one thin face per subcommand), `app` (the wizard's runtime:
//! terminal, event loop, effects to engine calls), `wizard` (the pure state machine), `ui`
//! (drawing), `host` (the composition root: platform, service control, lab or not), `recovery`
//! (the one recovery engine: plan, policy, session, bundles), `bundle` (the support zip),
//! `lab` (practice installs), `mid` (MID Server knowledge and the diagnosis), `follow` (tailing files without holding them open), `platform` (host primitives), and the
//! leaves `redact` (the one secret-masking rule set) and `sanitize` (untrusted text made safe
//! for a terminal).

pub mod app;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod course;
pub mod follow;
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing;
pub mod host;
pub mod lab;
pub mod mid;
pub mod platform;
pub mod preflight;
pub mod recovery;
pub mod redact;
pub mod sanitize;
pub mod ui;
pub mod wizard;
