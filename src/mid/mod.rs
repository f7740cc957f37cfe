//! MID Server knowledge: install layout, config.xml, log line formats, the upgrade temp folder
//! and marker, versions, failure signatures, and the diagnosis. Reads files; never spawns,
//! draws or writes.

pub mod milestones;
pub mod report;
