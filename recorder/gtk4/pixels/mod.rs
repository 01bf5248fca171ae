//! Pixels of what was repainted (`GDKRECORD_PIXELS=1`, `gdkrecord-tool record --pixels`).
//! Before GSK renders a frame, the wrapped `render` (damage/mod.rs) has the rectangles to
//! capture planned from its clip ([`plan`], by the core's `gdkrecord_core::pixels::plan`,
//! shared with GTK 3): a surface's first frame, a frame after a resize and a frame after
//! frames without pixels cover the whole surface, so the pictures composed from the
//! patches are always whole. When the draw context presents
//! the frame, the wrapped `end_frame` first copies those rectangles out of what the
//! renderer drew (the cairo renderer's paint surface, `readback.rs`, [`read_back`]; the GL
//! renderer's back buffer when a CPU rasterizes, `gl.rs`); after `render` returns, what
//! could not be read back (GL frames of a GPU, the Vulkan renderer's, a rectangle the
//! frame did not repaint) is drawn again from the frame's render node
//! with GSK's public `gsk_render_node_draw()` (`draw.rs`, [`finish`]). The main thread
//! only fills fresh buffers and queues them (`queue::Entry::Pixels`); the writer thread
//! packs them with LZ4, writes them, and adds a whole picture of each surface every 10 s
//! of repaints from the patches it wrote (`gdkrecord_core::pixels`), so a reader starts
//! composing at most 10 s of repaints back.
//!
//! Off by default: then the render wrapper reads one flag and nothing else changes.
//! Bounded (the core's budget): at most `GDKRECORD_PIXELS_MB_PER_S` MiB of pixels
//! (decoded) a second, and at most 64 MiB waiting for the writer; a frame over either is
//! recorded without pixels, with a `pixels-skipped` record saying so. Popups get a
//! `popup-position` record (where they sit over their parent) before their pixels and
//! whenever they move.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use gdk4_sys::{GdkDrawContext, GdkSurface};
use gdkrecord_core::pixels::{self as core_pixels, Plan, Repaint};
use gdkrecord_format::Rect;
use gsk4_sys::{GskRenderNode, GskRenderer};

use crate::ffi::{is_a, CairoRegion};
use crate::tables::with_session;
use crate::{clock, region, self_time};

mod cairo;
mod draw;
mod gl;
mod readback;
use self::draw::draw;

pub(crate) use gdkrecord_core::pixels::enabled;

/// Whether frames are read back where the renderer allows (`GDKRECORD_PIXELS_READ_BACK=0`:
/// every band drawn from the render node, as GPU frames are: to compare the two ways).
static READ_BACK: AtomicBool = AtomicBool::new(true);

/// Reads the pixel settings (`GDKRECORD_PIXELS`, its budget, `GDKRECORD_PIXELS_READ_BACK`).
pub(crate) fn init_from_env() {
    core_pixels::init_from_env();
    let off = std::env::var_os("GDKRECORD_PIXELS_READ_BACK").is_some_and(|v| v == "0");
    READ_BACK.store(!off, Ordering::Relaxed);
}

/// The pixels of the frame being rendered, planned before GSK renders it: read back at its
/// `end_frame` where the renderer allows, drawn from its render node afterwards where not.
#[derive(Debug)]
struct Pending {
    /// The renderer's surface, whose draw context reads back.
    surface: usize,
    plan: Plan,
    /// Main-thread time spent on the plan so far.
    spent_ns: u64,
}

thread_local! {
    /// The plan of the frame being rendered (main thread).
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
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
        let repaint = unsafe {
            Repaint {
                surface: id,
                frame,
                t_ns: clock::since_start(started),
                width: gdk4_sys::gdk_surface_get_width(surface),
                height: gdk4_sys::gdk_surface_get_height(surface),
                scale: gdk4_sys::gdk_surface_get_scale_factor(surface),
            }
        };
        let plan = core_pixels::plan(
            &repaint,
            || unsafe { clip_rects(clip, repaint.width, repaint.height) },
            || unsafe { popup_position(surface) },
        );
        PENDING.with(|pending| {
            if let Ok(mut pending) = pending.try_borrow_mut() {
                *pending = plan.map(|plan| Pending {
                    surface: surface as usize,
                    plan,
                    spent_ns: clock::monotonic_ns().saturating_sub(started),
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
    if !READ_BACK.load(Ordering::Relaxed) {
        return;
    }
    crate::guard((), || {
        let started = clock::monotonic_ns();
        PENDING.with(|pending| {
            let Ok(mut pending) = pending.try_borrow_mut() else {
                return;
            };
            let Some(pending) = pending.as_mut() else {
                return;
            };
            let surface = unsafe { gdk4_sys::gdk_draw_context_get_surface(context) };
            if surface as usize != pending.surface {
                return;
            }
            let plan = &mut pending.plan;
            let done =
                unsafe { readback::read_bands(context, painted, plan.size, &mut plan.bands) };
            self_time::count_pixel_bands(done.read as u64, 0);
            // The wait for the renderer is the swap's, moved (`gl.rs`): timed on its own.
            self_time::time_renderer_wait(done.waited_ns);
            pending.spent_ns += clock::monotonic_ns()
                .saturating_sub(started)
                .saturating_sub(done.waited_ns);
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
        let Some(Pending {
            mut plan, spent_ns, ..
        }) = PENDING.with(|pending| pending.try_borrow_mut().ok()?.take())
        else {
            return;
        };
        let scale = plan.size.2;
        let mut drawn = 0;
        if !root.is_null() {
            for band in plan.bands.iter_mut().filter(|band| band.data.is_none()) {
                drawn += 1;
                band.data = unsafe { draw(root, band.rect, scale) };
                if band.data.is_none() {
                    break;
                }
            }
        }
        self_time::count_pixel_bands(0, drawn);
        let full = plan.full;
        core_pixels::finish(plan);
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

/// The rectangles of `clip` (null: everything GSK renders, the whole surface).
///
/// # Safety
/// `clip` is null or a valid region.
unsafe fn clip_rects(clip: *const CairoRegion, width: i32, height: i32) -> Vec<Rect> {
    if clip.is_null() {
        return vec![[0, 0, width, height]];
    }
    let mut rects = Vec::new();
    unsafe { region::for_each_rect(clip, |r| rects.push(r)) };
    rects
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
