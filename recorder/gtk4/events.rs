//! Input: the emission hook on `GdkSurface::event` turns each GdkEvent into an Event
//! record with every field its type carries, and hands it to the writer thread.

use std::ffi::c_uint;
use std::sync::atomic::Ordering;

use gdk4_sys::{GdkEvent, GdkSurface};
use gdkrecord_format::{
    is_text_keyval, CrossingMode, Event, EventType, Modifiers, NotifyType, Record, ScrollDirection,
    SurfaceId,
};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::{c_string, value_pointer};
use crate::hot::HOT;
use crate::key_names::{self, KeyName};
use crate::layout_check::LayoutCheck;
use crate::queue::{self, Entry, KeyEvent, PointerEvent};
use crate::self_time::{self, Timer};
use crate::session::on_main_thread;
use crate::tables::with_session;

/// GTK 4.8's private layout of pointer events (`gdk/gdkeventsprivate.h`: `GdkEvent`,
/// then `GdkMotionEvent` / `GdkButtonEvent`) on 64-bit targets, as byte offsets.
///
/// Motion and button events come by the hundred per second, and the four or five
/// getters that read one (each checks the instance's type, two go through the class's
/// vtable) are most of an event's cost when caches are cold. So these two kinds are read
/// straight from the event, but only once the layout has proven itself: the type's
/// instance size must hold every field, and the first events of each kind are read both
/// ways and must agree to the bit (`layout_check.rs`). Any disagreement, and that kind
/// goes back to the getters for the rest of the run.
mod pointer_layout {
    pub(super) const EVENT_TYPE: usize = 12;
    pub(super) const TIME: usize = 32;
    pub(super) const STATE: usize = 40;
    pub(super) const BUTTON: usize = 44;
    pub(super) const X: usize = 48;
    pub(super) const Y: usize = 56;
    /// Bytes an instance must have for the fields above.
    pub(super) const MIN_SIZE: usize = 64;
}

/// GTK 4.8's `GdkKeyEvent` after the common part, as byte offsets (see
/// [`pointer_layout`]; checked the same way, against `gdk_key_event_get_keyval` and
/// `_get_keycode` on the first key events).
mod key_layout {
    pub(super) const STATE: usize = 40;
    pub(super) const KEYCODE: usize = 44;
    /// `translated[0].keyval`, what `gdk_key_event_get_keyval()` returns.
    pub(super) const KEYVAL: usize = 52;
    /// Bytes an instance must have for the fields above.
    pub(super) const MIN_SIZE: usize = 56;
}

/// Trust in the key event layout (as `HOT.pointer_layouts`; key events are too rare to
/// deserve the hot line).
static KEY_LAYOUT: LayoutCheck = LayoutCheck::new();

/// Index into `HOT.pointer_layouts` for event types read from memory.
fn pointer_kind(event_type: EventType) -> Option<usize> {
    match event_type {
        EventType::MOTION_NOTIFY => Some(0),
        EventType::BUTTON_PRESS | EventType::BUTTON_RELEASE => Some(1),
        _ => None,
    }
}

/// Reads a motion or button event straight from its fields.
///
/// # Safety
/// `event` is a valid GdkEvent whose instance is at least [`pointer_layout::MIN_SIZE`]
/// bytes, of a motion or button type.
#[inline(always)]
unsafe fn read_pointer_event(
    event: *mut GdkEvent,
    event_type: EventType,
    t_ns: u64,
    surface: SurfaceId,
) -> PointerEvent {
    use pointer_layout as at;
    let base = event.cast::<u8>();
    // SAFETY: within the instance (caller); unaligned reads cost nothing on x86-64.
    let field_u32 = |offset: usize| unsafe { base.add(offset).cast::<u32>().read_unaligned() };
    let field_f64 = |offset: usize| unsafe { base.add(offset).cast::<f64>().read_unaligned() };
    PointerEvent {
        t_ns,
        x: field_f64(at::X),
        y: field_f64(at::Y),
        surface,
        time_ms: field_u32(at::TIME),
        modifiers: field_u32(at::STATE),
        button: (event_type != EventType::MOTION_NOTIFY).then(|| field_u32(at::BUTTON)),
        event_type,
    }
}

