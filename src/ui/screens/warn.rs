//! Warn: why the MID service must not be started now, the acknowledgement, the optional
//! "start type to Manual" action.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::platform::service::StartType;
use crate::wizard::Model;
use crate::wizard::Step;
use crate::wizard::keymap::{self, Action, start_type_word};
use crate::wizard::model::Job;

use super::super::Theme;
use super::panel;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            " ! DO NOT START THE MID SERVICE NOW, and do not reboot this host. ",
            theme.banner_danger(),
        ),
        Line::raw(""),
        Line::raw(" The install is half upgraded. If the MID starts now, it (KB0792621):"),
        Line::raw("   ✗ deletes the upgrade temp folder that the re-run needs,"),
        Line::raw("   ✗ deletes the upgrade files not yet copied and the upgrade service,"),
        Line::raw("   ✗ then runs jobs on a corrupt install, which may fail badly."),
        Line::raw(" midrescue never starts it. The re-run starts it itself when it is done."),
        Line::raw(""),
    ];
    let ack = if model.acknowledged {
        Line::from(vec![
            Span::styled(" [x] ", theme.ok()),
            Span::raw("I understand: I will not start the MID service (acknowledged)."),
        ])
    } else {
        Line::from(vec![
            Span::styled(" [ ] ", theme.warn()),
            Span::raw("I understand: I will not start the MID service.  "),
            Span::styled(
                format!(
                    "Press {}.",
                    keymap::step_key(Step::Warn, Action::Acknowledge)
                ),
                theme.key(),
            ),
        ])
    };
    lines.push(ack);
    lines.push(Line::raw(""));
    lines.push(start_type_line(model, theme));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel("Warn · before anything else", theme)),
        area,
    );
}

fn start_type_line<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    let current = model.report().and_then(|r| r.service.start_type);
    match (&model.start_type, current) {
        (Job::Running(_), _) => Line::raw(" … Setting the start type to Manual…"),
        (Job::Done(st), _) => Line::from(vec![
            Span::styled(" ✓ ", theme.ok()),
            Span::raw(format!(
                "Start type is now {}. Set it back to {} once the MID is Up.",
                start_type_word(*st),
                current.map_or("Automatic", start_type_word)
            )),
        ]),
        (Job::Failed(e), _) => Line::from(vec![
            Span::styled(" ✗ ", theme.error()),
            Span::raw(format!("Start type unchanged: {e}")),
        ]),
        (Job::Idle, Some(StartType::Auto)) => Line::from(vec![
            Span::styled(" ! ", theme.warn()),
            Span::raw("The service starts Automatically: a reboot would start it. "),
            Span::styled("m", theme.key()),
            Span::raw(" sets Manual (optional)."),
        ]),
        (Job::Idle, Some(st)) => Line::raw(format!(
            " ✓ The service starts {}: a reboot will not start it.",
            start_type_word(st)
        )),
        (Job::Idle, None) => Line::from(vec![
            Span::styled(" ! ", theme.warn()),
            Span::raw("Start type unknown. "),
            Span::styled("m", theme.key()),
            Span::raw(" sets Manual (optional)."),
        ]),
    }
}
