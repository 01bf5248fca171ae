//! What the report knows about each surface: where it came from, its size history, its
//! toplevel (popups share their parent's frame clock), and the frames it ran.

use std::collections::BTreeMap;

use gdkrecord_format::{Nanos, Record, SurfaceId, SurfaceKind};
use serde::Serialize;

use super::summary::ms;

/// Sizes kept per surface for the report; a resize drag can make thousands.
const SIZES_KEPT: usize = 1_000;

/// Every surface seen, by number.
#[derive(Debug, Default)]
pub struct Surfaces {
    by_id: BTreeMap<SurfaceId, SurfaceState>,
}

#[derive(Debug)]
struct SurfaceState {
    known: Option<Known>,
    destroyed_ns: Option<Nanos>,
    sizes: Vec<SizeAt>,
    size_changes: u64,
    width: i32,
    height: i32,
    frames: u64,
    first_frame_ns: Nanos,
    last_frame_end_ns: Nanos,
}

#[derive(Debug)]
struct Known {
    created_ns: Nanos,
    kind: SurfaceKind,
    parent: Option<SurfaceId>,
    type_name: String,
    widget_type: Option<String>,
    scale_factor: i32,
}

/// A surface took this size at this time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SizeAt {
    pub t_ms: f64,
    pub width: i32,
    pub height: i32,
}

impl Surfaces {
    /// Takes in what `record` says about surfaces.
    pub fn observe(&mut self, record: &Record) {
        match record {
            Record::Surface(s) => {
                let state = self.state(s.surface);
                state.known = Some(Known {
                    created_ns: s.t_ns,
                    kind: s.surface_kind,
                    parent: s.parent,
                    type_name: s.type_name.clone(),
                    widget_type: s.widget_type.clone(),
                    scale_factor: s.scale_factor,
                });
                state.resize(s.t_ns, s.width, s.height);
            }
            Record::Size(s) => self.state(s.surface).resize(s.t_ns, s.width, s.height),
            Record::SurfaceDestroyed(s) => self.state(s.surface).destroyed_ns = Some(s.t_ns),
            Record::Frame(f) => {
                let state = self.state(f.surface);
                if state.frames == 0 {
                    state.first_frame_ns = f.t_ns;
                }
                state.frames += 1;
                state.last_frame_end_ns = state.last_frame_end_ns.max(f.end_ns);
            }
            _ => {}
        }
    }

    fn state(&mut self, id: SurfaceId) -> &mut SurfaceState {
        self.by_id.entry(id).or_insert_with(|| SurfaceState {
            known: None,
            destroyed_ns: None,
            sizes: Vec::new(),
            size_changes: 0,
            width: 0,
            height: 0,
            frames: 0,
            first_frame_ns: 0,
            last_frame_end_ns: 0,
        })
    }