/// Reads a key event straight from its fields.
///
/// # Safety
/// `event` is a valid key event whose instance is at least [`key_layout::MIN_SIZE`] bytes.
unsafe fn read_key_event(event: *mut GdkEvent, event_type: EventType, t_ns: u64) -> KeyEvent {
    let base = event.cast::<u8>();
    // SAFETY: within the instance (caller).
    let field_u32 = |offset: usize| unsafe { base.add(offset).cast::<u32>().read_unaligned() };
    KeyEvent {
        t_ns,
        surface: SurfaceId(0),
        time_ms: field_u32(pointer_layout::TIME),
        modifiers: field_u32(key_layout::STATE),
        keycode: field_u32(key_layout::KEYCODE),
        keyval: field_u32(key_layout::KEYVAL),
        name: KeyName::default(),
        event_type,
        redacted: false,
    }
}

/// A key event read from memory, once its layout and GDK's key names are trusted.
///
/// # Safety
/// `surface` and `event` are valid.
unsafe fn key_entry(surface: *mut GdkSurface, event: *mut GdkEvent, t_ns: u64) -> Option<Entry> {
    if !KEY_LAYOUT.trusted() || !key_names::usable() {
        return None;
    }
    let event_type = unsafe { event_type_field(event) }?;
    if !matches!(event_type, EventType::KEY_PRESS | EventType::KEY_RELEASE) {
        return None;
    }
    let mut key = unsafe { read_key_event(event, event_type, t_ns) };
    if key_names::redacting() && is_text_keyval(key.keyval) {
        key.redact();
    }
    with_session(|session| {
        key.surface = unsafe { session.surface_id(surface) };
        if key.keyval != 0 {
            key.name = unsafe { session.key_name(key.keyval) };
        }
        Entry::Key(key)
    })
}

/// While the key layout is being checked: compares `record` (read by the getters) with a
/// direct read of the same event.
///
/// # Safety
/// `event` is a valid GdkEvent of `record.event_type`, a key event.
unsafe fn check_key_layout(event: *mut GdkEvent, record: &Event) {
    if !KEY_LAYOUT.checking() {
        return;
    }
    let size = unsafe { crate::ffi::instance_size(event) };
    let agrees = size >= key_layout::MIN_SIZE && {
        let direct = unsafe { read_key_event(event, record.event_type, record.t_ns) };
        direct.time_ms == record.time_ms
            && Some(Modifiers(direct.modifiers)) == record.modifiers
            && Some(direct.keycode) == record.keycode
            && Some(direct.keyval) == record.keyval
    };
    KEY_LAYOUT.record(agrees);
}

/// `GdkEvent.event_type` read from the common part every event has.
///
/// # Safety
/// `event` is a valid GdkEvent.
#[inline(always)]
unsafe fn event_type_field(event: *mut GdkEvent) -> Option<EventType> {
    let raw = unsafe {
        event
            .cast::<u8>()
            .add(pointer_layout::EVENT_TYPE)
            .cast::<i32>()
            .read_unaligned()
    };
    u8::try_from(raw).ok().map(EventType)
}

/// The event's type as its instance says (`GdkEvent.event_type`), for a layout already
/// trusted for some kind; `None` when no kind is trusted yet.
///
/// # Safety
/// `event` is a valid GdkEvent.
#[inline(always)]
unsafe fn trusted_pointer_type(event: *mut GdkEvent) -> Option<EventType> {
    if !HOT.pointer_layouts.iter().any(LayoutCheck::trusted) {
        return None;
    }
    // Every GdkEvent has at least the common part, which holds the type.
    let event_type = unsafe { event_type_field(event) }?;
    let kind = pointer_kind(event_type)?;
    HOT.pointer_layouts[kind].trusted().then_some(event_type)
}

/// While a pointer kind is being checked: compares `record` (read by the getters) with
/// a direct read of the same event, counting agreement or refusing the layout.
///
/// # Safety
/// `event` is a valid GdkEvent of `record.event_type`.
unsafe fn check_pointer_layout(event: *mut GdkEvent, record: &Event) {
    let Some(kind) = pointer_kind(record.event_type) else {
        return;
    };
    let layout = &HOT.pointer_layouts[kind];
    if !layout.checking() {
        return;
    }
    let size = unsafe { crate::ffi::instance_size(event) };
    let agrees = size >= pointer_layout::MIN_SIZE && {
        let direct =
            unsafe { read_pointer_event(event, record.event_type, record.t_ns, record.surface) }
                .to_event();
        let bits = |v: Option<f64>| v.map(f64::to_bits);
        direct.time_ms == record.time_ms
            && bits(direct.x) == bits(record.x)
            && bits(direct.y) == bits(record.y)
            && direct.modifiers == record.modifiers
            && direct.button == record.button
    };
    layout.record(agrees);
}

