//! What the window shows at the playhead, computed with the replay crate over a window of
//! records decoded lazily around it: the canvas's [`Scene`], the side panel's phase
//! timings, damage list and nearby records. No GTK here.
//!
//! A small recording is decoded once, whole. A big one is decoded a few seconds at a
//! time: enough frames back for the flashes to fade, the clicks and keys still shown and
//! (in accumulate and heatmap modes) the last [`ACCUMULATE_SPAN_NS`] of repaints.

use std::sync::Arc;

use gdkrecord_format::{Nanos, Phase, Rect, SurfaceId, PHASE_NAMES};
use gdkrecord_replay::{
    ClickMark, Composition, DamageMode, FadingRect, Heatmap, Replay, ReplayOptions, Timeline,
    TimelineBuilder,
};

use crate::index::{FrameMark, Located, RecordingIndex};
use crate::pictures::{self, PictureState};

/// Recordings up to this size are decoded whole, once.
pub const WHOLE_FILE_BYTES: u64 = 4 << 20;

/// In accumulate and heatmap modes, a big recording shows the repaints of this long
/// before the playhead (a small one shows all repaints since the start).
pub const ACCUMULATE_SPAN_NS: Nanos = 60_000_000_000;

/// How far past the playhead a window is decoded, so playing does not decode every frame.
const LOOKAHEAD_NS: Nanos = 4_000_000_000;

/// How far back a window reaches at least (clicks and keys stay on screen this long).
const LOOKBACK_NS: Nanos = 2_000_000_000;

/// Extra time decoded before a window so that its first frame has all its records.
const FRAME_MARGIN_NS: Nanos = 1_000_000_000;

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
    /// What the app showed at the playhead, popups over it, whole where they reach past
    /// the surface's edges (recordings with pixels).
    pub picture: Option<Arc<Composition>>,
}

impl Scene {
    /// What is drawn, in surface pixels: `[x, y, width, height]` of the surface and of
    /// the popups of its picture that reach past its edges.
    pub fn extent(&self) -> [f64; 4] {
        let [w, h] = self.size.map(|v| f64::from(v.max(1)));
        let Some(composition) = &self.picture else {
            return [0.0, 0.0, w, h];
        };
        let device = f64::from(composition.picture.scale.max(1));
        let [ox, oy] = composition.origin.map(f64::from);
        let (px, py) = (-ox, -oy);
        let pw = f64::from(composition.picture.width) / device;
        let ph = f64::from(composition.picture.height) / device;
        let (x0, y0) = (px.min(0.0), py.min(0.0));
        [x0, y0, (px + pw).max(w) - x0, (py + ph).max(h) - y0]
    }
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
    /// Indices of `records` in time order (records come in write order: a frame's
    /// record comes at its end but carries its start).
    by_time: Vec<u32>,
}

/// Computes [`Moment`]s for one recording, keeping the last decoded window.
#[derive(Debug)]
pub struct SceneSource {
    index: Arc<RecordingIndex>,
    /// Files up to this size are decoded whole ([`WHOLE_FILE_BYTES`]).
    whole_file_limit: u64,
    window: Option<Window>,
    /// The frames of the surface last asked about, in time order (sorting millions of
    /// frames on every seek would make scrubbing a big file stutter).
    frames: Option<(SurfaceId, Arc<[FrameMark]>)>,
    /// The app's pixels composed over the window.
    pictures: PictureState,
}

impl SceneSource {
    /// A source over `index` (nothing is decoded yet).
    pub fn new(index: Arc<RecordingIndex>) -> SceneSource {
        SceneSource {
            index,
            whole_file_limit: WHOLE_FILE_BYTES,
            window: None,
            frames: None,
            pictures: PictureState::default(),
        }
    }

    /// The index it reads.
    pub fn index(&self) -> &Arc<RecordingIndex> {
        &self.index
    }

    fn whole_file(&self) -> bool {
        self.index.file_len <= self.whole_file_limit
    }

    /// `surface`'s frames in time order.
    pub fn frames_of(&mut self, surface: SurfaceId) -> Arc<[FrameMark]> {
        match &self.frames {
            Some((cached, frames)) if *cached == surface => frames.clone(),
            _ => {
                let frames: Arc<[FrameMark]> = self.index.frames_of(surface).into();
                self.frames = Some((surface, frames.clone()));
                frames
            }
        }
    }