    /// The toplevel whose frame clock `id` uses: itself, or the root of its parent chain.
    pub fn toplevel(&self, id: SurfaceId) -> SurfaceId {
        let mut current = id;
        // Bounded: a corrupt file could make a cycle.
        for _ in 0..16 {
            match self
                .by_id
                .get(&current)
                .and_then(|s| s.known.as_ref())
                .and_then(|k| k.parent)
            {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }

    /// The surface's current size, when known.
    pub fn size(&self, id: SurfaceId) -> Option<(i32, i32)> {
        self.by_id
            .get(&id)
            .filter(|s| !s.sizes.is_empty())
            .map(|s| (s.width, s.height))
    }

    /// The report's list of surfaces.
    pub fn report(&self) -> Vec<SurfaceReport> {
        self.by_id
            .iter()
            .map(|(id, s)| {
                let known = s.known.as_ref();
                let span = s.last_frame_end_ns.saturating_sub(s.first_frame_ns);
                SurfaceReport {
                    surface: *id,
                    surface_kind: known.map(|k| k.kind.to_string()),
                    parent: known.and_then(|k| k.parent),
                    type_name: known.map(|k| k.type_name.clone()),
                    widget_type: known.and_then(|k| k.widget_type.clone()),
                    scale_factor: known.map(|k| k.scale_factor),
                    created_ms: known.map(|k| ms(k.created_ns)),
                    destroyed_ms: s.destroyed_ns.map(ms),
                    size_changes: s.size_changes,
                    sizes: s.sizes.clone(),
                    sizes_truncated: s.size_changes as usize > s.sizes.len(),
                    final_size: (!s.sizes.is_empty()).then_some([s.width, s.height]),
                    frames: s.frames,
                    fps: fps(s.frames, span),
                }
            })
            .collect()
    }
}

impl SurfaceState {
    fn resize(&mut self, t_ns: Nanos, width: i32, height: i32) {
        if !self.sizes.is_empty() && (width, height) == (self.width, self.height) {
            return;
        }
        self.size_changes += 1;
        self.width = width;
        self.height = height;
        if self.sizes.len() < SIZES_KEPT {
            self.sizes.push(SizeAt {
                t_ms: ms(t_ns),
                width,
                height,
            });
        }
    }
}

/// Frames per second of `frames` frames over `span_ns` (first start to last end).
pub fn fps(frames: u64, span_ns: u64) -> Option<f64> {
    (frames >= 2 && span_ns > 0)
        .then(|| ((frames - 1) as f64 * 1e9 / span_ns as f64 * 100.0).round() / 100.0)
}

/// One surface in the report (JSON `surfaces[]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SurfaceReport {
    pub surface: SurfaceId,
    /// `toplevel`, `popup`, ...; null when its `surface` record was not seen (filtered out).
    pub surface_kind: Option<String>,
    pub parent: Option<SurfaceId>,
    pub type_name: Option<String>,
    pub widget_type: Option<String>,
    pub scale_factor: Option<i32>,
    pub created_ms: Option<f64>,
    pub destroyed_ms: Option<f64>,
    /// How many sizes it had (its first size included).
    pub size_changes: u64,
    /// The first 1000 of them.
    pub sizes: Vec<SizeAt>,
    pub sizes_truncated: bool,
    pub final_size: Option<[i32; 2]>,
    /// Frame-clock cycles of this surface (toplevels only: popups share their parent's clock).
    pub frames: u64,
    pub fps: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Size, Surface};

    fn surface(id: u32, parent: Option<u32>) -> Record {
        Record::Surface(Surface {
            t_ns: 0,
            surface: SurfaceId(id),
            surface_kind: if parent.is_some() {
                SurfaceKind::POPUP
            } else {
                SurfaceKind::TOPLEVEL
            },
            parent: parent.map(SurfaceId),
            type_name: "T".into(),
            widget_type: None,
            width: 10,
            height: 20,
            scale_factor: 1,
        })
    }

    #[test]
    fn popups_belong_to_their_toplevel_and_sizes_are_tracked() {
        let mut surfaces = Surfaces::default();
        for record in [surface(1, None), surface(2, Some(1)), surface(3, Some(2))] {
            surfaces.observe(&record);
        }
        surfaces.observe(&Record::Size(Size {
            t_ns: 5_000_000,
            surface: SurfaceId(1),
            width: 30,
            height: 40,
        }));
        surfaces.observe(&Record::Size(Size {
            t_ns: 6_000_000,
            surface: SurfaceId(1),
            width: 30,
            height: 40,
        }));
        assert_eq!(surfaces.toplevel(SurfaceId(3)), SurfaceId(1));
        assert_eq!(surfaces.toplevel(SurfaceId(9)), SurfaceId(9));
        assert_eq!(surfaces.size(SurfaceId(1)), Some((30, 40)));
        let report = surfaces.report();
        assert_eq!(report[0].size_changes, 2);
        assert_eq!(
            report[0].sizes[1],
            SizeAt {
                t_ms: 5.0,
                width: 30,
                height: 40
            }
        );
        assert_eq!(report[1].surface_kind.as_deref(), Some("popup"));
    }

    #[test]
    fn fps_needs_two_frames() {
        assert_eq!(fps(1, 100), None);
        assert_eq!(fps(61, 1_000_000_000), Some(60.0));
    }
}
