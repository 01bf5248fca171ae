//! What the main thread decides about a repainted frame's pixels, whatever the toolkit:
//! whether the picture must be whole (a surface's first frame, after a resize or a scale
//! change, after a frame without pixels), which rectangles to take, whether the budget
//! admits them, the bands they are cut into, and the records that follow. The front only
//! says what was repainted and draws (GTK 4: the render node again) or reads back (GTK 3:
//! the window) one band at a time.
//!
//! Bounded: at most `GDKRECORD_PIXELS_MB_PER_S` MiB of pixels (decoded) a second, and at
//! most [`MAX_IN_FLIGHT`] bytes waiting for the writer; a frame over either is recorded
//! without pixels, with a `pixels-skipped` record saying so.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdkrecord_format::{
    Pixels, PixelsSkipReason, PixelsSkipped, PopupPosition, Record, Rect, SurfaceId,
    MAX_PIXEL_BYTES, MAX_PIXEL_SCALE, PIXEL_BAND_BYTES,
};

use crate::{clock, queue};

/// Whether pixels are recorded (`GDKRECORD_PIXELS`).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// Decoded pixel bytes a second the main thread may capture (`GDKRECORD_PIXELS_MB_PER_S`).
static BYTES_PER_SECOND: AtomicU64 = AtomicU64::new(DEFAULT_MB_PER_S << 20);

const DEFAULT_MB_PER_S: u64 = 32;
/// Most decoded bytes waiting for the writer thread.
const MAX_IN_FLIGHT: u64 = 64 << 20;
/// A repaint of more rectangles than this is captured as their bounding box (each
/// rectangle costs the front a walk of its drawing or a read-back).
const MAX_PATCH_RECTS: usize = 8;

/// Reads `GDKRECORD_PIXELS` and `GDKRECORD_PIXELS_MB_PER_S` (once, at load).
pub fn init_from_env() {
    let on = std::env::var_os("GDKRECORD_PIXELS").is_some_and(|v| !v.is_empty() && v != "0");
    ENABLED.store(on, Ordering::Relaxed);
    if let Some(mb) = std::env::var("GDKRECORD_PIXELS_MB_PER_S")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        BYTES_PER_SECOND.store(mb.saturating_mul(1 << 20), Ordering::Relaxed);
    }
}

/// Whether pixels are recorded.
#[inline(always)]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A surface's repainted frame, as the front sees it when its pixels can be taken.
#[derive(Debug, Clone, Copy)]
pub struct Repaint {
    pub surface: SurfaceId,
    pub frame: i64,
    pub t_ns: u64,
    /// The surface's size in application pixels and its scale factor now.
    pub width: i32,
    pub height: i32,
    pub scale: i32,
}

/// What the main thread remembers of a surface's picture.
#[derive(Debug, Default, Clone, Copy)]
struct Picture {
    /// Size and scale of the last whole picture; a change needs a new one.
    size: (i32, i32, i32),
    /// Whether the composed picture is whole (false at first and after a skipped frame).
    whole: bool,
    /// The popup position last recorded.
    popup_position: Option<(i32, i32)>,
}

