//! Shows the course's score card full screen until a key is pressed.

use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};

use crate::course::report::Report;
use crate::ui::Theme;

/// Draw the score card and wait for a key (or a hung-up terminal, or 10 minutes).
pub fn show(rep: &Report, theme: &Theme) -> anyhow::Result<()> {
    let mut guard = super::terminal::TerminalGuard::enter()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        guard
            .terminal
            .draw(|f| crate::ui::scorecard::draw(f, rep, theme))?;
        if std::time::Instant::now() > deadline || !event::poll(Duration::from_secs(1))? {
            if std::time::Instant::now() > deadline {
                break;
            }
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind == KeyEventKind::Press => break,
            _ => {}
        }
    }
    drop(guard);
    Ok(())
}
