//! Reading back what the cairo renderer drew, at the end of its frame: before the cairo
//! context's `end_frame` presents it (the wrapper in `damage/mod.rs` calls in here first),
//! the frame is in the context's paint surface (on X11 a server-side pixmap cairo shares
//! with the X server through MIT-SHM; on Wayland a shared-memory buffer). Copying a
//! rectangle out costs a fraction of drawing it again (a whole 1400×1000 window: 1.1–1.4
//! ms under Xvfb, against 15–19 ms to draw its render node with cairo), and it is exactly
//! what was presented. Only public API: `gdk_cairo_context_cairo_create()` and cairo.
//!
//! The GL renderer's frame is read back from its back buffer where the GL driver
//! rasterizes on the CPU (`gl.rs`); with a GPU its bands are drawn from the render node.
//!
//! A band is read only where this frame repainted it (inside the painted region passed
//! to `end_frame`): elsewhere a paint surface holds what it held before. Any doubt (a
//! device scale that is not the surface's, a cairo error) leaves the band to be drawn
//! from the render node.

use std::ffi::c_int;

use gdk4_sys::GdkDrawContext;
use gdkrecord_core::pixels::{copy_band, Band};
use gdkrecord_format::Rect;

use super::cairo::{
    cairo_destroy, cairo_get_target, cairo_set_source_surface, cairo_status,
    cairo_surface_get_device_scale, Cairo, CairoSurface, CAIRO_STATUS_SUCCESS,
};
use super::gl::{self, BandsRead};
use crate::ffi::{is_a, CairoRectangleInt, CairoRegion};

const CAIRO_REGION_OVERLAP_IN: c_int = 0;

extern "C" {
    fn cairo_region_contains_rectangle(
        region: *const CairoRegion,
        rect: *const CairoRectangleInt,
    ) -> c_int;
}

/// Reads what it can of `bands` from `context`, the draw context presenting the frame of
/// a surface of `size` (width, height, scale); `painted` is the region `end_frame`
/// presents. Returns how many bands it read, and how long it waited for the renderer.
///
/// # Safety
/// Called from the `end_frame` wrapper, before the original: `context` is the draw
/// context in its frame, `painted` null or the proven painted region.
pub(super) unsafe fn read_bands(
    context: *mut GdkDrawContext,
    painted: *const CairoRegion,
    size: (i32, i32, u32),
    bands: &mut [Band],
) -> BandsRead {
    let mut wanted: Vec<&mut Band> = bands
        .iter_mut()
        .filter(|band| band.data.is_none() && unsafe { repainted(painted, band.rect) })
        .collect();
    // Out of its frame a context has nothing to read (and GDK would warn).
    if wanted.is_empty() || unsafe { gdk4_sys::gdk_draw_context_is_in_frame(context) } == 0 {
        return BandsRead::default();
    }
    let (_, height, scale) = size;
    unsafe {
        if is_a(context, gdk4_sys::gdk_cairo_context_get_type()) {
            BandsRead {
                read: read_cairo(context, scale, &mut wanted),
                waited_ns: 0,
            }
        } else if is_a(context, gdk4_sys::gdk_gl_context_get_type()) {
            gl::read_back_buffer(context, height, scale, &mut wanted)
        } else {
            BandsRead::default()
        }
    }
}

/// Whether `rect` lies inside the frame's painted region (null: all of it).
unsafe fn repainted(painted: *const CairoRegion, rect: Rect) -> bool {
    painted.is_null() || {
        let rect = CairoRectangleInt {
            x: rect[0],
            y: rect[1],
            width: rect[2],
            height: rect[3],
        };
        unsafe { cairo_region_contains_rectangle(painted, &rect) == CAIRO_REGION_OVERLAP_IN }
    }
}

/// Copies the bands out of the cairo context's paint surface (in its frame, the surface
/// GSK's cairo renderer just drew on).
unsafe fn read_cairo(context: *mut GdkDrawContext, scale: u32, bands: &mut [&mut Band]) -> usize {
    let cr = unsafe { gdk4_sys::gdk_cairo_context_cairo_create(context.cast()) }.cast::<Cairo>();
    if cr.is_null() {
        return 0;
    }
    let mut read = 0;
    unsafe {
        let target = cairo_get_target(cr);
        let (mut sx, mut sy) = (0.0, 0.0);
        cairo_surface_get_device_scale(target, &mut sx, &mut sy);
        if cairo_status(cr) == CAIRO_STATUS_SUCCESS && sx == f64::from(scale) && sy == sx {
            for band in bands.iter_mut() {
                match copy_from_surface(target, band.rect, scale) {
                    Some(data) => {
                        band.data = Some(data);
                        read += 1;
                    }
                    None => break,
                }
            }
        }
        cairo_destroy(cr);
    }
    read
}

/// `rect` of `source` (device scale `scale`), copied pixel for pixel.
unsafe fn copy_from_surface(source: *mut CairoSurface, rect: Rect, scale: u32) -> Option<Vec<u8>> {
    unsafe {
        copy_band(rect, scale, |cr| {
            cairo_set_source_surface(cr, source, 0.0, 0.0)
        })
    }
}
