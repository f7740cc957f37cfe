//! The training course: an ordered list of lab scenarios (`plan`), each attempt scored from
//! what the trainee did as the wizard recorded it (`score`), and the trainer's report
//! (`report`). Pure: no terminal, no files but the course file's text handed in.

pub mod plan;
pub mod report;
pub mod score;
