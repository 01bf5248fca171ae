//! The records of a recording, as Rust values.
//!
//! Each record is a struct with a `t_ns` field; [`Record`] is the enum over them. Their
//! serde form is the JSONL contract (`docs/format.md`): an object with `"kind"` (the
//! variant's kebab-case name) followed by the struct's fields, every field always present
//! (`null` when it does not apply), so that every consumer sees one stable schema.

use serde::{Deserialize, Serialize};

use crate::names::{
    CaptureState, CrossingMode, DamageVfunc, EndReason, EventType, Modifiers, NotifyType, Renderer,
    ScrollDirection, SurfaceKind, ToplevelState,
};
use crate::pixels::{Pixels, PixelsSkipped, PopupPosition};

/// Nanoseconds since the recording started (CLOCK_MONOTONIC minus [`Header::start_monotonic_ns`]).
pub type Nanos = u64;

/// A surface's number in one recording: 1 for the first surface seen, then 2, 3, ...
/// Never reused within a recording.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SurfaceId(pub u32);

impl std::fmt::Display for SurfaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A rectangle in surface coordinates (application pixels): x, y, width, height.
pub type Rect = [i32; 4];

/// One record of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Record {
    /// First record of every recording.
    Header(Header),
    /// A surface appeared.
    Surface(Surface),
    /// A surface was destroyed (finalized).
    SurfaceDestroyed(SurfaceDestroyed),
    /// A surface's size changed.
    Size(Size),
    /// A surface's scale factor changed.
    Scale(Scale),
    /// A toplevel's state changed.
    State(State),
    /// An input event was delivered to a surface.
    Event(Event),
    /// One frame-clock cycle, with its phases.
    Frame(Frame),
    /// The timings GDK completed for a frame.
    FrameTimings(FrameTimings),
    /// The region GSK re-rendered in a frame (the renderer's clip).
    Damage(Damage),
    /// The region the draw context really presented in a frame.
    Painted(Damage),
    /// The recording ended normally.
    End(End),
    /// One iteration of the default main context: time asleep in poll, then working.
    /// From format version 2 on, only iterations that worked longer than the recorder's
    /// threshold; the others are counted in [`Record::LoopSummary`] records.
    LoopIteration(LoopIteration),
    /// A GSource dispatch on the main context that took longer than the threshold.
    Dispatch(Dispatch),
    /// The main thread did not return to its main loop for longer than the threshold.
    Stall(Stall),
    /// The main thread's stack, captured while a stall was going on.
    StallSample(StallSample),
    /// A GTK class whose private vfunc the recorder wrapped for damage, and whether the
    /// run-time proof of its layout passed.
    DamageCapture(DamageCapture),
    /// The default main context's iterations over a stretch of one second (format
    /// version 2).
    LoopSummary(LoopSummary),
    /// One rectangle of a surface as the app drew it in a frame (recorded with pixels on).
    Pixels(Pixels),
    /// Where a popup sits over its parent (recorded with pixels on, to place its picture).
    PopupPosition(PopupPosition),
    /// A frame rendered without pixels (over the budget, or the recorder failed to draw it).
    PixelsSkipped(PixelsSkipped),
}

impl Record {
    /// Nanoseconds since the recording started.
    pub fn t_ns(&self) -> Nanos {
        match self {
            Record::Header(r) => r.t_ns,
            Record::Surface(r) => r.t_ns,
            Record::SurfaceDestroyed(r) => r.t_ns,
            Record::Size(r) => r.t_ns,
            Record::Scale(r) => r.t_ns,
            Record::State(r) => r.t_ns,
            Record::Event(r) => r.t_ns,
            Record::Frame(r) => r.t_ns,
            Record::FrameTimings(r) => r.t_ns,
            Record::Damage(r) | Record::Painted(r) => r.t_ns,
            Record::End(r) => r.t_ns,
            Record::LoopIteration(r) => r.t_ns,
            Record::Dispatch(r) => r.t_ns,
            Record::Stall(r) => r.t_ns,
            Record::StallSample(r) => r.t_ns,
            Record::DamageCapture(r) => r.t_ns,
            Record::LoopSummary(r) => r.t_ns,
            Record::Pixels(r) => r.t_ns,
            Record::PopupPosition(r) => r.t_ns,
            Record::PixelsSkipped(r) => r.t_ns,
        }
    }

