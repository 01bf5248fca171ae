//! The cairo calls pixels are captured with, and the one image buffer every band is
//! captured into, read back or drawn again.

use std::ffi::{c_double, c_int, c_void};

use gdkrecord_format::Rect;

pub(super) type CairoSurface = c_void;
pub(super) type Cairo = c_void;
const CAIRO_FORMAT_ARGB32: c_int = 0;
pub(super) const CAIRO_STATUS_SUCCESS: c_int = 0;
pub(super) const CAIRO_OPERATOR_SOURCE: c_int = 1;

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
    pub(super) fn cairo_create(target: *mut CairoSurface) -> *mut Cairo;
    pub(super) fn cairo_status(cr: *mut Cairo) -> c_int;
    pub(super) fn cairo_destroy(cr: *mut Cairo);
    pub(super) fn cairo_save(cr: *mut Cairo);
    pub(super) fn cairo_restore(cr: *mut Cairo);
    pub(super) fn cairo_scale(cr: *mut Cairo, sx: c_double, sy: c_double);
    pub(super) fn cairo_translate(cr: *mut Cairo, tx: c_double, ty: c_double);
    pub(super) fn cairo_rectangle(
        cr: *mut Cairo,
        x: c_double,
        y: c_double,
        w: c_double,
        h: c_double,
    );
    pub(super) fn cairo_clip(cr: *mut Cairo);
    pub(super) fn cairo_get_target(cr: *mut Cairo) -> *mut CairoSurface;
    pub(super) fn cairo_set_operator(cr: *mut Cairo, op: c_int);
    pub(super) fn cairo_set_source_surface(
        cr: *mut Cairo,
        surface: *mut CairoSurface,
        x: c_double,
        y: c_double,
    );
    pub(super) fn cairo_paint(cr: *mut Cairo);
    pub(super) fn cairo_surface_get_device_scale(
        surface: *mut CairoSurface,
        x: *mut c_double,
        y: *mut c_double,
    );
}

/// Captures `rect` (application pixels) at `scale` into a new zeroed buffer of
/// premultiplied B, G, R, A: `paint` gets a cairo context on it whose user space is the
/// surface's (scaled and translated so that `rect` fills the buffer). `None` when cairo
/// fails.
///
/// # Safety
/// `paint` only draws with the context it is given.
pub(super) unsafe fn capture_band(
    rect: Rect,
    scale: u32,
    paint: impl FnOnce(*mut Cairo),
) -> Option<Vec<u8>> {
    let width = rect[2].checked_mul(scale as i32)?;
    let height = rect[3].checked_mul(scale as i32)?;
    let stride = width.checked_mul(4)?;
    // Zeroed: what the nodes leave uncovered (a window's shadow) stays transparent.
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
