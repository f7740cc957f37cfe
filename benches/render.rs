//! One frame of the Watch screen at 200x60 with full log panes (10,000 lines pushed into each
//! pane, the last 5,000 kept), against the same frame with empty panes.
//!
//!     cargo bench --bench render

use criterion::{Criterion, criterion_group, criterion_main};
use midrescue::ui::{self, Theme, fixtures};
use midrescue::wizard::pane::PANE_SOURCES;
use midrescue::wizard::{Msg, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn watch_model(lines_per_pane: usize) -> midrescue::wizard::Model {
    let mut d = fixtures::watching(2);
    update(
        &mut d.model,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    let follow = d.model.follow_run.unwrap_or_default();
    for source in PANE_SOURCES {
        let lines: Vec<String> = (0..lines_per_pane)
            .map(|i| {
                format!(
                    "2026-11-22T03:07:{:02}.{:03}+0000 INFO (Worker-{}) [Class:{}] line {i} of a long and \
                     realistic agent log message with some detail about what happened",
                    i % 60,
                    i % 1000,
                    i % 8,
                    i % 500
                )
            })
            .collect();
        update(
            &mut d.model,
            Msg::FollowBatch {
                run: follow,
                source,
                lines,
                note: None,
            },
        );
    }
    d.model
}

fn bench(c: &mut Criterion) {
    let full = watch_model(10_000);
    let empty = watch_model(0);
    let theme = Theme::color();
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("watch_200x60_full_panes", |b| {
        b.iter(|| {
            term.draw(|f| {
                ui::draw(f, &full, &theme);
            })
            .expect("draw");
        })
    });
    c.bench_function("watch_200x60_empty_panes", |b| {
        b.iter(|| {
            term.draw(|f| {
                ui::draw(f, &empty, &theme);
            })
            .expect("draw");
        })
    });
    c.bench_function("push_1000_lines_into_a_pane", |b| {
        let lines: Vec<String> = (0..1000)
            .map(|i| format!("\u{1b}[32mINFO\u{1b}[0m line {i}"))
            .collect();
        let mut pane =
            midrescue::wizard::pane::LogPane::new(midrescue::mid::milestones::Source::AgentLog);
        b.iter(|| pane.push_lines(&lines))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
