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
    t.draw(|f| {
        ui::draw(f, &m, theme);
    })
    .expect("draw");
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
        // At 120 columns the why panel sits beside, so the help describes the screen's keys.
        let mut wide = model.clone();
        update(
            &mut wide,
            Msg::Resize {
                width: 120,
                height: 40,
            },
        );
        let ctx = keymap::context(&wide);
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
    let mut t = Terminal::new(TestBackend::new(120, 14)).expect("terminal");
    t.draw(|f| ui::scorecard::draw(f, &fixtures::course_report(), &Theme::color()))
        .expect("draw");
    out.push((
        "course-score-card.svg".into(),
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

/// Draw like the app does and hand the frame's measurements back to the model.
fn draw_and_measure(d: &mut fixtures::Driver, w: u16, h: u16) -> String {
    d.send(Msg::Resize {
        width: w,
        height: h,
    });
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut limits = None;
    t.draw(|f| limits = Some(ui::draw(f, &d.model, &Theme::color())))
        .expect("draw");
    if let Some(l) = limits {
        d.send(Msg::ScrollLimits(l));
    }
    text_of(t.backend().buffer())
}

/// Controls drawn inside a screen's body (not in the hint bar).
const BODY_CONTROLS: &[&str] = &["I understand", "[ Cancel ]", "[ Run it ]", "Press c for"];

/// At 100x32 the why panel sits beside the screen: every control the screen shows without it
/// is still there, and the hint bar is the same. At 80x24 it opens over the whole body (nothing
/// of the screen shows through its edges) and takes the keys: no key of the screen underneath
/// does anything until w or Esc gives the screen back.
#[test]
fn why_panel_never_covers_the_controls_at_80x24_and_100x32() {
    use midrescue::wizard::keymap::Context;
    for (name, model) in fixtures::screens() {
        if model.overlay.is_some() {
            continue;
        }
        let (mut open, mut closed) = (model.clone(), model.clone());
        open.why_open = true;
        closed.why_open = false;
        // Beside: same controls, same hint bar.
        let with = text_of(render(&open, 100, 32, &Theme::color()).backend().buffer());
        let without = text_of(render(&closed, 100, 32, &Theme::color()).backend().buffer());
        assert!(
            with.contains("Why:"),
            "{name}: no why panel at 100x32:\n{with}"
        );
        for c in BODY_CONTROLS {
            if without.contains(c) {
                assert!(
                    with.contains(c),
                    "{name}: why panel hides {c:?} at 100x32:\n{with}"
                );
            }
        }
        let foot_rows = usize::from(ui::footer::height(&closed, 100));
        let foot = |s: &str| {
            s.lines()
                .rev()
                .take(foot_rows)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(foot(&with), foot(&without), "{name}: hint bar changed");
        let why_col = with
            .lines()
            .find_map(|l| l.find("┌ Why:").map(|b| l[..b].chars().count()))
            .expect("why title");
        assert!(why_col >= 60, "{name}: why panel at column {why_col}");

        // Over: the body is the why panel only, edge to edge.
        let mut d = fixtures::Driver::with_model(open.clone());
        let over = draw_and_measure(&mut d, 80, 24);
        assert_eq!(keymap::context(&d.model), Context::Why, "{name}");
        let rows: Vec<&str> = over.lines().collect();
        let foot_h = usize::from(ui::footer::height(&d.model, 80));
        for (y, row) in rows.iter().enumerate().take(24 - foot_h).skip(2) {
            let (first, last) = (row.chars().next(), row.chars().last());
            assert!(
                matches!(first, Some('│' | '┌' | '└')) && matches!(last, Some('│' | '┐' | '┘')),
                "{name}: row {y} is not inside the why panel: {row:?}\n{over}"
            );
        }
        for c in BODY_CONTROLS {
            assert!(!over.contains(c), "{name}: {c:?} shows through:\n{over}");
        }
        // Every key of the screen underneath waits.
        let why_keys: Vec<_> = keymap::table(Context::Why)
            .iter()
            .flat_map(|b| b.keys.iter().map(|(k, _)| *k))
            .collect();
        let ctx = keymap::context(&closed);
        for b in keymap::table(ctx) {
            for (k, _) in b.keys {
                if why_keys.contains(k) {
                    continue;
                }
                let before = d.model.clone();
                let fx = d.key(*k);
                assert!(
                    fx.is_empty(),
                    "{name}: {k:?} acted under the why panel: {fx:?}"
                );
                assert_eq!(
                    (d.model.step, d.model.overlay, d.model.acknowledged),
                    (before.step, before.overlay, before.acknowledged),
                    "{name}: {k:?} changed the screen under the why panel"
                );
            }
        }
        // w gives the screen back, with its controls.
        d.key(midrescue::wizard::Key::Char('w'));
        let back = draw_and_measure(&mut d, 80, 24);
        assert!(!back.contains("Why:"), "{name}: still open:\n{back}");
    }
}

/// Warn at 80x24 in training: the why panel opens over the screen; `a` waits, `w` closes it,
/// then `a` acknowledges as usual.
#[test]
fn warn_keys_wait_for_the_why_panel_at_80x24() {
    use midrescue::wizard::Key;
    let mut d = fixtures::Driver::with_model(fixtures::warn().model);
    d.model.why_open = true;
    draw_and_measure(&mut d, 80, 24);
    d.key(Key::Char('a'));
    assert!(!d.model.acknowledged);
    d.key(Key::Esc);
    assert!(!d.model.why_open);
    let screen = draw_and_measure(&mut d, 80, 24);
    assert!(screen.contains("[ ] I understand"), "{screen}");
    d.key(Key::Char('a'));
    assert!(d.model.acknowledged);
}

/// The Done counter stops at the end: after many PgDn one PgUp moves the view at once.
#[test]
fn done_scroll_counter_stops_at_the_end() {
    use midrescue::wizard::Key;
    let mut d = fixtures::recovered(true);
    d.model.opts.training_text = Some(midrescue::commands::demo::teaching("file-lock-timeout", ""));
    d.model.why_open = false;
    let top = draw_and_measure(&mut d, 80, 24);
    let max = d.model.scroll_limits.expect("measured").body;
    assert!(max > 0, "the text must not fit at 80x24:\n{top}");
    for _ in 0..40 {
        d.key(Key::PageDown);
        draw_and_measure(&mut d, 80, 24);
    }
    assert_eq!(d.model.done_scroll, max, "the counter stops at the end");
    let end = draw_and_measure(&mut d, 80, 24);
    d.key(Key::Up);
    assert_eq!(d.model.done_scroll, max - 1);
    let moved = draw_and_measure(&mut d, 80, 24);
    assert_ne!(moved, end, "one ↑ after the end moves the view");
    // Resizing taller lowers the limit and the counter with it.
    draw_and_measure(&mut d, 80, 60);
    assert!(d.model.done_scroll <= d.model.scroll_limits.expect("measured").body);
}

/// Run's text scrolls above its buttons: a command too long for the window is all reachable,
/// and the buttons never leave the screen.
#[test]
fn run_body_scrolls_and_keeps_its_buttons() {
    use midrescue::wizard::Key;
    use midrescue::wizard::model::Job;
    let mut d = fixtures::run_screen(false);
    if let Job::Done(p) = &mut d.model.run.plan {
        p.command = format!(
            "{} END-OF-COMMAND",
            "sudo ./glide-dist-upgrade.sh start".repeat(30)
        );
    }
    let first = draw_and_measure(&mut d, 80, 24);
    assert!(first.contains("more below"), "{first}");
    assert!(
        first.contains("[ Cancel ]") && first.contains("[ Run it ]"),
        "{first}"
    );
    assert!(!first.contains("END-OF-COMMAND"), "{first}");
    for _ in 0..60 {
        d.key(Key::Down);
        draw_and_measure(&mut d, 80, 24);
    }
    let end = draw_and_measure(&mut d, 80, 24);
    assert!(
        end.contains("It runs detached"),
        "the end is reachable:\n{end}"
    );
    assert!(
        end.contains("[ Cancel ]") && end.contains("[ Run it ]"),
        "{end}"
    );
    assert_eq!(
        d.model.run_scroll,
        d.model.scroll_limits.expect("measured").body
    );
    // Focus keys still move the buttons' focus (scrolling took no key from them).
    d.key(Key::Tab);
    assert!(matches!(
        d.model.run.focus,
        midrescue::wizard::model::Focus::Proceed
    ));
}

/// Every lab lesson states the cause (`## What happened`), the fix (`**The fix:**`) and a KB,
/// and names every KB the Done screen's next step names at the scenario's right end.
#[test]
fn every_lesson_states_cause_fix_and_kb_and_agrees_with_done() {
    use midrescue::course::score::{Expected, expected};
    use midrescue::mid::report::Verdict;
    let kb = regex::Regex::new(r"KB\d{7}").unwrap();
    let mut failures = Vec::new();
    for sc in midrescue::lab::scenarios() {
        let lesson = midrescue::lab::training_text(sc.name);
        for part in ["## What happened", "**The fix:**"] {
            if !lesson.contains(part) {
                failures.push(format!("{}: the lesson has no `{part}`", sc.name));
            }
        }
        if !kb.is_match(lesson) {
            failures.push(format!("{}: the lesson names no KB", sc.name));
        }
        let mut d = match expected(sc) {
            Expected::Up => fixtures::recovered(true),
            Expected::FixFirst => fixtures::failed_locked(),
            Expected::StopAt {
                verdict: Verdict::TempFolderLost,
            } => fixtures::temp_folder_lost_done(),
            Expected::StopAt { verdict } => {
                let mut d = fixtures::detected(verdict, true);
                // Training opens the why panel over the screen at 80x24: close it first.
                d.model.why_open = false;
                d.key(midrescue::wizard::Key::Enter);
                d
            }
        };
        d.model.why_open = false;
        assert_eq!(d.model.step, Step::Done, "{}", sc.name);
        let t = render(&d.model, 120, 80, &Theme::plain());
        let screen = text_of(t.backend().buffer());
        // Done's own words: everything above the lesson it quotes.
        let own = screen.split("What `").next().unwrap_or_default();
        for k in kb.find_iter(own) {
            if !lesson.contains(k.as_str()) {
                failures.push(format!(
                    "{}: Done names {} but the lesson does not",
                    sc.name,
                    k.as_str()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_score_card_shows_every_scenario_and_the_totals_at_80x24() {
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| ui::scorecard::draw(f, &fixtures::course_report(), &Theme::plain()))
        .expect("draw");
    let text = text_of(t.backend().buffer());
    assert!(
        text.contains("Passed 1 of 4; 2 mistakes; hints off."),
        "{text}"
    );
    for row in [
        "file-lock-timeout",
        "antivirus-access-denied",
        "rerun-fails-again",
        "temp-folder-lost",
    ] {
        assert!(text.contains(row), "{row} missing:\n{text}");
    }
    assert!(text.contains("PASS") && text.contains("FAIL"), "{text}");
    assert!(text.contains("not attempted"), "{text}");
    assert!(text.contains("Any key: leave"), "{text}");
}
