//! Stepping through one surface's frames and what a renderer draws at each: fading
//! damage ("flash and fade", like GTK 3's debug updates) or all damage so far, the
//! pointer, recent clicks and keys, and the frame's phase timings.

use std::collections::HashSet;

use gdkrecord_format::{Nanos, Phase, Rect, SurfaceId};

use crate::heatmap::{Heatmap, HeatmapBuilder};
use crate::timeline::{InputKind, ReplayFrame, Timeline};

/// Inputs a view looks at, the latest of its click and key windows.
pub(crate) const MAX_INPUTS_SHOWN: usize = 256;

/// How damage is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DamageMode {
    /// The current frame's damage at full strength, the previous frames' fading out.
    #[default]
    Flash,
    /// Every rectangle damaged from the first frame to the current one.
    Accumulate,
}

/// Which recorded region counts as a frame's damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DamageSource {
    /// What GSK re-rendered (the renderer's clip): precise, what widget authors care about.
    #[default]
    Renderer,
    /// What the draw context presented (the whole surface with GL without buffer age).
    Painted,
}

/// How a [`Replay`] shows things; the defaults suit a 60 Hz recording.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayOptions {
    /// Flash or accumulate.
    pub mode: DamageMode,
    /// Renderer clip or presented region.
    pub source: DamageSource,
    /// Over how many frames a flash fades out (1: only the current frame's damage).
    pub fade_frames: u32,
    /// How long a click mark stays visible, ns.
    pub click_ns: u64,
    /// How long a key press stays in the caption, ns.
    pub key_ns: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            mode: DamageMode::Flash,
            source: DamageSource::Renderer,
            fade_frames: 8,
            click_ns: 600_000_000,
            key_ns: 1_500_000_000,
        }
    }
}

/// The colour of fresh damage (opaque red-magenta, as GTK 3's flashes), RGB.
pub const DAMAGE_RGB: [u8; 3] = [235, 30, 90];
/// The colour of click marks, RGB.
pub const CLICK_RGB: [u8; 3] = [20, 120, 255];
/// The colour of the pointer, RGB.
pub const POINTER_RGB: [u8; 3] = [20, 20, 20];

/// A damaged rectangle and how strongly to draw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FadingRect {
    /// `[x, y, width, height]`, surface pixels.
    pub rect: Rect,
    /// How many frames ago it was damaged (0: this frame).
    pub age: u32,
    /// Opacity, 1.0 for fresh damage down towards 0 as it ages.
    pub alpha: f32,
}

impl FadingRect {
    /// [`DAMAGE_RGB`] with this rectangle's alpha, as RGBA floats (for cairo).
    pub fn rgba(&self) -> [f32; 4] {
        let [r, g, b] = DAMAGE_RGB;
        [
            f32::from(r) / 255.0,
            f32::from(g) / 255.0,
            f32::from(b) / 255.0,
            self.alpha,
        ]
    }
}

/// A click (or touch) to mark, fading with time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClickMark {
    /// Where, surface pixels.
    pub position: [f32; 2],
    /// Mouse button (0 for touches).
    pub button: u32,
    /// Whether the button is still held at this frame.
    pub pressed: bool,
    /// Opacity, 1.0 when it happened down to 0 after [`ReplayOptions::click_ns`].
    pub alpha: f32,
}

/// What to draw for the current frame: plain data for any renderer.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameView<'t> {
    /// Position in this replay's frames (0-based).
    pub index: usize,
    /// How many frames this replay has.
    pub frame_count: usize,
    /// The frame itself (counter, times, phases, raw damage).
    pub frame: &'t ReplayFrame,
    /// The surface's `[width, height]` at this frame.
    pub size: [i32; 2],
    /// Damage to draw, oldest first (so the freshest is drawn on top).
    pub damage: Vec<FadingRect>,
    /// The pointer, when over the surface.
    pub pointer: Option<[f32; 2]>,
    /// Recent clicks, oldest first.
    pub clicks: Vec<ClickMark>,
    /// Keys pressed recently (names such as `a`, `Return`), oldest first.
    pub keys: Vec<String>,
    /// Time between the previous frame's end and this frame's start (0 for the first).
    pub idle_before_ns: u64,
    /// Phases in [`gdkrecord_format::PHASE_NAMES`] order.
    pub phases: [Option<Phase>; 5],
}

