//! Colours and their monochrome stand-ins. Meaning is always carried by a text marker too
//! (✓ … ✗ ! and words), so the monochrome theme loses nothing.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub mono: bool,
    /// ASCII only (`TERM=dumb`, or a non-UTF-8 locale such as `LANG=C`): borders and marks are
    /// drawn with `+-|` and letters, so nothing turns into mojibake.
    pub ascii: bool,
}

impl Theme {
    pub fn color() -> Self {
        Theme {
            mono: false,
            ascii: false,
        }
    }

    pub fn mono() -> Self {
        Theme {
            mono: true,
            ascii: false,
        }
    }

    /// Monochrome and ASCII, as on `TERM=dumb`.
    pub fn plain() -> Self {
        Theme {
            mono: true,
            ascii: true,
        }
    }

    /// Monochrome when asked, when NO_COLOR is set to anything non-empty (no-color.org), or on
    /// `TERM=dumb`; ASCII on `TERM=dumb` or a non-UTF-8 locale.
    pub fn from_env(no_color_flag: bool) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = var("TERM").is_some_and(|t| t == "dumb");
        let locale = var("LC_ALL")
            .or_else(|| var("LC_CTYPE"))
            .or_else(|| var("LANG"));
        Theme {
            mono: no_color_flag || env || dumb,
            ascii: dumb || locale.is_some_and(|l| !utf8_locale(&l)),
        }
    }

    fn pick(&self, color: Style, mono: Style) -> Style {
        if self.mono { mono } else { color }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn title(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn header(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Black).bg(Color::Cyan),
            Style::default().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn ok(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn warn(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn error(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn dim(&self) -> Style {
        self.pick(
            Style::default().fg(Color::DarkGray),
            Style::default().add_modifier(Modifier::DIM),
        )
    }

    pub fn key(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn label(&self) -> Style {
        self.pick(Style::default().fg(Color::Gray), Style::default())
    }

    /// The focused button or selected row.
    pub fn focus(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub fn border(&self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }

    pub fn border_focus(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Cyan),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn banner_danger(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }
}

/// Whether a locale name says UTF-8 (`en_US.UTF-8`, `C.utf8`).
pub fn utf8_locale(l: &str) -> bool {
    let l = l.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

/// The ASCII stand-in for one cell's symbol (box drawing, marks, arrows); `?` for anything else
/// outside ASCII, so the layout keeps its width.
pub fn ascii_symbol(s: &str) -> &str {
    if s.is_ascii() {
        return s;
    }
    match s {
        "─" | "━" | "═" => "-",
        "│" | "┃" | "║" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" | "╭" | "╮" | "╰" | "╯" => {
            "+"
        }
        "✓" | "✔" => "v",
        "✗" | "✘" => "x",
        "›" => "/",
        "▶" | "→" | "»" => ">",
        "←" | "«" => "<",
        "↑" => "^",
        "↓" => "v",
        "…" => ".",
        "·" | "•" => "*",
        "⊘" => "-",
        "█" | "▒" | "░" => "#",
        "\u{a0}" => " ",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_symbols() {
        assert!(utf8_locale("en_US.UTF-8") && utf8_locale("C.utf8"));
        assert!(!utf8_locale("C") && !utf8_locale("en_US.ISO-8859-1"));
        assert_eq!(ascii_symbol("┌"), "+");
        assert_eq!(ascii_symbol("✓"), "v");
        assert_eq!(ascii_symbol("a"), "a");
        assert_eq!(ascii_symbol("é"), "?");
    }
}