/// Reads the fields of `event` into a record (surface filled in later).
///
/// # Safety
/// `event` is a valid GdkEvent.
unsafe fn read_event(event: *mut GdkEvent, t_ns: u64) -> (Event, Option<(usize, bool)>) {
    use gdk4_sys as g;
    if let Some(event_type) = unsafe { trusted_pointer_type(event) } {
        let pointer = unsafe { read_pointer_event(event, event_type, t_ns, SurfaceId(0)) };
        return (pointer.to_event(), None);
    }
    let raw_type = unsafe { g::gdk_event_get_event_type(event) };
    let event_type = EventType(u8::try_from(raw_type).unwrap_or(u8::MAX));
    let mut record = Event::new(t_ns, SurfaceId(0), event_type, unsafe {
        g::gdk_event_get_time(event)
    });
    let (mut x, mut y) = (0.0, 0.0);
    if unsafe { g::gdk_event_get_position(event, &mut x, &mut y) } != 0 {
        record.x = Some(x);
        record.y = Some(y);
    }
    let mut sequence = None;
    let has_modifiers = match event_type {
        EventType::MOTION_NOTIFY | EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY => true,
        EventType::BUTTON_PRESS | EventType::BUTTON_RELEASE => {
            record.button = Some(unsafe { g::gdk_button_event_get_button(event.cast()) });
            true
        }
        EventType::KEY_PRESS | EventType::KEY_RELEASE => {
            let keyval = unsafe { g::gdk_key_event_get_keyval(event.cast()) };
            record.keyval = Some(keyval);
            let name = unsafe { g::gdk_keyval_name(keyval) };
            if !name.is_null() {
                record.key = Some(unsafe { c_string(name) });
            }
            record.keycode = Some(unsafe { g::gdk_key_event_get_keycode(event.cast()) });
            true
        }
        EventType::SCROLL => {
            let direction = unsafe { g::gdk_scroll_event_get_direction(event.cast()) };
            record.scroll_direction = Some(ScrollDirection(direction as u8));
            if direction == g::GDK_SCROLL_SMOOTH {
                let (mut dx, mut dy) = (0.0, 0.0);
                unsafe { g::gdk_scroll_event_get_deltas(event.cast(), &mut dx, &mut dy) };
                record.dx = Some(dx);
                record.dy = Some(dy);
            }
            true
        }
        EventType::TOUCHPAD_SWIPE | EventType::TOUCHPAD_PINCH => {
            let (mut dx, mut dy) = (0.0, 0.0);
            unsafe { g::gdk_touchpad_event_get_deltas(event.cast(), &mut dx, &mut dy) };
            record.dx = Some(dx);
            record.dy = Some(dy);
            true
        }
        EventType::TOUCH_BEGIN
        | EventType::TOUCH_UPDATE
        | EventType::TOUCH_END
        | EventType::TOUCH_CANCEL => {
            let raw = unsafe { g::gdk_event_get_event_sequence(event) } as usize;
            let ends = matches!(event_type, EventType::TOUCH_END | EventType::TOUCH_CANCEL);
            sequence = Some((raw, ends));
            true
        }
        EventType::FOCUS_CHANGE => {
            record.focus_in = Some(unsafe { g::gdk_focus_event_get_in(event.cast()) } != 0);
            false
        }
        EventType::PAD_BUTTON_PRESS | EventType::PAD_BUTTON_RELEASE => {
            record.button = Some(unsafe { g::gdk_pad_event_get_button(event.cast()) });
            false
        }
        _ => false,
    };
    if matches!(
        event_type,
        EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY
    ) {
        record.crossing_mode =
            Some(CrossingMode(
                unsafe { g::gdk_crossing_event_get_mode(event.cast()) } as u8,
            ));
        record.crossing_detail =
            Some(NotifyType(
                unsafe { g::gdk_crossing_event_get_detail(event.cast()) } as u8,
            ));
    }
    if has_modifiers {
        record.modifiers = Some(Modifiers(unsafe { g::gdk_event_get_modifier_state(event) }));
    }
    if matches!(event_type, EventType::KEY_PRESS | EventType::KEY_RELEASE) {
        unsafe { check_key_layout(event, &record) };
        if key_names::redacting() {
            record.redact_typing();
        }
    } else {
        unsafe { check_pointer_layout(event, &record) };
    }
    (record, sequence)
}

