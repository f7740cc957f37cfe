//! midrescue: rescue a ServiceNow MID Server whose auto-upgrade crashed midway.
//!
//! Layers (see README "Architecture"): `mid` knows the MID Server, `platform` knows the host,
//! `bundle` builds the support zip, `redact` is the one secret-masking rule set (a leaf every
//! layer may call), `follow` tails files without holding them open, `lab` builds
//! practice installs, `wizard` is the pure state machine, `ui` draws it, `app` runs it, and
//! `commands` glue the engine to the subcommands.

pub mod app;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod follow;
pub mod host;
pub mod lab;
pub mod mid;
pub mod platform;
pub mod redact;
pub mod ui;
pub mod wizard;
