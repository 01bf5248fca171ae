//! Small enumerations stored as one byte in the log, with the names GDK gives them.
//!
//! Each is a newtype over the raw value GDK uses, so a value this crate does not know
//! (from a newer GTK) is kept and shown as `unknown-N` instead of being lost.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! nick_enum {
    ($(#[$meta:meta])* $name:ident { $($konst:ident = $value:expr => $nick:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u8);

        impl $name {
            $(#[allow(missing_docs)] pub const $konst: $name = $name($value);)*
            const NICKS: &'static [(u8, &'static str)] = &[$(($value, $nick)),*];

            /// GDK's nick for this value, or `None` when this crate does not know it.
            pub fn known_nick(self) -> Option<&'static str> {
                Self::NICKS.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
            }

            /// GDK's nick (`button-press`), or `unknown-N` for a value this crate does not know.
            pub fn nick(self) -> std::borrow::Cow<'static, str> {
                match self.known_nick() {
                    Some(nick) => std::borrow::Cow::Borrowed(nick),
                    None => std::borrow::Cow::Owned(format!("unknown-{}", self.0)),
                }
            }

            /// The value whose nick is `nick` (also accepts `unknown-N`).
            pub fn from_nick(nick: &str) -> Option<Self> {
                if let Some((v, _)) = Self::NICKS.iter().find(|(_, n)| *n == nick) {
                    return Some($name(*v));
                }
                nick.strip_prefix("unknown-").and_then(|n| n.parse().ok()).map($name)
            }

            /// Every value this crate knows, with its nick.
            pub fn all() -> impl Iterator<Item = (Self, &'static str)> {
                Self::NICKS.iter().map(|(v, n)| ($name(*v), *n))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.nick())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.known_nick() {
                    Some(nick) => s.serialize_str(nick),
                    None => s.collect_str(&self.nick()),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let nick = String::deserialize(d)?;
                Self::from_nick(&nick)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown {} `{nick}`", stringify!($name))))
            }
        }
    };
}

nick_enum! {
    /// `GdkEventType` (GTK 4.8 numbering), shown with GDK's nicks.
    EventType {
        DELETE = 0 => "delete",
        MOTION_NOTIFY = 1 => "motion-notify",
        BUTTON_PRESS = 2 => "button-press",
        BUTTON_RELEASE = 3 => "button-release",
        KEY_PRESS = 4 => "key-press",
        KEY_RELEASE = 5 => "key-release",
        ENTER_NOTIFY = 6 => "enter-notify",
        LEAVE_NOTIFY = 7 => "leave-notify",
        FOCUS_CHANGE = 8 => "focus-change",
        PROXIMITY_IN = 9 => "proximity-in",
        PROXIMITY_OUT = 10 => "proximity-out",
        DRAG_ENTER = 11 => "drag-enter",
        DRAG_LEAVE = 12 => "drag-leave",
        DRAG_MOTION = 13 => "drag-motion",
        DROP_START = 14 => "drop-start",
        SCROLL = 15 => "scroll",
        GRAB_BROKEN = 16 => "grab-broken",
        TOUCH_BEGIN = 17 => "touch-begin",
        TOUCH_UPDATE = 18 => "touch-update",
        TOUCH_END = 19 => "touch-end",
        TOUCH_CANCEL = 20 => "touch-cancel",
        TOUCHPAD_SWIPE = 21 => "touchpad-swipe",
        TOUCHPAD_PINCH = 22 => "touchpad-pinch",
        PAD_BUTTON_PRESS = 23 => "pad-button-press",
        PAD_BUTTON_RELEASE = 24 => "pad-button-release",
        PAD_RING = 25 => "pad-ring",
        PAD_STRIP = 26 => "pad-strip",
        PAD_GROUP_MODE = 27 => "pad-group-mode",
        TOUCHPAD_HOLD = 28 => "touchpad-hold",
    }
}

nick_enum! {
    /// `GdkScrollDirection`.
    ScrollDirection {
        UP = 0 => "up",
        DOWN = 1 => "down",
        LEFT = 2 => "left",
        RIGHT = 3 => "right",
        SMOOTH = 4 => "smooth",
    }
}

nick_enum! {
    /// `GdkCrossingMode` of enter/leave and focus events.
    CrossingMode {
        NORMAL = 0 => "normal",
        GRAB = 1 => "grab",
        UNGRAB = 2 => "ungrab",
        GTK_GRAB = 3 => "gtk-grab",
        GTK_UNGRAB = 4 => "gtk-ungrab",
        STATE_CHANGED = 5 => "state-changed",
        TOUCH_BEGIN = 6 => "touch-begin",
        TOUCH_END = 7 => "touch-end",
        DEVICE_SWITCH = 8 => "device-switch",
    }
}

