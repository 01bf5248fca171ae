//! What the window shows at the playhead, computed with the replay crate over a window of
//! records decoded lazily around it: the canvas's [`Scene`], the side panel's phase
//! timings, damage list and nearby records. No GTK here.
//!
//! A small recording is decoded once, whole. A big one is decoded a few seconds at a
//! time: enough frames back for the flashes to fade, the clicks and keys still shown and
//! (in accumulate and heatmap modes) the last [`ACCUMULATE_SPAN_NS`] of repaints.

use std::sync::Arc;

use gdkrecord_format::{Nanos, Phase, Record, Rect, SurfaceId, PHASE_NAMES};
use gdkrecord_replay::{
    ClickMark, DamageMode, FadingRect, Heatmap, Replay, ReplayOptions, Timeline, TimelineBuilder,
};

use crate::index::{Located, RecordingIndex};

/// Recordings up to this size are decoded whole, once.
pub const WHOLE_FILE_BYTES: u64 = 24 << 20;

/// In accumulate and heatmap modes, a big recording shows the repaints of this long
/// before the playhead (a small one shows all repaints since the start).
pub const ACCUMULATE_SPAN_NS: Nanos = 60_000_000_000;

/// How far past the playhead a window is decoded, so playing does not decode every frame.
const LOOKAHEAD_NS: Nanos = 4_000_000_000;

/// How far back a window reaches at least (clicks and keys stay on screen this long).
const LOOKBACK_NS: Nanos = 2_000_000_000;

/// How many records the side panel lists on each side of the playhead.
const NEARBY_RECORDS: usize = 12;

/// How the canvas shows damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ViewMode {
    /// Each frame's damage flashes and fades over the next frames.
    #[default]
    Flash,
    /// Every repaint so far stays drawn.
    Accumulate,
    /// How often each spot was repainted, as colours.
    Heatmap,
}

impl ViewMode {
    /// Every mode, in menu order.
    pub const ALL: [ViewMode; 3] = [ViewMode::Flash, ViewMode::Accumulate, ViewMode::Heatmap];

    /// The label the mode menu shows.
    pub fn label(self) -> &'static str {
        match self {
            ViewMode::Flash => "Flash and fade",
            ViewMode::Accumulate => "Accumulate",
            ViewMode::Heatmap => "Heatmap",
        }
    }
}

/// Everything the canvas draws, as plain owned data.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    /// The surface's `[width, height]` at the playhead.
    pub size: [i32; 2],
    /// Damage to draw, oldest first.
    pub damage: Vec<FadingRect>,
    /// Repaint counts, in heatmap mode.
    pub heatmap: Option<Heatmap>,
    /// The pointer, when over the surface.
    pub pointer: Option<[f32; 2]>,
    /// Recent clicks.
    pub clicks: Vec<ClickMark>,
    /// Keys pressed recently, oldest first.
    pub keys: Vec<String>,
    /// `t=1.234s  frame 12/345 (#4711)`, or why there is nothing to show.
    pub caption: String,
}

/// The current frame, for the side panel.
#[derive(Clone, Debug, Default)]
pub struct FrameDetails {
    /// Frame-clock counter.
    pub counter: i64,
    /// Start and end, ns since the recording started.
    pub start_ns: Nanos,
    #[allow(missing_docs)]
    pub end_ns: Nanos,
    /// `(name, phase)` in the order GDK runs them.
    pub phases: Vec<(&'static str, Option<Phase>)>,
    /// The frame's damage rectangles.
    pub damage: Vec<Rect>,
    /// The region the draw context presented.
    pub painted: Vec<Rect>,
}

/// Everything shown at one playhead position.
#[derive(Clone, Debug, Default)]
pub struct Moment {
    #[allow(missing_docs)]
    pub scene: Scene,
    /// `None` before the surface's first frame.
    pub frame: Option<FrameDetails>,
    /// Records around the playhead; `current` is the index of the last one at or before it.
    pub nearby: Vec<Located>,
    /// Index in `nearby` of the last record at or before the playhead.
    pub current: Option<usize>,
}

/// A replay timeline over a span of the recording, with the records it was built from.
#[derive(Debug)]
struct Window {
    from_ns: Nanos,
    to_ns: Nanos,
    timeline: Timeline,
    records: Vec<Located>,
}

/// Computes [`Moment`]s for one recording, keeping the last decoded window.
#[derive(Debug)]
pub struct SceneSource {
    index: Arc<RecordingIndex>,
    window: Option<Window>,
}

impl SceneSource {
    /// A source over `index` (nothing is decoded yet).
    pub fn new(index: Arc<RecordingIndex>) -> SceneSource {
        SceneSource { index, window: None }
    }

    /// The index it reads.
    pub fn index(&self) -> &Arc<RecordingIndex> {
        &self.index
    }

    fn whole_file(&self) -> bool {
        self.index.file_len <= WHOLE_FILE_BYTES
    }

    /// The span a window must cover to show `t_ns` in `mode` on `surface`.
    fn needed_span(&self, surface: SurfaceId, t_ns: Nanos, mode: ViewMode) -> (Nanos, Nanos) {
        if self.whole_file() {
            return (0, Nanos::MAX);
        }
        let mut from = t_ns.saturating_sub(LOOKBACK_NS);
        if mode != ViewMode::Flash {
            from = from.min(t_ns.saturating_sub(ACCUMULATE_SPAN_NS));
        }
        // Flashes fade over frames, not time: reach back over the frames still fading
        // however long ago they were.
        let fade = ReplayOptions::default().fade_frames as usize + 1;
        let frames = self.index.frames_of(surface);
        let at = frames.partition_point(|f| f.t_ns <= t_ns);
        if let Some(oldest) = frames.get(at.saturating_sub(fade)) {
            from = from.min(oldest.t_ns);
        }
        (from, t_ns)
    }

