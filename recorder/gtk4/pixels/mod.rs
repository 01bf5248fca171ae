//! Pixels of what was repainted (`GDKRECORD_PIXELS=1`, `gdkrecord-tool record --pixels`).
//! Before GSK renders a frame, the wrapped `render` (damage/mod.rs) has the rectangles to
//! capture planned from its clip ([`plan`]): a surface's first frame, a frame after a
//! resize and a frame after frames without pixels cover the whole surface, so the
//! pictures composed from the patches are always whole. When the draw context presents
//! the frame, the wrapped `end_frame` first copies those rectangles out of what the
//! cairo renderer drew (its paint surface: `readback.rs`, [`read_back`]); after `render`
//! returns, what could not be read back (the GL and Vulkan renderers' frames, a rectangle
//! the frame did not repaint) is drawn again from the frame's render node
//! with GSK's public `gsk_render_node_draw()` (`draw.rs`, [`finish`]). The main thread
//! only fills fresh buffers and queues them (`queue::Entry::Pixels`); the writer thread
//! packs them with LZ4, writes them, and adds a whole picture of each surface every 10 s
//! of repaints from the patches it wrote (`gdkrecord_core::pixels`), so a reader starts
//! composing at most 10 s of repaints back.
//!
//! Off by default: then the render wrapper reads one flag and nothing else changes.
//! Bounded: at most `GDKRECORD_PIXELS_MB_PER_S` MiB of pixels (decoded) a second, and
//! at most [`MAX_IN_FLIGHT`] bytes waiting for the writer; a frame over either is
//! recorded without pixels, with a `pixels-skipped` record saying so. Popups get a
//! `popup-position` record (where they sit over their parent) before their pixels and
//! whenever they move.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdk4_sys::{GdkDrawContext, GdkSurface};
use gdkrecord_format::{
    Pixels, PixelsSkipReason, PixelsSkipped, PopupPosition, Record, Rect, SurfaceId,
    MAX_PIXEL_BYTES, MAX_PIXEL_SCALE, PIXEL_BAND_BYTES,
};
use gsk4_sys::{GskRenderNode, GskRenderer};

use crate::ffi::{is_a, CairoRegion};
use crate::queue;
use crate::tables::with_session;
use crate::{clock, region, self_time};

mod cairo;
mod draw;
mod readback;
use self::draw::draw;
use self::readback::Band;

/// Whether pixels are recorded (`GDKRECORD_PIXELS`).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// Decoded pixel bytes a second the main thread may capture (`GDKRECORD_PIXELS_MB_PER_S`).
static BYTES_PER_SECOND: AtomicU64 = AtomicU64::new(DEFAULT_MB_PER_S << 20);

const DEFAULT_MB_PER_S: u64 = 32;
/// Most decoded bytes waiting for the writer thread.
const MAX_IN_FLIGHT: u64 = 64 << 20;
/// A clip of more rectangles than this is captured as its bounding box (each rectangle
/// costs a walk of the node tree).
const MAX_PATCH_RECTS: usize = 8;

/// Reads `GDKRECORD_PIXELS` and `GDKRECORD_PIXELS_MB_PER_S`.
pub(crate) fn init_from_env() {
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
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
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
        let in_flight = gdkrecord_core::pixels::in_flight();
        if !fits || (in_flight > 0 && in_flight.saturating_add(bytes) > MAX_IN_FLIGHT) {
            return false;
        }
        self.second_bytes = self.second_bytes.saturating_add(bytes);
        true
    }
}

/// The pixels of the frame being rendered, planned before GSK renders it: read back at its
/// `end_frame` where the renderer allows, drawn from its render node afterwards where not.
#[derive(Debug)]
struct Plan {
    surface: usize,
    id: SurfaceId,
    frame: i64,
    t_ns: u64,
    /// The surface's size and scale, which the picture has once the plan is carried out.
    size: (i32, i32, u32),
    /// A whole picture of the surface, rather than patches.
    full: bool,
    bands: Vec<Band>,
    /// Main-thread time spent on the plan so far.
    spent_ns: u64,
}

thread_local! {
    /// The plan of the frame being rendered (main thread).
    static PLAN: RefCell<Option<Plan>> = const { RefCell::new(None) };
}