    /// The span a window must cover to show `t_ns` in `mode` on `surface`.
    fn needed_span(&mut self, surface: SurfaceId, t_ns: Nanos, mode: ViewMode) -> (Nanos, Nanos) {
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
        let frames = self.frames_of(surface);
        let at = frames.partition_point(|f| f.t_ns <= t_ns);
        if let Some(oldest) = frames.get(at.saturating_sub(fade)) {
            from = from.min(oldest.t_ns);
        }
        // The app's pixels are composed from the last whole pictures on.
        if let Some(start) = pictures::span_start(&self.index, surface, t_ns) {
            from = from.min(start);
        }
        // The frame shown is drawn by its end: its size and pixels come up to there.
        let shown_end = at
            .checked_sub(1)
            .and_then(|i| frames.get(i))
            .map_or(t_ns, |f| t_ns.max(f.t_ns + u64::from(f.duration_ns)));
        // A frame's records straddle its start time (damage comes during paint, after
        // the cycle started): reach back a little more so the first frame is whole.
        (from.saturating_sub(FRAME_MARGIN_NS), shown_end)
    }

    /// Decodes a new window when the current one does not cover what `t_ns` needs.
    fn ensure_window(
        &mut self,
        surface: SurfaceId,
        t_ns: Nanos,
        mode: ViewMode,
    ) -> std::io::Result<()> {
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
        let mut by_time: Vec<u32> = (0..records.len() as u32).collect();
        by_time.sort_by_key(|&i| records[i as usize].record.t_ns());
        self.window = Some(Window {
            from_ns: from,
            to_ns: to,
            timeline: builder.finish(),
            records,
            by_time,
        });
        Ok(())
    }

