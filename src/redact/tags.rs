//! XML tags that carry a secret in an attribute: config.xml's
//! `<parameter name="mid.proxy.password" value="..."/>`, the same quoted in a log line, a
//! .NET `<add key="DbPassword" value="..."/>`. Attribute order, quotes, case and a `>` inside
//! an earlier attribute do not matter.

use regex::bytes::Regex;

use super::MASK;
use super::rules::KEEP_NAMES;

/// The compiled patterns.
#[derive(Debug, Clone)]
pub struct Tags {
    /// A whole start tag, quotes respected (so a `>` inside a value does not end it).
    pub tag: Regex,
    pub attr: Regex,
    pub secret_name: Regex,
}

/// How many times one text may be searched again from a `<` inside a tag (keeps a text of
/// nothing but unclosed quotes and `<` linear).
const RETRY_BUDGET: usize = 256;

/// Mask the secret `value` attributes (and the text of a secret element without one) in
/// `text`. Returns the new text and how many values were masked, or `None` if none.
pub fn mask(t: &Tags, text: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    let mut n = 0u64;
    let mut at = 0;
    let mut retries = RETRY_BUDGET;
    while let Some(m) = t.tag.find_at(text, at) {
        // A tag that is not a secret's but holds another `<` (a stray `<x "` before the real
        // tag leaves a quote open that swallows it) is searched again from that `<`.
        at = match memchr::memchr(b'<', &text[m.start() + 1..m.end()]) {
            Some(i) if retries > 0 => {
                retries -= 1;
                m.start() + 1 + i
            }
            _ => m.end(),
        };
        if m.start() < pos {
            continue;
        }
        let tag = &text[m.start()..m.end()];
        let mut name: Option<&[u8]> = None;
        let mut values: Vec<(usize, usize)> = Vec::new();
        let mut flagged = false;
        for c in t.attr.captures_iter(tag) {
            let (Some(k), Some(v)) = (c.get(1), c.get(2).or_else(|| c.get(3))) else {
                continue;
            };
            match k.as_bytes().to_ascii_lowercase().as_slice() {
                b"name" | b"key" | b"id" => name = Some(v.as_bytes()),
                b"value" | b"default" | b"defaultvalue" => values.push((v.start(), v.end())),
                b"secure" | b"encrypt" | b"encrypted" | b"password" | b"sensitive" => {
                    flagged |= v.as_bytes().eq_ignore_ascii_case(b"true");
                }
                _ => {}
            }
        }
        let Some(nm) = name else {
            continue;
        };
        let keep = KEEP_NAMES
            .iter()
            .any(|k| nm.eq_ignore_ascii_case(k.as_bytes()));
        let encrypted = values
            .iter()
            .any(|&(s, e)| tag[s..e].starts_with(b"encrypted:"));
        if keep || !(flagged || encrypted || t.secret_name.is_match(nm)) {
            continue;
        }
        // Undone below when nothing in this tag needed masking (a stray tag that merely
        // contains a secret tag's attributes must not hide the real one).
        let (mark, pos_before, n_before) = (out.len(), pos, n);
        out.extend_from_slice(&text[pos..m.start()]);
        pos = m.end();
        let mut tp = 0;
        for (s, e) in values {
            if e > s && !tag[s..e].starts_with(MASK) {
                out.extend_from_slice(&tag[tp..s]);
                out.extend_from_slice(MASK);
                tp = e;
                n += 1;
            }
        }
        out.extend_from_slice(&tag[tp..]);
        if tp == 0 && !tag.ends_with(b"/>") {
            // `<parameter name="x.password">secret</parameter>`: mask the element text.
            let rest = &text[pos..];
            let close = memchr::memmem::find(rest, b"</").unwrap_or(rest.len());
            let body = &rest[..close];
            if body.iter().any(|b| !b.is_ascii_whitespace()) && !trimmed_is_mask(body) {
                out.extend_from_slice(MASK);
                n += 1;
                pos += close;
            }
        }
        if n == n_before {
            out.truncate(mark);
            pos = pos_before;
        } else {
            at = at.max(pos);
        }
    }
    if n == 0 {
        return None;
    }
    out.extend_from_slice(&text[pos..]);
    Some((out, n))
}

fn trimmed_is_mask(b: &[u8]) -> bool {
    let s = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(0);
    b[s..].starts_with(MASK)
}
