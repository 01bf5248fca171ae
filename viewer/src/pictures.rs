//! The app's own pixels at the playhead (recordings made with pixels on): the surface's
//! picture composed by `gdkrecord-replay` from the pixel patches of the decoded window,
//! popups placed over it. No GTK here.
//!
//! Moving forward applies only the records since the last position; moving back, or to
//! another window, starts again from the window's start, which [`span_start`] makes reach
//! the last whole picture of every surface shown (the recorder takes one at least every
//! 10 s of repaints).

use std::sync::Arc;

use gdkrecord_format::{Nanos, Record, SurfaceId, SurfaceKind};
use gdkrecord_replay::{Composition, Pictures};

use crate::index::{Located, RecordingIndex};

/// Deepest chain of popups over popups followed.
const MAX_POPUP_DEPTH: usize = 8;

/// Where a window must start for `surface`'s picture (and its open popups') at `t_ns` to
/// be whole: the earliest of their last whole pictures, or `None` without pixels.
pub fn span_start(index: &RecordingIndex, surface: SurfaceId, t_ns: Nanos) -> Option<Nanos> {
    if !index.has_pixels {
        return None;
    }
    index
        .surfaces
        .iter()
        .filter(|s| {
            s.id == surface
                || (s.kind == SurfaceKind::POPUP
                    && s.created_ns <= t_ns
                    && s.destroyed_ns.is_none_or(|d| d > t_ns)
                    && leads_to(index, s.id, surface))
        })
        .filter_map(|s| index.picture_start(s.id, t_ns))
        .min()
}

/// Whether `popup`'s chain of parents reaches `surface`.
fn leads_to(index: &RecordingIndex, popup: SurfaceId, surface: SurfaceId) -> bool {
    let mut at = popup;
    for _ in 0..MAX_POPUP_DEPTH {
        match index.surface(at).and_then(|s| s.parent) {
            Some(parent) if parent == surface => return true,
            Some(parent) => at = parent,
            None => return false,
        }
    }
    false
}

/// Pictures composed over a window of records, kept between positions.
#[derive(Debug, Default)]
pub struct PictureState {
    /// The window the state was built from (its span), and the next record to apply.
    window: Option<(Nanos, Nanos)>,
    next: usize,
    t_ns: Nanos,
    /// Pixel patches before this time are skipped: whole pictures came after them.
    start_ns: Nanos,
    pictures: Pictures,
    /// The last picture composed, and for which surface, while nothing changed.
    composed: Option<(SurfaceId, Arc<Composition>)>,
}

impl PictureState {
    /// `surface`'s picture at `t_ns` from `records`, its popups whole over it, (the window spanning `window`);
    /// `start_ns` is where its last whole pictures start ([`span_start`]): starting over,
    /// the patches before it are skipped (a small file's window is the whole file).
    pub fn at(
        &mut self,
        window: (Nanos, Nanos),
        records: &[Located],
        surface: SurfaceId,
        t_ns: Nanos,
        start_ns: Option<Nanos>,
    ) -> Option<Arc<Composition>> {
        if self.window != Some(window) || t_ns < self.t_ns {
            *self = PictureState {
                window: Some(window),
                start_ns: start_ns.unwrap_or(0),
                ..PictureState::default()
            };
        }
        self.t_ns = t_ns;
        let mut changed = false;
        while let Some(located) = records.get(self.next) {
            let record = &located.record;
            // Frame records carry their start but come at their end: they hold no
            // pixels and must not stop the walk.
            if record.t_ns() > t_ns && !matches!(record, Record::Frame(_)) {
                break;
            }
            self.next += 1;
            if matches!(record, Record::Pixels(p) if p.t_ns < self.start_ns) {
                continue;
            }
            changed |= self.pictures.push(record).is_some();
        }
        match &self.composed {
            Some((shown, picture)) if *shown == surface && !changed => Some(picture.clone()),
            _ => {
                let picture = Arc::new(self.pictures.compose_whole(surface)?);
                self.composed = Some((surface, picture.clone()));
                Some(picture)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::Pixels;

    fn located(record: Record) -> Located {
        Located { offset: 0, record }
    }

    fn patch(t_ns: u64, full: bool, rect: [i32; 4], value: u8) -> Located {
        let data = vec![value; (rect[2] * rect[3] * 4) as usize];
        located(Record::Pixels(Pixels::raw(
            t_ns,
            SurfaceId(1),
            t_ns as i64,
            1,
            full,
            rect,
            data,
        )))
    }

    #[test]
    fn the_picture_follows_the_playhead_both_ways() {
        let records = vec![
            patch(10, true, [0, 0, 4, 4], 1),
            patch(20, false, [1, 1, 1, 1], 2),
            patch(30, false, [1, 1, 1, 1], 3),
        ];
        let mut state = PictureState::default();
        let window = (0, 100);
        let at = |state: &mut PictureState, t| {
            state
                .at(window, &records, SurfaceId(1), t, None)
                .map(|p| p.picture.bgra_at(1, 1)[0])
        };
        assert_eq!(at(&mut state, 5), None, "before the first picture");
        assert_eq!(at(&mut state, 25), Some(2));
        assert_eq!(at(&mut state, 35), Some(3));
        assert_eq!(at(&mut state, 15), Some(1), "back in time");
        assert_eq!(at(&mut state, 30), Some(3));
    }
}
