//! Terminal events to wizard messages.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::wizard::{Key, Msg};

/// The message for a terminal event, if it means anything to the wizard. Key releases (which
/// Windows reports too) are ignored, so one press is one action.
pub fn to_msg(ev: &Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => key(k).map(Msg::Key),
        Event::Resize(w, h) => Some(Msg::Resize {
            width: *w,
            height: *h,
        }),
        _ => None,
    }
}

fn key(k: &KeyEvent) -> Option<Key> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    if k.modifiers.contains(KeyModifiers::CONTROL) {
        return match k.code {
            KeyCode::Char('c') | KeyCode::Char('C') => Some(Key::CtrlC),
            _ => None,
        };
    }
    Some(match k.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn ev(code: KeyCode, mods: KeyModifiers, kind: KeyEventKind) -> Event {
        Event::Key(KeyEvent {
            code,
            modifiers: mods,
            kind,
            state: KeyEventState::NONE,
        })
    }

    #[test]
    fn releases_are_ignored_and_presses_map() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            to_msg(&ev(KeyCode::Char('q'), none, KeyEventKind::Release)),
            None
        );
        assert_eq!(
            to_msg(&ev(KeyCode::Char('q'), none, KeyEventKind::Press)),
            Some(Msg::Key(Key::Char('q')))
        );
        assert_eq!(
            to_msg(&ev(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL,
                KeyEventKind::Press
            )),
            Some(Msg::Key(Key::CtrlC))
        );
        assert_eq!(
            to_msg(&ev(
                KeyCode::Char('x'),
                KeyModifiers::CONTROL,
                KeyEventKind::Press
            )),
            None
        );
        assert_eq!(
            to_msg(&Event::Resize(100, 30)),
            Some(Msg::Resize {
                width: 100,
                height: 30
            })
        );
    }
}
