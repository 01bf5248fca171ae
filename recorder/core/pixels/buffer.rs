//! The image buffer every band of pixels is captured into, whichever way the front gets
//! them (GTK 4: read back from the renderer's paint surface or drawn from the render node
//! again; GTK 3: read back from the window): a cairo image over a fresh buffer, whose
//! bytes are the format's.

use std::ffi::{c_double, c_int, c_void};

use gdkrecord_format::Rect;

/// A `cairo_t`.
pub type Cairo = c_void;
type CairoSurface = c_void;
const CAIRO_FORMAT_ARGB32: c_int = 0;
const CAIRO_STATUS_SUCCESS: c_int = 0;
const CAIRO_OPERATOR_SOURCE: c_int = 1;

#[link(name = "cairo")]
extern "C" {
    fn cairo_image_surface_create_for_data(
        data: *mut u8,
        format: c_int,
        width: c_int,
        height: c_int,
        stride: c_int,
    ) -> *mut CairoSurface;
    fn cairo_surface_status(surface: *mut CairoSurface) -> c_int;
    fn cairo_surface_flush(surface: *mut CairoSurface);
    fn cairo_surface_destroy(surface: *mut CairoSurface);
    fn cairo_create(target: *mut CairoSurface) -> *mut Cairo;
    fn cairo_status(cr: *mut Cairo) -> c_int;
    fn cairo_destroy(cr: *mut Cairo);
    fn cairo_scale(cr: *mut Cairo, sx: c_double, sy: c_double);
    fn cairo_translate(cr: *mut Cairo, tx: c_double, ty: c_double);
    fn cairo_set_operator(cr: *mut Cairo, op: c_int);
    fn cairo_paint(cr: *mut Cairo);
}

/// Captures `rect` (application pixels) at `scale` into a new zeroed buffer of
/// premultiplied B, G, R, A: `paint` gets a cairo context on it whose user space is the
/// surface's (scaled and translated so that `rect` fills the buffer). `None` when cairo
/// fails.
///
/// # Safety
/// `paint` only draws with the context it is given.
pub unsafe fn capture_band(
    rect: Rect,
    scale: u32,
    paint: impl FnOnce(*mut Cairo),
) -> Option<Vec<u8>> {
    let width = rect[2].checked_mul(scale as i32)?;
    let height = rect[3].checked_mul(scale as i32)?;
    let stride = width.checked_mul(4)?;
    // Zeroed: what is left unpainted (a window's shadow) stays transparent.
    let mut data = vec![0u8; stride as usize * height as usize];
    unsafe {
        let target = cairo_image_surface_create_for_data(
            data.as_mut_ptr(),
            CAIRO_FORMAT_ARGB32,
            width,
            height,
            stride,
        );
        if cairo_surface_status(target) != CAIRO_STATUS_SUCCESS {
            cairo_surface_destroy(target);
            return None;
        }
        let cr = cairo_create(target);
        cairo_scale(cr, f64::from(scale), f64::from(scale));
        cairo_translate(cr, -f64::from(rect[0]), -f64::from(rect[1]));
        paint(cr);
        let ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
        cairo_destroy(cr);
        cairo_surface_flush(target);
        cairo_surface_destroy(target);
        if !ok {
            return None;
        }
    }
    // The format's byte order is little-endian ARGB32's.
    #[cfg(target_endian = "big")]
    for pixel in data.chunks_exact_mut(4) {
        pixel.reverse();
    }
    Some(data)
}

/// [`capture_band`] of what was already painted: `set_source` makes it the context's source
/// (a surface whose device scale is `scale`, placed at the surface's origin), copied pixel
/// for pixel.
///
/// # Safety
/// `set_source` only sets the source of the context it is given.
pub unsafe fn copy_band(
    rect: Rect,
    scale: u32,
    set_source: impl FnOnce(*mut Cairo),
) -> Option<Vec<u8>> {
    unsafe {
        capture_band(rect, scale, |cr| {
            set_source(cr);
            cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
            cairo_paint(cr);
        })
    }
}
