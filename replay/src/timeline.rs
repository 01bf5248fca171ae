//! The index of a recording a replay walks through: surfaces with their sizes over time,
//! frames with their damage, and the input marks (clicks, keys, scrolls), built in one
//! streaming pass over the records.
//!
//! Memory is proportional to the number of frames and of discrete input marks, never to
//! the number of records: motion events only update the pointer position stored with
//! each frame.

use std::collections::HashMap;

use gdkrecord_format::{EventType, Header, Nanos, Phase, Record, Rect, SurfaceId, SurfaceKind};

/// What the replay knows about one surface.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceInfo {
    /// The surface's number in the recording.
    pub id: SurfaceId,
    /// Toplevel, popup, drag, or other.
    pub kind: SurfaceKind,
    /// A popup's parent surface.
    pub parent: Option<SurfaceId>,
    /// GType name of the surface (`GdkX11Toplevel`, ...).
    pub type_name: String,
    /// GType name of the widget owning it (`GtkApplicationWindow`), when known.
    pub widget_type: Option<String>,
    /// When the surface appeared (ns since the start).
    pub created_ns: Nanos,
    /// When the surface was destroyed, if it was.
    pub destroyed_ns: Option<Nanos>,
    /// Scale factor when it appeared.
    pub scale_factor: i32,
    /// Every size the surface had, in time order; the first is its size when it appeared.
    pub sizes: Vec<SizeChange>,
}

/// A surface took this size at `t_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeChange {
    /// When (ns since the start).
    pub t_ns: Nanos,
    /// Application pixels.
    pub width: i32,
    /// Application pixels.
    pub height: i32,
}

impl SurfaceInfo {
    /// The surface's `[width, height]` at time `t_ns` (its first size before it was created).
    pub fn size_at(&self, t_ns: Nanos) -> [i32; 2] {
        let after = self.sizes.partition_point(|s| s.t_ns <= t_ns);
        let change = self.sizes[after.saturating_sub(1)];
        [change.width, change.height]
    }

    /// The largest width and the largest height the surface ever had.
    pub fn max_size(&self) -> [i32; 2] {
        self.sizes
            .iter()
            .fold([0, 0], |[w, h], s| [w.max(s.width), h.max(s.height)])
    }

    /// `GtkApplicationWindow #1 (toplevel)`-style label for menus and captions.
    pub fn label(&self) -> String {
        let name = self.widget_type.as_deref().unwrap_or(&self.type_name);
        format!("{name} #{} ({})", self.id, self.kind)
    }
}

/// One frame of one surface: a frame-clock cycle and what it repainted.
///
/// Popups share their parent's frame clock: a popup's frames are made from its damage
/// records, timed like the parent's cycle with the same counter when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayFrame {
    /// The surface drawn.
    pub surface: SurfaceId,
    /// The frame clock's counter.
    pub counter: i64,
    /// When the cycle started (ns since the start).
    pub start_ns: Nanos,
    /// When the cycle ended.
    pub end_ns: Nanos,
    /// Phases in [`gdkrecord_format::PHASE_NAMES`] order; `None` when a phase did not run
    /// or the frame record is missing.
    pub phases: [Option<Phase>; 5],
    /// Whether a frame record was seen (false for popup frames and cut recordings).
    pub has_frame_record: bool,
    /// The region GSK re-rendered (renderer clip), `[x, y, width, height]` rectangles.
    pub damage: Vec<Rect>,
    /// The region the draw context presented.
    pub painted: Vec<Rect>,
    /// The surface's `[width, height]` when the frame was drawn.
    pub size: [i32; 2],
    /// Where the pointer was on this surface when the frame was drawn (`None`: not over it).
    pub pointer: Option<[f32; 2]>,
}

impl ReplayFrame {
    /// How long the cycle took.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// Total area of the damage rectangles, px².
    pub fn damage_area(&self) -> i64 {
        rects_area(&self.damage)
    }
}

/// Total area of rectangles (negative sizes count as empty), px².
pub fn rects_area(rects: &[Rect]) -> i64 {
    rects
        .iter()
        .map(|r| i64::from(r[2].max(0)) * i64::from(r[3].max(0)))
        .sum()
}