    /// The record's kind as it appears in JSON (`"event"`, `"frame-timings"`, ...).
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Header(_) => RecordKind::Header,
            Record::Surface(_) => RecordKind::Surface,
            Record::SurfaceDestroyed(_) => RecordKind::SurfaceDestroyed,
            Record::Size(_) => RecordKind::Size,
            Record::Scale(_) => RecordKind::Scale,
            Record::State(_) => RecordKind::State,
            Record::Event(_) => RecordKind::Event,
            Record::Frame(_) => RecordKind::Frame,
            Record::FrameTimings(_) => RecordKind::FrameTimings,
            Record::Damage(_) => RecordKind::Damage,
            Record::Painted(_) => RecordKind::Painted,
            Record::End(_) => RecordKind::End,
            Record::LoopIteration(_) => RecordKind::LoopIteration,
            Record::Dispatch(_) => RecordKind::Dispatch,
            Record::Stall(_) => RecordKind::Stall,
            Record::StallSample(_) => RecordKind::StallSample,
            Record::DamageCapture(_) => RecordKind::DamageCapture,
            Record::LoopSummary(_) => RecordKind::LoopSummary,
            Record::Pixels(_) => RecordKind::Pixels,
            Record::PopupPosition(_) => RecordKind::PopupPosition,
            Record::PixelsSkipped(_) => RecordKind::PixelsSkipped,
        }
    }

    /// The surface the record is about, if any.
    pub fn surface(&self) -> Option<SurfaceId> {
        match self {
            Record::Header(_)
            | Record::End(_)
            | Record::LoopIteration(_)
            | Record::Dispatch(_)
            | Record::Stall(_)
            | Record::StallSample(_)
            | Record::DamageCapture(_) => None,
            Record::LoopSummary(_) => None,
            Record::Surface(r) => Some(r.surface),
            Record::SurfaceDestroyed(r) => Some(r.surface),
            Record::Size(r) => Some(r.surface),
            Record::Scale(r) => Some(r.surface),
            Record::State(r) => Some(r.surface),
            Record::Event(r) => Some(r.surface),
            Record::Frame(r) => Some(r.surface),
            Record::FrameTimings(r) => Some(r.surface),
            Record::Damage(r) | Record::Painted(r) => Some(r.surface),
            Record::Pixels(r) => Some(r.surface),
            Record::PopupPosition(r) => Some(r.surface),
            Record::PixelsSkipped(r) => Some(r.surface),
        }
    }
}

/// The kinds of record, with the one-byte code each has in the binary log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum RecordKind {
    Header = 1,
    Surface = 2,
    SurfaceDestroyed = 3,
    Size = 4,
    Scale = 5,
    State = 6,
    Event = 7,
    Frame = 8,
    FrameTimings = 9,
    Damage = 10,
    Painted = 11,
    End = 12,
    LoopIteration = 13,
    Dispatch = 14,
    Stall = 15,
    StallSample = 16,
    DamageCapture = 17,
    LoopSummary = 18,
    // 19 ..= 21: reserved for the compact frame records.
    Pixels = 22,
    PopupPosition = 23,
    PixelsSkipped = 24,
}

