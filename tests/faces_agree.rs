//! The two faces over the one engine: `midrescue resume` (the real binary) and the wizard (its
//! real state machine and effect runner, keys scripted, no terminal) recover the same lab
//! scenario, and what they decide and write agrees: verdict, finding codes, milestones, outcome,
//! redaction counts and bundle entry names (times, the journal and process lists aside).

#![cfg(unix)]

mod lab_common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lab_common::{Lab, bin};
use midrescue::app::runner::{Runner, RunnerConfig};
use midrescue::recovery::Limits;
use midrescue::wizard::model::Options;
use midrescue::wizard::{Key, Model, Msg, Step, update};

const SPEED: f64 = 25.0;

/// What a bundle says, without what differs by nature between two runs.
#[derive(Debug, PartialEq)]
struct BundleFacts {
    verdict: String,
    codes: Vec<String>,
    entries: Vec<String>,
    redactions: BTreeMap<String, u64>,
    outcome: Option<String>,
    milestones: Vec<String>,
}

/// Each lab's upgrade temp folder has its own numeric id (`<ms since epoch><n>`): name it `<id>`.
fn upgrade_id(name: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in name.chars().chain(std::iter::once('/')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 13 {
            out.push_str("<id>");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

fn read_entry(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Option<String> {
    let mut f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    Some(s)
}

fn facts(path: &Path) -> BundleFacts {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let diag: serde_json::Value =
        serde_json::from_str(&read_entry(&mut zip, "diagnosis.json").unwrap()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&read_entry(&mut zip, "manifest.json").unwrap()).unwrap();
    let recovery: Option<serde_json::Value> =
        read_entry(&mut zip, "recovery.json").map(|t| serde_json::from_str(&t).unwrap());
    // Entries whose content differs by nature: our own journal, the generated documents that
    // carry times and process lists.
    let varies = |n: &str| {
        n == "midrescue/journal.txt"
            || n == "system.txt"
            || n == "SUMMARY.md"
            || n == "manifest.json"
            || n == "recovery.json"
    };
    let mut entries: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .filter(|n| n != "midrescue/journal.txt")
        .map(|n| upgrade_id(&n))
        .collect();
    entries.sort();
    let mut redactions = BTreeMap::new();
    for e in manifest["entries"].as_array().unwrap() {
        let name = e["zip_path"].as_str().unwrap_or("");
        if varies(name) {
            continue;
        }
        if let Some(map) = e["redactions"].as_object() {
            for (rule, n) in map {
                *redactions.entry(rule.clone()).or_insert(0) += n.as_u64().unwrap_or(0);
            }
        }
    }
    let mut codes: Vec<String> = diag["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    let mut milestones: Vec<String> = recovery
        .as_ref()
        .map(|r| {
            r["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    milestones.sort();
    BundleFacts {
        verdict: diag["verdict"].as_str().unwrap().to_string(),
        codes,
        entries,
        redactions,
        outcome: recovery.map(|r| r["outcome"].as_str().unwrap().to_string()),
        milestones,
    }
}

/// `midrescue resume --yes --json`: the first and the final bundle.
fn resume_face(lab: &Lab, out: &Path) -> (PathBuf, PathBuf, String) {
    let output = Command::new(bin())
        .arg("--log-file")
        .arg(out.join("midrescue.log"))
        .args([
            "resume",
            "--yes",
            "--json",
            "--timeout",
            "90s",
            "--agent-dir",
        ])
        .arg(lab.agent())
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(json["schema_version"], 2);
    (
        PathBuf::from(json["bundle"].as_str().unwrap()),
        PathBuf::from(json["final_bundle"].as_str().unwrap()),
        json["outcome"].as_str().unwrap().to_string(),
    )
}

/// The wizard without a terminal: its real `update()` and effect runner, keys scripted.
fn wizard_face(lab: &Lab, out: &Path) -> (PathBuf, PathBuf, Model) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
        let runner = Arc::new(Runner::new(
            RunnerConfig {
                out_dir: out.to_path_buf(),
                journal_path: out.join("journal.txt"),
                limits: Limits {
                    timeout: Duration::from_secs(90),
                    ..Limits::default()
                },
                instance: None,
                invocation: "midrescue".into(),
            },
            tx.clone(),
        ));
        let mut m = Model::new(Options::default(), chrono::Utc::now());
        let fx = midrescue::wizard::update::start(&mut m, vec![lab.agent().to_path_buf()]);
        runner.run_all(fx);
        let deadline = std::time::Instant::now() + Duration::from_secs(150);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the wizard did not finish: step {:?}, ending {:?}",
                m.step,
                m.ending
            );
            if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            {
                let fx = update(&mut m, msg);
                runner.run_all(fx);
            }
            let fx = update(&mut m, Msg::Tick(chrono::Utc::now()));
            runner.run_all(fx);
            let keys: &[Key] = match m.step {
                Step::Detect if m.detect.done().is_some() => &[Key::Enter],
                Step::Warn if !m.acknowledged => &[Key::Char('a')],
                Step::Warn => &[Key::Enter],
                Step::Collect if m.collect.job.done().is_some() => &[Key::Enter],
                Step::Run if m.run.plan.done().is_some() && m.run.run.is_none() => {
                    &[Key::Tab, Key::Enter]
                }
                Step::Done
                    if matches!(m.final_collect.job, midrescue::wizard::model::Job::Idle) =>
                {
                    &[Key::Char('c')]
                }
                Step::Done if m.final_collect.job.done().is_some() => break,
                _ => &[],
            };
            for k in keys {
                let fx = update(&mut m, Msg::Key(*k));
                runner.run_all(fx);
            }
        }
        runner.shutdown();
        let first = m.collect.job.done().unwrap().path.clone();
        let last = m.final_collect.job.done().unwrap().path.clone();
        (first, last, m)
    })
}

#[test]
fn resume_and_the_wizard_decide_and_write_the_same() {
    let scenario = "file-lock-timeout";
    let (lab_a, lab_b) = (Lab::new(scenario, SPEED), Lab::new(scenario, SPEED));
    let out = tempfile::tempdir().unwrap();
    let (out_a, out_b) = (out.path().join("resume"), out.path().join("wizard"));

    let (first_a, final_a, outcome_a) = resume_face(&lab_a, &out_a);
    let (first_b, final_b, model) = wizard_face(&lab_b, &out_b);

    assert_eq!(outcome_a, "recovered");
    assert!(
        matches!(
            model.ending,
            Some(midrescue::wizard::model::Ending::Recovered { .. })
        ),
        "{:?}",
        model.ending
    );
    let (fa, fb) = (facts(&first_a), facts(&first_b));
    assert_eq!(fa.verdict, "crashed_upgrade");
    assert_eq!(fa, fb, "first bundles differ");
    let (la, lb) = (facts(&final_a), facts(&final_b));
    assert_eq!(
        la.verdict, "healthy",
        "the final bundle detects the install as it is now"
    );
    assert_eq!(la.outcome.as_deref(), Some("recovered"));
    assert!(
        la.entries
            .iter()
            .any(|e| e == "midrescue/glide-dist-upgrade.log"),
        "the re-run's upgrade log is kept: {:?}",
        la.entries
    );
    assert_eq!(la, lb, "final bundles differ");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&final_a).unwrap()).unwrap();
    let summary = read_entry(&mut zip, "SUMMARY.md").unwrap();
    assert!(
        summary.contains("| **Recovery** | `recovered` |"),
        "{summary}"
    );
}
