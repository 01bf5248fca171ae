//! The cairo calls pixels are read back and drawn with (the image buffer every band is
//! captured into is the core's, `gdkrecord_core::pixels::capture_band`, and so is the
//! copy of a source into it, `copy_band`).

use std::ffi::{c_double, c_int, c_void};

pub(super) type CairoSurface = c_void;
pub(super) type Cairo = c_void;
pub(super) const CAIRO_STATUS_SUCCESS: c_int = 0;

extern "C" {
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
    pub(super) fn cairo_set_source_surface(
        cr: *mut Cairo,
        surface: *mut CairoSurface,
        x: c_double,
        y: c_double,
    );
    pub(super) fn cairo_surface_get_device_scale(
        surface: *mut CairoSurface,
        x: *mut c_double,
        y: *mut c_double,
    );
}