impl FrameView<'_> {
    /// `t=1.234s  frame 12/345 (#4711)`: the caption a replay shows in a corner.
    pub fn caption(&self) -> String {
        format!(
            "t={:.3}s  frame {}/{} (#{})",
            self.frame.start_ns as f64 / 1e9,
            self.index + 1,
            self.frame_count,
            self.frame.counter
        )
    }
}

/// A cursor over one surface's frames.
#[derive(Clone, Debug)]
pub struct Replay<'t> {
    timeline: &'t Timeline,
    surface: SurfaceId,
    frames: &'t [u32],
    position: Option<usize>,
    options: ReplayOptions,
}

impl<'t> Replay<'t> {
    /// A replay of `surface`'s frames, positioned before the first frame.
    pub fn new(timeline: &'t Timeline, surface: SurfaceId) -> Replay<'t> {
        Replay {
            timeline,
            surface,
            frames: timeline.frame_indices(surface),
            position: None,
            options: ReplayOptions::default(),
        }
    }

    /// Keeps only the frames starting in `from_ns..=to_ns` (each bound optional).
    pub fn with_range(mut self, from_ns: Option<Nanos>, to_ns: Option<Nanos>) -> Replay<'t> {
        let all = self.timeline.frames();
        let start = from_ns.map_or(0, |from| {
            self.frames
                .partition_point(|&i| all[i as usize].start_ns < from)
        });
        let end = to_ns.map_or(self.frames.len(), |to| {
            self.frames
                .partition_point(|&i| all[i as usize].start_ns <= to)
        });
        self.frames = &self.frames[start..end.max(start)];
        self.position = None;
        self
    }