/// A discrete input event worth showing in a replay.
#[derive(Clone, Debug, PartialEq)]
pub struct InputMark {
    /// When the recorder saw it.
    pub t_ns: Nanos,
    /// The surface it was delivered to.
    pub surface: SurfaceId,
    /// What it was.
    pub kind: InputKind,
    /// Where, in surface coordinates, when the event has a position.
    pub position: Option<[f32; 2]>,
}

/// The kinds of [`InputMark`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A mouse button went down.
    ButtonPress(u32),
    /// A mouse button went up.
    ButtonRelease(u32),
    /// A key was pressed; the keysym's name (`a`, `Return`) or `#keyval`.
    KeyPress(String),
    /// A scroll (wheel or smooth).
    Scroll,
    /// A touch began.
    TouchBegin,
}

/// Everything a replay needs from a recording, in time order.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    header: Option<Header>,
    surfaces: Vec<SurfaceInfo>,
    frames: Vec<ReplayFrame>,
    frames_by_surface: HashMap<SurfaceId, Vec<u32>>,
    inputs: Vec<InputMark>,
    end_ns: Nanos,
    refresh_interval_ns: Option<u64>,
}

impl Timeline {
    /// Builds the timeline from records in file order.
    pub fn from_records<'r>(records: impl IntoIterator<Item = &'r Record>) -> Timeline {
        let mut builder = TimelineBuilder::default();
        for record in records {
            builder.push(record);
        }
        builder.finish()
    }

    /// The recording's header, when it had one.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Every surface, by id.
    pub fn surfaces(&self) -> &[SurfaceInfo] {
        &self.surfaces
    }

    /// The surface `id`, if the recording has it.
    pub fn surface(&self, id: SurfaceId) -> Option<&SurfaceInfo> {
        self.surfaces
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .map(|i| &self.surfaces[i])
    }

    /// The surface a replay shows by default: the first toplevel, else the first surface
    /// with frames.
    pub fn default_surface(&self) -> Option<SurfaceId> {
        self.surfaces
            .iter()
            .find(|s| s.kind == SurfaceKind::TOPLEVEL)
            .or_else(|| {
                self.surfaces
                    .iter()
                    .find(|s| self.frames_by_surface.contains_key(&s.id))
            })
            .map(|s| s.id)
    }

    /// Every frame of every surface, sorted by start time.
    pub fn frames(&self) -> &[ReplayFrame] {
        &self.frames
    }

    /// Indices into [`Timeline::frames`] of `surface`'s frames, in time order.
    pub fn frame_indices(&self, surface: SurfaceId) -> &[u32] {
        self.frames_by_surface
            .get(&surface)
            .map_or(&[], Vec::as_slice)
    }

    /// Clicks, key presses, scrolls and touches, in time order.
    pub fn inputs(&self) -> &[InputMark] {
        &self.inputs
    }

    /// Time of the last record (ns since the start).
    pub fn end_ns(&self) -> Nanos {
        self.end_ns
    }

    /// The display's refresh interval from the frame timings, when GDK knew it.
    pub fn refresh_interval_ns(&self) -> Option<u64> {
        self.refresh_interval_ns
    }
}

/// Builds a [`Timeline`] one record at a time (for reading with a progress bar or on a
/// worker thread).
#[derive(Debug, Default)]
pub struct TimelineBuilder {
    header: Option<Header>,
    surfaces: HashMap<SurfaceId, SurfaceInfo>,
    frames: Vec<ReplayFrame>,
    frame_at: HashMap<(SurfaceId, i64), u32>,
    inputs: Vec<InputMark>,
    pointer: HashMap<SurfaceId, Option<[f32; 2]>>,
    end_ns: Nanos,
    refresh_interval_ns: Option<u64>,
}

