//! Scoring one attempt at a scenario from what the trainee did, as the wizard recorded it
//! (typed acts and the ending, never screen text).

use serde::Serialize;

use crate::lab::{Rerun, Scenario, Stage};
use crate::mid::report::Verdict;
/// When something happened (the wizard's clock; kept here so the wizard can record acts
/// without the course depending on it).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// One thing the trainee did that the score looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// Opened the why panel while hints were off.
    HintOpened,
    /// A support bundle was saved.
    BundleSaved,
    /// The recovery command started (script or wrapper fallback).
    RunStarted,
    /// A re-run started from Done after a failed run.
    Rerun,
    /// The recovery ended failed or not Up in time.
    RunFailed,
    /// LAB ONLY: started the MID service (the classic mistake).
    ServiceStarted,
    /// Left the wizard while the recovery command ran and before its verdict.
    QuitDuringRun,
}

/// How the attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// The MID came back Up.
    Up,
    /// The recovery ran and failed (or was not Up in time).
    Failed { timed_out: bool },
    /// Detect said there was nothing to re-run, with this verdict.
    Stopped { verdict: Verdict },
    /// The trainee left before any ending.
    Left,
}

/// What the trainee did in one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub acts: Vec<(Timestamp, Act)>,
    pub outcome: Outcome,
    /// Hints were on (`--hints`): the why panel was open from the start.
    pub hints_on: bool,
}

/// The right end of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Expected {
    /// Re-run (or watch) until the MID is Up.
    Up,
    /// The re-run fails while its cause lasts: stop at that failure, or fix the cause and re-run
    /// to Up. Re-running again without the fix is the mistake.
    FixFirst,
    /// Do not re-run at all: stop at this verdict and follow its next step.
    StopAt { verdict: Verdict },
}

/// A wrong action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mistake {
    /// Started the MID service: the temp folder and its logs are gone.
    StartedService,
    /// Ran the recovery before saving a support bundle.
    NoBundleBeforeRun,
    /// Re-ran again after a failure whose cause was still there (it failed again).
    RerunWithoutFix,
    /// Left while the recovery command ran.
    QuitDuringRun,
}

impl Mistake {
    pub fn text(self) -> &'static str {
        match self {
            Mistake::StartedService => {
                "started the MID service: the upgrade temp folder and glide-dist-upgrade.log were deleted"
            }
            Mistake::NoBundleBeforeRun => "ran the upgrade before saving a support bundle",
            Mistake::RerunWithoutFix => "re-ran again without fixing the cause first",
            Mistake::QuitDuringRun => "quit while the upgrade was running, before its verdict",
        }
    }
}

/// The score of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub scenario: String,
    pub expected: Expected,
    pub outcome: Outcome,
    /// The trainee reached the scenario's right end without a mistake.
    pub passed: bool,
    pub seconds: i64,
    pub mistakes: Vec<Mistake>,
    pub hints_on: bool,
    /// Times the why panel was opened with hints off.
    pub hints_opened: u32,
}

/// The right end of `sc`, from the scenario's own facts.
pub fn expected(sc: &Scenario) -> Expected {
    match (sc.verdict, sc.rerun) {
        (Verdict::CrashedUpgrade, Rerun::FailsAgain) => Expected::FixFirst,
        (Verdict::CrashedUpgrade | Verdict::UpgradeInProgress, _) => Expected::Up,
        (verdict, _) => Expected::StopAt { verdict },
    }
}