/// The main thread's pixel state: pictures by surface id (never reused in a recording;
/// a few bytes for each surface seen), and the bytes captured in the current second.
#[derive(Debug, Default)]
struct State {
    pictures: HashMap<SurfaceId, Picture>,
    second_start_ns: u64,
    second_bytes: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

impl State {
    /// Whether `bytes` more may be captured at `now_ns`: within the second's budget and
    /// beside what the writer has yet to write. A frame larger than either passes when
    /// nothing else is counted (at the start of a second, with the writer done), so a
    /// huge window still gets a picture now and then.
    fn admit(&mut self, now_ns: u64, bytes: u64) -> bool {
        if now_ns.saturating_sub(self.second_start_ns) >= 1_000_000_000 {
            self.second_start_ns = now_ns;
            self.second_bytes = 0;
        }
        let budget = BYTES_PER_SECOND.load(Ordering::Relaxed);
        let fits = self.second_bytes == 0 || self.second_bytes.saturating_add(bytes) <= budget;
        let in_flight = super::in_flight();
        if !fits || (in_flight > 0 && in_flight.saturating_add(bytes) > MAX_IN_FLIGHT) {
            return false;
        }
        self.second_bytes = self.second_bytes.saturating_add(bytes);
        true
    }
}

/// One band of a frame's pixels to capture: its rectangle (application pixels) and, once
/// read back or drawn, its premultiplied B, G, R, A bytes at the surface's scale.
#[derive(Debug)]
pub struct Band {
    pub rect: Rect,
    pub data: Option<Vec<u8>>,
}

/// The pixels of a repaint to capture, once admitted: its bands, filled by the front
/// (read back or drawn), then handed to [`finish`].
#[derive(Debug)]
pub struct Plan {
    pub surface: SurfaceId,
    pub frame: i64,
    pub t_ns: u64,
    /// The surface's size and scale, which the picture has once the plan is carried out.
    pub size: (i32, i32, u32),
    /// A whole picture of the surface, rather than patches.
    pub full: bool,
    pub bands: Vec<Band>,
}

/// Plans the pixels of `repaint` (main thread): the whole surface when its picture must
/// be whole, else the rectangles `repainted()` gives (surface coordinates, cut to the
/// surface, boxed when many), cut into bands. `popup_position()` is where a popup sits
/// over its parent (`None` for other surfaces), asked only for admitted frames and
/// recorded (before the pixels) when it changed. `None`: nothing to capture, or the frame
/// is over the budget or cannot be captured (a `pixels-skipped` record says so).
pub fn plan(
    repaint: &Repaint,
    repainted: impl FnOnce() -> Vec<Rect>,
    popup_position: impl FnOnce() -> Option<(i32, i32)>,
) -> Option<Plan> {
    let decision = STATE.with(|state| {
        let mut state = state.try_borrow_mut().ok()?;
        Some(state.plan(repaint, clock::now(), repainted, popup_position))
    })?;
    match decision {
        Decision::Nothing => None,
        Decision::Skip(reason) => {
            skip(repaint.surface, repaint.frame, repaint.t_ns, reason);
            None
        }
        Decision::Capture(plan, popup_position) => {
            if let Some((x, y)) = popup_position {
                queue::send(
                    Record::PopupPosition(PopupPosition {
                        t_ns: plan.t_ns,
                        surface: plan.surface,
                        x,
                        y,
                    }),
                    true,
                );
            }
            Some(plan)
        }
    }
}

/// Sends the pixels of `plan` once every band is filled; a band left empty (it could not
/// be read back nor drawn) records the frame as skipped instead, and the next one whole.
pub fn finish(plan: Plan) {
    let complete = plan.bands.iter().all(|band| band.data.is_some());
    STATE.with(|state| {
        if let Ok(mut state) = state.try_borrow_mut() {
            state.carried_out(&plan, complete);
        }
    });
    if !complete {
        skip(
            plan.surface,
            plan.frame,
            plan.t_ns,
            PixelsSkipReason::FAILED,
        );
        return;
    }
    let scale = plan.size.2;
    for band in plan.bands {
        if let Some(data) = band.data {
            super::send(Pixels::raw(
                plan.t_ns,
                plan.surface,
                plan.frame,
                scale,
                plan.full,
                band.rect,
                data,
            ));
        }
    }
}

/// [`plan`], each band filled by `capture(band, scale)` (`None`: it failed), and
/// [`finish`]; whether the picture was whole.
pub fn capture(
    repaint: &Repaint,
    repainted: impl FnOnce() -> Vec<Rect>,
    popup_position: impl FnOnce() -> Option<(i32, i32)>,
    mut capture: impl FnMut(Rect, u32) -> Option<Vec<u8>>,
) -> bool {
    let Some(mut plan) = plan(repaint, repainted, popup_position) else {
        return false;
    };
    let scale = plan.size.2;
    for band in &mut plan.bands {
        band.data = capture(band.rect, scale);
        if band.data.is_none() {
            break;
        }
    }
    let full = plan.full;
    finish(plan);
    full
}

fn skip(surface: SurfaceId, frame: i64, t_ns: u64, reason: PixelsSkipReason) {
    queue::send(
        Record::PixelsSkipped(PixelsSkipped {
            t_ns,
            surface,
            frame,
            reason,
        }),
        true,
    );
}

/// What [`State::plan`] decided.
#[derive(Debug)]
enum Decision {
    /// Nothing to capture (an empty surface or repaint).
    Nothing,
    /// A `pixels-skipped` record.
    Skip(PixelsSkipReason),
    /// The plan, after a popup position when it is new.
    Capture(Plan, Option<(i32, i32)>),
}

impl State {
    /// What to capture of `repaint` at `now_ns` (see [`plan`]), remembering it.
    fn plan(
        &mut self,
        repaint: &Repaint,
        now_ns: u64,
        repainted: impl FnOnce() -> Vec<Rect>,
        popup_position: impl FnOnce() -> Option<(i32, i32)>,
    ) -> Decision {
        let &Repaint {
            surface,
            frame,
            t_ns,
            width,
            height,
            scale,
        } = repaint;
        if width <= 0 || height <= 0 {
            return Decision::Nothing;
        }
        let picture = self.pictures.entry(surface).or_default();
        let full = !picture.whole || picture.size != (width, height, scale);
        let rects = if full {
            vec![[0, 0, width, height]]
        } else {
            patch_rects(repainted(), width, height)
        };
        if rects.is_empty() {
            return Decision::Nothing;
        }
        if scale < 1 || scale as u32 > MAX_PIXEL_SCALE {
            picture.whole = false;
            return Decision::Skip(PixelsSkipReason::FAILED);
        }
        let scale = scale as u32;
        let bytes: u64 = rects
            .iter()
            .map(|r| r[2] as u64 * r[3] as u64 * u64::from(scale).pow(2) * 4)
            .sum();
        let admitted = self.admit(now_ns, bytes);
        let picture = self.pictures.entry(surface).or_default();
        if !admitted {
            picture.whole = false;
            return Decision::Skip(PixelsSkipReason::BUDGET);
        }
        let popup_position = popup_position().filter(|at| picture.popup_position != Some(*at));
        if popup_position.is_some() {
            picture.popup_position = popup_position;
        }
        let bands = rects
            .into_iter()
            .flat_map(|rect| bands(rect, scale))
            .map(|rect| Band { rect, data: None })
            .collect();
        Decision::Capture(
            Plan {
                surface,
                frame,
                t_ns,
                size: (width, height, scale),
                full,
                bands,
            },
            popup_position,
        )
    }

