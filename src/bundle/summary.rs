//! The generated documents: `manifest.json`, `system.txt` and `SUMMARY.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::SystemFacts;
use super::plan::{Problem, shown};
use super::redact::Counts;
use super::timeline;
use crate::mid::report::DetectReport;

pub const MANIFEST_SCHEMA: u32 = 1;

/// One zip entry in `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub zip_path: String,
    /// Where it came from (`None` for generated entries): the original path, escaped and
    /// with secrets masked (see `plan::shown`).
    #[serde(serialize_with = "shown_opt")]
    pub source: Option<String>,
    /// Source size when planned.
    pub source_size: Option<u64>,
    /// Bytes in the zip entry (after redaction, after truncation).
    pub size: u64,
    #[serde(serialize_with = "rfc3339_opt")]
    pub mtime: Option<chrono::DateTime<chrono::Utc>>,
    /// sha256 of the bundled bytes (written as hex; kept as bytes, 100,000 of them).
    pub sha256: Digest,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub redactions: Counts,
}

fn rfc3339_opt<S: serde::Serializer>(
    v: &Option<chrono::DateTime<chrono::Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_some(&super::source::rfc3339(t)),
        None => s.serialize_none(),
    }
}

/// A SHA-256, serialized as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub fn hex(&self) -> String {
        super::worker::hex(&self.0)
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

/// An untrusted name as the manifest writes it (idempotent: safe twice).
fn shown_opt<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_some(&super::plan::shown(t)),
        None => s.serialize_none(),
    }
}

/// `manifest.json`.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub schema_version: u32,
    pub tool: String,
    pub created_at: String,
    pub host: &'a str,
    pub mid_name: Option<&'a str>,
    pub agent_dir: String,
    pub options: ManifestOptions,
    pub redaction_rules: Vec<String>,
    pub redactions: Counts,
    pub entries: &'a [Entry],
    pub errors: &'a [Problem],
    pub skipped: &'a [Problem],
}

#[derive(Debug, Serialize)]
pub struct ManifestOptions {
    pub max_file_bytes: u64,
    pub since: Option<String>,
    pub compression: String,
}

/// Free and total bytes of the volume holding `p`, as text.
fn disk_line(label: &str, p: &Path) -> String {
    let free = fs4::available_space(p);
    let total = fs4::total_space(p);
    match (free, total) {
        (Ok(f), Ok(t)) => format!(
            "{label}: {} ({}): {:.1} GB free of {:.1} GB\n",
            shown(&p.display().to_string()),
            super::output::volume_of(p),
            f as f64 / 1e9,
            t as f64 / 1e9
        ),
        (Err(e), _) | (_, Err(e)) => format!(
            "{label}: {}: unknown ({e})\n",
            shown(&p.display().to_string())
        ),
    }
}

/// `system.txt`.
pub fn system_txt(
    facts: &SystemFacts,
    agent_dir: &Path,
    temp_dirs: &[(String, std::path::PathBuf)],
    created_at: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "midrescue {} system facts, {created_at}\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "OS:   {}", facts.os);
    let _ = writeln!(s, "Host: {}\n", facts.host);
    s.push_str("== Disk space ==\n");
    s.push_str(&disk_line("agent folder", agent_dir));
    for (id, d) in temp_dirs {
        if d.exists() {
            s.push_str(&disk_line(&format!("upgrade temp {id}"), d));
        }
    }
    s.push_str(&disk_line("OS temp folder", &std::env::temp_dir()));
    s.push_str("\n== MID service ==\n");
    match &facts.service {
        Some(st) => {
            let _ = writeln!(s, "name:         {}", st.name.as_deref().unwrap_or("-"));
            let _ = writeln!(
                s,
                "display name: {}",
                st.display_name.as_deref().unwrap_or("-")
            );
            let _ = writeln!(s, "state:        {}", st.state);
            let _ = writeln!(
                s,
                "start type:   {}",
                st.start_type
                    .map_or_else(|| "unknown".to_string(), |t| t.to_string())
            );
            if let Some(n) = &st.note {
                let _ = writeln!(s, "note:         {n}");
            }
            s.push_str("\n-- raw status output --\n");
            s.push_str(if st.raw.is_empty() { "(none)" } else { &st.raw });
            if !s.ends_with('\n') {
                s.push('\n');
            }
        }
        None => s.push_str("(not queried)\n"),
    }
    s.push_str("\n== Running java / wrapper processes ==\n");
    s.push_str(if facts.processes.is_empty() {
        "(not gathered)\n"
    } else {
        &facts.processes
    });
    if !facts.notes.is_empty() {
        s.push_str("\n== Notes ==\n");
        for n in &facts.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s
}

/// Everything SUMMARY.md needs.
pub struct SummaryInput<'a> {
    pub report: &'a DetectReport,
    /// Evidence text is redacted before it is put in a code span, so a mask that runs to the
    /// end of a line cannot swallow the span's closing backticks.
    pub rules: &'a super::RuleSet,
    pub host: &'a str,
    pub created_at: &'a str,
    pub entries: &'a [Entry],
    pub errors: &'a [Problem],
    pub skipped: &'a [Problem],
    pub timeline: timeline::Timeline,
    pub redactions: &'a Counts,
    /// How the recovery ended, in a final bundle.
    pub recovery: Option<&'a super::record::RecoveryRecord>,
}