/// Emission hook on `GdkSurface::event(GdkEvent*)`.
#[link_section = ".text.hot.gdkrecord"]
pub(crate) unsafe extern "C" fn on_surface_event(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 2 || !crate::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let t_ns = clock::since_start(monotonic);
        // `event(GdkSurface*, gpointer)`: an object and a pointer.
        let surface = unsafe { value_pointer(params) }.cast::<GdkSurface>();
        let event = unsafe { value_pointer(params.add(1)) }.cast::<GdkEvent>();
        if surface.is_null() || event.is_null() {
            return;
        }
        // The fast path is all that is inline here: little code to fetch when cold.
        let pointer = unsafe { pointer_entry(surface, event, t_ns) };
        let is_pointer = pointer.is_some();
        match pointer {
            Some(pointer) => queue::send_in_place(pointer, Entry::Pointer),
            None => unsafe { record_other_event(surface, event, t_ns) },
        }
        if self_time::enabled() {
            timer.stop_event(is_pointer);
            unsafe { after_timing(surface, event) };
        }
    });
    GTRUE
}

/// Any event but a pointer event on the last surface: read through GDK's getters.
///
/// # Safety
/// `surface` and `event` are valid.
#[inline(never)]
unsafe fn record_other_event(surface: *mut GdkSurface, event: *mut GdkEvent, t_ns: u64) {
    if let Some(entry) = unsafe { other_event_entry(surface, event, t_ns) } {
        queue::send_entry(entry, true);
    }
}

/// With self-timing, once the app is past start-up: the warm measurement, on a motion
/// event (no touch sequence to number, no key name to allocate).
///
/// # Safety
/// `surface` and `event` are valid.
#[cold]
#[inline(never)]
unsafe fn after_timing(surface: *mut GdkSurface, event: *mut GdkEvent) {
    if unsafe { gdk4_sys::gdk_event_get_event_type(event) } == gdk4_sys::GDK_MOTION_NOTIFY
        && self_time::warm_measurement_due()
    {
        self_time::measure_warm(|t_ns| unsafe { event_entry(surface, event, t_ns) });
    }
}

/// The common case, touching no table: a pointer event read from memory, on the
/// surface looked up last.
///
/// # Safety
/// `surface` and `event` are valid.
#[inline(always)]
unsafe fn pointer_entry(
    surface: *mut GdkSurface,
    event: *mut GdkEvent,
    t_ns: u64,
) -> Option<PointerEvent> {
    if !on_main_thread() || HOT.last_surface.load(Ordering::Relaxed) != surface as usize {
        return None;
    }
    let event_type = unsafe { trusted_pointer_type(event) }?;
    let id = SurfaceId(HOT.last_surface_id.load(Ordering::Relaxed));
    Some(unsafe { read_pointer_event(event, event_type, t_ns, id) })
}

/// The Event record of `event`; `None` when not recording (or not on the main thread).
///
/// # Safety
/// `surface` and `event` are valid.
#[inline]
unsafe fn event_entry(surface: *mut GdkSurface, event: *mut GdkEvent, t_ns: u64) -> Option<Entry> {
    match unsafe { pointer_entry(surface, event, t_ns) } {
        Some(pointer) => Some(Entry::Pointer(pointer)),
        None => unsafe { other_event_entry(surface, event, t_ns) },
    }
}

/// The entry of an event [`pointer_entry`] did not take: a key event read from memory,
/// else whatever the getters read.
///
/// # Safety
/// `surface` and `event` are valid.
unsafe fn other_event_entry(
    surface: *mut GdkSurface,
    event: *mut GdkEvent,
    t_ns: u64,
) -> Option<Entry> {
    if let Some(key) = unsafe { key_entry(surface, event, t_ns) } {
        return Some(key);
    }
    let (mut record, sequence) = unsafe { read_event(event, t_ns) };
    with_session(|session| {
        record.surface = unsafe { session.surface_id(surface) };
        if let Some((raw, ends)) = sequence {
            record.sequence = Some(session.sequence_number(raw, ends));
        }
        Entry::Record(Record::Event(record))
    })
}
