//! `midrescue collect`: find the install, detect its state, build the support bundle the one way
//! every bundle is built (`recovery::support`), with a progress line on stderr, and print where
//! it is.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::bundle::{self, BundleSummary, CollectOptions, Progress};
use crate::cli::{CollectArgs, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::host::Host;
use crate::mid::detect::detect;
use crate::mid::locate::find_installs;
use crate::platform::Platform;
use crate::platform::exec::SystemExec;
use crate::recovery::support::{BundleRequest, build_bundle};

pub fn run(agent_dir: Option<&Path>, args: &CollectArgs) -> anyhow::Result<u8> {
    let since = match args.since.as_deref().map(parse_since).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("midrescue collect: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let installs = find_installs(agent_dir, Platform::host(), &SystemExec::default())?;
    let dir = match installs.as_slice() {
        [] => {
            eprintln!(
                "midrescue collect: no MID Server install found in the usual places.\n\
                 Name it: midrescue collect --agent-dir DIR   (the `agent` folder or the folder holding it)"
            );
            return Ok(EXIT_FAILED);
        }
        [one] => one.clone(),
        many => {
            // A bundle is for one install; guessing would send support the wrong logs. Exit 2
            // like any other incomplete command line: the operator must say which.
            eprintln!(
                "midrescue collect: found {} MID Server installs:",
                many.len()
            );
            for d in many {
                eprintln!("  {}", crate::sanitize::path(d));
            }
            eprintln!("Say which one: midrescue collect --agent-dir DIR");
            return Ok(EXIT_USAGE);
        }
    };
    super::lab::warn_if_lab_file_ignored(&dir);
    let host = Host::for_install(&dir);
    let report = detect(&dir, &host)?;
    if report.verdict == crate::mid::report::Verdict::NotAMidServer {
        eprintln!(
            "midrescue collect: {} does not look like a MID Server install (no config.xml, conf/ or logs/).",
            crate::sanitize::path(&dir)
        );
        return Ok(EXIT_FAILED);
    }
    let mut opts = CollectOptions::new(
        report.agent_dir.clone(),
        args.out.clone().unwrap_or_else(bundle::default_out_dir),
    );
    opts.max_file_bytes = args.max_file_mb.max(1).saturating_mul(1024 * 1024);
    opts.since = since;
    opts.extra_rules_file = args.redact_rules.clone();
    if let Some(n) = args.level {
        opts.level = bundle::Levels::uniform(n);
    }

    let cancel = Arc::new(AtomicBool::new(false));
    opts.cancel = Some(Arc::clone(&cancel));
    super::interrupt::cancel_on_ctrl_c(
        Arc::clone(&cancel),
        "Interrupted: stopping and removing the unfinished bundle (Ctrl-C again quits at once).",
    );
    let out_dir = opts.out_dir.clone();
    let mut line = ProgressLine::new(std::io::stderr().is_terminal());
    let install = host.install(report);
    let req = BundleRequest {
        install: &install,
        options: opts,
        after_run: None,
    };
    let summary = build_bundle(req, &SystemExec::default(), &mut |p| line.show(&p));
    line.finish();
    if cancel.load(Ordering::Relaxed) && summary.is_err() {
        eprintln!(
            "midrescue collect: interrupted; no bundle was written in {}. Run it again to collect.",
            crate::sanitize::path(&out_dir)
        );
        return Ok(EXIT_INTERRUPTED);
    }
    let summary = summary?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", render(&summary));
    }
    Ok(EXIT_OK)
}

/// `YYYY-MM-DD` (a full RFC 3339 time is accepted and its UTC date used).
pub fn parse_since(s: &str) -> Result<chrono::NaiveDate, String> {
    let s = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc).date_naive());
    }
    Err(format!("--since {s:?}: expected a date like 2026-11-01"))
}

/// The human result.
pub fn render(s: &BundleSummary) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Support bundle written:\n  {}",
        crate::sanitize::path(&s.path)
    );
    let _ = writeln!(
        o,
        "  {}, {} files, {} values redacted\n  sha256 {}",
        human_size(s.size),
        s.files,
        s.redactions,
        s.sha256
    );
    if !s.truncated.is_empty() {
        let _ = writeln!(
            o,
            "Truncated (the end of each kept; raise --max-file-mb for more):"
        );
        for t in &s.truncated {
            let _ = writeln!(o, "  {t}");
        }
    }
    if !s.skipped.is_empty() {
        let _ = writeln!(o, "Not collected:");
        for (f, why) in &s.skipped {
            let _ = writeln!(o, "  {}: {}", crate::sanitize::text(f), why);
        }
    }
    let _ = writeln!(
        o,
        "Send the zip (and its .sha256) to ServiceNow support. SUMMARY.md inside says what it holds."
    );
    o
}

