//! The course's score card: one row per scenario (result, outcome, time, mistakes, hints) and
//! the totals. Pure: draws a `Report`, nothing else.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::Theme;
use crate::course::report::{self, Report};

pub fn draw(frame: &mut Frame, rep: &Report, theme: &Theme) {
    let area = frame.area();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Score card: {} ", rep.title))
        .border_style(theme.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 4 || inner.width < 30 {
        frame.render_widget(
            Paragraph::new("Window too small for the score card."),
            inner,
        );
        return;
    }
    let total = rep.scores.len() + rep.not_attempted.len();
    let head = Line::styled(
        format!(
            " Passed {} of {total}; {} mistakes; hints {}.",
            rep.passed(),
            rep.mistakes(),
            if rep.hints_on { "on" } else { "off" }
        ),
        theme.title(),
    );
    frame.render_widget(Paragraph::new(head), Rect { height: 1, ..inner });
    let mut rows: Vec<Row> = Vec::new();
    for s in &rep.scores {
        let mistakes = report::mistakes_text(s);
        rows.push(Row::new(vec![
            Cell::from(s.scenario.clone()),
            Cell::from(if s.passed { "PASS" } else { "FAIL" }).style(if s.passed {
                theme.ok()
            } else {
                theme.error()
            }),
            Cell::from(report::outcome_text(s.outcome)),
            Cell::from(report::duration(s.seconds)),
            Cell::from(report::hints_text(s)),
            Cell::from(mistakes),
        ]));
    }
    for n in &rep.not_attempted {
        rows.push(Row::new(vec![
            Cell::from(n.clone()),
            Cell::from("—"),
            Cell::from("not attempted"),
        ]));
    }
    let table = Table::new(
        rows,
        [
            Constraint::Length(25),
            Constraint::Length(5),
            Constraint::Length(30),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["scenario", "", "outcome", "time", "hints", "mistakes"]).style(theme.dim()));
    let body = Rect {
        y: inner.y + 2,
        height: inner.height.saturating_sub(4),
        ..inner
    };
    frame.render_widget(table, body);
    let foot = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    frame.render_widget(
        Paragraph::new(" Any key: leave (the report is saved).").wrap(Wrap { trim: true }),
        foot,
    );
}
