//! The GTK 4 declarations the -sys crates lack (GTK's private class layouts), and the
//! core's GObject and cairo helpers under the same name.

use std::ffi::c_void;

pub(crate) use gdkrecord_core::ffi::*;

/// `GskRendererClass.render`.
pub(crate) type RenderFn = unsafe extern "C" fn(
    renderer: *mut gsk4_sys::GskRenderer,
    root: *mut gsk4_sys::GskRenderNode,
    clip: *const CairoRegion,
);

/// `GdkDrawContextClass.end_frame`: `(context, painted)` up to GTK 4.18,
/// `(context, context_data, painted)` in 4.24. Declared with three pointer arguments so
/// that one wrapper forwards either form unchanged (a two-argument function ignores the
/// third register).
pub(crate) type EndFrameFn = unsafe extern "C" fn(
    context: *mut gdk4_sys::GdkDrawContext,
    second: *mut c_void,
    third: *mut c_void,
);

/// The function-pointer slot at byte `offset` of a class struct (offsets from
/// `damage::layouts`, checked against the class size first).
///
/// # Safety
/// `class` is a class struct at least `offset + 8` bytes long.
pub(crate) unsafe fn class_slot<F>(class: *mut c_void, offset: usize) -> *mut Option<F> {
    unsafe { class.cast::<u8>().add(offset).cast::<Option<F>>() }
}

/// GTK's run-time version, `[major, minor, micro]`.
pub(crate) fn gtk_version() -> [u32; 3] {
    // SAFETY: plain getters of constants, callable at any time.
    unsafe {
        [
            gtk4_sys::gtk_get_major_version(),
            gtk4_sys::gtk_get_minor_version(),
            gtk4_sys::gtk_get_micro_version(),
        ]
    }
}