impl SummaryInput<'_> {
    /// A source path as its path inside the zip when it was bundled, else as is.
    /// Sources are recorded by their resolved path, so the report's path is resolved too.
    fn shown_path(&self, p: &Path) -> String {
        let src = p.display().to_string();
        let resolved = super::plan::canonical(p).display().to_string();
        self.entries
            .iter()
            .find(|e| {
                e.source.as_deref() == Some(src.as_str())
                    || e.source.as_deref() == Some(resolved.as_str())
            })
            .map_or_else(|| super::plan::shown(&src), |e| e.zip_path.clone())
    }
}

/// Most timeline lines shown.
const TIMELINE_MAX: usize = 80;

fn md_escape_inline(s: &str) -> String {
    s.replace('`', "'")
}

/// `SUMMARY.md`: what a support engineer reads first.
/// The text, and the redactions made in evidence lines on the way.
pub fn summary_md(i: &SummaryInput<'_>) -> (String, Counts) {
    let r = i.report;
    let mut counts = Counts::new();
    // Control characters out first (so none can split a key from its value), then redact.
    let mut clean = |t: &str| -> String {
        let t = crate::mid::evidence::strip_controls(t);
        String::from_utf8_lossy(&i.rules.redact_text(t.as_bytes(), &mut counts)).into_owned()
    };
    let mut s = String::new();
    let _ = writeln!(s, "# MID Server support bundle\n");
    let _ = writeln!(
        s,
        "Created {} by midrescue {} on host `{}`.\n",
        i.created_at,
        env!("CARGO_PKG_VERSION"),
        md_escape_inline(i.host)
    );
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| **Verdict** | `{}` |", r.verdict.as_str());
    if let Some(rec) = i.recovery {
        let _ = writeln!(s, "| **Recovery** | `{}` |", rec.outcome.as_str());
    }
    let _ = writeln!(
        s,
        "| MID name | {} |",
        r.mid_name.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "| Instance | {} |",
        r.instance_url.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "| Agent folder | `{}` |",
        shown(&r.agent_dir.display().to_string())
    );
    let _ = writeln!(s, "| Platform | {} |", r.platform);
    let _ = writeln!(
        s,
        "| Installed version | {} |",
        r.installed_version.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "| Target version | {} |",
        r.target_version.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "| Service | {} ({}{}) |",
        r.service.name.as_deref().unwrap_or("unknown"),
        r.service.state,
        r.service
            .start_type
            .map(|t| format!(", start {t}"))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "| Lib folder | {} |", r.lib);
    if let Some(u) = &r.upgrade {
        let _ = writeln!(
            s,
            "| Upgrade temp folder | {} |",
            u.temp_dir
                .as_ref()
                .map(|p| format!("`{}`", shown(&p.display().to_string())))
                .unwrap_or_else(|| "not found".into())
        );
        let _ = writeln!(
            s,
            "| Upgrade started | {} |",
            u.started_at.as_deref().unwrap_or("unknown")
        );
    }
    s.push('\n');

    if let Some(rec) = i.recovery {
        recovery_section(&mut s, rec, &mut clean);
    }
    s.push_str("## Findings\n\n");
    if r.findings.is_empty() {
        s.push_str("None.\n\n");
    }
    for f in &r.findings {
        let _ = writeln!(s, "- **{}** `{}`: {}", f.severity, f.code, f.message);
        for e in &f.evidence {
            // Double backticks with spaces: a redaction mask never swallows the delimiter.
            let _ = writeln!(
                s,
                "  - `{}:{}`: `` {} ``",
                i.shown_path(&e.file),
                e.line,
                md_escape_inline(&clean(e.text.trim_end()))
            );
        }
    }
    if !r.findings.is_empty() {
        s.push('\n');
    }

    s.push_str("## Upgrade timeline\n\n");
    let mut tl = i.timeline.clone();
    // The marker line detect found, unless the scan kept that very line.
    if let Some(m) = r.upgrade.as_ref().and_then(|u| u.marker_line.as_ref()) {
        let line = timeline::Line {
            when: timeline::parse_time(&m.text),
            file: i.shown_path(&m.file),
            line: m.line,
            text: m.text.clone(),
        };
        if line.when.is_some()
            && !tl
                .lines
                .iter()
                .any(|k| k.line.file == line.file && k.line.line == line.line)
        {
            let at = tl.lines.partition_point(|k| {
                (k.line.when, &k.line.file, k.line.line) < (line.when, &line.file, line.line)
            });
            let first = line.when;
            tl.lines.insert(
                at,
                timeline::Kept {
                    line,
                    earlier: 0,
                    first,
                },
            );
        }
    }
    if tl.lines.is_empty() {
        s.push_str("No upgrade-related log lines found.\n\n");
    } else {
        let skip = tl.lines.len().saturating_sub(TIMELINE_MAX);
        let left_out = skip + tl.left_out;
        if left_out > 0 {
            let about = if tl.left_out > 0 { "about " } else { "" };
            let _ = writeln!(
                s,
                "(the {about}{left_out} oldest lines are left out; see the logs)\n"
            );
        }
        s.push_str("Times are as logged (host local time; zones not converted).\n\n```\n");
        for k in tl.lines.iter().skip(skip) {
            let l = &k.line;
            // Log text in a generated document: control characters shown as escapes.
            let _ = write!(s, "{}:{}  {}", l.file, l.line, shown(&l.text));
            if k.earlier > 0 {
                let n = k.earlier;
                let times = if n == 1 { "time" } else { "times" };
                let first = k.first.map_or_else(|| "?".to_string(), |t| t.to_string());
                if tl.approximate {
                    let _ = write!(
                        s,
                        "   [also logged at least {n} earlier {times}, the first of them at {first}]"
                    );
                } else {
                    let _ = write!(s, "   [also logged {n} earlier {times}, first at {first}]");
                }
            }
            s.push('\n');
        }
        s.push_str("```\n\n");
    }
    if tl.undated > 0 {
        let at_least = if tl.approximate { "at least " } else { "" };
        let _ = writeln!(
            s,
            "{at_least}{} more matching lines carry no parsable time.\n",
            tl.undated
        );
    }

    s.push_str("## What is in this bundle\n\n");
    let files = i.entries.len();
    let bytes: u64 = i.entries.iter().map(|e| e.size).sum();
    let _ = writeln!(
        s,
        "{files} files, {:.1} MB before compression. `manifest.json` lists each with its source, size, mtime, sha256 and redaction counts.\n",
        bytes as f64 / 1e6
    );
    let truncated: Vec<_> = i.entries.iter().filter(|e| e.truncated).collect();
    if !truncated.is_empty() {
        s.push_str("Truncated (the end of the file is kept):\n\n");
        for e in truncated {
            let _ = writeln!(s, "- `{}`: {}", e.zip_path, e.note.as_deref().unwrap_or(""));
        }
        s.push('\n');
    }
    let total: u64 = i.redactions.values().sum();
    let _ = writeln!(s, "Redactions: {total} values masked as `***REDACTED***`.");
    let by_rule: BTreeMap<_, _> = i.redactions.iter().collect();
    for (rule, n) in by_rule {
        let _ = writeln!(s, "- {rule}: {n}");
    }
    s.push('\n');

    s.push_str("## Not collected\n\n");
    s.push_str("By policy, never: `keystore/`, `security/`, `jre/`, `*.jks`, `cacerts`, package zips, JVM recordings and dumps, compressed files (cannot be redacted).\n\n");
    if i.errors.is_empty() && i.skipped.is_empty() {
        s.push_str("Nothing else was left out.\n");
    }
    if !i.errors.is_empty() {
        s.push_str("Could not be read:\n\n");
        for p in i.errors {
            let _ = writeln!(s, "- `{}`: {}", shown(&p.file), shown(&p.reason));
        }
        s.push('\n');
    }
    if !i.skipped.is_empty() {
        s.push_str("Left out on purpose:\n\n");
        for p in i.skipped {
            let _ = writeln!(s, "- `{}`: {}", shown(&p.file), shown(&p.reason));
        }
    }
    (s, counts)
}