impl TimelineBuilder {
    /// Adds one record (in file order).
    pub fn push(&mut self, record: &Record) {
        self.end_ns = self.end_ns.max(record.t_ns());
        match record {
            Record::Header(h) => self.header = Some(h.clone()),
            Record::Surface(s) => {
                self.surfaces
                    .entry(s.surface)
                    .or_insert_with(|| SurfaceInfo {
                        id: s.surface,
                        kind: s.surface_kind,
                        parent: s.parent,
                        type_name: s.type_name.clone(),
                        widget_type: s.widget_type.clone(),
                        created_ns: s.t_ns,
                        destroyed_ns: None,
                        scale_factor: s.scale_factor,
                        sizes: vec![SizeChange {
                            t_ns: s.t_ns,
                            width: s.width,
                            height: s.height,
                        }],
                    });
            }
            Record::SurfaceDestroyed(d) => {
                if let Some(s) = self.surfaces.get_mut(&d.surface) {
                    s.destroyed_ns = Some(d.t_ns);
                }
            }
            Record::Size(size) => {
                let info = self.surface_mut(size.surface, size.t_ns);
                let change = SizeChange {
                    t_ns: size.t_ns,
                    width: size.width,
                    height: size.height,
                };
                // Records are in write order, which is time order per surface; keep the
                // list sorted anyway so `size_at` can binary-search a scribbled file.
                let at = info.sizes.partition_point(|s| s.t_ns <= size.t_ns);
                info.sizes.insert(at, change);
            }
            Record::Event(e) => {
                let position = match (e.x, e.y) {
                    (Some(x), Some(y)) => Some([x as f32, y as f32]),
                    _ => None,
                };
                if e.event_type == EventType::LEAVE_NOTIFY {
                    self.pointer.insert(e.surface, None);
                } else if position.is_some() && e.event_type != EventType::TOUCH_END {
                    self.pointer.insert(e.surface, position);
                }
                let kind = match e.event_type {
                    EventType::BUTTON_PRESS => Some(InputKind::ButtonPress(e.button.unwrap_or(0))),
                    EventType::BUTTON_RELEASE => {
                        Some(InputKind::ButtonRelease(e.button.unwrap_or(0)))
                    }
                    EventType::KEY_PRESS => Some(InputKind::KeyPress(match (&e.key, e.keyval) {
                        (Some(name), _) if !name.is_empty() => name.clone(),
                        (_, Some(keyval)) => format!("#{keyval:x}"),
                        _ => "key".to_owned(),
                    })),
                    EventType::SCROLL => Some(InputKind::Scroll),
                    EventType::TOUCH_BEGIN => Some(InputKind::TouchBegin),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let position =
                        position.or_else(|| self.pointer.get(&e.surface).copied().flatten());
                    self.inputs.push(InputMark {
                        t_ns: e.t_ns,
                        surface: e.surface,
                        kind,
                        position,
                    });
                }
            }
            Record::Frame(f) => {
                let pointer = self.pointer.get(&f.surface).copied().flatten();
                let index = self.frame_index(f.surface, f.counter, f.t_ns);
                let frame = &mut self.frames[index];
                frame.start_ns = f.t_ns;
                frame.end_ns = f.end_ns.max(f.t_ns);
                frame.phases = f.phases();
                frame.has_frame_record = true;
                frame.pointer = pointer;
            }
            Record::FrameTimings(t) if self.refresh_interval_ns.is_none() => {
                self.refresh_interval_ns = t.refresh_interval_ns.filter(|&ns| ns > 0);
            }
            Record::Damage(d) | Record::Painted(d) => {
                let pointer = self.pointer.get(&d.surface).copied().flatten();
                let index = self.frame_index(d.surface, d.frame, d.t_ns);
                let frame = &mut self.frames[index];
                if !frame.has_frame_record {
                    frame.end_ns = frame.end_ns.max(d.t_ns);
                    frame.pointer = pointer;
                }
                let rects = if matches!(record, Record::Damage(_)) {
                    &mut frame.damage
                } else {
                    &mut frame.painted
                };
                rects.extend_from_slice(&d.rects);
            }
            // Scale, state, end and main-loop records do not change what is drawn.
            _ => {}
        }
    }

