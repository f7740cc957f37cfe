//! MID Server knowledge: install layout, config.xml, log line formats, the upgrade temp folder
//! and marker, versions, failure signatures, and the diagnosis. Reads files; never draws or
//! writes (detect runs the service control's status queries through `Host`).

pub mod advice;
pub mod config;
pub mod confs;
pub mod detect;
pub mod diagnosis;
pub mod evidence;
pub mod install;
pub mod libstate;
pub mod locate;
pub mod logline;
pub mod logscan;
pub mod milestones;
pub mod outcome;
pub mod ownership;
pub mod release;
pub mod report;
pub mod revlines;
pub mod signatures;
pub mod smallfile;
pub mod tempdir;
pub mod versions;
