//! The few C declarations the -sys crates lack (cairo regions) and small helpers over
//! GObject's type system, for every front.

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
pub unsafe fn value_pointer(value: *const gobject_sys::GValue) -> *mut c_void {
    unsafe { (*value).data[0].v_pointer }
}

/// The `gint` held by `value` (see [`value_pointer`]).
///
/// # Safety
/// `value` is a valid GValue holding a `gint`.
#[inline(always)]
pub unsafe fn value_int(value: *const gobject_sys::GValue) -> c_int {
    unsafe { (*value).data[0].v_int }
}

/// `cairo_region_t`, opaque.
#[repr(C)]
#[derive(Debug)]
pub struct CairoRegion {
    _private: [u8; 0],
}

/// `cairo_rectangle_int_t`.
#[repr(C)]
#[derive(Debug, Default)]
pub struct CairoRectangleInt {
    pub x: c_int,
    pub y: c_int,
    pub width: c_int,
    pub height: c_int,
}

/// Whether `instance` (a GObject) is of type `gtype`.
///
/// # Safety
/// `instance` is null or a valid GTypeInstance.
pub unsafe fn is_a<T>(instance: *mut T, gtype: GType) -> bool {
    !instance.is_null()
        && unsafe {
            gobject_sys::g_type_check_instance_is_a(instance.cast::<GTypeInstance>(), gtype)
        } != 0
}

/// The GType name of an instance (`GdkX11Toplevel`).
///
/// # Safety
/// `instance` is null or a valid GTypeInstance.
pub unsafe fn type_name_of<T>(instance: *mut T) -> String {
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
pub unsafe fn type_of<T>(instance: *mut T) -> GType {
    unsafe { (*(*instance.cast::<GTypeInstance>()).g_class).g_type }
}

/// Bytes of an instance of the instance's type (`g_type_query`), 0 if unknown.
///
/// # Safety
/// `instance` is a valid GTypeInstance.
pub unsafe fn instance_size<T>(instance: *mut T) -> usize {
    let mut query: gobject_sys::GTypeQuery = unsafe { std::mem::zeroed() };
    unsafe { gobject_sys::g_type_query(type_of(instance), &mut query) };
    query.instance_size as usize
}

/// A C string as a Rust string (lossy); empty for null.
///
/// # Safety
/// `s` is null or a NUL-terminated string.
pub unsafe fn c_string(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }
}

/// Adds `hook` to `signal` of `gtype` (every instance, present and future); false, with a
/// warning, if the signal is missing.
///
/// # Safety
/// `gtype` is a registered type; `hook` fits the signal.
pub unsafe fn add_emission_hook(
    gtype: GType,
    signal: &CStr,
    hook: gobject_sys::GSignalEmissionHook,
    data: glib_sys::gpointer,
) -> bool {
    // The class must exist for its signals to be registered; keep it forever.
    unsafe { gobject_sys::g_type_class_ref(gtype) };
    let id = unsafe { gobject_sys::g_signal_lookup(signal.as_ptr(), gtype) };
    if id == 0 {
        eprintln!(
            "gdkrecord: signal {} not found; not recorded",
            signal.to_string_lossy()
        );
        return false;
    }
    unsafe { gobject_sys::g_signal_add_emission_hook(id, 0, hook, data, None) };
    true
}
