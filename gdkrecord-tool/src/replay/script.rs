//! What `replay` plays: the input of a recording (pointer motion, buttons, keys, scrolls,
//! and the sizes its toplevels were given), in the recording's order, each at its time
//! relative to the end of the first frame of the first toplevel (the moment the app was
//! first on screen), and on the surface of the same role ([`SurfaceRoles`]).

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};
use gdkrecord_format::{Event, EventType, Nanos, Record, ScrollDirection, SurfaceId, SurfaceKind};

use crate::input::Recording;

/// A surface's role, the same in every run of an app: the n-th toplevel, or the n-th
/// popup (or other surface) of the surface with a given role.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Role(pub String);

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Gives each surface of a run its [`Role`], in the order the surfaces are created.
#[derive(Debug, Default)]
pub struct SurfaceRoles {
    roles: HashMap<SurfaceId, Role>,
    toplevels: HashSet<SurfaceId>,
    /// Surfaces created so far per (parent role, kind): the next one's number.
    counts: HashMap<(Option<Role>, SurfaceKind), u32>,
}

impl SurfaceRoles {
    /// Takes in `surface` records; returns the role of a new surface.
    pub fn observe(&mut self, record: &Record) -> Option<(SurfaceId, Role)> {
        let Record::Surface(s) = record else {
            return None;
        };
        let parent = s.parent.and_then(|p| self.roles.get(&p).cloned());
        let n = self
            .counts
            .entry((parent.clone(), s.surface_kind))
            .or_insert(0);
        *n += 1;
        let own = format!("{} {n}", s.surface_kind);
        let role = Role(match parent {
            Some(parent) => format!("{parent} / {own}"),
            None => own,
        });
        self.roles.insert(s.surface, role.clone());
        if s.surface_kind == SurfaceKind::TOPLEVEL && s.parent.is_none() {
            self.toplevels.insert(s.surface);
        }
        Some((s.surface, role))
    }

    /// Whether `id` is a toplevel (a window of its own, which can be resized).
    pub fn is_toplevel(&self, id: SurfaceId) -> bool {
        self.toplevels.contains(&id)
    }

    /// The role of surface `id`, when its `surface` record was seen.
    pub fn role(&self, id: SurfaceId) -> Option<&Role> {
        self.roles.get(&id)
    }
}

/// Input events (and resizes) a replay holds at most: some 5 hours of continuous pointer
/// motion, about 100 MB of steps. A longer recording is refused rather than read into
/// unbounded memory.
const STEPS_MAX: usize = 2_000_000;

/// One thing to do to the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Move the pointer to (x, y) on the surface (surface coordinates).
    Motion { x: f64, y: f64 },
    Button {
        button: u32,
        press: bool,
        x: f64,
        y: f64,
    },
    /// A key by its hardware keycode, else by its keyval.
    Key {
        keycode: Option<u32>,
        keyval: Option<u32>,
        press: bool,
    },
    /// Wheel clicks: `up` (or down), `horizontal` (left or right), how many.
    Scroll { button: u8, clicks: u32 },
    /// Give the toplevel this size.
    Resize { width: i32, height: i32 },
}

/// An action at a time on a surface of some role.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Since the end of the first toplevel's first frame (0 for what came before).
    pub at_ns: Nanos,
    pub role: Role,
    pub action: Action,
    /// The recorded event it comes from (for messages and the timing report): its type.
    pub event_type: Option<EventType>,
}

/// A recording's input, ready to play.
#[derive(Debug)]
pub struct Script {
    pub steps: Vec<Step>,
    /// From the first frame to the recording's end: how long the app lived after it.
    pub end_ns: Nanos,
    /// Whether the recording ended with its program exiting (an `end` record).
    pub ended: bool,
}

impl Script {
    /// How many of the steps are resizes.
    pub fn resizes(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.action, Action::Resize { .. }))
            .count()
    }

    /// The last step's time.
    pub fn last_step_ns(&self) -> Nanos {
        self.steps.last().map_or(0, |s| s.at_ns)
    }
}

