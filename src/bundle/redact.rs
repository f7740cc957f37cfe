//! Redaction: ONE shared rule list for every byte that goes into a bundle (logs, confs,
//! config.xml, listings, system facts, the diagnosis and the summary).
//!
//! Text is processed line by line and streamed (a 1 GB log never sits in memory). A cheap
//! prefilter (one case-insensitive literal alternation) finds the few lines that can hold a
//! secret; only those run the named rules. Every rule masks its capture groups (or the whole
//! match when it has none) with [`MASK`] and is counted by name for the manifest.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use regex::bytes::{Captures, Regex, RegexBuilder};

/// What replaces a secret.
pub const MASK: &[u8] = b"***REDACTED***";

/// Redaction counts per rule name.
pub type Counts = BTreeMap<String, u64>;

/// Lines longer than this are processed in pieces so a 50 MB single-line file cannot sit in
/// memory; a secret straddling a piece boundary may be missed (documented limit).
pub const MAX_LINE: usize = 1 << 20;

/// A PEM block without an END line stops being masked after this many lines.
const PEM_MAX_LINES: u32 = 2000;

/// Words whose `=`/`:` values are secrets in free text.
const SECRET_WORDS: &str = r"password|passwd|pwd|passphrase|secret|token|api[_\-]?key|credential|private[_\-]?key|access[_\-]?key|auth[_\-]?key";

/// Lower-case literals that every built-in rule needs on its line. The prefilter searches an
/// ASCII-lower-cased copy of each chunk case-sensitively: about ten times faster than a
/// case-insensitive search, which matters over a 1 GB log set. Must cover [`SECRET_WORDS`].
/// URL user info is triggered by `@`, searched separately with memchr (a one-byte literal in
/// the alternation would slow the whole search down twenty-fold).
const TRIGGERS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "private_key",
    "private-key",
    "privatekey",
    "access_key",
    "access-key",
    "accesskey",
    "auth_key",
    "auth-key",
    "authkey",
    "authorization",
    "x-sn-apikey",
    "cookie",
    "-----begin",
    "-----end",
];

/// config.xml parameter names whose values are secrets (mid-server.md §3.3).
const CONFIG_SECRET_NAMES: &str = r"(?i)(password|passwd|pwd|secret|token|key|credential|ksm_config|client_secret|client_id|tenant_id|passphrase)";

/// config.xml parameters support needs and which are never secrets.
const CONFIG_KEEP: &[&str] = &["name", "url", "mid_sys_id"];

pub const RULE_CONFIG_XML: &str = "config_xml_secret_parameter";
pub const RULE_PEM: &str = "pem_block";

/// A named line rule: every participating capture group (or the whole match) is masked.
#[derive(Debug)]
struct Rule {
    name: String,
    re: Regex,
    /// User rules only: the same pattern with `^`/`$` at every line (CRLF too), to find the
    /// lines to process in a whole chunk.
    trigger: Option<Regex>,
}

/// The shared rule list.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Cheap trigger: a line without a hit here cannot match a built-in rule.
    prefilter: Regex,
    /// User rules are their own triggers.
    user_start: usize,
    pem_begin: Regex,
    pem_end: Regex,
    pem_inline: Regex,
    xml_param: Regex,
    xml_attr: Regex,
    xml_secret_name: Regex,
}

fn re(pattern: &str) -> anyhow::Result<Regex> {
    // Unicode mode on purpose: with it off, regex-automata 0.4.18 returns wrong matches for
    // patterns like `[a-z]+="(?-u:[^"])*"` (seen in testing). Lines with invalid UTF-8 are made
    // valid before the rules run (see `redact_line`).
    RegexBuilder::new(pattern)
        .size_limit(1 << 24)
        .build()
        .with_context(|| format!("built-in redaction pattern {pattern:?}"))
}

