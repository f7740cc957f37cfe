//! The trainer's report of a course: one row per scenario (outcome, time, mistakes, hints), as
//! Markdown to read and JSON to keep.

use serde::Serialize;

use super::score::{Expected, Outcome, Score};

/// A finished (or abandoned) course.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
    /// RFC 3339 time the course started.
    pub started_at: String,
    pub hints_on: bool,
    pub scores: Vec<Score>,
    /// Scenarios of the course not attempted (the trainee left early).
    pub not_attempted: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.scores.iter().filter(|s| s.passed).count()
    }

    pub fn mistakes(&self) -> usize {
        self.scores.iter().map(|s| s.mistakes.len()).sum()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\nStarted {}; hints {}. Passed {} of {} scenarios; {} mistakes.\n\n",
            self.title,
            self.started_at,
            if self.hints_on { "on" } else { "off" },
            self.passed(),
            self.scores.len() + self.not_attempted.len(),
            self.mistakes()
        );
        out.push_str("| scenario | result | expected | outcome | time | mistakes | hints |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for s in &self.scores {
            let mistakes = mistakes_text(s);
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                s.scenario,
                if s.passed { "PASS" } else { "FAIL" },
                expected_text(s.expected),
                outcome_text(s.outcome),
                duration(s.seconds),
                mistakes,
                hints_text(s)
            ));
        }
        for n in &self.not_attempted {
            out.push_str(&format!("| {n} | not attempted | | | | | |\n"));
        }
        out
    }
}

pub fn expected_text(e: Expected) -> String {
    match e {
        Expected::Up => "Up".into(),
        Expected::FixFirst => "fix the cause before re-running again".into(),
        Expected::StopAt { verdict } => format!("stop at {verdict}"),
    }
}

pub fn outcome_text(o: Outcome) -> String {
    match o {
        Outcome::Up => "Up".into(),
        Outcome::Failed { timed_out: true } => "not Up in time".into(),
        Outcome::Failed { timed_out: false } => "failed".into(),
        Outcome::Stopped { verdict } => format!("stopped at {verdict}"),
        Outcome::Left => "left before the end".into(),
    }
}

/// The mistakes in words, `none` when there were none.
pub fn mistakes_text(s: &Score) -> String {
    if s.mistakes.is_empty() {
        return "none".into();
    }
    s.mistakes
        .iter()
        .map(|m| m.text())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn hints_text(s: &Score) -> String {
    match (s.hints_on, s.hints_opened) {
        (true, _) => "on".into(),
        (false, 0) => "none".into(),
        (false, n) => format!("{n} opened"),
    }
}

/// `12m 05s`.
pub fn duration(secs: i64) -> String {
    format!("{}m {:02}s", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::score::Mistake;
    use crate::mid::report::Verdict;

    fn report() -> Report {
        Report {
            title: "Week 1".into(),
            started_at: "2026-12-07T03:00:00Z".into(),
            hints_on: false,
            scores: vec![
                Score {
                    scenario: "file-lock-timeout".into(),
                    expected: Expected::Up,
                    outcome: Outcome::Up,
                    passed: true,
                    seconds: 125,
                    mistakes: vec![],
                    hints_on: false,
                    hints_opened: 0,
                },
                Score {
                    scenario: "antivirus-access-denied".into(),
                    expected: Expected::Up,
                    outcome: Outcome::Stopped {
                        verdict: Verdict::TempFolderLost,
                    },
                    passed: false,
                    seconds: 61,
                    mistakes: vec![Mistake::StartedService],
                    hints_on: false,
                    hints_opened: 2,
                },
            ],
            not_attempted: vec!["healthy".into()],
        }
    }

    #[test]
    fn markdown_has_one_row_per_scenario_with_its_mistakes() {
        let md = report().markdown();
        assert!(md.contains("Passed 1 of 3 scenarios; 1 mistakes"), "{md}");
        assert!(
            md.contains("| file-lock-timeout | PASS | Up | Up | 2m 05s | none | none |"),
            "{md}"
        );
        assert!(md.contains("| antivirus-access-denied | FAIL |"), "{md}");
        assert!(md.contains("started the MID service"), "{md}");
        assert!(md.contains("2 opened"), "{md}");
        assert!(md.contains("| healthy | not attempted |"), "{md}");
    }

    #[test]
    fn json_keeps_the_same_facts() {
        let v: serde_json::Value = serde_json::from_str(&report().json()).unwrap();
        assert_eq!(v["scores"][1]["mistakes"][0], "started_service");
        assert_eq!(v["scores"][1]["outcome"]["kind"], "stopped");
        assert_eq!(v["scores"][1]["outcome"]["verdict"], "temp_folder_lost");
        assert_eq!(v["scores"][0]["seconds"], 125);
        assert_eq!(v["not_attempted"][0], "healthy");
    }
}