/// Whether an event of this type is played (the others follow from them: crossing and
/// focus events from motion, touch cannot be sent through XTEST).
pub fn is_played(event_type: EventType) -> bool {
    matches!(
        event_type,
        EventType::MOTION_NOTIFY
            | EventType::BUTTON_PRESS
            | EventType::BUTTON_RELEASE
            | EventType::KEY_PRESS
            | EventType::KEY_RELEASE
            | EventType::SCROLL
    )
}

/// Reads `recording` into a script; a recording without any input to play is an error.
pub fn read(recording: Recording) -> Result<Script> {
    let path = recording.path().display().to_string();
    let mut roles = SurfaceRoles::default();
    let mut first_toplevel: Option<SurfaceId> = None;
    let mut first_frame_end: Option<Nanos> = None;
    // Until the first frame, times are unknown: kept in recording time, shifted after.
    let mut steps: Vec<(Nanos, Step)> = Vec::new();
    let mut sizes: HashMap<SurfaceId, (i32, i32)> = HashMap::new();
    let mut scroll = SmoothScroll::default();
    let mut last_ns = 0;
    let mut ended = false;
    recording.for_each(|record| {
        last_ns = last_ns.max(record.t_ns());
        if let Some((id, _)) = roles.observe(&record) {
            if let Record::Surface(s) = &record {
                if s.surface_kind == SurfaceKind::TOPLEVEL && first_toplevel.is_none() {
                    first_toplevel = Some(id);
                }
                sizes.insert(id, (s.width, s.height));
            }
        }
        if steps.len() >= STEPS_MAX {
            bail!("{path}: more than {STEPS_MAX} input events to replay: too long a session (record a shorter one)");
        }
        match &record {
            Record::Frame(f) if Some(f.surface) == first_toplevel && first_frame_end.is_none() => {
                first_frame_end = Some(f.end_ns);
            }
            Record::Size(s) => {
                let before = sizes.insert(s.surface, (s.width, s.height));
                // Sizes given before the app was on screen are its own, not the user's.
                if first_frame_end.is_some()
                    && roles.is_toplevel(s.surface)
                    && before != Some((s.width, s.height))
                {
                    let role = roles.role(s.surface).cloned().expect("checked");
                    steps.push((
                        s.t_ns,
                        Step {
                            at_ns: 0,
                            role,
                            action: Action::Resize {
                                width: s.width,
                                height: s.height,
                            },
                            event_type: None,
                        },
                    ));
                }
            }
            Record::Event(event) if is_played(event.event_type) => {
                if let (Some(role), Some(action)) =
                    (roles.role(event.surface), action(event, &mut scroll))
                {
                    steps.push((
                        event.t_ns,
                        Step {
                            at_ns: 0,
                            role: role.clone(),
                            action,
                            event_type: Some(event.event_type),
                        },
                    ));
                }
            }
            Record::End(_) => ended = true,
            _ => {}
        }
        Ok(())
    })?;
    if steps.is_empty() {
        bail!("{path}: no input to replay (no pointer, button, key or scroll event, no resize)");
    }
    let Some(origin) = first_frame_end else {
        bail!("{path}: its first window never painted a frame: there is no moment to replay the input from");
    };
    Ok(Script {
        steps: steps
            .into_iter()
            .map(|(t, mut step)| {
                step.at_ns = t.saturating_sub(origin);
                step
            })
            .collect(),
        end_ns: last_ns.saturating_sub(origin),
        ended,
    })
}

/// Smooth scroll deltas add up to wheel clicks (one click per unit), which is what XTEST
/// can send.
#[derive(Debug, Default)]
struct SmoothScroll {
    dx: f64,
    dy: f64,
}

/// X11 wheel buttons: 4 up, 5 down, 6 left, 7 right.
const WHEEL_UP: u8 = 4;
const WHEEL_DOWN: u8 = 5;
const WHEEL_LEFT: u8 = 6;
const WHEEL_RIGHT: u8 = 7;

