//! Redaction: the ONE rule set for every text that leaves the process, whoever shows it: the
//! support bundle (logs, confs, config.xml, listings, system facts, file names), `detect`'s
//! evidence (text and JSON), the wizard's live panes and `resume`'s streamed lines.
//!
//! A leaf layer: it uses nothing of midrescue, so `mid`, `bundle` and the faces all call it.
//!
//! Text is processed line by line and streamed (a 1 GB log never sits in memory). A cheap
//! prefilter (one literal alternation over a lower-cased copy) finds the few lines that can
//! hold a secret; only those run the named rules. Every rule masks its capture groups (or the
//! whole match when it has none) with [`MASK`] and is counted by name for the manifest.
//! A few shapes span lines (a PEM block; `"password":` with its value on the next line;
//! `wrapper.app.parameter.3=--password` then the value in `...parameter.4`): a [`Stream`]
//! (or a [`LiveRedactor`]) carries that state from one line to the next.
//!
//! For one line of live text, call [`redact_line`]; for a stream of lines, keep one
//! [`LiveRedactor`] per source. A broken built-in pattern panics on first use with a clear
//! message; call [`check_builtin`] at start-up to fail before any work.

mod gate;
mod live;
mod rules;
mod tags;
mod value;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use regex::bytes::{Captures, Regex, RegexBuilder};
use regex_automata::PatternID;

pub use live::{
    LiveRedactor, builtin_rules, check_builtin, default_rules, redact_line, redact_str,
};

/// What replaces a secret.
pub const MASK: &[u8] = b"***REDACTED***";
/// [`MASK`] as text.
pub const MASK_STR: &str = "***REDACTED***";

/// Redaction counts per rule name.
pub type Counts = BTreeMap<String, u64>;

/// Lines longer than this are processed in pieces so a 50 MB single-line file cannot sit in
/// memory; a secret straddling a piece boundary may be missed (documented limit).
pub const MAX_LINE: usize = 1 << 20;

/// A PEM block without an END line stops being masked after this many lines.
const PEM_MAX_LINES: u32 = 2000;

pub const RULE_CONFIG_XML: &str = "config_xml_secret_parameter";
pub const RULE_PEM: &str = "pem_block";
pub const RULE_XML_PARAM: &str = "xml_secret_parameter";
pub const RULE_PAIR: &str = "secret_key_value";
pub const RULE_FLAG: &str = "secret_flag";
pub const RULE_PHRASE: &str = "secret_phrase";
pub const RULE_NEXT_LINE: &str = "secret_on_next_line";

/// A named line rule: every participating capture group (or the whole match) is masked.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    re: Regex,
    requires: Option<&'static str>,
    keep: Option<fn(&[u8]) -> bool>,
    /// User rules only: the same pattern with `^`/`$` at every line (CRLF too), to find the
    /// lines to process in a whole chunk.
    trigger: Option<Regex>,
}

/// The shared rule set. Cloning is cheap (compiled patterns are shared) and gives the clone
/// its own match caches: a thread that clones it never waits on another's cache pool.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    pair: Regex,
    flag: Rule,
    phrase: Rule,
    pending: Regex,
    assignment: Regex,
    user: Vec<Rule>,
    /// Which of `rules`, then `pair`, `flag`, `phrase` can match a line (see `gate.rs`).
    gate: gate::Gate,
    /// Cheap trigger: a line without a hit here (or an `@`) cannot match a built-in rule.
    prefilter: Regex,
    pem_begin: Regex,
    pem_end: Regex,
    pem_inline: Regex,
    tags: tags::Tags,
}

fn re(pattern: &str) -> anyhow::Result<Regex> {
    // Unicode mode on purpose: with it off, regex-automata 0.4.18 returns wrong matches for
    // patterns like `[a-z]+="(?-u:[^"])*"` (seen in testing). Lines with invalid UTF-8 are made
    // valid before the rules run (see `Stream::redact_line`).
    RegexBuilder::new(pattern)
        .size_limit(1 << 24)
        .build()
        .with_context(|| format!("built-in redaction pattern {pattern:?} does not compile"))
}

fn builtin_rule(
    name: &str,
    pattern: &str,
    requires: Option<&'static str>,
    keep: Option<fn(&[u8]) -> bool>,
) -> anyhow::Result<Rule> {
    Ok(Rule {
        name: name.to_string(),
        re: re(pattern)?,
        requires,
        keep,
        trigger: None,
    })
}