nick_enum! {
    /// `GdkNotifyType`, the detail of enter/leave events.
    NotifyType {
        ANCESTOR = 0 => "ancestor",
        VIRTUAL = 1 => "virtual",
        INFERIOR = 2 => "inferior",
        NONLINEAR = 3 => "nonlinear",
        NONLINEAR_VIRTUAL = 4 => "nonlinear-virtual",
        UNKNOWN = 5 => "unknown",
    }
}

nick_enum! {
    /// What kind of `GdkSurface` a surface is.
    SurfaceKind {
        OTHER = 0 => "other",
        TOPLEVEL = 1 => "toplevel",
        POPUP = 2 => "popup",
        DRAG = 3 => "drag",
    }
}

nick_enum! {
    /// The GSK renderer (or GDK draw context) that drew a frame.
    Renderer {
        UNKNOWN = 0 => "unknown",
        CAIRO = 1 => "cairo",
        GL = 2 => "gl",
        NGL = 3 => "ngl",
        VULKAN = 4 => "vulkan",
        BROADWAY = 5 => "broadway",
    }
}

impl Renderer {
    /// The renderer a GSK renderer or GDK draw-context type name stands for
    /// (`GskCairoRenderer`, `GskNglRenderer`, `GdkX11GLContext`, ...).
    pub fn from_type_name(name: &str) -> Renderer {
        let lower = name.to_ascii_lowercase();
        if lower.contains("ngl") {
            Renderer::NGL
        } else if lower.contains("cairo") {
            Renderer::CAIRO
        } else if lower.contains("vulkan") {
            Renderer::VULKAN
        } else if lower.contains("broadway") {
            Renderer::BROADWAY
        } else if lower.contains("gl") {
            Renderer::GL
        } else {
            Renderer::UNKNOWN
        }
    }
}

nick_enum! {
    /// The private vfunc a [`crate::DamageCapture`] record is about.
    DamageVfunc {
        RENDER = 0 => "render",
        END_FRAME = 1 => "end-frame",
    }
}

nick_enum! {
    /// How far the run-time proof of a wrapped class went.
    CaptureState {
        PATCHED = 0 => "patched",
        PROVEN = 1 => "proven",
        REFUSED = 2 => "refused",
    }
}

nick_enum! {
    /// Why the recording ended (`disk-full`: the recorder stopped writing when the disk
    /// filled; the program went on).
    EndReason {
        EXIT = 0 => "exit",
        DISPLAY_CLOSED = 1 => "display-closed",
        DISK_FULL = 2 => "disk-full",
    }
}

nick_enum! {
    /// How the pixels of a [`crate::Pixels`] record are stored: `raw` (the bytes as
    /// they are) or `lz4` (one LZ4 block, as `lz4_flex::block` writes it).
    PixelCodec {
        RAW = 0 => "raw",
        LZ4 = 1 => "lz4",
    }
}

nick_enum! {
    /// Why a rendered frame has no [`crate::Pixels`] records: `budget` (the pixel bytes
    /// per second cap was reached), `failed` (the recorder could not draw the frame).
    PixelsSkipReason {
        BUDGET = 0 => "budget",
        FAILED = 1 => "failed",
    }
}

/// Names of bit flags, in bit order.
fn flag_names(bits: u32, table: &[(u32, &'static str)]) -> Vec<std::borrow::Cow<'static, str>> {
    let mut names = Vec::new();
    let mut rest = bits;
    for (bit, name) in table {
        if bits & bit != 0 {
            names.push(std::borrow::Cow::Borrowed(*name));
            rest &= !bit;
        }
    }
    for i in 0..32 {
        if rest & (1 << i) != 0 {
            names.push(std::borrow::Cow::Owned(format!("bit{i}")));
        }
    }
    names
}

fn flags_from_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    table: &[(u32, &str)],
) -> Option<u32> {
    let mut bits = 0;
    for name in names {
        if let Some((bit, _)) = table.iter().find(|(_, n)| *n == name) {
            bits |= bit;
        } else {
            let i: u32 = name.strip_prefix("bit")?.parse().ok()?;
            bits |= 1u32.checked_shl(i)?;
        }
    }
    Some(bits)
}

macro_rules! flags_type {
    ($(#[$meta:meta])* $name:ident { $($konst:ident = $bit:expr => $nick:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name(pub u32);

        impl $name {
            $(#[allow(missing_docs)] pub const $konst: $name = $name($bit);)*
            const TABLE: &'static [(u32, &'static str)] = &[$(($bit, $nick)),*];

            /// The names of the set flags, in bit order (`bitN` for bits this crate does not know).
            pub fn names(self) -> Vec<std::borrow::Cow<'static, str>> {
                flag_names(self.0, Self::TABLE)
            }

            /// Whether every flag of `other` is set in `self`.
            pub fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// Parses the names `names()` gives back into flags.
            pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Self> {
                flags_from_names(names, Self::TABLE).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let names = self.names();
                if names.is_empty() {
                    return f.write_str("0");
                }
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    f.write_str(name)?;
                }
                Ok(())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.names())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let names = Vec::<String>::deserialize(d)?;
                Self::from_names(names.iter().map(String::as_str))
                    .ok_or_else(|| serde::de::Error::custom(format!("bad {} names", stringify!($name))))
            }
        }
    };
}

