//! The keymap: one table of bindings per context (step, picker, overlay). The same table decides
//! what a key does, feeds the footer hint bar and the `?` help overlay, so they cannot disagree.

use crate::mid::report::Verdict;

use super::model::{Model, Overlay, Step};
use super::msg::Key;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    /// Ctrl-C inside the quit dialog: leave without another question.
    QuitNow,
    Help,
    Why,
    CloseOverlay,
    PickerUp,
    PickerDown,
    PickerChoose,
    Next,
    Retry,
    Acknowledge,
    SetManual,
    FocusNext,
    FocusPrev,
    Activate,
    Back,
    PaneNext,
    PanePrev,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleFollow,
    CollectFinal,
    /// Run: `chmod +x` on the proven script (asks first).
    MakeExecutable,
    /// Done: plan and run the recovery again after a failed run.
    Rerun,
    /// Copy the planned command to the clipboard (OSC 52).
    Copy,
    /// Detect on a healthy MID: open the Preflight screen (read-only checks).
    Preflight,
    /// LAB ONLY, Warn in a course: start the lab's MID service (asks first).
    LabStartService,
    /// Demo, Detect: leave this demo and start the training course.
    StartCourse,
}

/// One row of the keymap: the keys, how they are shown, and what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static [(Key, Action)],
    /// Keys as shown to the operator, e.g. `↑/↓`.
    pub display: &'static str,
    /// Short label for the hint bar.
    pub label: &'static str,
    /// Longer description for the help overlay.
    pub help: &'static str,
}

/// A binding in the current state: enabled, or disabled with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingState {
    pub binding: &'static Binding,
    pub enabled: Result<(), String>,
}

/// The situation that decides which table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Help,
    QuitConfirm,
    Confirm,
    Picker,
    /// The Preflight screen over Detect.
    Preflight,
    /// The why panel open over the whole screen (narrow window).
    Why,
    /// Warn on a lab in a course: the Warn keys plus the lab-only service start.
    LabWarn,
    /// Detect in a demo: the Detect keys plus the way into the training course.
    DemoDetect,
    Step(Step),
}

const fn b(
    keys: &'static [(Key, Action)],
    display: &'static str,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        display,
        label,
        help,
    }
}

const WHY: Binding = b(
    &[(Key::Char('w'), Action::Why)],
    "w",
    "why",
    "Show or hide the why panel (the KB reasoning for this step)",
);
const HELP: Binding = b(
    &[(Key::Char('?'), Action::Help)],
    "?",
    "help",
    "All keys of this screen",
);
const QUIT: Binding = b(
    &[(Key::Char('q'), Action::Quit), (Key::CtrlC, Action::Quit)],
    "q",
    "quit",
    "Leave the wizard (asks first only while something runs; Ctrl-C too)",
);

const HELP_TABLE: &[Binding] = &[
    b(
        &[
            (Key::Esc, Action::CloseOverlay),
            (Key::Char('?'), Action::CloseOverlay),
            (Key::Char('q'), Action::CloseOverlay),
            (Key::Enter, Action::CloseOverlay),
        ],
        "Esc",
        "close",
        "Close this help (also ?, q or Enter)",
    ),
    b(
        &[(Key::CtrlC, Action::Quit)],
        "Ctrl-C",
        "quit",
        "Leave the wizard (asks first only while something runs)",
    ),
];

const DIALOG_TABLE: &[Binding] = &[
    b(
        &[
            (Key::Tab, Action::FocusNext),
            (Key::BackTab, Action::FocusPrev),
            (Key::Left, Action::FocusPrev),
            (Key::Right, Action::FocusNext),
        ],
        "Tab/←/→",
        "switch",
        "Move the focus between the buttons (it starts on Cancel)",
    ),
    b(
        &[(Key::Enter, Action::Activate)],
        "Enter",
        "choose",
        "Press the focused button",
    ),
    b(
        &[(Key::Esc, Action::CloseOverlay)],
        "Esc",
        "cancel",
        "Cancel: change nothing",
    ),
    b(
        &[(Key::CtrlC, Action::Quit)],
        "Ctrl-C",
        "quit",
        "Leave the wizard (asks first only while something runs)",
    ),
];