impl RuleSet {
    /// The built-in rules only. An error here is a programming error that every test catches.
    pub fn builtin() -> anyhow::Result<Self> {
        let rules = rules::specs()
            .into_iter()
            .map(|s| builtin_rule(s.name, &s.pattern, s.requires, s.keep))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let gate_patterns: Vec<String> = rules
            .iter()
            .map(|r| r.re.as_str().to_string())
            .chain([
                rules::pair_pattern(),
                rules::flag_pattern(),
                rules::phrase_pattern(),
            ])
            .collect();
        let prefilter = rules::TRIGGERS
            .iter()
            .map(|t| regex::escape(t))
            .collect::<Vec<_>>()
            .join("|");
        Ok(RuleSet {
            rules,
            pair: re(&rules::pair_pattern())?,
            flag: builtin_rule(RULE_FLAG, &rules::flag_pattern(), None, None)?,
            phrase: builtin_rule(
                RULE_PHRASE,
                &rules::phrase_pattern(),
                None,
                Some(rules::is_prose),
            )?,
            pending: re(&rules::pending_pattern())?,
            assignment: re(r"^(\s*[\w.\-]+\s*[=:]\s*)(.*)$")?,
            user: Vec::new(),
            gate: gate::Gate::new(&gate_patterns)?,
            prefilter: re(&prefilter)?,
            pem_begin: re(r"-----BEGIN [A-Z0-9 ]{0,64}-----")?,
            pem_end: re(r"-----END [A-Z0-9 ]{0,64}-----")?,
            pem_inline: re(r"-----BEGIN [A-Z0-9 ]{0,64}-----(.*?)-----END [A-Z0-9 ]{0,64}-----")?,
            tags: tags::Tags {
                tag: re(r#"(?i)<[a-z_][\w:.\-]*\b(?:[^>"']|"[^"]*"|'[^']*')*>"#)?,
                attr: re(r#"([\w.:\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)?,
                secret_name: re(&rules::attribute_name_pattern())?,
            },
        })
    }

    /// The built-in rules plus the user's: one regex per line, `#` starts a comment line.
    pub fn with_user_rules(text: &str) -> anyhow::Result<Self> {
        let mut set = Self::builtin()?;
        for (i, line) in text.lines().enumerate() {
            let pattern = line.trim();
            if pattern.is_empty() || pattern.starts_with('#') {
                continue;
            }
            let build = |multi_line: bool| {
                RegexBuilder::new(pattern)
                    .multi_line(multi_line)
                    .crlf(multi_line)
                    .size_limit(1 << 24)
                    .build()
                    .with_context(|| format!("redaction rule on line {}: {pattern:?}", i + 1))
            };
            let compiled = build(false)?;
            set.user.push(Rule {
                name: format!("user_rule_line_{}", i + 1),
                re: compiled,
                requires: None,
                keep: None,
                trigger: Some(build(true)?),
            });
        }
        Ok(set)
    }

    /// Built-in rules plus the rules file, if any.
    pub fn load(extra_rules_file: Option<&Path>) -> anyhow::Result<Self> {
        match extra_rules_file {
            None => Self::builtin(),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read redaction rules {}", p.display()))?;
                Self::with_user_rules(&text)
                    .with_context(|| format!("in redaction rules file {}", p.display()))
            }
        }
    }

    /// Every rule name, in order, without repeats (for the manifest).
    pub fn rule_names(&self) -> Vec<String> {
        let mut v: Vec<String> = [RULE_CONFIG_XML, RULE_PEM, RULE_XML_PARAM]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for r in &self.rules {
            if !v.contains(&r.name) {
                v.push(r.name.clone());
            }
        }
        v.extend(
            [RULE_PAIR, RULE_FLAG, RULE_PHRASE, RULE_NEXT_LINE]
                .iter()
                .map(|s| s.to_string()),
        );
        v.extend(self.user.iter().map(|r| r.name.clone()));
        v
    }

    /// A streaming redactor (it carries multi-line state across lines).
    pub fn stream(&self) -> Stream<'_> {
        Stream {
            set: self,
            gate: self.gate.session(),
            folded: Vec::new(),
            in_pem: false,
            pem_lines: 0,
            pending: false,
            next_hit: vec![0; 2 + self.user.len()],
            hit_base: usize::MAX,
        }
    }