    /// What to show of `surface` at `t_ns` in `mode`.
    pub fn moment(
        &mut self,
        surface: SurfaceId,
        t_ns: Nanos,
        mode: ViewMode,
    ) -> std::io::Result<Moment> {
        self.ensure_window(surface, t_ns, mode)?;
        let window = self.window.as_ref().expect("window decoded above");
        let mode_options = ReplayOptions {
            mode: if mode == ViewMode::Flash {
                DamageMode::Flash
            } else {
                DamageMode::Accumulate
            },
            ..ReplayOptions::default()
        };
        let mut replay = Replay::new(&window.timeline, surface).with_options(mode_options);
        if !self.whole_file() && mode != ViewMode::Flash {
            // Bound the accumulation to the documented span, not to what happens to be decoded.
            replay = replay.with_range(Some(t_ns.saturating_sub(ACCUMULATE_SPAN_NS)), None);
        }
        replay.seek_time(t_ns);
        // The size the shown frame was drawn at: a first size set during the frame's
        // layout (a window realized at 1×1) is already the frame's.
        let size_t = replay.view().map_or(t_ns, |v| v.frame.end_ns.max(t_ns));
        let size = self
            .index
            .size_at(surface, size_t)
            .map_or([0, 0], |(w, h)| [w, h]);
        // What the app showed once the frame shown was drawn.
        let start = pictures::span_start(&self.index, surface, size_t);
        let picture = self.pictures.at(
            (window.from_ns, window.to_ns),
            &window.records,
            surface,
            size_t,
            start,
        );
        let mut moment = Moment::default();
        match replay.view() {
            Some(view) => {
                let frame = view.frame;
                moment.scene = Scene {
                    size,
                    damage: if mode == ViewMode::Heatmap {
                        Vec::new()
                    } else {
                        view.damage.clone()
                    },
                    heatmap: (mode == ViewMode::Heatmap).then(|| replay.heatmap(4, false)),
                    pointer: view.pointer,
                    clicks: view.clicks.clone(),
                    keys: view.keys.clone(),
                    picture,
                    caption: if self.whole_file() || mode == ViewMode::Flash {
                        view.caption()
                    } else {
                        format!(
                            "{}  (repaints of the last {} s)",
                            view.caption(),
                            ACCUMULATE_SPAN_NS / 1_000_000_000
                        )
                    },
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
                    picture,
                    ..Scene::default()
                };
            }
        }
        let records = &window.records;
        let by_time = &window.by_time;
        let after = by_time.partition_point(|&i| records[i as usize].record.t_ns() <= t_ns);
        let first = after.saturating_sub(NEARBY_RECORDS);
        let last = (after + NEARBY_RECORDS).min(by_time.len());
        moment.nearby = by_time[first..last]
            .iter()
            .map(|&i| records[i as usize].clone())
            .collect();
        moment.current = (after > first).then(|| after - first - 1);
        Ok(moment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{
        Damage, Event, EventType, Frame, Pixels, Record, Renderer, Surface, SurfaceKind, Writer,
    };

    /// 2000 frames 16 ms apart with a moving pointer, a click every 50 frames and a
    /// damage rectangle that moves with the frame number; idle gaps every 300 frames.
    fn recording() -> Vec<Record> {
        let window = SurfaceId(1);
        let mut records = vec![Record::Surface(Surface {
            t_ns: 0,
            surface: window,
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: None,
            width: 640,
            height: 480,
            scale_factor: 1,
        })];
        let mut t = 1_000_000u64;
        for n in 1..=2000i64 {
            if n % 300 == 0 {
                t += 5_000_000_000;
            }
            let mut motion = Event::new(t, window, EventType::MOTION_NOTIFY, 0);
            motion.x = Some((n % 640) as f64);
            motion.y = Some(100.0);
            records.push(Record::Event(motion));
            if n % 50 == 0 {
                let mut click = Event::new(t + 1, window, EventType::BUTTON_PRESS, 0);
                click.x = Some(10.0);
                click.y = Some(20.0);
                click.button = Some(1);
                records.push(Record::Event(click));
            }
            let rect = [(n % 600) as i32, (n % 400) as i32, 20, 20];
            records.push(Record::Damage(Damage {
                t_ns: t + 500_000,
                surface: window,
                frame: n,
                renderer: Renderer::GL,
                rects: vec![rect],
            }));
            records.push(Record::Frame(Frame {
                t_ns: t,
                surface: window,
                counter: n,
                end_ns: t + 2_000_000,
                before_paint: None,
                update: None,
                layout: None,
                paint: None,
                after_paint: None,
            }));
            t += 16_000_000;
        }
        records
    }

    /// `records` written to a temporary file named after `test`, and its index.
    fn indexed(test: &str, records: &[Record]) -> (std::path::PathBuf, Arc<RecordingIndex>) {
        let mut writer = Writer::new(Vec::new()).unwrap();
        for record in records {
            writer.write(record).unwrap();
        }
        let path =
            std::env::temp_dir().join(format!("grv-scene-{test}-{}.gdkrecord", std::process::id()));
        std::fs::write(&path, writer.finish().unwrap()).unwrap();
        let index = Arc::new(RecordingIndex::build(&path, &mut |_, _| true).unwrap());
        (path, index)
    }

    /// [`recording`] with pixels: each frame paints a 20×20 patch of its own shade where
    /// its damage is, over whole pictures at the first frame and every 500 frames (as
    /// the recorder takes one at least every 10 s of repaints).
    fn recording_with_pixels() -> Vec<Record> {
        let mut records = Vec::new();
        for record in recording() {
            if let Record::Damage(d) = &record {
                let n = d.frame;
                if n == 1 || n % 500 == 0 {
                    records.push(Record::Pixels(Pixels::raw(
                        d.t_ns,
                        d.surface,
                        n,
                        1,
                        true,
                        [0, 0, 640, 480],
                        vec![(n % 7) as u8 * 30; 640 * 480 * 4],
                    )));
                }
                let patch = Pixels::raw(
                    d.t_ns,
                    d.surface,
                    n,
                    1,
                    false,
                    d.rects[0],
                    vec![n as u8; 20 * 20 * 4],
                );
                records.push(record.clone());
                records.push(Record::Pixels(patch.packed()));
            } else {
                records.push(record);
            }
        }
        records
    }

    #[test]
    fn lazy_windows_compose_the_pixels_the_whole_file_composes() {
        let (path, index) = indexed("pixels", &recording_with_pixels());
        assert!(index.has_pixels);
        assert_eq!(index.pictures.len(), 5);
        let mut whole = SceneSource::new(index.clone());
        let mut lazy = SceneSource::new(index.clone());
        lazy.whole_file_limit = 0;
        let frames = index.frames_of(SurfaceId(1));
        // Forward, back, across a whole picture, and far from the last one.
        for n in [10, 1200, 499, 500, 501, 1999, 30] {
            let t = frames[n].t_ns + 1_000_000;
            let a = whole.moment(SurfaceId(1), t, ViewMode::Flash).unwrap();
            let b = lazy.moment(SurfaceId(1), t, ViewMode::Flash).unwrap();
            let (a, b) = (a.scene.picture.unwrap(), b.scene.picture.unwrap());
            assert!(a == b, "the pictures differ at frame {}", n + 1);
            let rect = index
                .decode_window(t - 1_000_000, t)
                .unwrap()
                .into_iter()
                .find_map(|l| match l.record {
                    Record::Damage(d) => Some(d.rects[0]),
                    _ => None,
                })
                .unwrap();
            assert_eq!(
                a.picture.bgra_at(rect[0] as u32 + 5, rect[1] as u32 + 5)[0],
                (n + 1) as u8,
                "frame {}'s patch is on top",
                n + 1
            );
        }
        std::fs::remove_file(&path).unwrap();
    }

    /// Regression: frame records come after the records of their cycle but carry its
    /// start, so the list around the playhead was out of time order.
    #[test]
    fn records_around_the_playhead_are_in_time_order() {
        let (path, index) = indexed("order", &recording());
        let mut source = SceneSource::new(index.clone());
        let t = index.frames_of(SurfaceId(1))[40].t_ns + 600_000;
        let moment = source.moment(SurfaceId(1), t, ViewMode::Flash).unwrap();
        let times: Vec<u64> = moment.nearby.iter().map(|l| l.record.t_ns()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        let current = moment.current.unwrap();
        assert!(times[current] <= t && times.get(current + 1).is_none_or(|&n| n > t));
        std::fs::remove_file(&path).unwrap();
    }

    /// Regression: a window realized at 1×1 gets its size in its first frame's layout;
    /// the viewer showed that frame at 1×1.
    #[test]
    fn a_size_set_during_a_frame_is_the_frames() {
        let mut records = recording();
        if let Record::Surface(s) = &mut records[0] {
            (s.width, s.height) = (1, 1);
        }
        let first = records
            .iter()
            .find_map(|r| match r {
                Record::Frame(f) => Some(f.clone()),
                _ => None,
            })
            .unwrap();
        records.insert(
            1,
            Record::Size(gdkrecord_format::Size {
                t_ns: first.t_ns + 1_000_000,
                surface: SurfaceId(1),
                width: 640,
                height: 480,
            }),
        );
        let (path, index) = indexed("size", &records);
        let mut source = SceneSource::new(index);
        let moment = source
            .moment(SurfaceId(1), first.t_ns, ViewMode::Flash)
            .unwrap();
        assert_eq!(moment.scene.size, [640, 480]);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn lazy_windows_show_what_the_whole_file_shows() {
        let (path, index) = indexed("lazy", &recording());
        let mut whole = SceneSource::new(index.clone());
        let mut lazy = SceneSource::new(index.clone());
        lazy.whole_file_limit = 0;
        let frames = index.frames_of(SurfaceId(1));
        // Just after a gap, inside a burst, on a click, and between frames.
        for t in [
            frames[299].t_ns,
            frames[300].t_ns + 1,
            frames[1049].t_ns + 5,
            frames[1500].t_ns + 3_000_000,
            index.duration_ns,
        ] {
            let a = whole.moment(SurfaceId(1), t, ViewMode::Flash).unwrap();
            let b = lazy.moment(SurfaceId(1), t, ViewMode::Flash).unwrap();
            assert_eq!(a.scene.damage, b.scene.damage, "damage at {t}");
            assert_eq!(a.scene.pointer, b.scene.pointer, "pointer at {t}");
            assert_eq!(a.scene.clicks, b.scene.clicks, "clicks at {t}");
            assert_eq!(a.scene.size, [640, 480]);
            assert_eq!(
                a.frame.as_ref().map(|f| f.counter),
                b.frame.as_ref().map(|f| f.counter)
            );
            assert_eq!(b.scene.damage.len(), 8, "eight frames fading at {t}");
            assert!(b.nearby.len() > 10 && b.current.is_some());
        }
        // Accumulate in a big file covers the last ACCUMULATE_SPAN_NS only.
        let t = index.duration_ns;
        let b = lazy.moment(SurfaceId(1), t, ViewMode::Accumulate).unwrap();
        let span_frames = frames
            .iter()
            .filter(|f| f.t_ns + ACCUMULATE_SPAN_NS >= t)
            .count();
        assert_eq!(b.scene.damage.len(), span_frames);
        let a = whole.moment(SurfaceId(1), t, ViewMode::Accumulate).unwrap();
        assert_eq!(
            a.scene.damage.len(),
            2000,
            "a small file accumulates from the start"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
