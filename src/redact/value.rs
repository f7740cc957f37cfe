//! How far the value of a secret `KEY<sep>` reaches. A regex cannot say it well: a quoted
//! value runs to its closing quote (or the end of the line when it has none), a property
//! line's value is the rest of the line, a command-line argument ends at white space, and a
//! value in free text may hold spaces, `;` or `<>` but stops before the next `key=`.

use super::MASK;
use super::rules::KNOWN_MESSAGES;

/// Where the value of a secret key is.
#[derive(Debug, PartialEq, Eq)]
pub enum Value {
    /// Mask `start..end` of the line.
    Span(usize, usize),
    /// The value is on the next line.
    Pending,
    /// Nothing to mask (empty, already masked, or a known message).
    Nothing,
}

/// Most extra words a free-text value may run over (`password=correct horse battery staple`).
const MAX_WORDS: usize = 8;
/// A longer "word" is a blob, not part of a passphrase (a 1 MB run of a dump).
const MAX_WORD: usize = 64;

/// The value after a separator ending at `after_sep`. `key_start` is where the key begins
/// and `colon` tells whether the separator was `:` (JSON, YAML, headers).
pub fn find(line: &[u8], key_start: usize, after_sep: usize, colon: bool) -> Value {
    let mut s = after_sep;
    while s < line.len() && (line[s] == b' ' || line[s] == b'\t') {
        s += 1;
    }
    let rest = &line[s..];
    if rest.is_empty() {
        return if colon {
            Value::Pending
        } else {
            Value::Nothing
        };
    }
    if rest == b"\\" {
        return Value::Pending;
    }
    if rest.starts_with(MASK)
        || KNOWN_MESSAGES
            .iter()
            .any(|m| rest.starts_with(m.as_bytes()))
    {
        return Value::Nothing;
    }
    // Quoted: to the closing quote, else to the end of the line.
    for (open, close) in [
        (&b"\\\""[..], &b"\\\""[..]),
        (b"&quot;", b"&quot;"),
        (b"%22", b"%22"),
        (b"\"", b"\""),
        (b"'", b"'"),
    ] {
        if let Some(body) = rest.strip_prefix(open) {
            let vs = s + open.len();
            let end = closing(body, close).map_or(line.len(), |i| vs + i);
            return span(line, vs, end);
        }
    }
    let key = &line[key_start..];
    let prefix = &line[..key_start];
    let flag = key.first() == Some(&b'-') || key.first() == Some(&b'/');
    // A property or conf line (`password=...`, `wrapper.java.additional.5=-Dx.pass=...`):
    // its value is the rest of the line.
    if is_assignment_prefix(prefix) && !(flag && trim(prefix).is_empty()) {
        return span(line, s, trim_end(line));
    }
    let mut end = word_end(line, s);
    // A command-line argument (`-Dx.pass=v`, `--password=v`) ends at white space.
    if flag {
        return span(line, s, end);
    }
    // Free text: run over a few more words, stopping before the next `key=`/`key:`,
    // a flag, a mask, or a blob.
    let mut words = 0;
    loop {
        let mut ws = end;
        while ws < line.len() && (line[ws] == b' ' || line[ws] == b'\t') {
            ws += 1;
        }
        if ws == end || ws >= line.len() || words >= MAX_WORDS {
            break;
        }
        let we = word_end(line, ws);
        let w = &line[ws..we];
        let stop = w.len() > MAX_WORD
            || w.starts_with(b"-")
            || w.starts_with(MASK)
            || w.starts_with(b"|")
            || w.contains(&b'=')
            || w.ends_with(b":");
        if stop || we == ws {
            break;
        }
        end = we;
        words += 1;
    }
    if colon && end > s {
        // `"password": secret, "user": "bob"`: a JSON value ends at its comma.
        if let Some(i) = line[s..end].windows(2).position(|w| w == b", ") {
            end = s + i;
        }
    }
    span(line, s, end)
}

fn span(line: &[u8], s: usize, e: usize) -> Value {
    if e > s && !line[s..e].iter().all(u8::is_ascii_whitespace) {
        Value::Span(s, e)
    } else {
        Value::Nothing
    }
}

/// `password` at the start of a line, or after `some.property=` (conf, properties, env).
fn is_assignment_prefix(prefix: &[u8]) -> bool {
    let p = trim(prefix);
    if p.is_empty() {
        return true;
    }
    // `export X=`, `set X=`, `SetEnv` lines start with a keyword; `wrapper.x.N=` is a property.
    let Some(eq) = p.strip_suffix(b"=") else {
        return matches!(
            p.to_ascii_lowercase().as_slice(),
            b"export" | b"set" | b"setx" | b"setenv"
        );
    };
    let name = trim(eq);
    !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e.max(s)]
}

fn trim_end(line: &[u8]) -> usize {
    line.iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1)
}

/// End of the unquoted word at `s`: the next white space, or a URL query's next `&name=`.
fn word_end(line: &[u8], s: usize) -> usize {
    let mut i = s;
    while i < line.len() && !line[i].is_ascii_whitespace() {
        if (line[i] == b'&' && next_is_param(&line[i + 1..]))
            || (line[i..].starts_with(b"%26") && next_is_param(&line[i + 3..]))
        {
            break;
        }
        i += 1;
    }
    i
}

/// `name=` follows (a URL query's next parameter).
fn next_is_param(rest: &[u8]) -> bool {
    let n = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    n > 0
        && (rest[n..].starts_with(b"=")
            || rest[n..].starts_with(b"%3D")
            || rest[n..].starts_with(b"%3d"))
}

/// Index of the closing quote in `body` (a `\` escapes the next byte for `"`).
fn closing(body: &[u8], close: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < body.len() {
        if close == b"\"" && body[i] == b'\\' {
            i += 2;
            continue;
        }
        if body[i..].starts_with(close) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(line: &str, key: &str, sep: &str) -> Option<String> {
        let k = line.find(key).unwrap();
        let after = line[k..].find(sep).unwrap() + k + sep.len();
        match find(line.as_bytes(), k, after, sep == ":") {
            Value::Span(s, e) => Some(line[s..e].to_string()),
            _ => None,
        }
    }

    #[test]
    fn extents() {
        assert_eq!(val("password=a b c", "password", "=").unwrap(), "a b c");
        assert_eq!(
            val("x user=sa password=p w host=db01", "password", "=").unwrap(),
            "p w"
        );
        assert_eq!(val("x token=abc&x=1", "token", "=").unwrap(), "abc");
        assert_eq!(val("x token=a;b<c>d", "token", "=").unwrap(), "a;b<c>d");
        assert_eq!(
            val(r#"x {"password":"a\"b", "n":"k"}"#, "password", ":").unwrap(),
            r#"a\"b"#
        );
        assert_eq!(
            val(r#"x password="never closed here"#, "password", "=").unwrap(),
            "never closed here"
        );
        assert_eq!(val("a -Dx.pass=v -Xmx1g", "-Dx.pass", "=").unwrap(), "v");
        assert_eq!(
            val("wrapper.java.additional.3=-Dx.pass=v w", "-Dx.pass", "=").unwrap(),
            "v w"
        );
        assert_eq!(
            val("x client_secret%3Dabc%26y%3D1", "client_secret", "%3D").unwrap(),
            "abc"
        );
        assert_eq!(
            val(
                "mid.instance.password: Problem while decrypting",
                "mid",
                ":"
            ),
            None
        );
        let l = b"  \"password\":   ";
        assert_eq!(find(l, 3, 14, true), Value::Pending);
    }
}