/// The progress line: one updating line on a terminal, plain lines otherwise.
struct ProgressLine {
    tty: bool,
    last_len: usize,
    last_pct: Option<u64>,
    /// When the terminal line was last drawn.
    last_draw: Option<std::time::Instant>,
}

/// A terminal's line is redrawn at most this often: drawing it for each of 100,000 small files
/// made a bundle take 40 % longer (and sends megabytes over a slow SSH or RDP link).
const REDRAW_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

impl ProgressLine {
    fn new(tty: bool) -> Self {
        ProgressLine {
            tty,
            last_len: 0,
            last_pct: None,
            last_draw: None,
        }
    }

    fn show(&mut self, p: &Progress) {
        let Some(text) = self.text(p, std::time::Instant::now()) else {
            return;
        };
        self.draw(&text);
    }

    /// What to show for `p` at `now`, or nothing when it is not worth a line (a terminal was
    /// drawn less than [`REDRAW_EVERY`] ago; a log got a line less than 5 % ago).
    fn text(&mut self, p: &Progress, now: std::time::Instant) -> Option<String> {
        let text = match p {
            Progress::Planned { files, bytes } => {
                format!("Collecting {files} files, {:.1} MB", *bytes as f64 / 1e6)
            }
            Progress::File { .. } | Progress::Bytes { .. } => {
                let at = p.position()?;
                let pct = (at.bytes_done * 100)
                    .checked_div(at.bytes_total)
                    .unwrap_or(100);
                let last = at.files_done >= at.files_total;
                // Without a terminal, one line per 5 % (not one per file) keeps logs readable.
                if !self.tty {
                    if self.last_pct.is_some_and(|l| pct < l + 5) && !last {
                        return None;
                    }
                    self.last_pct = Some(pct);
                } else if !last
                    && self
                        .last_draw
                        .is_some_and(|t| now.saturating_duration_since(t) < REDRAW_EVERY)
                {
                    return None;
                }
                format!(
                    "{pct:3}%  {}/{} files, {:.1}/{:.1} MB  {}",
                    at.files_done,
                    at.files_total,
                    at.bytes_done as f64 / 1e6,
                    at.bytes_total as f64 / 1e6,
                    crate::sanitize::text(at.path)
                )
            }
            Progress::Writing => "Writing manifest, summary and checksum…".into(),
            Progress::Done => return None,
        };
        if self.tty {
            self.last_draw = Some(now);
        }
        Some(text)
    }

    fn draw(&mut self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            // Some pseudo-terminals report 0 columns: assume 80 then.
            let width = match crossterm::terminal::size() {
                Ok((w, _)) if w >= 20 => w as usize - 1,
                _ => 79,
            };
            let shown: String = text.chars().take(width).collect();
            let pad = self.last_len.saturating_sub(shown.chars().count());
            let _ = write!(err, "\r{shown}{}", " ".repeat(pad));
            self.last_len = shown.chars().count();
        } else {
            let _ = writeln!(err, "{text}");
        }
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.tty && self.last_len > 0 {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// `35.1 KB`, `12.4 MB`, `1.2 GB`: small bundles must not read as "0.0 MB".
fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1e6 {
        format!("{:.1} KB", b / 1e3)
    } else if b < 1e9 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.2} GB", b / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_line_is_redrawn_at_most_every_tenth_of_a_second_and_always_at_the_end() {
        let file = |n: u64| Progress::File {
            path: format!("agent/logs/p{n}.log"),
            files_done: n,
            bytes_done: n * 10,
            files_total: 1000,
            bytes_total: 10_000,
        };
        let t0 = std::time::Instant::now();
        let mut tty = ProgressLine::new(true);
        let drawn: Vec<u64> = (1..=1000)
            .filter(|&n| {
                // A file every 0.2 ms: 200 ms in all.
                let now = t0 + std::time::Duration::from_micros(200 * n);
                tty.text(&file(n), now).is_some()
            })
            .collect();
        assert_eq!(drawn, vec![1, 501, 1000]);
        // Events other than progress always show.
        assert!(tty.text(&Progress::Writing, t0).is_some());
        // Without a terminal: one line per 5 %, and the last.
        let mut log = ProgressLine::new(false);
        let lines = (1..=1000)
            .filter(|&n| log.text(&file(n), t0).is_some())
            .count();
        assert_eq!(lines, 21);
    }

    #[test]
    fn since_formats() {
        assert_eq!(
            parse_since("2026-11-01").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        assert!(parse_since("2026-11-01T23:30:00-02:00").is_ok());
        assert!(
            parse_since("yesterday")
                .unwrap_err()
                .contains("expected a date")
        );
    }
}