/// `## Recovery`: how the re-run went (final bundles only).
fn recovery_section(
    s: &mut String,
    rec: &super::record::RecoveryRecord,
    clean: &mut dyn FnMut(&str) -> String,
) {
    s.push_str("## Recovery\n\n");
    let _ = writeln!(
        s,
        "Outcome: **{}**: {}\n",
        rec.outcome.as_str(),
        clean(&rec.reason)
    );
    let _ = writeln!(
        s,
        "Ran from {} to {}{}; {} lock retr{}.\n",
        rec.started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        rec.ended_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        if rec.fallback_used {
            ", through the wrapper fallback (the script said its service is not installed)"
        } else {
            ""
        },
        rec.lock_retries,
        if rec.lock_retries == 1 { "y" } else { "ies" }
    );
    if !rec.milestones.is_empty() {
        s.push_str("Milestones reached:\n\n");
        for m in &rec.milestones {
            let _ = writeln!(s, "- {}", m.describe());
        }
        s.push('\n');
    }
    if let Some(n) = &rec.next_step {
        let _ = writeln!(s, "Next step: {}\n", clean(n));
    }
    for f in &rec.files {
        let _ = writeln!(s, "- `{}`", md_escape_inline(f));
    }
    if !rec.files.is_empty() {
        s.push('\n');
    }
}
