//! Small text helpers shared by the screens: sizes, times, markers, key/value lines, buttons.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::wizard::Timestamp;
use crate::wizard::model::Focus;

use super::Theme;

pub const DONE: &str = "✓";
pub const PENDING: &str = "…";
pub const FAILED: &str = "✗";
pub const WARN: &str = "!";
pub const CURRENT: &str = "▶";
/// A step the route passed over.
pub const SKIPPED: &str = "⊘";

pub fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.1} KiB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MiB", f / K / K)
    } else {
        format!("{:.2} GiB", f / K / K / K)
    }
}

pub fn clock(t: Timestamp) -> String {
    t.format("%H:%M:%S").to_string()
}

pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `label: value` with the label dimmed and padded.
pub fn kv<'a>(label: &str, value: impl Into<String>, theme: &Theme, width: usize) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<width$} "), theme.label()),
        Span::raw(value.into()),
    ])
}

pub fn kv_styled<'a>(
    label: &str,
    value: impl Into<String>,
    style: Style,
    theme: &Theme,
    width: usize,
) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<width$} "), theme.label()),
        Span::styled(value.into(), style),
    ])
}

/// Two buttons; the focused one is reversed and marked with ▶ so it shows without colour.
pub fn buttons<'a>(focus: Focus, cancel: &str, proceed: &str, theme: &Theme) -> Line<'a> {
    let button = |label: &str, on: bool| {
        if on {
            Span::styled(format!("{CURRENT} [ {label} ] "), theme.focus())
        } else {
            Span::styled(format!("  [ {label} ] "), theme.base())
        }
    };
    Line::from(vec![
        Span::raw("   "),
        button(cancel, focus == Focus::Cancel),
        Span::raw("   "),
        button(proceed, focus == Focus::Proceed),
    ])
}

/// Cut a string to `max` characters with an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

/// Keep the end of a path-like string (the file name matters most).
pub fn ellipsize_left(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let skip = n - max.saturating_sub(1);
    format!("…{}", s.chars().skip(skip).collect::<String>())
}

/// Word-wrap `s` to `width` columns: the first line starts with `first`, the others with
/// `rest` (so wrapped text keeps its indent). Words longer than a line are split.
pub fn wrap_indented(s: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut out: Vec<String> = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    let room = |prefix: &str| width.saturating_sub(prefix.width()).max(8);
    for word in s.split_whitespace() {
        let prefix_w = if out.is_empty() { first } else { rest };
        let sep = usize::from(!empty);
        if !empty && line.width() + sep + word.width() > width {
            out.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        let mut w = word;
        // A word wider than a whole line (a long path) is cut into pieces.
        while w.width() > room(if out.is_empty() { prefix_w } else { rest }) && empty {
            let max = room(if out.is_empty() { first } else { rest });
            let cut = w
                .char_indices()
                .scan(0, |acc, (i, c)| {
                    *acc += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    Some((i, *acc))
                })
                .take_while(|(_, acc)| *acc <= max)
                .last()
                .map(|(i, _)| i + w[i..].chars().next().map_or(1, char::len_utf8))
                .unwrap_or(w.len());
            line.push_str(&w[..cut]);
            out.push(std::mem::replace(&mut line, rest.to_string()));
            w = &w[cut..];
        }
        if w.is_empty() {
            continue;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(w);
        empty = false;
    }
    if !empty || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap_indented;

    #[test]
    fn wrapped_lines_keep_their_indent() {
        let lines = wrap_indented("alpha beta gamma delta epsilon", 16, " → ", "   ");
        assert_eq!(lines, [" → alpha beta", "   gamma delta", "   epsilon"]);
        for l in &lines {
            assert!(l.chars().count() <= 16);
        }
    }

    #[test]
    fn a_long_path_is_cut_not_lost() {
        let p = "/opt/servicenow/mid/agent/bin/wrapper-linux-x86-64";
        let lines = wrap_indented(p, 20, " → ", "   ");
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        let joined: String = lines
            .iter()
            .map(|l| l.trim_start_matches(" → ").trim_start())
            .collect();
        assert_eq!(joined, p);
    }
}

/// One line of a lesson's Markdown (`- item`, `` `code` ``, `**strong**`, `*em*`) as styled,
/// wrapped lines: the markers are rendered, never shown, and wrapped rows keep the indent.
pub fn markdown_lines<'a>(src: &str, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    use unicode_width::UnicodeWidthStr;
    let t = src.trim();
    let (first, rest, body) = match t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        Some(b) => ("   • ", "     ", b),
        None => (" ", " ", t),
    };
    // Words, each a run of styled pieces (a code span followed by a comma is one word).
    let mut words: Vec<Vec<(String, Style)>> = vec![];
    let mut word: Vec<(String, Style)> = vec![];
    let (mut code, mut strong, mut em) = (false, false, false);
    let mut buf = String::new();
    let style = |code: bool, strong: bool, em: bool| {
        let mut s = theme.base();
        if code {
            s = theme.title();
        }
        if strong {
            s = s.add_modifier(ratatui::style::Modifier::BOLD);
        }
        if em {
            s = s.add_modifier(ratatui::style::Modifier::ITALIC);
        }
        s
    };
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        let marker = match c {
            '`' => Some(1),
            '*' if !code && chars.peek() == Some(&'*') => Some(2),
            '*' if !code => Some(3),
            _ => None,
        };
        if let Some(k) = marker {
            if !buf.is_empty() {
                word.push((std::mem::take(&mut buf), style(code, strong, em)));
            }
            match k {
                1 => code = !code,
                2 => {
                    chars.next();
                    strong = !strong;
                }
                _ => em = !em,
            }
        } else if c.is_whitespace() && !code {
            if !buf.is_empty() {
                word.push((std::mem::take(&mut buf), style(code, strong, em)));
            }
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            buf.push(c);
        }
    }
    if !buf.is_empty() {
        word.push((buf, style(code, strong, em)));
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out: Vec<Line<'a>> = vec![];
    let mut line: Vec<Span<'a>> = vec![Span::raw(first.to_string())];
    let mut used = first.width();
    let mut empty = true;
    for w in words {
        let ww: usize = w.iter().map(|(s, _)| s.width()).sum();
        if !empty && used + 1 + ww > width {
            out.push(Line::from(std::mem::take(&mut line)));
            line.push(Span::raw(rest.to_string()));
            used = rest.width();
            empty = true;
        }
        if !empty {
            line.push(Span::raw(" "));
            used += 1;
        }
        for (s, st) in w {
            line.push(Span::styled(s, st));
        }
        used += ww;
        empty = false;
    }
    out.push(Line::from(line));
    out
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn markdown_markers_are_rendered_not_shown_and_bullets_keep_their_indent() {
        let theme = Theme::mono();
        let lines = markdown_lines(
            "- Do **not** start it: `glide-dist-upgrade.log` is in the *temp* folder, and more words follow here",
            40,
            &theme,
        );
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(
            text.iter().all(|l| !l.contains('`') && !l.contains('*')),
            "{text:?}"
        );
        assert!(text[0].starts_with("   • Do not start it:"), "{text:?}");
        assert!(text[1..].iter().all(|l| l.starts_with("     ")), "{text:?}");
        assert!(text.iter().all(|l| l.chars().count() <= 40), "{text:?}");
        let code = lines
            .iter()
            .flat_map(|l| l.spans.iter())
            .find(|s| s.content.contains("glide-dist-upgrade.log"))
            .unwrap();
        assert_eq!(code.content, "glide-dist-upgrade.log");
    }
}