const QUIT_TABLE: &[Binding] = &[
    DIALOG_TABLE[0],
    DIALOG_TABLE[1],
    b(
        &[(Key::Esc, Action::CloseOverlay)],
        "Esc",
        "stay",
        "Stay in the wizard",
    ),
    b(
        &[(Key::CtrlC, Action::QuitNow)],
        "Ctrl-C",
        "quit now",
        "Leave at once",
    ),
];

/// The why panel over the screen: the screen's own keys wait until it is closed, so a key
/// never acts on a control the panel hides.
const WHY_TABLE: &[Binding] = &[
    b(
        &[
            (Key::Char('w'), Action::Why),
            (Key::Esc, Action::Why),
            (Key::Enter, Action::Why),
        ],
        "w/Esc",
        "close why",
        "Close the why panel and go back to the screen's keys (also Enter)",
    ),
    SCROLL,
    HELP,
    QUIT,
];

const PICKER_TABLE: &[Binding] = &[
    b(
        &[
            (Key::Up, Action::PickerUp),
            (Key::Down, Action::PickerDown),
            (Key::Char('k'), Action::PickerUp),
            (Key::Char('j'), Action::PickerDown),
        ],
        "↑/↓",
        "select",
        "Select an install",
    ),
    b(
        &[(Key::Enter, Action::PickerChoose)],
        "Enter",
        "detect it",
        "Diagnose the selected install (read-only)",
    ),
    WHY,
    HELP,
    QUIT,
];

const NEXT: Binding = b(
    &[(Key::Enter, Action::Next)],
    "Enter",
    "continue",
    "Go to the next step",
);
const RETRY: Binding = b(
    &[(Key::Char('r'), Action::Retry)],
    "r",
    "retry",
    "Try this step's work again",
);

const COPY: Binding = b(
    &[(Key::Char('y'), Action::Copy)],
    "y",
    "copy command",
    "Copy the exact command to the clipboard (OSC 52; most terminals, also over SSH)",
);

const SCROLL: Binding = b(
    &[
        (Key::Up, Action::ScrollUp),
        (Key::Down, Action::ScrollDown),
        (Key::Char('k'), Action::ScrollUp),
        (Key::Char('j'), Action::ScrollDown),
        (Key::PageUp, Action::PageUp),
        (Key::PageDown, Action::PageDown),
    ],
    "↑/↓",
    "scroll",
    "Scroll this screen (PgUp/PgDn by a page): on small terminals the rest is below",
);

const PREFLIGHT: Binding = b(
    &[(Key::Char('p'), Action::Preflight)],
    "p",
    "preflight",
    "Healthy MID: check what would make its next auto-upgrade crash (read-only)",
);

const DETECT_TABLE: &[Binding] = &[NEXT, RETRY, PREFLIGHT, SCROLL, WHY, HELP, QUIT];

/// Detect in a demo: the course is one key away.
const DEMO_DETECT_TABLE: &[Binding] = &[
    NEXT,
    RETRY,
    PREFLIGHT,
    b(
        &[(Key::Char('C'), Action::StartCourse)],
        "C",
        "course",
        "Leave this demo and start the training course: every scenario, scored",
    ),
    SCROLL,
    WHY,
    HELP,
    QUIT,
];

const PREFLIGHT_TABLE: &[Binding] = &[
    b(&[(Key::Esc, Action::Back)], "Esc", "back", "Back to Detect"),
    b(
        &[(Key::Char('r'), Action::Retry)],
        "r",
        "check again",
        "Run the checks again (after fixing something)",
    ),
    SCROLL,
    WHY,
    HELP,
    QUIT,
];

const ACKNOWLEDGE: Binding = b(
    &[(Key::Char('a'), Action::Acknowledge)],
    "a",
    "I understand",
    "Acknowledge that the MID service must not be started now",
);
const SET_MANUAL: Binding = b(
    &[(Key::Char('m'), Action::SetManual)],
    "m",
    "set Manual start",
    "Set the MID service start type to Manual (asks first)",
);

const WARN_TABLE: &[Binding] = &[ACKNOWLEDGE, SET_MANUAL, NEXT, WHY, HELP, QUIT];

/// Warn in a course on a lab: the one place the classic mistake can be made, on purpose.
const WARN_LAB_TABLE: &[Binding] = &[
    ACKNOWLEDGE,
    SET_MANUAL,
    b(
        &[(Key::Char('S'), Action::LabStartService)],
        "S",
        "start service (LAB)",
        "LAB ONLY: start the MID service anyway, to see what it destroys (asks first)",
    ),
    NEXT,
    WHY,
    HELP,
    QUIT,
];