flags_type! {
    /// `GdkModifierType`: keyboard modifiers and held mouse buttons.
    Modifiers {
        SHIFT = 1 << 0 => "shift",
        LOCK = 1 << 1 => "lock",
        CONTROL = 1 << 2 => "control",
        ALT = 1 << 3 => "alt",
        BUTTON1 = 1 << 8 => "button1",
        BUTTON2 = 1 << 9 => "button2",
        BUTTON3 = 1 << 10 => "button3",
        BUTTON4 = 1 << 11 => "button4",
        BUTTON5 = 1 << 12 => "button5",
        SUPER = 1 << 26 => "super",
        HYPER = 1 << 27 => "hyper",
        META = 1 << 28 => "meta",
    }
}

flags_type! {
    /// `GdkToplevelState`.
    ToplevelState {
        MINIMIZED = 1 << 0 => "minimized",
        MAXIMIZED = 1 << 1 => "maximized",
        STICKY = 1 << 2 => "sticky",
        FULLSCREEN = 1 << 3 => "fullscreen",
        ABOVE = 1 << 4 => "above",
        BELOW = 1 << 5 => "below",
        FOCUSED = 1 << 6 => "focused",
        TILED = 1 << 7 => "tiled",
        TOP_TILED = 1 << 8 => "top-tiled",
        TOP_RESIZABLE = 1 << 9 => "top-resizable",
        RIGHT_TILED = 1 << 10 => "right-tiled",
        RIGHT_RESIZABLE = 1 << 11 => "right-resizable",
        BOTTOM_TILED = 1 << 12 => "bottom-tiled",
        BOTTOM_RESIZABLE = 1 << 13 => "bottom-resizable",
        LEFT_TILED = 1 << 14 => "left-tiled",
        LEFT_RESIZABLE = 1 << 15 => "left-resizable",
        SUSPENDED = 1 << 16 => "suspended",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicks_round_trip_and_unknown_values_survive() {
        assert_eq!(EventType::BUTTON_PRESS.nick(), "button-press");
        assert_eq!(
            EventType::from_nick("key-release"),
            Some(EventType::KEY_RELEASE)
        );
        assert_eq!(EventType(200).nick(), "unknown-200");
        assert_eq!(EventType::from_nick("unknown-200"), Some(EventType(200)));
        assert_eq!(EventType::from_nick("no-such"), None);
    }

    #[test]
    fn flags_show_names_in_bit_order() {
        let m = Modifiers(Modifiers::CONTROL.0 | Modifiers::SHIFT.0 | (1 << 20));
        assert_eq!(m.to_string(), "shift|control|bit20");
        assert_eq!(
            Modifiers::from_names(["shift", "control", "bit20"]),
            Some(m)
        );
        assert_eq!(Modifiers(0).to_string(), "0");
    }

    #[test]
    fn renderer_from_type_names() {
        assert_eq!(
            Renderer::from_type_name("GskCairoRenderer"),
            Renderer::CAIRO
        );
        assert_eq!(Renderer::from_type_name("GskNglRenderer"), Renderer::NGL);
        assert_eq!(Renderer::from_type_name("GskGLRenderer"), Renderer::GL);
        assert_eq!(Renderer::from_type_name("GdkX11GLContext"), Renderer::GL);
        assert_eq!(
            Renderer::from_type_name("GskVulkanRenderer"),
            Renderer::VULKAN
        );
        assert_eq!(Renderer::from_type_name("Whatever"), Renderer::UNKNOWN);
    }
}