/// Score one attempt.
pub fn score(sc: &Scenario, a: &Attempt) -> Score {
    let has = |act: Act| a.acts.iter().any(|(_, x)| *x == act);
    let first = |act: Act| a.acts.iter().find(|(_, x)| *x == act).map(|(t, _)| *t);
    let mut mistakes = Vec::new();
    if has(Act::ServiceStarted) {
        mistakes.push(Mistake::StartedService);
    }
    if let Some(run) = first(Act::RunStarted) {
        let bundle_first = first(Act::BundleSaved).is_some_and(|b| b <= run);
        if !bundle_first {
            mistakes.push(Mistake::NoBundleBeforeRun);
        }
    }
    // A re-run from Done that failed again: its cause was still there.
    let rerun_failed = a
        .acts
        .iter()
        .skip_while(|(_, x)| *x != Act::Rerun)
        .any(|(_, x)| *x == Act::RunFailed);
    if rerun_failed && matches!(sc.rerun, Rerun::FailsAgain | Rerun::SameConflict) {
        mistakes.push(Mistake::RerunWithoutFix);
    }
    if has(Act::QuitDuringRun) {
        mistakes.push(Mistake::QuitDuringRun);
    }
    let expected = expected(sc);
    let reached = match (expected, a.outcome) {
        (Expected::Up, Outcome::Up) => true,
        (Expected::FixFirst, Outcome::Failed { timed_out: false } | Outcome::Up) => true,
        (Expected::StopAt { verdict }, Outcome::Stopped { verdict: v }) => verdict == v,
        _ => false,
    };
    // Starting the service on a crashed lab leaves it TempFolderLost: never the right end.
    let reached = reached && !(sc.stage == Stage::Crashed && has(Act::ServiceStarted));
    Score {
        scenario: sc.name.to_string(),
        expected,
        outcome: a.outcome,
        passed: reached && mistakes.is_empty(),
        seconds: (a.ended_at - a.started_at).num_seconds().max(0),
        mistakes,
        hints_on: a.hints_on,
        hints_opened: a
            .acts
            .iter()
            .filter(|(_, x)| *x == Act::HintOpened)
            .count()
            .try_into()
            .unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab;
    use chrono::{Duration, TimeZone, Utc};

    fn at(s: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn attempt(acts: &[(i64, Act)], outcome: Outcome) -> Attempt {
        Attempt {
            started_at: at(0),
            ended_at: at(300),
            acts: acts.iter().map(|(s, a)| (at(*s), *a)).collect(),
            outcome,
            hints_on: false,
        }
    }

    fn sc(name: &str) -> &'static Scenario {
        lab::scenario(name).unwrap()
    }

    #[test]
    fn a_clean_recovery_passes() {
        let a = attempt(
            &[(10, Act::BundleSaved), (20, Act::RunStarted)],
            Outcome::Up,
        );
        let s = score(sc("file-lock-timeout"), &a);
        assert!(s.passed, "{s:?}");
        assert_eq!(s.seconds, 300);
        assert!(s.mistakes.is_empty());
    }

    #[test]
    fn running_before_the_bundle_is_a_mistake_even_when_up() {
        let a = attempt(
            &[
                (10, Act::RunStarted),
                (20, Act::BundleSaved),
                (30, Act::HintOpened),
            ],
            Outcome::Up,
        );
        let s = score(sc("file-lock-timeout"), &a);
        assert!(!s.passed);
        assert_eq!(s.mistakes, [Mistake::NoBundleBeforeRun]);
        assert_eq!(s.hints_opened, 1);
    }

    #[test]
    fn starting_the_service_fails_the_scenario() {
        let a = attempt(
            &[(10, Act::ServiceStarted)],
            Outcome::Stopped {
                verdict: Verdict::TempFolderLost,
            },
        );
        let s = score(sc("file-lock-timeout"), &a);
        assert!(!s.passed);
        assert_eq!(s.mistakes, [Mistake::StartedService]);
    }

    #[test]
    fn a_failing_rerun_is_stopped_at_or_fixed_but_not_rerun_blindly() {
        let once = attempt(
            &[
                (10, Act::BundleSaved),
                (20, Act::RunStarted),
                (60, Act::RunFailed),
            ],
            Outcome::Failed { timed_out: false },
        );
        assert!(score(sc("rerun-fails-again"), &once).passed);
        // Fixed (the lock holder stopped), then re-run to Up: also right.
        let fixed = attempt(
            &[
                (10, Act::BundleSaved),
                (20, Act::RunStarted),
                (60, Act::RunFailed),
                (90, Act::Rerun),
                (95, Act::RunStarted),
            ],
            Outcome::Up,
        );
        assert!(score(sc("rerun-fails-again"), &fixed).passed);
        // Re-run with the lock still there: it fails again, and that is the mistake.
        let twice = attempt(
            &[
                (10, Act::BundleSaved),
                (20, Act::RunStarted),
                (60, Act::RunFailed),
                (90, Act::Rerun),
                (95, Act::RunStarted),
                (150, Act::RunFailed),
            ],
            Outcome::Failed { timed_out: false },
        );
        let s = score(sc("rerun-fails-again"), &twice);
        assert_eq!(s.mistakes, [Mistake::RerunWithoutFix]);
        assert!(!s.passed);
        // The same failure in a scenario that should recover is not a pass.
        assert!(!score(sc("file-lock-timeout"), &once).passed);
    }

    #[test]
    fn scenarios_without_a_rerun_pass_at_their_verdict_only() {
        for s in lab::scenarios() {
            let e = expected(s);
            if let Expected::StopAt { verdict } = e {
                assert_eq!(verdict, s.verdict, "{}", s.name);
                let stop = attempt(&[(5, Act::BundleSaved)], Outcome::Stopped { verdict });
                assert!(score(s, &stop).passed, "{}", s.name);
                let left = attempt(&[], Outcome::Left);
                assert!(!score(s, &left).passed, "{}", s.name);
            }
        }
        assert_eq!(
            expected(sc("healthy")),
            Expected::StopAt {
                verdict: Verdict::Healthy
            }
        );
    }

    #[test]
    fn quitting_mid_run_is_a_mistake() {
        let a = attempt(
            &[
                (10, Act::BundleSaved),
                (20, Act::RunStarted),
                (30, Act::QuitDuringRun),
            ],
            Outcome::Left,
        );
        let s = score(sc("antivirus-access-denied"), &a);
        assert_eq!(s.mistakes, [Mistake::QuitDuringRun]);
        assert!(!s.passed);
    }
}
