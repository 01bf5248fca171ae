//! What a recording may keep of what was typed, for recordings to share: the rule
//! `gdkrecord-tool redact` applies to a recording and the recorder applies from the
//! start with `GDKRECORD_KEYS=redacted`.
//!
//! A key press or release of a *text* key (one that types a character: letters, digits,
//! punctuation, space, keypad digits and operators, dead accents, any Unicode keysym)
//! loses its keyval, its name and its hardware keycode (which names the key just as
//! well). What stays is that a key was pressed or released, when, on which surface and
//! with which modifiers. Keys that type nothing keep everything: Return, Escape, Tab,
//! BackSpace, Delete, the arrows and other cursor keys, function keys, modifiers, lock
//! keys and media keys. The header loses the command line (`argv`).

use crate::names::EventType;
use crate::records::{Event, Header, Record};

/// Whether `keyval` (an X keysym, as GDK's) types a character: letters, digits,
/// punctuation, space, keypad digits and operators, dead accents, any Unicode keysym.
/// Return, Escape, Tab, BackSpace, Delete, cursor keys, function keys, modifiers, lock
/// and media keys type nothing.
pub fn is_text_keyval(keyval: u32) -> bool {
    match keyval {
        // Keypad keys that type: KP_Space, KP_Multiply ..= KP_9, KP_Equal.
        0xff80 | 0xffaa..=0xffb9 | 0xffbd => true,
        // TTY function keys, cursor keys, other functions, the rest of the keypad,
        // F-keys and modifiers.
        0xff00..=0xffff => false,
        // ISO lock and shift keys, ISO_Left_Tab (dead accents, 0xfe50 ..= 0xfe8f, type).
        0xfe00..=0xfe4f | 0xfe90..=0xfeff => false,
        // XF86 media and hardware keys.
        0x1008_ff00..=0x1008_ffff => false,
        _ => true,
    }
}

impl Event {
    /// Drops what a key event of a text key says was typed: its keyval, name and keycode
    /// (which names the key just as well); keeps when, where and the modifiers. Returns
    /// whether it did. A key event without a keyval is redacted too: nothing tells.
    pub fn redact_typing(&mut self) -> bool {
        let is_key = matches!(
            self.event_type,
            EventType::KEY_PRESS | EventType::KEY_RELEASE
        );
        if !is_key || self.keyval.is_some_and(|keyval| !is_text_keyval(keyval)) {
            return false;
        }
        let had = self.keyval.is_some() || self.key.is_some() || self.keycode.is_some();
        self.keyval = None;
        self.key = None;
        self.keycode = None;
        had
    }
}

impl Header {
    /// Drops the command line.
    pub fn redact(&mut self) {
        self.argv.clear();
    }
}

impl Record {
    /// Drops what was typed ([`Event::redact_typing`]) and the command line
    /// ([`Header::redact`]); returns whether anything was dropped.
    pub fn redact(&mut self) -> bool {
        match self {
            Record::Event(event) => event.redact_typing(),
            Record::Header(header) => {
                let had = !header.argv.is_empty();
                header.redact();
                had
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Modifiers, SurfaceId};

    fn key(keyval: u32, name: &str) -> Event {
        let mut e = Event::new(5, SurfaceId(1), EventType::KEY_PRESS, 9);
        e.keyval = Some(keyval);
        e.key = Some(name.into());
        e.keycode = Some(38);
        e.modifiers = Some(Modifiers(1));
        e
    }

    #[test]
    fn text_keys_lose_what_was_typed_and_keep_when_and_modifiers() {
        for (keyval, name) in [
            (0x61, "a"),
            (0x41, "A"),
            (0x20, "space"),
            (0x31, "1"),
            (0xe9, "eacute"),
            (0x0100_20ac, "EuroSign"),
            (0xffb5, "KP_5"),
            (0xffab, "KP_Add"),
            (0xfe51, "dead_acute"),
            (0x6c1, "Cyrillic_a"),
        ] {
            let mut e = key(keyval, name);
            assert!(e.redact_typing(), "{name}");
            assert_eq!((e.keyval, e.key.as_deref(), e.keycode), (None, None, None));
            assert_eq!((e.t_ns, e.time_ms, e.modifiers), (5, 9, Some(Modifiers(1))));
            assert_eq!(e.event_type, EventType::KEY_PRESS);
        }
    }

    #[test]
    fn keys_that_type_nothing_are_kept() {
        for (keyval, name) in [
            (0xff0d, "Return"),
            (0xff1b, "Escape"),
            (0xff09, "Tab"),
            (0xff08, "BackSpace"),
            (0xffff, "Delete"),
            (0xff51, "Left"),
            (0xff54, "Down"),
            (0xffbe, "F1"),
            (0xffe1, "Shift_L"),
            (0xffe3, "Control_L"),
            (0xff8d, "KP_Enter"),
            (0xfe20, "ISO_Left_Tab"),
            (0x1008_ff13, "XF86AudioRaiseVolume"),
        ] {
            let mut e = key(keyval, name);
            let before = e.clone();
            assert!(!e.redact_typing(), "{name}");
            assert_eq!(e, before);
        }
    }

    #[test]
    fn other_events_and_the_header() {
        let mut click = Event::new(1, SurfaceId(1), EventType::BUTTON_PRESS, 0);
        click.x = Some(1.0);
        let mut record = Record::Event(click.clone());
        assert!(!record.redact());
        assert_eq!(record, Record::Event(click));
        let mut nameless = Event::new(1, SurfaceId(1), EventType::KEY_RELEASE, 0);
        nameless.keycode = Some(40);
        assert!(nameless.redact_typing());
        assert_eq!(nameless.keycode, None);
    }
}