const COLLECT_TABLE: &[Binding] = &[NEXT, RETRY, WHY, HELP, QUIT];

const RUN_TABLE: &[Binding] = &[
    DIALOG_TABLE[0],
    b(
        &[(Key::Enter, Action::Activate)],
        "Enter",
        "press button",
        "Press the focused button (Cancel, or Run once you moved to it)",
    ),
    b(
        &[(Key::Esc, Action::Back)],
        "Esc",
        "back",
        "Back to the bundle summary",
    ),
    RETRY,
    COPY,
    b(
        &[(Key::Char('x'), Action::MakeExecutable)],
        "x",
        "chmod +x",
        "Make the upgrade script executable (chmod +x on that one file; asks first)",
    ),
    SCROLL,
    WHY,
    HELP,
    QUIT,
];

const WATCH_TABLE: &[Binding] = &[
    b(
        &[
            (Key::Tab, Action::PaneNext),
            (Key::Right, Action::PaneNext),
            (Key::BackTab, Action::PanePrev),
            (Key::Left, Action::PanePrev),
        ],
        "Tab/←/→",
        "log",
        "Switch between the three logs",
    ),
    b(
        &[
            (Key::Up, Action::ScrollUp),
            (Key::Down, Action::ScrollDown),
            (Key::Char('k'), Action::ScrollUp),
            (Key::Char('j'), Action::ScrollDown),
        ],
        "↑/↓",
        "scroll",
        "Scroll the selected log one line",
    ),
    b(
        &[
            (Key::PageUp, Action::PageUp),
            (Key::PageDown, Action::PageDown),
        ],
        "PgUp/PgDn",
        "page",
        "Scroll the selected log one page",
    ),
    b(
        &[(Key::Home, Action::Top), (Key::End, Action::Bottom)],
        "Home/End",
        "top/end",
        "Oldest kept line / newest line (End also turns follow on)",
    ),
    b(
        &[(Key::Char('f'), Action::ToggleFollow)],
        "f",
        "follow",
        "Follow mode: keep the newest line in view",
    ),
    WHY,
    HELP,
    QUIT,
];

const DONE_TABLE: &[Binding] = &[
    b(
        &[(Key::Char('c'), Action::CollectFinal)],
        "c",
        "collect bundle",
        "Build the final bundle (adds the re-run's output and the journal)",
    ),
    b(
        &[(Key::Char('r'), Action::Rerun)],
        "r",
        "re-run",
        "Plan and run the recovery again, once the cause of the failure is fixed",
    ),
    COPY,
    SCROLL,
    WHY,
    HELP,
    b(
        &[(Key::Char('q'), Action::Quit), (Key::CtrlC, Action::Quit)],
        "q",
        "quit",
        "Leave; the summary stays (asks first only while a bundle is built; Ctrl-C too)",
    ),
];

/// The context the model is in now.
pub fn context(model: &Model) -> Context {
    match model.overlay {
        Some(Overlay::Help) => Context::Help,
        Some(Overlay::QuitConfirm { .. }) => Context::QuitConfirm,
        Some(Overlay::Confirm { .. }) => Context::Confirm,
        None if model.why_over_screen() => Context::Why,
        None if model.picker.is_some() => Context::Picker,
        None => screen_context(model),
    }
}

/// The context of the screen itself, under any dialog (the help describes this one).
pub fn screen_context(model: &Model) -> Context {
    if model.why_over_screen() {
        Context::Why
    } else if model.picker.is_some() {
        Context::Picker
    } else if model.preflight.is_some() && model.step == Step::Detect {
        Context::Preflight
    } else if model.step == Step::Warn && model.opts.lab_start {
        Context::LabWarn
    } else if model.step == Step::Detect && model.opts.course_entry {
        Context::DemoDetect
    } else {
        Context::Step(model.step)
    }
}