impl RuleSet {
    /// The built-in rules only. (An error here is a programming error that every test catches.)
    pub fn builtin() -> anyhow::Result<Self> {
        let w = SECRET_WORDS;
        let specs: Vec<(&str, String)> = vec![
            (
                "authorization_header",
                r#"(?i)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|negotiate|ntlm|token|hmac|sn_hmac)\s+([^\s"',;]+)|([^\s"',;][^\r\n]*))"#.to_string(),
            ),
            (
                "x_sn_apikey_header",
                r#"(?i)\bx-sn-apikey["']?\s*[:=]\s*["']?([^\s"',;]+)"#.to_string(),
            ),
            (
                "cookie_header",
                r#"(?i)\b(?:set-)?cookie["']?\s*:\s*["']?([^\r\n"']+)"#.to_string(),
            ),
            (
                "url_userinfo",
                r#"(?i)\b[a-z][a-z0-9+.\-]*://([^\s/?#@:'"<>]+):([^\s/?#'"<>]*)@"#.to_string(),
            ),
            (
                "wrapper_ntservice_password",
                r"(?i)\bwrapper\.ntservice\.password[\w.]*\s*=\s*([^\r\n]*[^\s])".to_string(),
            ),
            (
                "java_property_secret",
                format!(r#"(?i)-D[\w.\-]*(?:{w})[\w.\-]*=(?:"([^"\r\n]*)"|([^\s"]+))"#),
            ),
            (
                "quoted_secret_pair",
                format!(
                    r#"(?i)[\w.\-]*(?:{w})[\w.\-]*["']?\s*:\s*(?:"((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)')"#
                ),
            ),
            (
                "secret_key_value",
                format!(
                    r#"(?i)\b[\w.\-]*(?:{w})[\w.\-]*\s*=\s*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"'&,;<>]+))"#
                ),
            ),
        ];
        let rules: Vec<Rule> = specs
            .into_iter()
            .map(|(name, p)| {
                Ok(Rule {
                    name: name.to_string(),
                    re: re(&p)?,
                    trigger: None,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let user_start = rules.len();
        let prefilter = TRIGGERS
            .iter()
            .map(|t| regex::escape(t))
            .collect::<Vec<_>>()
            .join("|");
        Ok(RuleSet {
            rules,
            prefilter: re(&prefilter)?,
            user_start,
            pem_begin: re(r"-----BEGIN [A-Z0-9 ]{0,64}-----")?,
            pem_end: re(r"-----END [A-Z0-9 ]{0,64}-----")?,
            pem_inline: re(r"-----BEGIN [A-Z0-9 ]{0,64}-----(.*?)-----END [A-Z0-9 ]{0,64}-----")?,
            xml_param: re(r"(?s)<parameter\b[^>]*>")?,
            xml_attr: re(r#"([\w.:\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)?,
            xml_secret_name: re(CONFIG_SECRET_NAMES)?,
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
            set.rules.push(Rule {
                name: format!("user_rule_line_{}", i + 1),
                re: compiled,
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

    /// Every rule name, in order (for the manifest).
    pub fn rule_names(&self) -> Vec<String> {
        let mut v = vec![RULE_CONFIG_XML.to_string(), RULE_PEM.to_string()];
        v.extend(self.rules.iter().map(|r| r.name.clone()));
        v
    }

    /// A streaming redactor (it carries the "inside a PEM block" state across lines).
    pub fn stream(&self) -> Stream<'_> {
        Stream {
            set: self,
            folded: Vec::new(),
            in_pem: false,
            pem_lines: 0,
            next_hit: vec![0; 2 + self.rules.len() - self.user_start],
            hit_base: usize::MAX,
        }
    }

    /// Redact a whole text (small generated files) in one go.
    pub fn redact_text(&self, text: &[u8], counts: &mut Counts) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        self.stream().push(text, &mut out, counts);
        out
    }

    /// Redact config.xml: secret `<parameter>` values (attribute order does not matter; commented
    /// out parameters are redacted too), then every line rule.
    pub fn redact_config_xml(&self, xml: &[u8], counts: &mut Counts) -> Vec<u8> {
        // Same reason as in `redact_line`: the attribute regex needs valid UTF-8.
        let lossy = String::from_utf8_lossy(xml);
        let xml = lossy.as_bytes();
        let mut out = Vec::with_capacity(xml.len());
        let mut pos = 0;
        let mut n = 0u64;
        for m in self.xml_param.find_iter(xml) {
            if m.start() < pos {
                continue;
            }
            let tag = &xml[m.start()..m.end()];
            let mut name: Option<&[u8]> = None;
            let mut value: Option<(usize, usize)> = None;
            let mut flagged = false;
            for c in self.xml_attr.captures_iter(tag) {
                let (Some(k), Some(v)) = (c.get(1), c.get(2).or_else(|| c.get(3))) else {
                    continue;
                };
                let key = k.as_bytes().to_ascii_lowercase();
                match key.as_slice() {
                    b"name" => name = Some(v.as_bytes()),
                    b"value" => value = Some((v.start(), v.end())),
                    b"secure" | b"encrypt" => {
                        flagged |= v.as_bytes().eq_ignore_ascii_case(b"true");
                    }
                    _ => {}
                }
            }
            let keep = name.is_some_and(|nm| CONFIG_KEEP.iter().any(|k| nm == k.as_bytes()));
            let secret_name = name.is_some_and(|nm| self.xml_secret_name.is_match(nm));
            let value_bytes = value.map(|(s, e)| &tag[s..e]);
            let encrypted = value_bytes.is_some_and(|v| v.starts_with(b"encrypted:"));
            let secret = !keep && (flagged || secret_name || encrypted);
            out.extend_from_slice(&xml[pos..m.start()]);
            pos = m.end();
            match (secret, value) {
                (true, Some((s, e))) if e > s && &tag[s..e] != MASK => {
                    out.extend_from_slice(&tag[..s]);
                    out.extend_from_slice(MASK);
                    out.extend_from_slice(&tag[e..]);
                    n += 1;
                }
                (true, None) if !tag.ends_with(b"/>") => {
                    // `<parameter name="x">secret</parameter>`: mask the element text.
                    out.extend_from_slice(tag);
                    let rest = &xml[pos..];
                    if let Some(close) = memchr::memmem::find(rest, b"</parameter") {
                        let text = &rest[..close];
                        if text.iter().any(|b| !b.is_ascii_whitespace()) && text != MASK {
                            out.extend_from_slice(MASK);
                            n += 1;
                        } else {
                            out.extend_from_slice(text);
                        }
                        pos += close;
                    }
                }
                _ => out.extend_from_slice(tag),
            }
        }
        out.extend_from_slice(&xml[pos..]);
        if n > 0 {
            *counts.entry(RULE_CONFIG_XML.to_string()).or_default() += n;
        }
        self.redact_text(&out, counts)
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
    /// ASCII-lower-cased copy of the current chunk, for the prefilter.
    folded: Vec<u8>,
    in_pem: bool,
    pem_lines: u32,
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
            if self.in_pem {
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
                        let r = &set.rules[set.user_start + i - 2];
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
        let body: Cow<[u8]> = match String::from_utf8_lossy(body) {
            Cow::Borrowed(_) => Cow::Borrowed(body),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
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
            let inline = apply_rule(&set.pem_inline, &text, RULE_PEM, counts);
            if let Some(v) = inline {
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
        for rule in &set.rules {
            if let Some(v) = apply_rule(&rule.re, &text, &rule.name, counts) {
                text = Cow::Owned(v);
            }
        }
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
/// Values that are already masked or empty are not counted again. `None` when nothing changed.
fn apply_rule(re: &Regex, text: &[u8], name: &str, counts: &mut Counts) -> Option<Vec<u8>> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut n = 0u64;
    for caps in re.captures_iter(text) {
        let before = spans.len();
        collect_spans(&caps, &mut spans);
        if spans.len() > before {
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    spans.sort_unstable();
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in spans {
        if s < pos {
            continue;
        }
        out.extend_from_slice(&text[pos..s]);
        out.extend_from_slice(MASK);
        pos = e;
    }
    out.extend_from_slice(&text[pos..]);
    *counts.entry(name.to_string()).or_default() += n;
    Some(out)
}

fn collect_spans(caps: &Captures<'_>, spans: &mut Vec<(usize, usize)>) {
    let groups: Vec<_> = if caps.len() > 1 {
        caps.iter().skip(1).flatten().collect()
    } else {
        caps.get(0).into_iter().collect()
    };
    for m in groups {
        let v = m.as_bytes();
        // A value that starts with the mask was redacted already (a rule that runs to the end
        // of the line would otherwise swallow what follows, and count it twice).
        if !v.is_empty() && !v.starts_with(MASK) {
            spans.push((m.start(), m.end()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(s: &str) -> (String, Counts) {
        let mut c = Counts::new();
        let out = RuleSet::builtin()
            .unwrap()
            .redact_text(s.as_bytes(), &mut c);
        (String::from_utf8(out).unwrap(), c)
    }

    #[test]
    fn masks_headers_userinfo_and_pairs() {
        let (o, c) = red("GET / Authorization: Basic dXNlcjpzM2NyZXQ= status=401\n\
             Authorization: Digest username=\"u\", response=\"abc123\"\n\
             x-sn-apikey: now_ABC123\n\
             proxy https://bob:p@ss@proxy.example.com:8080/x ok\n\
             -Djavax.net.ssl.trustStorePassword=hunter2 -Xmx1g\n\
             wrapper.ntservice.password=Sup3r\n\
             {\"client_secret\": \"abc\\\"def\", \"name\": \"keep\"}\n\
             url?user=a&password=xyz&x=1\n");
        assert!(o.contains("Basic ***REDACTED*** status=401"), "{o}");
        for s in [
            "dXNlcjpzM2NyZXQ",
            "abc123",
            "now_ABC123",
            "bob",
            "p@ss",
            "hunter2",
            "Sup3r",
            "abc",
            "xyz",
        ] {
            assert!(!o.contains(s), "{s} leaked in {o}");
        }
        assert!(o.contains("proxy.example.com:8080/x ok"));
        assert!(o.contains("-Xmx1g"));
        assert!(o.contains("\"name\": \"keep\""));
        assert!(o.contains("&x=1"));
        assert_eq!(c["url_userinfo"], 1);
        assert_eq!(c["java_property_secret"], 1);
        // Not counted twice by the generic rule.
        assert!(!c.contains_key("secret_key_value") || c["secret_key_value"] == 1);
    }

    #[test]
    fn triggers_cover_every_secret_word_in_any_case() {
        let set = RuleSet::builtin().unwrap();
        for w in [
            "PassWord=x",
            "PASSWD=x",
            "Pwd=x",
            "PassPhrase=x",
            "SECRET=x",
            "Token=x",
            "ApiKey=x",
            "API_KEY=x",
            "api-key=x",
            "Credential=x",
            "PRIVATE_KEY=x",
            "privateKey=x",
            "Access_Key=x",
            "accessKey=x",
            "AUTH_KEY=x",
            "authKey=x",
        ] {
            let mut c = Counts::new();
            let out = set.redact_text(format!("a {w} b\n").as_bytes(), &mut c);
            assert!(
                out.ends_with(b"=***REDACTED*** b\n"),
                "{w}: {}",
                String::from_utf8_lossy(&out)
            );
        }
    }

    #[test]
    fn prefilter_stays_on_the_literal_fast_path() {
        // A one-byte literal (like `@`) in the alternation makes the regex crate drop its fast
        // literal search; `@` is searched with memchr instead.
        assert!(
            TRIGGERS
                .iter()
                .all(|t| t.len() >= 3 && *t == t.to_ascii_lowercase())
        );
        let (o, c) = red("see https://u:p@h/ x\n");
        assert_eq!(o, "see https://***REDACTED***:***REDACTED***@h/ x\n");
        assert_eq!(c["url_userinfo"], 1);
    }

    #[test]
    fn json_stays_valid() {
        let set = RuleSet::builtin().unwrap();
        let mut v = serde_json::json!({"evidence": [{"text": "wrapper.ntservice.password=abc", "line": 3},
            {"text": "Authorization: xyz, more"}], "name": "mid-1"});
        let mut c = Counts::new();
        redact_json(&set, &mut v, &mut c);
        let text = serde_json::to_string(&v).unwrap();
        assert!(!text.contains("abc") && !text.contains("xyz"), "{text}");
        assert!(text.contains("mid-1"));
        assert_eq!(c.values().sum::<u64>(), 2);
    }

    #[test]
    fn keeps_diagnostic_lines() {
        let line = "10/22/18 17:56:13 (898) MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting\n";
        let (o, c) = red(line);
        assert_eq!(o, line);
        assert!(c.is_empty());
    }

    #[test]
    fn pem_blocks_across_lines_and_chunks() {
        let set = RuleSet::builtin().unwrap();
        let mut s = set.stream();
        let mut out = Vec::new();
        let mut c = Counts::new();
        s.push(
            b"before\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\r\n",
            &mut out,
            &mut c,
        );
        s.push(
            b"QUJDREVG\n-----END PRIVATE KEY-----\nafter\n",
            &mut out,
            &mut c,
        );
        let o = String::from_utf8(out).unwrap();
        assert!(
            !o.contains("MIIEvQIBADAN") && !o.contains("QUJDREVG"),
            "{o}"
        );
        assert!(o.starts_with("before\n-----BEGIN PRIVATE KEY-----\n"));
        assert!(o.ends_with("-----END PRIVATE KEY-----\nafter\n"));
        assert!(o.contains("***REDACTED***\r\n"));
        assert_eq!(c[RULE_PEM], 1);
        let (o, _) =
            red("{\"k\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\"}\n");
        assert!(!o.contains("MIIB"));
    }

    #[test]
    fn config_xml_any_attribute_order() {
        let xml = br#"<parameters>
 <parameter name="url" value="https://acme.service-now.com/"/>
 <parameter value="plain-secret" name="mid.instance.password" encrypt="true"/>
 <parameter name="mid.proxy.password" secure="true" value="encrypted:7cHG3x8Ssx9m84qHaHlgKQ=="/>
 <parameter name="ext.cred.azure.client_id" value="cid-123"/>
 <!-- <parameter name="glide.mid.autoupgrade.proxy_password" value="commented"/> -->
 <parameter name="name" value="mid-prod-01"/>
 <parameter name="mid_sys_id" value="0123abcd"/>
 <parameter name="threads.max" value="25"/>
</parameters>"#;
        let mut c = Counts::new();
        let out =
            String::from_utf8(RuleSet::builtin().unwrap().redact_config_xml(xml, &mut c)).unwrap();
        for s in ["plain-secret", "7cHG3x8", "cid-123", "commented"] {
            assert!(!out.contains(s), "{s} leaked: {out}");
        }
        for s in [
            "https://acme.service-now.com/",
            "mid-prod-01",
            "0123abcd",
            "\"25\"",
        ] {
            assert!(out.contains(s), "{s} lost: {out}");
        }
        assert_eq!(c[RULE_CONFIG_XML], 4);
    }

    #[test]
    fn user_rules_and_bad_rule() {
        let set = RuleSet::with_user_rules("# comment\n\nACME-[0-9]{4}\nticket=(\\w+)\n").unwrap();
        let mut c = Counts::new();
        let o = set.redact_text(b"id ACME-1234 and ticket=XY9 done\n", &mut c);
        assert_eq!(o, b"id ***REDACTED*** and ticket=***REDACTED*** done\n");
        assert_eq!(c["user_rule_line_3"], 1);
        assert_eq!(c["user_rule_line_4"], 1);
        // Anchored user rules apply per line, also in the middle of a chunk.
        let set = RuleSet::with_user_rules("^SECRET:.*$\n").unwrap();
        let mut c = Counts::new();
        let o = set.redact_text(b"a\r\nSECRET: x y\r\nb SECRET: no\n", &mut c);
        assert_eq!(o, b"a\r\n***REDACTED***\r\nb SECRET: no\n");
        let err = RuleSet::with_user_rules("ok\n(unclosed\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"));
    }

    #[test]
    fn invalid_utf8_and_no_newline() {
        let mut c = Counts::new();
        let o = RuleSet::builtin()
            .unwrap()
            .redact_text(b"\xff\xfe token=abc\xff", &mut c);
        assert_eq!(o, "\u{fffd}\u{fffd} token=***REDACTED***".as_bytes());
    }
}