/// Plans the pixels of the frame GSK is about to render with `renderer` within `clip`
/// (proven by the caller). Never panics into C.
///
/// # Safety
/// `renderer` is a realized GskRenderer and `clip` the region (or null) of the `render`
/// call about to run, proven like its Damage record.
pub(crate) unsafe fn plan(renderer: *mut GskRenderer, clip: *const CairoRegion) {
    crate::guard((), || {
        let started = clock::monotonic_ns();
        let surface = unsafe { gsk4_sys::gsk_renderer_get_surface(renderer) };
        if surface.is_null() {
            return;
        }
        let Some((id, frame)) = with_session(|session| {
            (
                unsafe { session.surface_id(surface) },
                session.current_frame,
            )
        }) else {
            return;
        };
        let frame = match frame {
            -1 => unsafe { frame_counter(surface) },
            frame => frame,
        };
        let t_ns = clock::since_start(started);
        let plan = STATE.with(|state| {
            let mut state = state.try_borrow_mut().ok()?;
            unsafe { plan_surface(&mut state, surface, id, frame, t_ns, clip) }
        });
        PLAN.with(|pending| {
            if let Ok(mut pending) = pending.try_borrow_mut() {
                *pending = plan.map(|plan| Plan {
                    spent_ns: clock::monotonic_ns().saturating_sub(started),
                    ..plan
                });
            }
        });
    });
}

/// Reads back what it can of the planned bands from `context`, presenting the frame with
/// the `painted` region (its `end_frame` is about to run). Never panics into C.
///
/// # Safety
/// `context` is a draw context in its frame, `painted` null or its proven painted region.
pub(crate) unsafe fn read_back(context: *mut GdkDrawContext, painted: *const CairoRegion) {
    crate::guard((), || {
        let started = clock::monotonic_ns();
        PLAN.with(|pending| {
            let Ok(mut pending) = pending.try_borrow_mut() else {
                return;
            };
            let Some(plan) = pending.as_mut() else { return };
            let surface = unsafe { gdk4_sys::gdk_draw_context_get_surface(context) };
            if surface as usize != plan.surface {
                return;
            }
            let read =
                unsafe { readback::read_bands(context, painted, plan.size.2, &mut plan.bands) };
            self_time::count_pixel_bands(read as u64, 0);
            plan.spent_ns += clock::monotonic_ns().saturating_sub(started);
        });
    });
}

/// Completes the pixels of the frame GSK just rendered from `root`: the bands not read
/// back are drawn from the node, and all are queued for the writer. Never panics into C.
///
/// # Safety
/// `root` is the render node of the `render` call that just returned (after [`plan`]).
pub(crate) unsafe fn finish(root: *mut GskRenderNode) {
    crate::guard((), || {
        let started = clock::monotonic_ns();
        let Some(plan) = PLAN.with(|pending| pending.try_borrow_mut().ok()?.take()) else {
            return;
        };
        let (spent_ns, full) = (plan.spent_ns, plan.full);
        STATE.with(|state| {
            if let Ok(mut state) = state.try_borrow_mut() {
                unsafe { carry_out(&mut state, plan, root) };
            }
        });
        let spent_ns = spent_ns + clock::monotonic_ns().saturating_sub(started);
        self_time::time_pixels(spent_ns, full);
    });
}

/// Frame counter of the surface's frame clock, or -1.
unsafe fn frame_counter(surface: *mut GdkSurface) -> i64 {
    let clock = unsafe { gdk4_sys::gdk_surface_get_frame_clock(surface) };
    if clock.is_null() {
        -1
    } else {
        unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) }
    }
}

fn skip(t_ns: u64, surface: SurfaceId, frame: i64, reason: PixelsSkipReason) {
    queue::send(
        Record::PixelsSkipped(PixelsSkipped {
            t_ns,
            surface,
            frame,
            reason,
        }),
        true,
    )
}

