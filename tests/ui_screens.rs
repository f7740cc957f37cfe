//! Snapshot tests of every screen (80x24, 120x40), the too-small screen and the monochrome theme;
//! the hint bar / help coverage of the keymap; the screenshots drift check.
//!
//! Regenerate the screenshots with:
//!     MIDRESCUE_WRITE_SCREENSHOTS=1 cargo test --test ui_screens screenshots

use std::path::PathBuf;

use midrescue::ui::{self, Theme, fixtures};
use midrescue::wizard::keymap::{self, Context};
use midrescue::wizard::{Model, Msg, Step, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn render(model: &Model, w: u16, h: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut m = model.clone();
    update(
        &mut m,
        Msg::Resize {
            width: w,
            height: h,
        },
    );
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| ui::draw(f, &m, theme)).expect("draw");
    t
}

fn text_of(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf.cell((x, y)).map_or(" ", |c| c.symbol()));
        }
        s.push('\n');
    }
    s
}

#[test]
fn every_screen_at_80x24_and_120x40() {
    for (name, model) in fixtures::screens() {
        for (w, h) in [(80, 24), (120, 40)] {
            let t = render(&model, w, h, &Theme::color());
            insta::assert_snapshot!(format!("{name}-{w}x{h}"), t.backend());
        }
    }
}

#[test]
fn too_small_screen() {
    let model = fixtures::watching(2).model;
    let t = render(&model, 79, 24, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("Terminal too small"), "{text}");
    insta::assert_snapshot!("too-small-79x24", t.backend());
    let t = render(&model, 100, 20, &Theme::color());
    assert!(text_of(t.backend().buffer()).contains("100x20"));
}

#[test]
fn monochrome_theme_uses_no_colour_and_keeps_every_marker() {
    for (name, model) in fixtures::screens() {
        let mono = render(&model, 80, 24, &Theme::mono());
        let color = render(&model, 80, 24, &Theme::color());
        let buf = mono.backend().buffer();
        for cell in buf.content() {
            assert_eq!(cell.fg, Color::Reset, "{name}: a foreground colour in mono");
            assert_eq!(cell.bg, Color::Reset, "{name}: a background colour in mono");
        }
        // Same text in both themes: nothing is carried by colour alone.
        assert_eq!(
            text_of(buf),
            text_of(color.backend().buffer()),
            "{name}: mono text differs"
        );
    }
    let t = render(&fixtures::watching(3).model, 80, 24, &Theme::mono());
    insta::assert_snapshot!("mono-watch-stall-80x24", t.backend());
    let t = render(&fixtures::run_screen(false).model, 80, 24, &Theme::mono());
    // The focused button is marked by ▶ and reverse video, not by colour.
    let text = text_of(t.backend().buffer());
    assert!(text.contains("▶ [ Cancel ]"), "{text}");
}

#[test]
fn plain_theme_draws_every_screen_in_ascii_with_the_same_layout() {
    for (name, model) in fixtures::screens() {
        let plain = render(&model, 80, 24, &Theme::plain());
        let text = text_of(plain.backend().buffer());
        assert!(
            text.is_ascii(),
            "{name}: non-ASCII in the plain theme:\n{text}"
        );
        for cell in plain.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset, "{name}: colour in the plain theme");
        }
    }
    let t = render(
        &fixtures::temp_folder_lost_done().model,
        80,
        24,
        &Theme::plain(),
    );
    insta::assert_snapshot!("plain-done-temp-folder-lost-80x24", t.backend());
}

#[test]
fn every_bound_action_appears_in_the_hint_bar_and_the_help() {
    for (name, model) in fixtures::screens() {
        let t = render(&model, 80, 24, &Theme::color());
        let screen = text_of(t.backend().buffer());
        let ctx = keymap::context(&model);
        let footer: String = screen
            .lines()
            .rev()
            .take(usize::from(ui::footer::height(&model, 80)))
            .collect::<Vec<_>>()
            .join("\n");
        for b in keymap::table(ctx) {
            // A situational key is left out of the hint bar only while it is disabled.
            if keymap::situational(b)
                && b.keys
                    .first()
                    .is_some_and(|(_, a)| keymap::enabled(&model, *a).is_err())
            {
                continue;
            }
            assert!(
                footer.contains(b.display) && footer.contains(b.label),
                "{name}: `{} {}` missing from the hint bar:\n{footer}",
                b.display,
                b.label
            );
        }
        // The help overlay of the same screen lists every binding of that screen.
        if ctx == Context::Help {
            continue;
        }
        let mut with_help = model.clone();
        with_help.overlay = Some(midrescue::wizard::Overlay::Help);
        let t = render(&with_help, 120, 40, &Theme::color());
        let help = text_of(t.backend().buffer());
        for b in keymap::table(ctx) {
            if ctx == Context::QuitConfirm || ctx == Context::Confirm {
                continue;
            }
            assert!(
                help.contains(b.help),
                "{name}: help lacks `{}`:\n{help}",
                b.help
            );
        }
    }
}

#[test]
fn disabled_actions_show_their_reason() {
    let model = fixtures::warn().model;
    let t = render(&model, 80, 24, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("Enter continue (press a first)"), "{text}");
}