    /// Changes how things are shown.
    pub fn with_options(mut self, options: ReplayOptions) -> Replay<'t> {
        self.options = options;
        self
    }

    /// The options in force.
    pub fn options(&self) -> &ReplayOptions {
        &self.options
    }

    /// Changes the options in force (e.g. switching to accumulate while scrubbing).
    pub fn set_options(&mut self, options: ReplayOptions) {
        self.options = options;
    }

    /// The timeline replayed.
    pub fn timeline(&self) -> &'t Timeline {
        self.timeline
    }

    /// The surface replayed.
    pub fn surface(&self) -> SurfaceId {
        self.surface
    }

    /// How many frames the replay has.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The current position (0-based), `None` before the first frame.
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// The frame at position `n` of this replay.
    pub fn frame_at(&self, n: usize) -> Option<&'t ReplayFrame> {
        self.frames
            .get(n)
            .map(|&i| &self.timeline.frames()[i as usize])
    }

    /// The current frame.
    pub fn frame(&self) -> Option<&'t ReplayFrame> {
        self.position.and_then(|n| self.frame_at(n))
    }

    /// Goes to frame `n` (clamped to the last frame); `false` when there are no frames.
    pub fn seek_frame(&mut self, n: usize) -> bool {
        if self.frames.is_empty() {
            return false;
        }
        self.position = Some(n.min(self.frames.len() - 1));
        true
    }

    /// Goes to the next frame; `false` at the end.
    pub fn next_frame(&mut self) -> bool {
        let next = self.position.map_or(0, |n| n + 1);
        if next >= self.frames.len() {
            return false;
        }
        self.position = Some(next);
        true
    }

    /// Goes to the previous frame; `false` at the first frame (or before it).
    pub fn prev_frame(&mut self) -> bool {
        match self.position {
            Some(n) if n > 0 => {
                self.position = Some(n - 1);
                true
            }
            _ => false,
        }
    }

    /// Goes to the last frame that started at or before `t_ns` (binary search); before
    /// the first frame when none did. Returns the new position.
    pub fn seek_time(&mut self, t_ns: Nanos) -> Option<usize> {
        let all = self.timeline.frames();
        let after = self
            .frames
            .partition_point(|&i| all[i as usize].start_ns <= t_ns);
        self.position = after.checked_sub(1);
        self.position
    }

    /// What to draw at the current frame; `None` before the first frame.
    pub fn view(&self) -> Option<FrameView<'t>> {
        let index = self.position?;
        let frame = self.frame_at(index)?;
        let damage = match self.options.mode {
            DamageMode::Flash => {
                let fade = self.options.fade_frames.max(1);
                let first = index.saturating_sub(fade as usize - 1);
                let mut damage = Vec::new();
                for n in first..=index {
                    let age = (index - n) as u32;
                    let alpha = fade_alpha(age, fade);
                    damage.extend(self.rects_of(n).iter().map(|&rect| FadingRect {
                        rect,
                        age,
                        alpha,
                    }));
                }
                damage
            }
            DamageMode::Accumulate => (0..=index)
                .flat_map(|n| {
                    let age = (index - n) as u32;
                    self.rects_of(n).iter().map(move |&rect| FadingRect {
                        rect,
                        age,
                        alpha: 1.0,
                    })
                })
                .collect(),
        };
        let t = frame.end_ns;
        let inputs = self.timeline.inputs();
        let window_start = t.saturating_sub(self.options.click_ns.max(self.options.key_ns));
        let to = inputs.partition_point(|m| m.t_ns <= t);
        // The latest inputs only: a person makes far fewer in the window; a crafted
        // recording's thousands at one instant would make every view slow.
        let from = inputs
            .partition_point(|m| m.t_ns < window_start)
            .max(to.saturating_sub(MAX_INPUTS_SHOWN));
        let mut clicks = Vec::new();
        let mut keys = Vec::new();
        // Newest first, so whether a press was released since is known when it is met.
        let mut released: HashSet<(SurfaceId, u32)> = HashSet::new();
        for mark in inputs[from..to].iter().rev() {
            if mark.surface != self.surface && !self.is_child(mark.surface) {
                continue;
            }
            let age = t - mark.t_ns;
            match &mark.kind {
                InputKind::ButtonRelease(button) => {
                    released.insert((mark.surface, *button));
                }
                InputKind::ButtonPress(button)
                    if age <= self.options.click_ns && mark.surface == self.surface =>
                {
                    if let Some(position) = mark.position {
                        let alpha = 1.0 - age as f32 / self.options.click_ns.max(1) as f32;
                        clicks.push(ClickMark {
                            position,
                            button: *button,
                            pressed: !released.contains(&(mark.surface, *button)),
                            alpha,
                        });
                    }
                }
                InputKind::TouchBegin
                    if age <= self.options.click_ns && mark.surface == self.surface =>
                {
                    if let Some(position) = mark.position {
                        let alpha = 1.0 - age as f32 / self.options.click_ns.max(1) as f32;
                        clicks.push(ClickMark {
                            position,
                            button: 0,
                            pressed: false,
                            alpha,
                        });
                    }
                }
                InputKind::KeyPress(name) if age <= self.options.key_ns => keys.push(name.clone()),
                _ => {}
            }
        }
        clicks.reverse();
        keys.reverse();
        let idle_before_ns = index
            .checked_sub(1)
            .and_then(|p| self.frame_at(p))
            .map_or(0, |prev| frame.start_ns.saturating_sub(prev.end_ns));
        Some(FrameView {
            index,
            frame_count: self.frames.len(),
            frame,
            size: frame.size,
            damage,
            pointer: frame.pointer,
            clicks,
            keys,
            idle_before_ns,
            phases: frame.phases,
        })
    }

    /// How often each part of the surface was repainted, from the first frame of this
    /// replay to the current one (all frames when `whole` is true), in cells of
    /// `cell`×`cell` pixels, at the largest size the surface had.
    pub fn heatmap(&self, cell: u32, whole: bool) -> Heatmap {
        let last = if whole {
            self.frames.len()
        } else {
            self.position.map_or(0, |n| n + 1)
        };
        let size = self
            .timeline
            .surface(self.surface)
            .map_or([0, 0], |s| s.max_size());
        let mut heat = HeatmapBuilder::new(size[0].max(1) as u32, size[1].max(1) as u32, cell);
        for n in 0..last {
            heat.add_frame(self.rects_of(n));
        }
        heat.finish()
    }

    fn rects_of(&self, n: usize) -> &'t [Rect] {
        let Some(frame) = self.frame_at(n) else {
            return &[];
        };
        match self.options.source {
            DamageSource::Renderer => &frame.damage,
            DamageSource::Painted => &frame.painted,
        }
    }

    fn is_child(&self, surface: SurfaceId) -> bool {
        self.timeline.surface(surface).and_then(|s| s.parent) == Some(self.surface)
    }
}

/// Opacity of damage `age` frames old when flashes fade over `fade_frames` frames:
/// 1.0 now, falling linearly to 1/`fade_frames` for the oldest still shown, 0 after.
pub fn fade_alpha(age: u32, fade_frames: u32) -> f32 {
    let fade = fade_frames.max(1);
    if age >= fade {
        0.0
    } else {
        1.0 - age as f32 / fade as f32
    }
}