    /// Remembers how `plan` went: a `complete` picture is whole at its size; otherwise
    /// the next frame must picture the surface whole.
    fn carried_out(&mut self, plan: &Plan, complete: bool) {
        let picture = self.pictures.entry(plan.surface).or_default();
        picture.whole = complete;
        if complete {
            picture.size = (plan.size.0, plan.size.1, plan.size.2 as i32);
        }
    }
}

/// The rectangles to capture of a repaint of `rects`, cut to the surface: the repaint's
/// own when few, else their bounding box.
fn patch_rects(rects: Vec<Rect>, width: i32, height: i32) -> Vec<Rect> {
    let inside: Vec<Rect> = rects
        .into_iter()
        .filter_map(|r| intersect(r, [0, 0, width, height]))
        .collect();
    if inside.len() > MAX_PATCH_RECTS {
        vec![bounding_box(&inside)]
    } else {
        inside
    }
}

/// The intersection of two rectangles, if not empty.
fn intersect(a: Rect, b: Rect) -> Option<Rect> {
    let x0 = a[0].max(b[0]);
    let y0 = a[1].max(b[1]);
    let x1 = a[0].saturating_add(a[2]).min(b[0].saturating_add(b[2]));
    let y1 = a[1].saturating_add(a[3]).min(b[1].saturating_add(b[3]));
    (x1 > x0 && y1 > y0).then_some([x0, y0, x1 - x0, y1 - y0])
}

fn bounding_box(rects: &[Rect]) -> Rect {
    let x0 = rects.iter().map(|r| r[0]).min().unwrap_or(0);
    let y0 = rects.iter().map(|r| r[1]).min().unwrap_or(0);
    let x1 = rects.iter().map(|r| r[0] + r[2]).max().unwrap_or(0);
    let y1 = rects.iter().map(|r| r[1] + r[3]).max().unwrap_or(0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// `rect` cut into horizontal bands of at most [`PIXEL_BAND_BYTES`] at `scale` (one row
/// at least, when a row alone is within the format's cap).
fn bands(rect: Rect, scale: u32) -> Vec<Rect> {
    let row_bytes = rect[2] as u64 * u64::from(scale).pow(2) * 4;
    if row_bytes == 0 || row_bytes > MAX_PIXEL_BYTES {
        return Vec::new();
    }
    let rows = (PIXEL_BAND_BYTES / row_bytes).max(1) as i32;
    (0..rect[3])
        .step_by(rows as usize)
        .map(|y| [rect[0], rect[1] + y, rect[2], rows.min(rect[3] - y)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_the_rectangle_within_the_band_size() {
        let rect = [10, 20, 1400, 1000];
        for scale in [1, 2] {
            let bands = bands(rect, scale);
            assert_eq!(bands.first().unwrap()[1], 20);
            let rows: i32 = bands.iter().map(|b| b[3]).sum();
            assert_eq!(rows, 1000);
            for pair in bands.windows(2) {
                assert_eq!(pair[0][1] + pair[0][3], pair[1][1]);
            }
            for band in &bands {
                let bytes = band[2] as u64 * band[3] as u64 * u64::from(scale * scale) * 4;
                assert!(bytes <= PIXEL_BAND_BYTES, "{band:?} at {scale}: {bytes}");
            }
        }
        assert_eq!(bands([0, 0, 30, 20], 1), vec![[0, 0, 30, 20]]);
    }

    #[test]
    fn rectangles_are_cut_to_the_surface_and_boxed_when_many() {
        assert_eq!(
            intersect([-5, -5, 10, 10], [0, 0, 100, 100]),
            Some([0, 0, 5, 5])
        );
        assert_eq!(intersect([100, 0, 10, 10], [0, 0, 100, 100]), None);
        assert_eq!(
            bounding_box(&[[10, 10, 5, 5], [40, 2, 1, 30]]),
            [10, 2, 31, 30]
        );
        assert_eq!(
            patch_rects(vec![[-5, 0, 10, 10], [200, 0, 5, 5]], 100, 100),
            vec![[0, 0, 5, 10]]
        );
        let many: Vec<Rect> = (0..9).map(|i| [i * 10, i, 2, 2]).collect();
        assert_eq!(patch_rects(many, 100, 100), vec![[0, 0, 82, 10]]);
    }

    #[test]
    fn the_budget_admits_a_second_worth_then_waits_for_the_next_second() {
        let mut state = State::default();
        let budget = BYTES_PER_SECOND.load(Ordering::Relaxed);
        assert!(state.admit(1_000_000_000, budget / 2));
        assert!(state.admit(1_100_000_000, budget / 2));
        assert!(!state.admit(1_200_000_000, 1));
        assert!(
            state.admit(2_000_000_000, budget * 3),
            "a frame larger than the budget passes at the start of a second"
        );
        assert!(!state.admit(2_500_000_000, 1));
    }

    #[test]
    fn a_surface_is_whole_first_then_patched_and_whole_again_after_a_resize_or_a_failure() {
        let mut state = State::default();
        let mut repaint = Repaint {
            surface: SurfaceId(7),
            frame: 1,
            t_ns: 0,
            width: 40,
            height: 30,
            scale: 2,
        };
        // Plans one frame; `fail`: its bands could not be captured. The bands planned
        // and whether they were whole.
        let run = |state: &mut State, repaint: &Repaint, fail: bool| {
            let repainted = || vec![[5, 5, 10, 10], [0, 25, 100, 100]];
            match state.plan(repaint, 1_000_000_000, repainted, || Some((3, 4))) {
                Decision::Capture(plan, _) => {
                    state.carried_out(&plan, !fail);
                    let rects: Vec<Rect> = plan.bands.iter().map(|b| b.rect).collect();
                    (plan.full, rects)
                }
                other => panic!("{other:?}"),
            }
        };
        let patched = vec![[5, 5, 10, 10], [0, 25, 40, 5]];
        assert_eq!(
            run(&mut state, &repaint, false),
            (true, vec![[0, 0, 40, 30]])
        );
        assert_eq!(run(&mut state, &repaint, false), (false, patched.clone()));
        repaint.width = 50;
        assert_eq!(
            run(&mut state, &repaint, false),
            (true, vec![[0, 0, 50, 30]])
        );
        let wider = vec![[5, 5, 10, 10], [0, 25, 50, 5]];
        assert_eq!(run(&mut state, &repaint, true), (false, wider));
        assert_eq!(
            run(&mut state, &repaint, false),
            (true, vec![[0, 0, 50, 30]])
        );
        // The popup position comes once, until it changes.
        let popup = |state: &mut State, repaint: &Repaint, at: (i32, i32)| match state.plan(
            repaint,
            0,
            Vec::new,
            || Some(at),
        ) {
            Decision::Capture(_, position) => position,
            other => panic!("{other:?}"),
        };
        repaint.surface = SurfaceId(8);
        assert_eq!(popup(&mut state, &repaint, (3, 4)), Some((3, 4)));
        assert_eq!(popup(&mut state, &repaint, (3, 4)), None);
        assert_eq!(popup(&mut state, &repaint, (5, 4)), Some((5, 4)));
    }
}