impl RecordKind {
    /// Every kind, in code order.
    pub const ALL: [RecordKind; 21] = [
        RecordKind::Header,
        RecordKind::Surface,
        RecordKind::SurfaceDestroyed,
        RecordKind::Size,
        RecordKind::Scale,
        RecordKind::State,
        RecordKind::Event,
        RecordKind::Frame,
        RecordKind::FrameTimings,
        RecordKind::Damage,
        RecordKind::Painted,
        RecordKind::End,
        RecordKind::LoopIteration,
        RecordKind::Dispatch,
        RecordKind::Stall,
        RecordKind::StallSample,
        RecordKind::DamageCapture,
        RecordKind::LoopSummary,
        RecordKind::Pixels,
        RecordKind::PopupPosition,
        RecordKind::PixelsSkipped,
    ];

    /// The kind with binary code `code`.
    pub fn from_code(code: u8) -> Option<RecordKind> {
        Self::ALL.iter().copied().find(|k| *k as u8 == code)
    }

    /// The name used as `"kind"` in JSON and in text dumps.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Header => "header",
            RecordKind::Surface => "surface",
            RecordKind::SurfaceDestroyed => "surface-destroyed",
            RecordKind::Size => "size",
            RecordKind::Scale => "scale",
            RecordKind::State => "state",
            RecordKind::Event => "event",
            RecordKind::Frame => "frame",
            RecordKind::FrameTimings => "frame-timings",
            RecordKind::Damage => "damage",
            RecordKind::Painted => "painted",
            RecordKind::End => "end",
            RecordKind::LoopIteration => "loop-iteration",
            RecordKind::Dispatch => "dispatch",
            RecordKind::Stall => "stall",
            RecordKind::StallSample => "stall-sample",
            RecordKind::DamageCapture => "damage-capture",
            RecordKind::LoopSummary => "loop-summary",
            RecordKind::Pixels => "pixels",
            RecordKind::PopupPosition => "popup-position",
            RecordKind::PixelsSkipped => "pixels-skipped",
        }
    }

    /// The kind named `name` (as [`RecordKind::name`] gives it).
    pub fn from_name(name: &str) -> Option<RecordKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the recording is of, and how it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always 0: the header is written when recording starts.
    pub t_ns: Nanos,
    /// The log format version the file was written with.
    pub format_version: u16,
    /// The version of the recorder that wrote the file.
    pub recorder_version: String,
    /// Process id of the recorded program.
    pub pid: u32,
    /// `g_get_prgname()`, or the executable's name.
    pub program: String,
    /// The program's command line.
    pub argv: Vec<String>,
    /// GTK's run-time version, `[major, minor, micro]`.
    pub gtk_version: [u32; 3],
    /// Wall-clock time when recording started, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// CLOCK_MONOTONIC when recording started, ns; every `t_ns` counts from here.
    pub start_monotonic_ns: u64,
    /// The GDK backend of the default display: `x11`, `wayland`, `broadway`, ...
    pub display_backend: String,
    /// The display's name (`:99`, `wayland-0`).
    pub display_name: String,
    /// Whether per-frame damage regions are recorded.
    pub damage_capture: bool,
    /// Why damage capture is off (or a remark about it); empty when it is on.
    pub damage_note: String,
    /// The private class layout of GTK the recorder chose for the running GTK
    /// (`gtk-4.8`, `gtk-4.14`, `gtk-4.24`; empty when damage capture is off). Which
    /// classes it was proven on comes in [`DamageCapture`] records. Appended in 0.1:
    /// empty when read from an older file.
    #[serde(default)]
    pub damage_layout: String,
}

impl Header {
    /// The header of a recording made up rather than recorded (the `gen-recording`
    /// example, test fixtures): `program` (its whole command line) with process id `pid`,
    /// GTK 4.8.3 under X11 on `:99`, damage captured through the `gtk-4.8` layout, this
    /// format version, recording started at fixed times. Change any field with struct
    /// update syntax (`Header { pid: 7, ..Header::synthetic("app", 1) }`).
    pub fn synthetic(program: &str, pid: u32) -> Header {
        Header {
            t_ns: 0,
            format_version: crate::FORMAT_VERSION,
            recorder_version: "0.1.0".into(),
            pid,
            program: program.into(),
            argv: vec![program.into()],
            gtk_version: [4, 8, 3],
            start_unix_ns: 1_790_000_000_000_000_000,
            start_monotonic_ns: 1_000_000_000,
            display_backend: "x11".into(),
            display_name: ":99".into(),
            damage_capture: true,
            damage_note: String::new(),
            damage_layout: "gtk-4.8".to_owned(),
        }
    }
}

