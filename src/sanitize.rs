//! The one sanitiser: untrusted text (log lines, script output, file and folder names) made
//! safe for a terminal, in the CLI and the wizard alike. Escape sequences are removed and other
//! control characters replaced, so a log line or a folder name can never move the cursor,
//! change colours, retitle the terminal or rewrite a line the operator is about to confirm.

/// Longest line kept for display; the rest is cut with a marker (the bundle keeps the full text).
pub const MAX_LINE_CHARS: usize = 4_000;

/// A path, safe to print: as [`line`], never cut.
pub fn path(p: &std::path::Path) -> String {
    clean(&p.to_string_lossy(), usize::MAX)
}

/// Any short untrusted text (a name, a command), safe to print: as [`line`], never cut.
pub fn text(s: &str) -> String {
    clean(s, usize::MAX)
}

/// Strip ANSI/VT escape sequences (CSI, OSC, DCS, two-byte ESC), expand tabs to spaces, replace
/// every other control character with `�`, drop a trailing `\r`, and cap the length.
pub fn line(input: &str) -> String {
    clean(input, MAX_LINE_CHARS)
}

fn clean(input: &str, max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    let mut chars = input.strip_suffix('\r').unwrap_or(input).chars().peekable();
    let mut count = 0usize;
    while let Some(c) = chars.next() {
        if count >= max {
            out.push_str(" …[cut]");
            break;
        }
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI/OSC/DCS introducers used by some terminals.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' => skip_string(&mut chars),
            '\t' => {
                out.push_str("    ");
                count += 4;
            }
            c if c.is_control() => {
                out.push('\u{fffd}');
                count += 1;
            }
            c => {
                out.push(c);
                count += 1;
            }
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(chars),
        // Charset selection and the like take one more byte.
        Some('(') | Some(')') | Some('*') | Some('+') | Some('#') | Some('%') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates, ended by a byte in 0x40..=0x7e.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/...: ended by BEL or ST (`ESC \`).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            break;
        }
        if c == '\u{1b}' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_and_cursor_sequences() {
        assert_eq!(line("\u{1b}[31mred\u{1b}[0m ok"), "red ok");
        assert_eq!(line("a\u{1b}[2J\u{1b}[Hb"), "ab");
    }

    #[test]
    fn strips_osc_title_change() {
        assert_eq!(line("x\u{1b}]0;pwned\u{7}y"), "xy");
        assert_eq!(line("x\u{1b}]0;pwned\u{1b}\\y"), "xy");
    }

    #[test]
    fn replaces_other_controls_and_trailing_cr() {
        assert_eq!(line("a\u{8}b\u{7}c\r"), "a\u{fffd}b\u{fffd}c");
        assert_eq!(line("a\tb"), "a    b");
    }

    #[test]
    fn caps_gigantic_lines() {
        let long = "x".repeat(50_000);
        let s = line(&long);
        assert!(s.chars().count() < MAX_LINE_CHARS + 10);
        assert!(s.ends_with("…[cut]"));
    }

    #[test]
    fn unterminated_sequence_does_not_panic() {
        assert_eq!(line("ok\u{1b}["), "ok");
        assert_eq!(line("ok\u{1b}"), "ok");
    }
}

#[cfg(test)]
mod path_tests {
    #[test]
    fn escape_in_a_folder_name_cannot_rewrite_the_line() {
        let p = std::path::Path::new(
            "/tmp/x\u{1b}[2K\rruns: rm -rf /\u{1b}]0;t\u{7}/glide-dist-upgrade.sh",
        );
        let shown = super::path(p);
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\r'));
        assert!(shown.ends_with("/glide-dist-upgrade.sh"));
    }
}
