//! Pixels of what was repainted (`GDKRECORD_PIXELS=1`, `gdkrecord-tool record --pixels`):
//! after GSK rendered a frame, the wrapped `render` (damage/mod.rs) hands its root node
//! and clip here, and the nodes meeting each of the clip's rectangles are drawn again with
//! GSK's public `gsk_render_node_draw()` into a cairo image of the rectangle at the
//! surface's scale (`draw.rs`). What to capture (a surface's first frame, a frame after
//! a resize and a frame after frames without pixels cover the whole surface, so the
//! pictures composed from the patches are always whole), the budget, the bands and the
//! records are the core's (`gdkrecord_core::pixels::capture`, shared with GTK 3). The
//! main thread only draws into a fresh buffer and queues it (`queue::Entry::Pixels`); the
//! writer thread packs it with LZ4, writes it, and adds a whole picture of each surface
//! every 10 s of repaints from the patches it wrote (`gdkrecord_core::pixels`), so a
//! reader starts composing at most 10 s of repaints back.
//!
//! Off by default: then the render wrapper reads one flag and nothing else changes.
//! Popups get a `popup-position` record (where they sit over their parent) before their
//! pixels and whenever they move.

use gdk4_sys::GdkSurface;
use gdkrecord_core::pixels::{self as core_pixels, Repaint};
use gdkrecord_format::Rect;
use gsk4_sys::{GskRenderNode, GskRenderer};

use crate::ffi::{is_a, CairoRegion};
use crate::tables::with_session;
use crate::{clock, region, self_time};

mod draw;
use self::draw::draw;

pub(crate) use gdkrecord_core::pixels::{enabled, init_from_env};

/// Records the pixels of the frame GSK just rendered with `renderer` from `root`
/// within `clip` (both proven by the caller). Never panics into C.
///
/// # Safety
/// `renderer` is a realized GskRenderer, `root` the render node and `clip` the region (or
/// null) of the `render` call that just returned, proven like its Damage record.
pub(crate) unsafe fn capture(
    renderer: *mut GskRenderer,
    root: *mut GskRenderNode,
    clip: *const CairoRegion,
) {
    crate::guard((), || {
        let started = clock::monotonic_ns();
        let surface = unsafe { gsk4_sys::gsk_renderer_get_surface(renderer) };
        if surface.is_null() || root.is_null() {
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
        let whole = core_pixels::capture(
            &repaint,
            || unsafe { clip_rects(clip, repaint.width, repaint.height) },
            || unsafe { popup_position(surface) },
            |band, scale| unsafe { draw(root, band, scale) },
        );
        self_time::time_pixels(started, whole);
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

/// The rectangles of `clip` (null: everything GSK rendered, the whole surface).
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