/// A surface appeared (a toplevel was realized, a popup was created, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Surface {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    /// The new surface's id.
    pub surface: SurfaceId,
    /// Toplevel, popup, drag, or other.
    pub surface_kind: SurfaceKind,
    /// The popup's parent surface, when it has one.
    pub parent: Option<SurfaceId>,
    /// The GType name of the surface (`GdkX11Toplevel`, `GdkWaylandPopup`, ...).
    pub type_name: String,
    /// The GType name of the GTK widget owning it (`GtkApplicationWindow`), when known.
    pub widget_type: Option<String>,
    /// Width when it appeared, application pixels.
    pub width: i32,
    /// Height when it appeared, application pixels.
    pub height: i32,
    /// Scale factor when it appeared.
    pub scale_factor: i32,
}

/// A surface was destroyed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurfaceDestroyed {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
}

/// A surface's size changed (recorded only when it differs from the last size recorded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Size {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    /// Application pixels.
    pub width: i32,
    /// Application pixels.
    pub height: i32,
}

/// A surface's scale factor changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    #[allow(missing_docs)]
    pub scale_factor: i32,
}

/// A toplevel's `GdkToplevelState` changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    /// The new state (JSON: a list of names such as `["maximized", "focused"]`).
    pub state: ToplevelState,
}

/// An input event delivered to a surface (`GdkSurface::event`). Fields an event type
/// does not carry are `None` (JSON `null`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When the recorder saw the event.
    pub t_ns: Nanos,
    /// The surface it was delivered to.
    pub surface: SurfaceId,
    /// GDK's event type; JSON: its nick (`button-press`).
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The event's own timestamp (ms, the windowing system's clock).
    pub time_ms: u32,
    /// Position in surface coordinates.
    pub x: Option<f64>,
    /// Position in surface coordinates.
    pub y: Option<f64>,
    /// Mouse button of button-press/-release.
    pub button: Option<u32>,
    /// Keysym of key-press/-release.
    pub keyval: Option<u32>,
    /// The keysym's name (`a`, `Return`).
    pub key: Option<String>,
    /// Hardware keycode of key-press/-release.
    pub keycode: Option<u32>,
    /// Modifier state (JSON: list of names such as `["shift", "button1"]`).
    pub modifiers: Option<Modifiers>,
    /// Direction of a scroll event.
    pub scroll_direction: Option<ScrollDirection>,
    /// Deltas of a smooth scroll (or touchpad gesture).
    pub dx: Option<f64>,
    /// Deltas of a smooth scroll (or touchpad gesture).
    pub dy: Option<f64>,
    /// Crossing mode of enter/leave events.
    pub crossing_mode: Option<CrossingMode>,
    /// Detail of enter/leave events.
    pub crossing_detail: Option<NotifyType>,
    /// For focus-change: true when focus came in.
    pub focus_in: Option<bool>,
    /// For touch events: the touch sequence, as a small number stable within a touch.
    pub sequence: Option<u64>,
}

impl Event {
    /// An event of `event_type` with no optional field set.
    #[inline]
    pub fn new(t_ns: Nanos, surface: SurfaceId, event_type: EventType, time_ms: u32) -> Event {
        Event {
            t_ns,
            surface,
            event_type,
            time_ms,
            x: None,
            y: None,
            button: None,
            keyval: None,
            key: None,
            keycode: None,
            modifiers: None,
            scroll_direction: None,
            dx: None,
            dy: None,
            crossing_mode: None,
            crossing_detail: None,
            focus_in: None,
            sequence: None,
        }
    }
}