/// [`plan`] once the surface is known: which bands to capture, if any and if within the
/// budget (else the frame is recorded as skipped).
///
/// # Safety
/// As [`plan`]; `surface` is the renderer's surface.
unsafe fn plan_surface(
    state: &mut State,
    surface: *mut GdkSurface,
    id: SurfaceId,
    frame: i64,
    t_ns: u64,
    clip: *const CairoRegion,
) -> Option<Plan> {
    let (width, height, scale) = unsafe {
        (
            gdk4_sys::gdk_surface_get_width(surface),
            gdk4_sys::gdk_surface_get_height(surface),
            gdk4_sys::gdk_surface_get_scale_factor(surface),
        )
    };
    if width <= 0 || height <= 0 {
        return None;
    }
    let picture = state.pictures.entry(id).or_default();
    let full = !picture.whole || picture.size != (width, height, scale);
    let rects = if full {
        vec![[0, 0, width, height]]
    } else {
        unsafe { patch_rects(clip, width, height) }
    };
    if rects.is_empty() {
        return None;
    }
    if !(scale >= 1 && scale as u32 <= MAX_PIXEL_SCALE) {
        picture.whole = false;
        skip(t_ns, id, frame, PixelsSkipReason::FAILED);
        return None;
    }
    let scale = scale as u32;
    let bytes: u64 = rects
        .iter()
        .map(|r| r[2] as u64 * r[3] as u64 * u64::from(scale).pow(2) * 4)
        .sum();
    let popup_moved = unsafe { popup_position(surface) }
        .filter(|position| picture.popup_position != Some(*position));
    let admitted = state.admit(clock::now(), bytes);
    let picture = state.pictures.entry(id).or_default();
    if !admitted {
        picture.whole = false;
        skip(t_ns, id, frame, PixelsSkipReason::BUDGET);
        return None;
    }
    if let Some((x, y)) = popup_moved {
        picture.popup_position = Some((x, y));
        queue::send(
            Record::PopupPosition(PopupPosition {
                t_ns,
                surface: id,
                x,
                y,
            }),
            true,
        );
    }
    let bands = rects
        .into_iter()
        .flat_map(|rect| bands(rect, scale))
        .map(|rect| Band { rect, data: None })
        .collect();
    Some(Plan {
        surface: surface as usize,
        id,
        frame,
        t_ns,
        size: (width, height, scale),
        full,
        bands,
        spent_ns: 0,
    })
}

/// Draws the bands of `plan` not read back from `root`, and queues them all; a band
/// that cannot be drawn skips the frame.
///
/// # Safety
/// `root` is the render node of the frame `plan` was made for.
unsafe fn carry_out(state: &mut State, plan: Plan, root: *mut GskRenderNode) {
    let scale = plan.size.2;
    let picture = state.pictures.entry(plan.id).or_default();
    let mut drawn = 0;
    let mut patches = Vec::with_capacity(plan.bands.len());
    for band in plan.bands {
        let data = match band.data {
            Some(data) => Some(data),
            None if root.is_null() => None,
            None => {
                drawn += 1;
                unsafe { draw(root, band.rect, scale) }
            }
        };
        let Some(data) = data else {
            picture.whole = false;
            skip(plan.t_ns, plan.id, plan.frame, PixelsSkipReason::FAILED);
            return;
        };
        patches.push(Pixels::raw(
            plan.t_ns, plan.id, plan.frame, scale, plan.full, band.rect, data,
        ));
    }
    self_time::count_pixel_bands(0, drawn);
    picture.whole = true;
    picture.size = (plan.size.0, plan.size.1, scale as i32);
    for patch in patches {
        gdkrecord_core::pixels::send(patch);
    }
}

/// The rectangles to capture for a repaint within `clip` (null: everything), cut to the
/// surface: the clip's own when few, else their bounding box.
///
/// # Safety
/// `clip` is null or a valid region.
unsafe fn patch_rects(clip: *const CairoRegion, width: i32, height: i32) -> Vec<Rect> {
    if clip.is_null() {
        return vec![[0, 0, width, height]];
    }
    let mut rects = Vec::new();
    unsafe { region::for_each_rect(clip, |r| rects.push(r)) };
    let mut inside: Vec<Rect> = rects
        .iter()
        .filter_map(|r| intersect(*r, [0, 0, width, height]))
        .collect();
    if inside.len() > MAX_PATCH_RECTS {
        inside = vec![bounding_box(&inside)];
    }
    inside
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

/// Where a popup sits over its parent, or `None` for other surfaces.
///
/// # Safety
/// `surface` is a valid GdkSurface.
unsafe fn popup_position(surface: *mut GdkSurface) -> Option<(i32, i32)> {
    unsafe {
        if !is_a(surface, gdk4_sys::gdk_popup_get_type()) {
            return None;
        }
        let popup = surface.cast::<gdk4_sys::GdkPopup>();
        Some((
            gdk4_sys::gdk_popup_get_position_x(popup),
            gdk4_sys::gdk_popup_get_position_y(popup),
        ))
    }
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
}
