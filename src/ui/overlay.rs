//! Popups drawn over the current screen: help, quit confirmation, confirm dialogs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::wizard::keymap;
use crate::wizard::model::{ConfirmKind, Focus, Overlay};
use crate::wizard::{Model, Step};

use super::Theme;
use super::text;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    match model.overlay {
        None => {}
        Some(Overlay::Help) => help(frame, area, model, theme),
        Some(Overlay::QuitConfirm { focus }) => quit(frame, area, model, focus, theme),
        Some(Overlay::Confirm { kind, focus }) => confirm(frame, area, model, kind, focus, theme),
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'_>>, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.border_focus())
        .title(Line::styled(format!(" {title} "), theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The help overlay: every key of the screen underneath, from the same keymap as the footer.
fn help(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    // Describe the screen below the help, not the help itself.
    let under = keymap::screen_context(model);
    let mut lines = vec![Line::raw("")];
    for b in keymap::table(under) {
        let enabled = b
            .keys
            .first()
            .map_or(Ok(()), |(_, a)| keymap::enabled(model, *a));
        let mut spans = vec![
            Span::styled(format!("  {:<11}", b.display), theme.key()),
            Span::raw(b.help.to_string()),
        ];
        if let Err(why) = enabled {
            spans = vec![
                Span::styled(format!("  {:<11}", b.display), theme.dim()),
                Span::styled(format!("{} (not now: {why})", b.help), theme.dim()),
            ];
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "  {} closes this help.",
            keymap::keys_of(keymap::Context::Help, keymap::Action::CloseOverlay)
        ),
        theme.dim(),
    ));
    let h = u16::try_from(lines.len() + 3).unwrap_or(20);
    let title = format!("Keys · {}", model.step.title());
    popup(frame, centered(area, 100, h), &title, lines, theme);
}

fn quit(frame: &mut Frame, area: Rect, model: &Model, focus: Focus, theme: &Theme) {
    let mut lines = vec![Line::raw("")];
    if model.upgrade_started() && model.ending.is_none() && model.opts.training {
        // The demo stops its lab when the wizard closes: say what really happens.
        lines.push(Line::styled(
            " This is a training lab: quitting stops the lab with the wizard,",
            theme.warn(),
        ));
        lines.push(Line::raw(
            " including its simulated upgrade. Nothing real is running.",
        ));
    } else if model.upgrade_started() && model.ending.is_none() {
        lines.push(Line::styled(
            " The upgrade keeps running after you quit.",
            theme.warn(),
        ));
        lines.push(Line::raw(
            " It runs in its own process and writes its output to:",
        ));
        if let Some(p) = model.run.plan.done() {
            lines.push(Line::raw(format!(
                "   {}",
                text::ellipsize_left(&p.tee_path.display().to_string(), 66)
            )));
        }
        lines.push(Line::raw(" Check on it later with:"));
        lines.push(Line::styled(
            format!("   {}", model.opts.command("detect")),
            theme.title(),
        ));
        lines.push(Line::styled(
            " Do not start the MID service while it runs.",
            theme.warn(),
        ));
    } else if model.step == Step::Collect || model.final_collect.job.is_running() {
        lines.push(Line::raw(
            " A support bundle is being built; quitting now leaves no bundle.",
        ));
    } else {
        lines.push(Line::raw(" Work is in progress; quitting now abandons it."));
    }
    lines.push(Line::raw(""));
    lines.push(text::buttons(focus, "Stay", "Quit", theme));
    let h = u16::try_from(lines.len() + 3).unwrap_or(12);
    popup(
        frame,
        centered(area, 76, h),
        "Quit midrescue?",
        lines,
        theme,
    );
}

fn confirm(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    kind: ConfirmKind,
    focus: Focus,
    theme: &Theme,
) {
    if kind == ConfirmKind::MakeExecutable {
        return confirm_chmod(frame, area, model, focus, theme);
    }
    if kind == ConfirmKind::LabStartService {
        let lines = vec![
            Line::raw(""),
            Line::styled(
                " LAB ONLY. On a real MID this is the classic mistake (KB0779816):",
                theme.title(),
            ),
            Line::raw(" starting the MID service now deletes the upgrade temp folder and its"),
            Line::raw(" logs, glide-dist-upgrade.log included, and the half-replaced install"),
            Line::raw(" still cannot start. What is left is KB0713557 or a reinstall."),
            Line::raw(" midrescue never offers this on a real install."),
            Line::raw(""),
            text::buttons(focus, "Cancel", "Start it (lab)", theme),
        ];
        return popup(
            frame,
            centered(area, 78, 11),
            "Start the MID service? (lab)",
            lines,
            theme,
        );
    }
    let service = model
        .report()
        .and_then(|r| r.service.name.clone())
        .unwrap_or_else(|| "the MID service".into());
    let lines = vec![
        Line::raw(""),
        Line::raw(format!(
            " Set the start type of `{service}` to Manual, so that a reboot cannot start"
        )),
        Line::raw(" the MID on a half-upgraded install (KB0792621)."),
        Line::raw(" The upgrade starts the service itself when it is done."),
        Line::raw(" Set it back to Automatic once the MID is Up."),
        Line::raw(""),
        text::buttons(focus, "Cancel", "Set Manual", theme),
    ];
    popup(
        frame,
        centered(area, 78, 10),
        "Change the service start type?",
        lines,
        theme,
    );
}

/// `chmod +x` on the proven script: the exact command, what it changes, and nothing else.
fn confirm_chmod(frame: &mut Frame, area: Rect, model: &Model, focus: Focus, theme: &Theme) {
    let Some(fix) = &model.run.script_fix else {
        return;
    };
    let inner = usize::from(area.width.min(78)).saturating_sub(4);
    let mut lines = vec![
        Line::raw(""),
        Line::raw(" The MID could not run the upgrade script: it has no exec bit (KB0690910)."),
        Line::raw(" midrescue will run exactly this, on that one file:"),
    ];
    lines.extend(
        text::wrap_indented(&fix.chmod_command, inner, "   ", "   ")
            .into_iter()
            .map(|l| Line::styled(l, theme.title())),
    );
    lines.push(Line::raw(
        " Nothing else changes. It is journaled; then the command is planned again.",
    ));
    lines.push(Line::raw(""));
    lines.push(text::buttons(focus, "Cancel", "chmod +x", theme));
    let h = u16::try_from(lines.len() + 3).unwrap_or(12);
    popup(
        frame,
        centered(area, 78, h),
        "Make the upgrade script executable?",
        lines,
        theme,
    );
}