/// The table for a context.
pub fn table(ctx: Context) -> &'static [Binding] {
    match ctx {
        Context::Help => HELP_TABLE,
        Context::QuitConfirm => QUIT_TABLE,
        Context::Confirm => DIALOG_TABLE,
        Context::Picker => PICKER_TABLE,
        Context::Preflight => PREFLIGHT_TABLE,
        Context::Why => WHY_TABLE,
        Context::LabWarn => WARN_LAB_TABLE,
        Context::DemoDetect => DEMO_DETECT_TABLE,
        Context::Step(Step::Detect) => DETECT_TABLE,
        Context::Step(Step::Warn) => WARN_TABLE,
        Context::Step(Step::Collect) => COLLECT_TABLE,
        Context::Step(Step::Run) => RUN_TABLE,
        Context::Step(Step::Watch) => WATCH_TABLE,
        Context::Step(Step::Done) => DONE_TABLE,
    }
}

/// Every binding of the current context with its enabled state.
/// How the key for `action` in `ctx` is shown (e.g. `r`), so screen texts name the keys the
/// keymap really binds. `?` when the action has no key there (a test keeps screens honest).
pub fn key_of(ctx: Context, action: Action) -> &'static str {
    table(ctx)
        .iter()
        .find(|b| b.keys.iter().any(|(_, a)| *a == action))
        .map_or("?", |b| b.display)
}