#[test]
fn why_panel_is_open_in_training_and_shows_the_kb_text() {
    let d = fixtures::recovered(true);
    assert!(d.model.why_open);
    let t = render(&d.model, 120, 40, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("Why: Done"), "{text}");
    assert!(text.contains("What `file-lock-timeout` taught"), "{text}");
    for step in Step::ALL {
        assert!(ui::why::text_for(step).contains("KB0") || step == Step::Watch);
    }
}

#[test]
fn log_panes_never_show_escape_sequences() {
    let mut d = fixtures::watching(0);
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::FollowBatch {
        run: follow,
        source: midrescue::mid::milestones::Source::UpgradeLog,
        lines: vec!["\u{1b}[2J\u{1b}]0;owned\u{7}evil \u{1b}[31mred\u{8}".into()],
        note: None,
    });
    let t = render(&d.model, 80, 24, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("evil red"), "{text}");
    assert!(!text.contains('\u{1b}'));
}

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

/// The screens shown in screenshots/ (a subset at 100x30, the rest at 80x24).
fn screenshot_set() -> Vec<(String, String)> {
    let mut out = vec![];
    for (name, model) in fixtures::screens() {
        let (w, h) = if name.starts_with("watch") || name.starts_with("demo") {
            (120, 36)
        } else {
            (80, 24)
        };
        let t = render(&model, w, h, &Theme::color());
        out.push((
            format!("{name}.svg"),
            ui::svg::buffer_to_svg(t.backend().buffer()),
        ));
    }
    let t = render(&fixtures::watching(2).model, 80, 24, &Theme::mono());
    out.push((
        "mono-watch-progress.svg".into(),
        ui::svg::buffer_to_svg(t.backend().buffer()),
    ));
    let t = render(&fixtures::watching(2).model, 70, 20, &Theme::color());
    out.push((
        "too-small.svg".into(),
        ui::svg::buffer_to_svg(t.backend().buffer()),
    ));
    out
}

#[test]
fn screenshots_match_the_screens() {
    let dir = screenshots_dir();
    let write = std::env::var_os("MIDRESCUE_WRITE_SCREENSHOTS").is_some();
    let mut drift = vec![];
    for (file, svg) in screenshot_set() {
        let path = dir.join(&file);
        if write {
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(&path, &svg).expect("write svg");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(old) if old == svg => {}
            _ => drift.push(file),
        }
    }
    assert!(
        drift.is_empty(),
        "screenshots out of date: {drift:?}\nregenerate: MIDRESCUE_WRITE_SCREENSHOTS=1 cargo test --test ui_screens screenshots"
    );
}

#[test]
fn many_findings_are_never_cut_in_half() {
    use midrescue::mid::report::Verdict;
    let mut d = fixtures::Driver::new(false);
    let run = d.last_run(|e| matches!(e, midrescue::wizard::Effect::Detect { .. }));
    let mut r = fixtures::report(Verdict::CrashedUpgrade);
    let f = r.findings[0].clone();
    r.findings = vec![f; 6];
    d.send(Msg::DetectDone {
        run,
        result: Ok(Box::new(r)),
    });
    // At 80x24 the screen says more is below, and scrolling shows every finding in full.
    let t = render(&d.model, 80, 24, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("↓ more below"), "{text}");
    for _ in 0..40 {
        d.key(midrescue::wizard::Key::Down);
    }
    let t = render(&d.model, 80, 24, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert!(text.contains("↑ more above"), "{text}");
    assert!(!text.contains('…'), "nothing is cut:\n{text}");
    // The last finding's evidence ends the screen: scrolling reached the end.
    assert!(text.contains("✗ ERROR"), "{text}");
    let t = render(&d.model, 120, 40, &Theme::color());
    let text = text_of(t.backend().buffer());
    assert_eq!(text.matches("✗ ERROR").count(), 6, "{text}");
}

/// At 80x24 the Done screen of a demo holds more than fits (the scenario's real training text):
/// it says so, and scrolling reaches the end of the text.
#[test]
fn done_screen_scrolls_to_the_end_of_the_training_text_at_80x24() {
    use midrescue::wizard::msg::Key;
    let mut d = fixtures::recovered(true);
    let text = midrescue::commands::demo::teaching("file-lock-timeout", "");
    d.model.opts.training_text = Some(text.clone());
    d.model.why_open = false;
    let first = text_of(render(&d.model, 80, 24, &Theme::color()).backend().buffer());
    assert!(first.contains("more below"), "{first}");
    let last_word = text
        .split_whitespace()
        .last()
        .expect("training text has words")
        .trim_matches(|c: char| !c.is_alphanumeric());
    for _ in 0..40 {
        d.key(Key::PageDown);
    }
    let end = text_of(render(&d.model, 80, 24, &Theme::color()).backend().buffer());
    assert!(
        end.contains(last_word),
        "end of the text not reached:\n{end}"
    );
    assert!(!end.contains("more below"), "{end}");
    for _ in 0..40 {
        d.key(Key::PageUp);
    }
    let back = text_of(render(&d.model, 80, 24, &Theme::color()).backend().buffer());
    assert_eq!(back, first, "scrolling back returns to the top");
}
