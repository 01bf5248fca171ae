//! Damage: how much of a surface each frame repainted, how often a frame repainted the
//! whole window, and which rectangles were repainted most.

use std::collections::HashMap;

use gdkrecord_format::{Damage, Record, Rect, SurfaceId};
use serde::Serialize;

use super::summary::Areas;
use super::surfaces::Surfaces;

/// Rectangles listed in the report.
const TOP_KEPT: usize = 10;
/// Distinct rectangles counted before the rarest are forgotten (bounded memory: a
/// recording of pointer-following damage has as many rectangles as frames).
const RECTS_TRACKED: usize = 100_000;

/// Collects the damage records.
#[derive(Debug, Default)]
pub struct DamageStats {
    areas: Vec<u64>,
    full_window: u64,
    painted_records: u64,
    rect_counts: HashMap<(SurfaceId, Rect), u64>,
    rects_forgotten: bool,
}

impl DamageStats {
    /// Takes in `damage` and `painted` records; `surfaces` knows the current sizes.
    pub fn observe(&mut self, record: &Record, surfaces: &Surfaces) {
        match record {
            Record::Damage(damage) => self.damage(damage, surfaces),
            Record::Painted(_) => self.painted_records += 1,
            _ => {}
        }
    }

    fn damage(&mut self, damage: &Damage, surfaces: &Surfaces) {
        self.areas.push(damage.area().max(0) as u64);
        if let Some((width, height)) = surfaces.size(damage.surface) {
            if covers(&damage.rects, width, height) {
                self.full_window += 1;
            }
        }
        for rect in &damage.rects {
            *self.rect_counts.entry((damage.surface, *rect)).or_insert(0) += 1;
        }
        if self.rect_counts.len() > RECTS_TRACKED {
            // Forget the rectangles seen once (space-saving: the frequent ones stay exact
            // from the moment they became frequent).
            self.rect_counts.retain(|_, count| *count > 1);
            self.rects_forgotten = true;
            if self.rect_counts.len() > RECTS_TRACKED / 2 {
                let mut counts: Vec<u64> = self.rect_counts.values().copied().collect();
                counts.sort_unstable();
                let threshold = counts[counts.len() / 2];
                self.rect_counts.retain(|_, count| *count > threshold);
            }
        }
    }

    /// The `damage` section of the report.
    pub fn report(mut self) -> DamageReport {
        let records = self.areas.len() as u64;
        let mut top: Vec<_> = self.rect_counts.into_iter().collect();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(TOP_KEPT);
        DamageReport {
            records,
            area: Areas::of(&mut self.areas),
            full_window: self.full_window,
            full_window_share: if records > 0 {
                (self.full_window as f64 / records as f64 * 10_000.0).round() / 10_000.0
            } else {
                0.0
            },
            top_rects: top
                .into_iter()
                .map(|((surface, rect), count)| RepaintedRect {
                    surface,
                    rect,
                    count,
                })
                .collect(),
            top_rects_approximate: self.rects_forgotten,
            painted_records: self.painted_records,
        }
    }
}

/// Whether `rects` (not overlapping, as recorded) cover a `width`×`height` surface.
fn covers(rects: &[Rect], width: i32, height: i32) -> bool {
    if width <= 0 || height <= 0 {
        return false;
    }
    let inside: i64 = rects
        .iter()
        .map(|&[x, y, w, h]| {
            let (x0, y0) = (x.max(0), y.max(0));
            let (x1, y1) = (
                x.saturating_add(w).min(width),
                y.saturating_add(h).min(height),
            );
            i64::from((x1 - x0).max(0)) * i64::from((y1 - y0).max(0))
        })
        .sum();
    inside >= i64::from(width) * i64::from(height)
}

/// JSON `damage`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DamageReport {
    /// Damage records (one per frame that repainted a surface).
    pub records: u64,
    /// Repainted area per damage record, square pixels.
    pub area: Option<Areas>,
    /// Damage records covering the whole surface at its size then.
    pub full_window: u64,
    pub full_window_share: f64,
    /// The rectangles repainted most often.
    pub top_rects: Vec<RepaintedRect>,
    /// True when the file had so many distinct rectangles that rare ones were forgotten.
    pub top_rects_approximate: bool,
    /// `painted` records (what the draw context presented), counted only.
    pub painted_records: u64,
}

/// A rectangle and how many frames repainted exactly it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepaintedRect {
    pub surface: SurfaceId,
    pub rect: Rect,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_window_means_covered_at_the_current_size() {
        assert!(covers(&[[0, 0, 100, 50]], 100, 50));
        assert!(covers(&[[0, 0, 100, 25], [0, 25, 100, 25]], 100, 50));
        assert!(covers(&[[-10, -10, 200, 200]], 100, 50));
        assert!(!covers(&[[0, 0, 100, 49]], 100, 50));
        assert!(!covers(&[], 100, 50));
    }

    #[test]
    fn rect_counts_stay_bounded() {
        let surfaces = Surfaces::default();
        let mut stats = DamageStats::default();
        let mut damage = Damage {
            t_ns: 0,
            surface: SurfaceId(1),
            frame: 0,
            renderer: gdkrecord_format::Renderer::GL,
            rects: vec![[0, 0, 1, 1]],
        };
        for i in 1..=(RECTS_TRACKED as i32 + 10) {
            damage.rects = vec![[0, 0, 1, 1], [i, 0, 1, 1]];
            stats.observe(&Record::Damage(damage.clone()), &surfaces);
        }
        assert!(stats.rect_counts.len() <= RECTS_TRACKED);
        let report = stats.report();
        assert_eq!(report.top_rects[0].rect, [0, 0, 1, 1]);
        assert_eq!(report.top_rects[0].count, RECTS_TRACKED as u64 + 10);
        assert!(report.top_rects_approximate);
    }
}
