//! The default rule set for live text (the wizard's log panes, `resume`'s streamed lines and
//! JSON, `detect`'s evidence): built once, on first use.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::{Counts, RuleSet, Stream};

/// Compiled once per process: start-up check, live text and bundles share it (each compile of
/// the built-in patterns costs tens of milliseconds).
static DEFAULT: LazyLock<Result<RuleSet, String>> =
    LazyLock::new(|| RuleSet::builtin().map_err(|e| format!("{e:#}")));

/// The built-in rule set, built on first use (panics with the pattern's name if broken; the
/// binary calls [`check_builtin`] first, so that is a clean error instead).
pub fn default_rules() -> &'static RuleSet {
    match builtin_rules() {
        Ok(set) => set,
        // A broken built-in pattern is a bug in this build: fail loudly rather than show secrets.
        Err(e) => panic!("midrescue's built-in redaction rules are broken: {e:#}"),
    }
}

/// The built-in rule set, or why it does not compile.
pub fn builtin_rules() -> anyhow::Result<&'static RuleSet> {
    DEFAULT.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Build the built-in rules now: call at start-up so that a broken pattern stops the program
/// before it reads anything, with a clear error instead of a panic later.
pub fn check_builtin() -> anyhow::Result<()> {
    builtin_rules().map(|_| ())
}

/// One line of live text with every secret masked by the one rule set. Borrowed (no copy)
/// when nothing can match. Stateless: shapes that span lines (a PEM block, a value on the
/// next line) need a [`LiveRedactor`] per source.
pub fn redact_line(line: &str) -> Cow<'_, str> {
    redact_str(line)
}

/// A text of any number of lines (a JSON string, an error message) with secrets masked.
pub fn redact_str(text: &str) -> Cow<'_, str> {
    let set = default_rules();
    if !set.triggers(text.to_ascii_lowercase().as_bytes(), text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let out = set.redact_text(text.as_bytes(), &mut Counts::new());
    owned_if_changed(text, out)
}

fn owned_if_changed(text: &str, out: Vec<u8>) -> Cow<'_, str> {
    if out == text.as_bytes() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Redacts the successive lines of one source (a followed log, a child's output), carrying
/// the multi-line state (PEM blocks, values on the next line) between calls.
pub struct LiveRedactor {
    stream: Stream<'static>,
    counts: Counts,
}

impl Default for LiveRedactor {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveRedactor {
    pub fn new() -> Self {
        LiveRedactor {
            stream: default_rules().stream(),
            counts: Counts::new(),
        }
    }

    /// The next line (with or without its line end) with secrets masked.
    pub fn line<'a>(&mut self, line: &'a str) -> Cow<'a, str> {
        let mut out = Vec::with_capacity(line.len());
        self.stream
            .push(line.as_bytes(), &mut out, &mut self.counts);
        owned_if_changed(line, out)
    }

    /// Values masked so far, per rule.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }
}
