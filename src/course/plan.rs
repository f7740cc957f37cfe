//! Which scenarios a course runs, in which order: all lab scenarios, easiest first, or the
//! ones a trainer's TOML file names.

use serde::Deserialize;

use crate::lab::{self, Scenario};

/// A course to run.
#[derive(Debug, Clone)]
pub struct Course {
    pub title: String,
    pub scenarios: Vec<&'static Scenario>,
}

/// How hard a scenario is for a junior, 1 (a plain re-run) to 4 (a judgement call). Every
/// scenario has one (tested), so a new scenario cannot silently fall out of the default course.
pub fn difficulty(name: &str) -> Option<u8> {
    Some(match name {
        "healthy" | "file-lock-timeout" => 1,
        "antivirus-access-denied" | "pre-rome-os-temp" | "half-deleted-lib" => 2,
        "script-not-executable" | "service-not-installed" | "upgrade-in-progress" => 3,
        "rerun-fails-again" | "temp-folder-lost" | "upgrade-service-conflict" => 4,
        _ => return None,
    })
}

/// Every lab scenario, easiest first (ties keep `lab list` order).
pub fn default_course() -> Course {
    let mut scenarios: Vec<&'static Scenario> = lab::scenarios().iter().collect();
    scenarios.sort_by_key(|s| difficulty(s.name).unwrap_or(u8::MAX));
    Course {
        title: "All lab scenarios, easiest first".into(),
        scenarios,
    }
}

/// A course file:
///
/// ```toml
/// title = "Week 1: locked files"
/// scenarios = ["file-lock-timeout", "rerun-fails-again"]
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseFile {
    title: Option<String>,
    scenarios: Vec<String>,
}

/// Parse a course file's text. Errors name the line and, for an unknown scenario, the known ones.
pub fn parse(text: &str) -> anyhow::Result<Course> {
    let file: CourseFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    if file.scenarios.is_empty() {
        anyhow::bail!("`scenarios` is empty: name at least one (see `midrescue lab list`)");
    }
    let mut scenarios = Vec::with_capacity(file.scenarios.len());
    for name in &file.scenarios {
        let Some(s) = lab::scenario(name) else {
            let known: Vec<&str> = lab::scenarios().iter().map(|s| s.name).collect();
            anyhow::bail!("no scenario `{name}`. Choose from: {}", known.join(", "));
        };
        scenarios.push(s);
    }
    Ok(Course {
        title: file.title.unwrap_or_else(|| "Course".into()),
        scenarios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_course_holds_every_scenario_once_easiest_first() {
        let c = default_course();
        assert_eq!(c.scenarios.len(), lab::scenarios().len());
        for s in lab::scenarios() {
            assert!(difficulty(s.name).is_some(), "{} has no difficulty", s.name);
        }
        let d: Vec<u8> = c
            .scenarios
            .iter()
            .map(|s| difficulty(s.name).unwrap())
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        // Ties keep `lab list` order: the standard recovery comes first.
        assert_eq!(c.scenarios[0].name, "file-lock-timeout");
    }

    #[test]
    fn a_course_file_chooses_and_orders_scenarios() {
        let c = parse("title = \"Week 1\"\nscenarios = [\"rerun-fails-again\", \"healthy\"]\n")
            .unwrap();
        assert_eq!(c.title, "Week 1");
        let names: Vec<&str> = c.scenarios.iter().map(|s| s.name).collect();
        assert_eq!(names, ["rerun-fails-again", "healthy"]);
    }

    #[test]
    fn a_bad_course_file_says_what_is_wrong() {
        let e = parse("scenarios = [\"nope\"]").unwrap_err().to_string();
        assert!(
            e.contains("no scenario `nope`") && e.contains("file-lock-timeout"),
            "{e}"
        );
        let e = parse("scenarios = []").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = parse("senarios = [\"healthy\"]").unwrap_err().to_string();
        assert!(e.contains("senarios"), "{e}");
        assert!(parse("scenarios = [\"healthy\"\n").is_err());
    }
}