/// What playing `event` does, `None` when it carries nothing to play.
fn action(event: &Event, scroll: &mut SmoothScroll) -> Option<Action> {
    let at = event.x.zip(event.y);
    match event.event_type {
        EventType::MOTION_NOTIFY => at.map(|(x, y)| Action::Motion { x, y }),
        EventType::BUTTON_PRESS | EventType::BUTTON_RELEASE => {
            let (x, y) = at?;
            Some(Action::Button {
                button: event.button?,
                press: event.event_type == EventType::BUTTON_PRESS,
                x,
                y,
            })
        }
        EventType::KEY_PRESS | EventType::KEY_RELEASE => {
            (event.keycode.is_some() || event.keyval.is_some()).then_some(Action::Key {
                keycode: event.keycode,
                keyval: event.keyval,
                press: event.event_type == EventType::KEY_PRESS,
            })
        }
        EventType::SCROLL => {
            let button = match event.scroll_direction? {
                ScrollDirection::UP => WHEEL_UP,
                ScrollDirection::DOWN => WHEEL_DOWN,
                ScrollDirection::LEFT => WHEEL_LEFT,
                ScrollDirection::RIGHT => WHEEL_RIGHT,
                ScrollDirection::SMOOTH => {
                    scroll.dx += event.dx.unwrap_or(0.0);
                    scroll.dy += event.dy.unwrap_or(0.0);
                    return smooth_clicks(scroll);
                }
                _ => return None,
            };
            Some(Action::Scroll { button, clicks: 1 })
        }
        _ => None,
    }
}

/// Whole clicks of the accumulated smooth scroll (the larger axis), taken out of it.
fn smooth_clicks(scroll: &mut SmoothScroll) -> Option<Action> {
    let (amount, negative, positive, vertical) = if scroll.dy.abs() >= scroll.dx.abs() {
        (scroll.dy, WHEEL_UP, WHEEL_DOWN, true)
    } else {
        (scroll.dx, WHEEL_LEFT, WHEEL_RIGHT, false)
    };
    let clicks = amount.abs().trunc();
    if !(1.0..=1000.0).contains(&clicks) {
        return None;
    }
    let taken = clicks.copysign(amount);
    if vertical {
        scroll.dy -= taken;
    } else {
        scroll.dx -= taken;
    }
    Some(Action::Scroll {
        button: if amount < 0.0 { negative } else { positive },
        clicks: clicks as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::Surface;

    fn surface(id: u32, kind: SurfaceKind, parent: Option<u32>) -> Record {
        Record::Surface(Surface {
            t_ns: 0,
            surface: SurfaceId(id),
            surface_kind: kind,
            parent: parent.map(SurfaceId),
            type_name: "T".into(),
            widget_type: None,
            width: 10,
            height: 10,
            scale_factor: 1,
        })
    }

    #[test]
    fn popups_are_matched_by_order_and_parent() {
        let mut roles = SurfaceRoles::default();
        for record in [
            surface(4, SurfaceKind::TOPLEVEL, None),
            surface(5, SurfaceKind::POPUP, Some(4)),
            surface(6, SurfaceKind::POPUP, Some(4)),
            surface(7, SurfaceKind::POPUP, Some(6)),
        ] {
            roles.observe(&record);
        }
        let role = |id| roles.role(SurfaceId(id)).unwrap().0.clone();
        assert_eq!(role(4), "toplevel 1");
        assert_eq!(role(6), "toplevel 1 / popup 2");
        assert_eq!(role(7), "toplevel 1 / popup 2 / popup 1");
    }

    #[test]
    fn smooth_scrolling_becomes_whole_wheel_clicks() {
        let mut scroll = SmoothScroll::default();
        let mut event = Event::new(0, SurfaceId(1), EventType::SCROLL, 0);
        event.scroll_direction = Some(ScrollDirection::SMOOTH);
        event.dy = Some(0.6);
        assert_eq!(action(&event, &mut scroll), None);
        assert_eq!(
            action(&event, &mut scroll),
            Some(Action::Scroll {
                button: WHEEL_DOWN,
                clicks: 1
            })
        );
        event.dy = Some(-2.5);
        assert_eq!(
            action(&event, &mut scroll),
            Some(Action::Scroll {
                button: WHEEL_UP,
                clicks: 2
            })
        );
        event.scroll_direction = Some(ScrollDirection::LEFT);
        assert_eq!(
            action(&event, &mut scroll),
            Some(Action::Scroll {
                button: WHEEL_LEFT,
                clicks: 1
            })
        );
    }
}