    /// Decodes a new window when the current one does not cover what `t_ns` needs.
    fn ensure_window(&mut self, surface: SurfaceId, t_ns: Nanos, mode: ViewMode) -> std::io::Result<()> {
        let (from, to) = self.needed_span(surface, t_ns, mode);
        if let Some(w) = &self.window {
            if w.from_ns <= from && to <= w.to_ns {
                return Ok(());
            }
        }
        let to = to.saturating_add(if self.whole_file() { 0 } else { LOOKAHEAD_NS });
        let records = self.index.decode_window(from, to)?;
        let mut builder = TimelineBuilder::default();
        for located in &records {
            builder.push(&located.record);
        }
        self.window = Some(Window { from_ns: from, to_ns: to, timeline: builder.finish(), records });
        Ok(())
    }

    /// What to show of `surface` at `t_ns` in `mode`.
    pub fn moment(&mut self, surface: SurfaceId, t_ns: Nanos, mode: ViewMode) -> std::io::Result<Moment> {
        self.ensure_window(surface, t_ns, mode)?;
        let window = self.window.as_ref().expect("window decoded above");
        let mode_options = ReplayOptions {
            mode: if mode == ViewMode::Flash { DamageMode::Flash } else { DamageMode::Accumulate },
            ..ReplayOptions::default()
        };
        let mut replay = Replay::new(&window.timeline, surface).with_options(mode_options);
        if !self.whole_file() && mode != ViewMode::Flash {
            // Bound the accumulation to the documented span, not to what happens to be decoded.
            replay = replay.with_range(Some(t_ns.saturating_sub(ACCUMULATE_SPAN_NS)), None);
        }
        replay.seek_time(t_ns);
        let size = self
            .index
            .size_at(surface, t_ns)
            .map_or([0, 0], |(w, h)| [w, h]);
        let mut moment = Moment::default();
        match replay.view() {
            Some(view) => {
                let frame = view.frame;
                moment.scene = Scene {
                    size,
                    damage: if mode == ViewMode::Heatmap { Vec::new() } else { view.damage.clone() },
                    heatmap: (mode == ViewMode::Heatmap).then(|| replay.heatmap(4, false)),
                    pointer: view.pointer,
                    clicks: view.clicks.clone(),
                    keys: view.keys.clone(),
                    caption: view.caption(),
                };
                moment.frame = Some(FrameDetails {
                    counter: frame.counter,
                    start_ns: frame.start_ns,
                    end_ns: frame.end_ns,
                    phases: PHASE_NAMES.iter().copied().zip(frame.phases).collect(),
                    damage: frame.damage.clone(),
                    painted: frame.painted.clone(),
                });
            }
            None => {
                moment.scene = Scene {
                    size,
                    caption: format!("t={:.3}s  before the first frame", t_ns as f64 / 1e9),
                    ..Scene::default()
                };
            }
        }
        let records = &window.records;
        let after = records.partition_point(|r| r.record.t_ns() <= t_ns);
        let first = after.saturating_sub(NEARBY_RECORDS);
        let last = (after + NEARBY_RECORDS).min(records.len());
        moment.nearby = records[first..last].to_vec();
        moment.current = (after > first).then(|| after - first - 1);
        Ok(moment)
    }
}

/// A one-line description of a record for the side panel: `+1.234567 s  frame #12 …`.
pub fn describe(record: &Record) -> String {
    let what = match record {
        Record::Header(h) => format!("header {} pid {}", h.program, h.pid),
        Record::Surface(s) => format!("surface {} {} {}×{}", s.surface, s.surface_kind, s.width, s.height),
        Record::SurfaceDestroyed(s) => format!("surface {} destroyed", s.surface),
        Record::Size(s) => format!("size {} {}×{}", s.surface, s.width, s.height),
        Record::Scale(s) => format!("scale {} ×{}", s.surface, s.scale_factor),
        Record::State(s) => format!("state {} {:?}", s.surface, s.state.names()),
        Record::Event(e) => {
            let mut text = format!("{} on {}", e.event_type, e.surface);
            if let (Some(x), Some(y)) = (e.x, e.y) {
                text += &format!(" at {x:.0},{y:.0}");
            }
            if let Some(button) = e.button {
                text += &format!(" button {button}");
            }
            if let Some(key) = &e.key {
                text += &format!(" key {key}");
            }
            text
        }
        Record::Frame(f) => format!("frame #{} of {}: {:.2} ms", f.counter, f.surface, f.duration_ns() as f64 / 1e6),
        Record::FrameTimings(t) => format!("frame-timings #{} of {}", t.counter, t.surface),
        Record::Damage(d) => format!("damage #{} of {}: {} rects, {} px²", d.frame, d.surface, d.rects.len(), d.area()),
        Record::Painted(d) => format!("painted #{} of {}: {} rects, {} px²", d.frame, d.surface, d.rects.len(), d.area()),
        Record::End(e) => format!("end ({}), {} records", e.reason, e.records),
        Record::LoopIteration(l) => format!("loop: {:.2} ms asleep, {:.2} ms working", l.poll_ns as f64 / 1e6, l.work_ns as f64 / 1e6),
        Record::Dispatch(d) => format!(
            "dispatch {} {}: {:.2} ms",
            d.source_type,
            d.source.as_deref().unwrap_or(""),
            d.duration_ns as f64 / 1e6
        ),
        Record::Stall(s) => format!("stall {:.1} ms {}", s.duration_ms, s.source.as_deref().unwrap_or("")),
        Record::StallSample(s) => format!("stall sample, {} frames deep", s.stack.len()),
    };
    format!("{:>10.6} s  {what}", record.t_ns() as f64 / 1e9)
}