    /// Redact a whole text (small generated files) in one go.
    pub fn redact_text(&self, text: &[u8], counts: &mut Counts) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        self.stream().push(text, &mut out, counts);
        out
    }

    /// Whether `text` can hold anything a rule masks (the prefilter; no allocation when the
    /// caller already has a lower-cased copy).
    fn triggers(&self, folded: &[u8], raw: &[u8]) -> bool {
        self.prefilter.is_match(folded)
            || memchr::memchr(b'@', raw).is_some()
            || self.user.iter().any(|r| r.re.is_match(raw))
    }

    /// Redact config.xml: secret `<parameter>` values (attribute order, quotes, case and
    /// tags over several lines do not matter; commented-out parameters are redacted too),
    /// then every line rule.
    pub fn redact_config_xml(&self, xml: &[u8], counts: &mut Counts) -> Vec<u8> {
        // Same reason as in `redact_line`: the attribute regex needs valid UTF-8.
        let lossy = String::from_utf8_lossy(xml);
        let xml = lossy.as_bytes();
        match tags::mask(&self.tags, xml) {
            Some((masked, n)) => {
                *counts.entry(RULE_CONFIG_XML.to_string()).or_default() += n;
                self.redact_text(&masked, counts)
            }
            None => self.redact_text(xml, counts),
        }
    }

    /// Every rule over one line body (no end of line). `pending` is the multi-line state:
    /// set when the value of a secret is on the next line.
    fn rules_on_line(
        &self,
        text: &mut Cow<[u8]>,
        pending: &mut bool,
        gate: &mut gate::Session,
        counts: &mut Counts,
    ) {
        // Read before any masking: a key left at the end of the line (`<password>`,
        // `"secret":`) means the next line holds its value, even when this whole line is
        // masked as the value of the line before (`pass:` / `{"password":` / `"SECRET" }`)
        // or a rule masks the key as the value of something else (`token= <password>`).
        let key_at_end = self.pending.is_match(text);
        if *pending && text.iter().any(|b| !b.is_ascii_whitespace()) {
            *pending = false;
            let masked = self.mask_continued(text);
            if let Some(v) = masked {
                *counts.entry(RULE_NEXT_LINE.to_string()).or_default() += 1;
                *text = Cow::Owned(v);
            }
        }
        if let Some((v, n)) = tags::mask(&self.tags, text) {
            *counts.entry(RULE_XML_PARAM.to_string()).or_default() += n;
            *text = Cow::Owned(v);
        }
        // Every rule reads the same text and the union of their spans is masked once: a rule
        // that masked first must not hide another rule's key (`Basic value=encrypted:SECRET`
        // lost its `encrypted:` key to the Basic rule when they ran one after another).
        let may = gate.matches(text);
        let may = |i: usize| may.is_none_or(|set| set.contains(PatternID::new_unchecked(i)));
        let n = self.rules.len();
        let mut spans = Vec::new();
        let mut folded: Option<Vec<u8>> = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if !may(i) {
                continue;
            }
            if let Some(r) = rule.requires {
                let f = folded.get_or_insert_with(|| text.to_ascii_lowercase());
                if memchr::memmem::find(f, r.as_bytes()).is_none() {
                    continue;
                }
            }
            rule_spans(rule, text, counts, &mut spans);
        }
        if may(n) {
            self.pair_spans(text, counts, &mut spans);
        }
        for (i, rule) in [&self.flag, &self.phrase].into_iter().enumerate() {
            if may(n + 1 + i) {
                rule_spans(rule, text, counts, &mut spans);
            }
        }
        for rule in &self.user {
            rule_spans(rule, text, counts, &mut spans);
        }
        if key_at_end {
            *pending = true;
        }
        if !spans.is_empty() {
            *text = Cow::Owned(mask_spans(text, spans));
        }
    }

    /// The line after a secret key whose value was on it: `conf.key=VALUE` keeps its key.
    fn mask_continued(&self, text: &[u8]) -> Option<Vec<u8>> {
        let s = match self.assignment.captures(text) {
            Some(c) => c.get(2)?.start(),
            None => text.iter().position(|b| !b.is_ascii_whitespace())?,
        };
        let e = s + text[s..]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        if e <= s || text[s..].starts_with(MASK) {
            return None;
        }
        Some(mask_spans(text, vec![(s, e)]))
    }

    fn pair_spans(&self, text: &[u8], counts: &mut Counts, spans: &mut Vec<(usize, usize)>) {
        let before = spans.len();
        for c in self.pair.captures_iter(text) {
            let (Some(k), Some(sep)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let colon = sep.as_bytes().eq_ignore_ascii_case(b":")
                || sep.as_bytes().eq_ignore_ascii_case(b"%3a");
            if let value::Value::Span(s, e) = value::find(text, k.start(), sep.end(), colon) {
                spans.push((s, e));
            }
        }
        if spans.len() > before {
            *counts.entry(RULE_PAIR.to_string()).or_default() += (spans.len() - before) as u64;
        }
    }
}