/// The start and end of one frame-clock phase, ns since the recording started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    #[allow(missing_docs)]
    pub start_ns: Nanos,
    #[allow(missing_docs)]
    pub end_ns: Nanos,
}

impl Phase {
    /// How long the phase took.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// The frame-clock phases, in the order GDK runs them.
pub const PHASE_NAMES: [&str; 5] = ["before_paint", "update", "layout", "paint", "after_paint"];

/// One cycle of a frame clock. `t_ns` is when its first phase started; a phase that
/// did not run in this cycle is `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    /// The toplevel whose frame clock this is (popups share their parent's clock).
    pub surface: SurfaceId,
    /// `gdk_frame_clock_get_frame_counter()` during this cycle.
    pub counter: i64,
    /// When the cycle ended (end of its last phase).
    pub end_ns: Nanos,
    #[allow(missing_docs)]
    pub before_paint: Option<Phase>,
    #[allow(missing_docs)]
    pub update: Option<Phase>,
    /// From the first layout pass's start to the last one's end.
    pub layout: Option<Phase>,
    #[allow(missing_docs)]
    pub paint: Option<Phase>,
    #[allow(missing_docs)]
    pub after_paint: Option<Phase>,
}

impl Frame {
    /// The phases in [`PHASE_NAMES`] order.
    pub fn phases(&self) -> [Option<Phase>; 5] {
        [
            self.before_paint,
            self.update,
            self.layout,
            self.paint,
            self.after_paint,
        ]
    }

    /// How long the whole cycle took.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.t_ns)
    }
}

/// `GdkFrameTimings` of a frame, once GDK marked them complete. Times are ns since the
/// recording started; `None` where GDK does not know (0 in GDK: no compositor, no vblank).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameTimings {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    /// The frame counter these timings belong to.
    pub counter: i64,
    /// `gdk_frame_timings_get_frame_time()`.
    pub frame_time_ns: Option<Nanos>,
    /// When the frame was presented.
    pub presentation_time_ns: Option<Nanos>,
    /// When GDK predicted it would be presented.
    pub predicted_presentation_time_ns: Option<Nanos>,
    /// The display's refresh interval, ns.
    pub refresh_interval_ns: Option<u64>,
}

/// A region drawn in a frame, as rectangles in surface coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Damage {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    /// Frame counter of the surface's frame clock when it was drawn.
    pub frame: i64,
    /// What drew it.
    pub renderer: Renderer,
    /// `[x, y, width, height]` rectangles (application pixels), not overlapping.
    pub rects: Vec<Rect>,
}

impl Damage {
    /// Total area of the rectangles, in square pixels.
    pub fn area(&self) -> i64 {
        self.rects
            .iter()
            .map(|r| i64::from(r[2].max(0)) * i64::from(r[3].max(0)))
            .sum()
    }
}

/// A GTK class whose private vfunc the recorder wraps to capture damage
/// (`GskRendererClass.render`: Damage records; `GdkDrawContextClass.end_frame`: Painted
/// records), and how far the proof of its layout on the running process went. One record
/// when the class is patched, one when its proof passes or fails, one when a class is
/// refused before patching.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DamageCapture {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    /// The GType name of the class (`GskGLRenderer`, `GdkX11GLContextEGL`).
    pub class_name: String,
    /// Which vfunc: `render` or `end-frame`.
    pub vfunc: DamageVfunc,
    /// The layout it was patched by (as [`Header::damage_layout`]).
    pub damage_layout: String,
    /// Patched, proven, or refused.
    pub state: CaptureState,
    /// What was proven, or why it was refused.
    pub note: String,
}

/// The end of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct End {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    /// Why it ended.
    pub reason: EndReason,
    /// How many records the recorder wrote, this one included.
    pub records: u64,
    /// How many records the recorder could not write (e.g. disk full).
    pub dropped: u64,
}