/// Every key bound to `action` in `ctx`, by name: `Esc, ?, q or Enter`.
pub fn keys_of(ctx: Context, action: Action) -> String {
    let names: Vec<String> = table(ctx)
        .iter()
        .flat_map(|b| b.keys.iter())
        .filter(|(_, a)| *a == action)
        .map(|(k, _)| key_name(*k))
        .collect();
    match names.split_last() {
        None => "?".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A key as the operator reads it.
pub fn key_name(k: Key) -> String {
    match k {
        Key::Char(c) => c.to_string(),
        Key::Enter => "Enter".into(),
        Key::Esc => "Esc".into(),
        Key::Tab => "Tab".into(),
        Key::BackTab => "Shift-Tab".into(),
        Key::Up => "↑".into(),
        Key::Down => "↓".into(),
        Key::Left => "←".into(),
        Key::Right => "→".into(),
        Key::PageUp => "PgUp".into(),
        Key::PageDown => "PgDn".into(),
        Key::Home => "Home".into(),
        Key::End => "End".into(),
        Key::CtrlC => "Ctrl-C".into(),
    }
}

/// `key_of` for a step.
pub fn step_key(step: Step, action: Action) -> &'static str {
    key_of(Context::Step(step), action)
}

/// Keys that only mean something in some situations (re-run after a failure, copy a planned
/// command, chmod a non-executable script): the hint bar leaves them out while they are
/// disabled; the help still lists them.
pub fn situational(b: &Binding) -> bool {
    b.keys.iter().any(|(_, a)| {
        matches!(
            a,
            Action::Rerun | Action::Copy | Action::MakeExecutable | Action::Preflight
        )
    })
}

pub fn bindings(model: &Model) -> Vec<BindingState> {
    table(context(model))
        .iter()
        .map(|binding| BindingState {
            binding,
            enabled: binding
                .keys
                .first()
                .map_or(Ok(()), |(_, a)| enabled(model, *a)),
        })
        .collect()
}

/// What `key` does now, with whether it is allowed.
pub fn lookup(model: &Model, key: Key) -> Option<(Action, Result<(), String>)> {
    table(context(model))
        .iter()
        .flat_map(|b| b.keys.iter())
        .find(|(k, _)| *k == key)
        .map(|(_, a)| (*a, enabled(model, *a)))
}

/// Whether an action is allowed now, or why not.
pub fn enabled(model: &Model, action: Action) -> Result<(), String> {
    let no = |why: &str| Err(why.to_string());
    if model.quitting && action == Action::Quit {
        return no("leaving");
    }
    // A dialog's keys belong to the dialog, not to the step under it.
    if model.overlay.is_some() {
        return Ok(());
    }
    if matches!(model.ending, Some(super::model::Ending::NoInstall))
        && matches!(action, Action::Next | Action::Retry)
    {
        return no("no install found: name it with --agent-dir");
    }
    if let Some(v) = &model.preflight
        && model.step == Step::Detect
    {
        return match action {
            Action::Retry if v.job.is_running() => no("checking…"),
            _ => Ok(()),
        };
    }
    match (model.step, action) {
        (Step::Detect, Action::Preflight) => match model.verdict() {
            Some(Verdict::Healthy) => Ok(()),
            Some(_) => no("preflight is for a healthy MID, before an instance upgrade"),
            None => no("detecting…"),
        },
        (Step::Detect, Action::Next) => match (&model.detect, model.verdict()) {
            (_, Some(_)) => Ok(()),
            (super::model::Job::Failed(_), _) => no("detect failed: press r"),
            _ => no("detecting…"),
        },
        (Step::Detect, Action::Retry) => match model.detect {
            super::model::Job::Failed(_) => Ok(()),
            super::model::Job::Done(_) => no("detect finished"),
            _ => no("detecting…"),
        },
        (Step::Warn, Action::Acknowledge) if model.acknowledged => no("done"),
        (Step::Warn, Action::Next) if !model.acknowledged => no("press a first"),
        (Step::Warn, Action::SetManual) => set_manual_enabled(model),
        (Step::Warn, Action::LabStartService) if !model.opts.lab_start => no("lab only"),
        (Step::Detect, Action::StartCourse) if !model.opts.course_entry => no("demo only"),
        (Step::Detect, Action::StartCourse) if model.upgrade_started() => no("the upgrade runs"),
        (Step::Warn, Action::LabStartService) if model.lab_start.is_running() => no("starting…"),
        (Step::Collect, Action::Next) => match &model.collect.job {
            super::model::Job::Done(_) => Ok(()),
            super::model::Job::Failed(_) => no("bundle failed: press r"),
            _ => no("saving the logs first"),
        },
        (Step::Collect, Action::Retry) => match model.collect.job {
            super::model::Job::Failed(_) => Ok(()),
            super::model::Job::Done(_) => no("the bundle is saved"),
            _ => no("saving the logs…"),
        },
        (Step::Run, Action::Retry) => match model.run.plan {
            super::model::Job::Failed(_) if model.run.chmod.is_running() => {
                no("changing the mode…")
            }
            super::model::Job::Failed(_) => Ok(()),
            super::model::Job::Done(_) => no("the command is ready"),
            _ => no("working out the command…"),
        },
        (Step::Run, Action::MakeExecutable) => match &model.run.script_fix {
            _ if model.run.chmod.is_running() => no("changing the mode…"),
            _ if model.run.chmod.done().is_some() => no("done"),
            Some(f) if f.needs_chmod && model.run.chmod.done().is_none() => Ok(()),
            Some(f) if f.needs_chmod => no("done"),
            Some(_) => no("the script is executable; its mount is noexec"),
            None => no("the script is executable"),
        },
        (Step::Run | Step::Done, Action::Copy) => match model.run.plan {
            super::model::Job::Done(_) => Ok(()),
            _ => no("no command planned"),
        },
        (Step::Done, Action::Rerun) => match &model.ending {
            Some(super::model::Ending::Failed { rerun, .. }) => rerun.clone(),
            Some(super::model::Ending::Recovered { .. }) => no("the MID Server is Up"),
            _ => no("nothing to re-run"),
        },
        (Step::Run, Action::Activate)
        | (Step::Run, Action::FocusNext)
        | (Step::Run, Action::FocusPrev) => match model.run.plan {
            super::model::Job::Done(_) => Ok(()),
            super::model::Job::Failed(_) => no("no command to run"),
            _ => no("working out the command…"),
        },
        (Step::Done, Action::CollectFinal) => {
            if model.final_collect.job.is_running() || model.collect.job.is_running() {
                no("a bundle is being built")
            } else if model.final_collect.job.done().is_some() {
                no("final bundle built")
            } else if matches!(model.ending, Some(super::model::Ending::NoInstall)) {
                no("no install to collect from")
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn set_manual_enabled(model: &Model) -> Result<(), String> {
    use crate::platform::service::StartType;
    if model.start_type.is_running() {
        return Err("changing…".into());
    }
    if let Some(st) = model.start_type.done() {
        return Err(format!("already {}", start_type_word(*st)));
    }
    match model.report().and_then(|r| r.service.start_type) {
        Some(StartType::Manual) => Err("already Manual".into()),
        Some(StartType::Disabled) => Err("already Disabled".into()),
        _ if model.verdict() == Some(Verdict::NotAMidServer) => Err("no service".into()),
        _ => Ok(()),
    }
}

pub fn start_type_word(st: crate::platform::service::StartType) -> &'static str {
    use crate::platform::service::StartType;
    match st {
        StartType::Auto => "Automatic",
        StartType::Manual => "Manual",
        StartType::Disabled => "Disabled",
    }
}