/// Redact every string inside a JSON value (keys kept), so the document stays valid JSON.
pub fn redact_json(rules: &RuleSet, v: &mut serde_json::Value, counts: &mut Counts) {
    match v {
        serde_json::Value::String(s) => {
            let out = rules.redact_text(s.as_bytes(), counts);
            if out != s.as_bytes() {
                *s = String::from_utf8_lossy(&out).into_owned();
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_json(rules, x, counts)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| redact_json(rules, x, counts)),
        _ => {}
    }
}

/// Streaming line redactor over one file.
pub struct Stream<'a> {
    set: &'a RuleSet,
    gate: gate::Session<'a>,
    /// ASCII-lower-cased copy of the current chunk, for the prefilter.
    folded: Vec<u8>,
    in_pem: bool,
    pem_lines: u32,
    /// The previous line left a secret's value for this one.
    pending: bool,
    /// Next known trigger position per trigger (prefilter, `@`, then each user rule), relative
    /// to the current chunk; `usize::MAX` = none in this chunk.
    next_hit: Vec<usize>,
    hit_base: usize,
}

impl Stream<'_> {
    /// Redact `chunk` (whole lines, or a piece of an over-long line) into `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>, counts: &mut Counts) {
        // New chunk: invalidate the cached trigger positions.
        self.hit_base = usize::MAX;
        self.folded.clear();
        self.folded.extend_from_slice(chunk);
        self.folded.make_ascii_lowercase();
        let mut pos = 0;
        while pos < chunk.len() {
            if self.in_pem || self.pending {
                let end = line_end(chunk, pos);
                self.redact_line(&chunk[pos..end], out, counts);
                pos = end;
                continue;
            }
            let Some(hit) = self.next_trigger(chunk, pos) else {
                out.extend_from_slice(&chunk[pos..]);
                break;
            };
            let start = memchr::memrchr(b'\n', &chunk[pos..hit]).map_or(pos, |i| pos + i + 1);
            let end = line_end(chunk, hit);
            out.extend_from_slice(&chunk[pos..start]);
            self.redact_line(&chunk[start..end], out, counts);
            pos = end;
        }
    }

    /// The first trigger at or after `pos`.
    fn next_trigger(&mut self, chunk: &[u8], pos: usize) -> Option<usize> {
        let set = self.set;
        let fresh = self.hit_base != 0;
        self.hit_base = 0;
        let mut best = usize::MAX;
        for (i, slot) in self.next_hit.iter_mut().enumerate() {
            if fresh || *slot < pos {
                *slot = match i {
                    0 => set.prefilter.find_at(&self.folded, pos).map(|m| m.start()),
                    1 => memchr::memchr(b'@', &chunk[pos..]).map(|k| pos + k),
                    _ => {
                        let r = &set.user[i - 2];
                        r.trigger
                            .as_ref()
                            .unwrap_or(&r.re)
                            .find_at(chunk, pos)
                            .map(|m| m.start())
                    }
                }
                .unwrap_or(usize::MAX);
            }
            best = best.min(*slot);
        }
        (best != usize::MAX).then_some(best)
    }

    fn redact_line(&mut self, line: &[u8], out: &mut Vec<u8>, counts: &mut Counts) {
        let set = self.set;
        let (body, eol) = split_eol(line);
        // Unicode-mode classes never match invalid UTF-8, so a secret holding such bytes would
        // escape: make this line valid first (invalid bytes become U+FFFD; only lines that
        // triggered the prefilter are touched).
        // (`from_utf8` first: its ASCII fast path beats the lossy walk on valid lines.)
        let body: Cow<[u8]> = if std::str::from_utf8(body).is_ok() {
            Cow::Borrowed(body)
        } else {
            Cow::Owned(String::from_utf8_lossy(body).into_owned().into_bytes())
        };
        let body: &[u8] = &body;
        let mut text: Cow<[u8]> = Cow::Borrowed(body);
        if self.in_pem {
            self.pem_lines += 1;
            if let Some(m) = set.pem_end.find(body) {
                self.in_pem = false;
                let mut v = Vec::with_capacity(body.len());
                if body[..m.start()].iter().any(|b| !b.is_ascii_whitespace()) {
                    v.extend_from_slice(MASK);
                }
                v.extend_from_slice(&body[m.start()..]);
                text = Cow::Owned(v);
            } else {
                if self.pem_lines >= PEM_MAX_LINES {
                    self.in_pem = false;
                }
                if body.iter().any(|b| !b.is_ascii_whitespace()) {
                    out.extend_from_slice(MASK);
                }
                out.extend_from_slice(eol);
                return;
            }
        } else if let Some(b) = set.pem_begin.find(body) {
            let pem = Rule {
                name: RULE_PEM.to_string(),
                re: set.pem_inline.clone(),
                requires: None,
                keep: None,
                trigger: None,
            };
            if let Some(v) = apply_rule(&pem, &text, counts) {
                text = Cow::Owned(v);
            } else {
                // BEGIN without END on this line: mask the rest and every line up to END.
                let mut v = body[..b.end()].to_vec();
                if body[b.end()..].iter().any(|c| !c.is_ascii_whitespace()) {
                    v.extend_from_slice(MASK);
                }
                *counts.entry(RULE_PEM.to_string()).or_default() += 1;
                self.in_pem = true;
                self.pem_lines = 0;
                text = Cow::Owned(v);
            }
        }
        set.rules_on_line(&mut text, &mut self.pending, &mut self.gate, counts);
        out.extend_from_slice(&text);
        out.extend_from_slice(eol);
    }
}