/// One iteration of the default `GMainContext` on the main thread: it slept in poll for
/// `poll_ns`, woke at `t_ns`, then worked (dispatched sources) for `work_ns` before
/// polling again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopIteration {
    /// When poll returned (the work started).
    pub t_ns: Nanos,
    /// Time asleep in the poll that ended at `t_ns`.
    pub poll_ns: u64,
    /// Time from `t_ns` until the next poll started.
    pub work_ns: u64,
}

/// The default `GMainContext`'s iterations on the main thread over the stretch
/// `t_ns .. t_ns + work_ns + poll_ns` (format version 2, where it replaces one
/// `loop-iteration` record per iteration). The recorder cuts stretches at whole seconds
/// of recording time, so the busy share of every second is exact; a stretch crossing
/// seconds is one long poll (`iterations` and `work_ns` 0). Stretches follow each other
/// without gaps from the main loop's first poll on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopSummary {
    /// The stretch's start.
    pub t_ns: Nanos,
    /// Busy periods (poll returned, sources dispatched) that started in the stretch.
    pub iterations: u64,
    /// Time spent working (away from poll) in the stretch.
    pub work_ns: u64,
    /// Time spent asleep in poll in the stretch.
    pub poll_ns: u64,
}

impl LoopSummary {
    /// The stretch's end.
    pub fn end_ns(&self) -> Nanos {
        self.t_ns
            .saturating_add(self.work_ns)
            .saturating_add(self.poll_ns)
    }
}

/// A code address with what is known about it. `symbol` may be missing when the recorder
/// could not name it (non-exported functions); the tool then resolves `module` + `offset`
/// from the module's symbol table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeAddress {
    /// The address in the recorded process.
    pub addr: u64,
    /// Path of the executable or library holding it.
    pub module: Option<String>,
    /// `addr` minus the module's load address.
    pub offset: u64,
    /// The function's (possibly mangled) name, when known.
    pub symbol: Option<String>,
}

/// A GSource dispatch on the default main context that took longer than the threshold
/// (`GDKRECORD_DISPATCH_US`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dispatch {
    /// When the dispatch started.
    pub t_ns: Nanos,
    /// How long it took.
    pub duration_ns: u64,
    /// `g_source_get_name()`, when the source has a name.
    pub source: Option<String>,
    /// What kind of source: `idle`, `timeout`, `io`, `unix-fd`, `child-watch`, or another
    /// source's type (`gdk-x11-events`, `other`).
    pub source_type: String,
    /// The source's priority (`G_PRIORITY_DEFAULT` = 0, `G_PRIORITY_HIGH_IDLE` = 100 ...).
    pub priority: i32,
    /// The callback the source called, when it could be found.
    pub callback: Option<CodeAddress>,
}

/// The main thread did not return to its main loop's poll for `duration_ns`
/// (more than `GDKRECORD_STALL_MS`). Written when the stall ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stall {
    /// When the main thread last left poll (the stall started).
    pub t_ns: Nanos,
    /// How long the main thread was away from poll, ns.
    pub duration_ns: u64,
    /// The same in milliseconds (JSON convenience; always `duration_ns / 1e6`).
    pub duration_ms: f64,
    /// The GSource being dispatched when the stall was detected, when known.
    pub source: Option<String>,
    /// How many stack samples were taken during the stall (see `stall-sample`).
    pub samples: u32,
    /// The main thread's stack at the first sample, innermost frame first.
    pub stack: Vec<CodeAddress>,
}

/// The main thread's stack captured while a stall went on (written at once, so a hung
/// program that is killed still has it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StallSample {
    /// When the stack was captured.
    pub t_ns: Nanos,
    /// When the stall it belongs to started (the `t_ns` of its `stall` record).
    pub stall_start_ns: Nanos,
    /// The stack, innermost frame first.
    pub stack: Vec<CodeAddress>,
}