    /// The surface `id`, made up from what is known when its surface record is missing
    /// (a recording filtered or cut before it).
    fn surface_mut(&mut self, id: SurfaceId, t_ns: Nanos) -> &mut SurfaceInfo {
        self.surfaces
            .entry(id)
            .or_insert_with(|| unknown_surface(id, t_ns))
    }

    fn frame_index(&mut self, surface: SurfaceId, counter: i64, t_ns: Nanos) -> usize {
        if let Some(&index) = self.frame_at.get(&(surface, counter)) {
            return index as usize;
        }
        let index = self.frames.len();
        self.frames.push(ReplayFrame {
            surface,
            counter,
            start_ns: t_ns,
            end_ns: t_ns,
            phases: [None; 5],
            has_frame_record: false,
            damage: Vec::new(),
            painted: Vec::new(),
            size: [0, 0],
            pointer: None,
        });
        self.frame_at.insert((surface, counter), index as u32);
        index
    }

    /// Finishes the index: times popup frames like their parent's cycle, gives each frame
    /// its surface's size, and sorts frames by time.
    pub fn finish(mut self) -> Timeline {
        // A popup's damage carries its parent's frame counter: take the parent cycle's times.
        for i in 0..self.frames.len() {
            if self.frames[i].has_frame_record {
                continue;
            }
            let surface = self.frames[i].surface;
            let Some(parent) = self.surfaces.get(&surface).and_then(|s| s.parent) else {
                continue;
            };
            if let Some(&p) = self.frame_at.get(&(parent, self.frames[i].counter)) {
                let (start, end, phases) = {
                    let pf = &self.frames[p as usize];
                    (pf.start_ns, pf.end_ns, pf.phases)
                };
                if self.frames[p as usize].has_frame_record {
                    let frame = &mut self.frames[i];
                    frame.start_ns = start;
                    frame.end_ns = end;
                    frame.phases = phases;
                }
            }
        }
        for frame in &self.frames {
            self.surfaces
                .entry(frame.surface)
                .or_insert_with(|| unknown_surface(frame.surface, frame.start_ns));
        }
        let mut surfaces: Vec<SurfaceInfo> = self.surfaces.into_values().collect();
        surfaces.sort_by_key(|s| s.id);
        for surface in &mut surfaces {
            if surface.sizes.is_empty() {
                // No size known: use the extent of everything drawn on it.
                let extent = self
                    .frames
                    .iter()
                    .filter(|f| f.surface == surface.id)
                    .flat_map(|f| f.damage.iter().chain(&f.painted))
                    .fold([0, 0], |[w, h], r| [w.max(r[0] + r[2]), h.max(r[1] + r[3])]);
                surface.sizes.push(SizeChange {
                    t_ns: surface.created_ns,
                    width: extent[0],
                    height: extent[1],
                });
            }
        }
        for frame in &mut self.frames {
            if let Ok(i) = surfaces.binary_search_by_key(&frame.surface, |s| s.id) {
                frame.size = surfaces[i].size_at(frame.end_ns);
            }
        }
        self.frames
            .sort_by_key(|f| (f.start_ns, f.surface, f.counter));
        let mut frames_by_surface: HashMap<SurfaceId, Vec<u32>> = HashMap::new();
        for (i, frame) in self.frames.iter().enumerate() {
            frames_by_surface
                .entry(frame.surface)
                .or_default()
                .push(i as u32);
        }
        self.inputs.sort_by_key(|m| m.t_ns);
        Timeline {
            header: self.header,
            surfaces,
            frames: self.frames,
            frames_by_surface,
            inputs: self.inputs,
            end_ns: self.end_ns,
            refresh_interval_ns: self.refresh_interval_ns,
        }
    }
}

/// A surface whose surface record is missing (a recording cut or filtered before it):
/// taken for a toplevel, sized later from what was drawn on it.
fn unknown_surface(id: SurfaceId, t_ns: Nanos) -> SurfaceInfo {
    SurfaceInfo {
        id,
        kind: SurfaceKind::TOPLEVEL,
        parent: None,
        type_name: String::new(),
        widget_type: None,
        created_ns: t_ns,
        destroyed_ns: None,
        scale_factor: 1,
        sizes: Vec::new(),
    }
}