/// Index just past the line that contains `pos` (past its `\n`, or the chunk end).
fn line_end(chunk: &[u8], pos: usize) -> usize {
    memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i + 1)
}

fn split_eol(line: &[u8]) -> (&[u8], &[u8]) {
    let mut cut = line.len();
    if cut > 0 && line[cut - 1] == b'\n' {
        cut -= 1;
        if cut > 0 && line[cut - 1] == b'\r' {
            cut -= 1;
        }
    }
    line.split_at(cut)
}

/// Mask every participating capture group (or the whole match when the regex has no groups).
/// Values that are already masked, empty, or kept by the rule's check are not counted.
/// `None` when nothing changed.
fn apply_rule(rule: &Rule, text: &[u8], counts: &mut Counts) -> Option<Vec<u8>> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    rule_spans(rule, text, counts, &mut spans);
    (!spans.is_empty()).then(|| mask_spans(text, spans))
}

/// The spans `rule` masks in `text`, added to `spans` (and counted per match).
fn rule_spans(rule: &Rule, text: &[u8], counts: &mut Counts, spans: &mut Vec<(usize, usize)>) {
    let mut n = 0u64;
    for caps in rule.re.captures_iter(text) {
        let before = spans.len();
        collect_spans(&caps, rule.keep, spans);
        if spans.len() > before {
            n += 1;
        }
    }
    if n > 0 {
        *counts.entry(rule.name.clone()).or_default() += n;
    }
}

/// `text` with every span replaced by [`MASK`]; overlapping spans are merged.
fn mask_spans(text: &[u8], mut spans: Vec<(usize, usize)>) -> Vec<u8> {
    spans.sort_unstable();
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    let mut i = 0;
    while i < spans.len() {
        let (s, mut e) = spans[i];
        i += 1;
        while i < spans.len() && spans[i].0 < e {
            e = e.max(spans[i].1);
            i += 1;
        }
        if s < pos {
            continue;
        }
        out.extend_from_slice(&text[pos..s]);
        out.extend_from_slice(MASK);
        pos = e;
    }
    out.extend_from_slice(&text[pos..]);
    out
}

fn collect_spans(
    caps: &Captures<'_>,
    keep: Option<fn(&[u8]) -> bool>,
    spans: &mut Vec<(usize, usize)>,
) {
    let groups: Vec<_> = if caps.len() > 1 {
        caps.iter().skip(1).flatten().collect()
    } else {
        caps.get(0).into_iter().collect()
    };
    for m in groups {
        let v = m.as_bytes();
        let unquoted = v
            .strip_prefix(b"\"")
            .or_else(|| v.strip_prefix(b"'"))
            .unwrap_or(v);
        // A value that starts with the mask was redacted already (a rule that runs to the end
        // of the line would otherwise swallow what follows, and count it twice).
        if !v.is_empty() && !unquoted.starts_with(MASK) && !keep.is_some_and(|k| k(v)) {
            spans.push((m.start(), m.end()));
        }
    }
}

#[cfg(test)]
mod tests;
