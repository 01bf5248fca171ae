//! The few C declarations the -sys crates lack (cairo regions, GTK's private class
//! layouts) and small helpers over GObject's type system.

use std::ffi::{c_char, c_int, c_void, CStr};

use glib_sys::GType;
use gobject_sys::GTypeInstance;

/// The pointer held by `value`, an emission-hook parameter of an object or pointer type:
/// `data[0].v_pointer` is where GObject keeps both (public GValue layout), read without
/// the `g_value_get_*` type checks, which touch GType tables on every input event. The
/// hooks only read parameters whose type the signal's signature fixes.
///
/// # Safety
/// `value` is a valid GValue holding an object or a pointer.
#[inline(always)]
pub(crate) unsafe fn value_pointer(value: *const gobject_sys::GValue) -> *mut c_void {
    unsafe { (*value).data[0].v_pointer }
}

/// The `gint` held by `value` (see [`value_pointer`]).
///
/// # Safety
/// `value` is a valid GValue holding a `gint`.
#[inline(always)]
pub(crate) unsafe fn value_int(value: *const gobject_sys::GValue) -> c_int {
    unsafe { (*value).data[0].v_int }
}

/// `cairo_region_t`, opaque.
#[repr(C)]
pub(crate) struct CairoRegion {
    _private: [u8; 0],
}

/// `cairo_rectangle_int_t`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct CairoRectangleInt {
    pub x: c_int,
    pub y: c_int,
    pub width: c_int,
    pub height: c_int,
}

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

/// Whether `instance` (a GObject) is of type `gtype`.
///
/// # Safety
/// `instance` is null or a valid GTypeInstance.
pub(crate) unsafe fn is_a<T>(instance: *mut T, gtype: GType) -> bool {
    !instance.is_null()
        && unsafe {
            gobject_sys::g_type_check_instance_is_a(instance.cast::<GTypeInstance>(), gtype)
        } != 0
}

/// The GType name of an instance (`GdkX11Toplevel`).
///
/// # Safety
/// `instance` is null or a valid GTypeInstance.
pub(crate) unsafe fn type_name_of<T>(instance: *mut T) -> String {
    if instance.is_null() {
        return String::new();
    }
    unsafe {
        c_string(gobject_sys::g_type_name_from_instance(
            instance.cast::<GTypeInstance>(),
        ))
    }
}

/// The GType of an instance.
///
/// # Safety
/// `instance` is a valid GTypeInstance.
pub(crate) unsafe fn type_of<T>(instance: *mut T) -> GType {
    unsafe { (*(*instance.cast::<GTypeInstance>()).g_class).g_type }
}

/// Bytes of an instance of the instance's type (`g_type_query`), 0 if unknown.
///
/// # Safety
/// `instance` is a valid GTypeInstance.
pub(crate) unsafe fn instance_size<T>(instance: *mut T) -> usize {
    let mut query: gobject_sys::GTypeQuery = unsafe { std::mem::zeroed() };
    unsafe { gobject_sys::g_type_query(type_of(instance), &mut query) };
    query.instance_size as usize
}

/// A C string as a Rust string (lossy); empty for null.
///
/// # Safety
/// `s` is null or a NUL-terminated string.
pub(crate) unsafe fn c_string(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }
}
