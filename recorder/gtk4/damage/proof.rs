//! Proving a chosen class layout on the running process, before any region it yields
//! is trusted.
//!
//! Two steps. Before a class is patched, the slot the layout names and its neighbours
//! must hold GTK's own code (or nothing): with a wrong offset they would hold a
//! `gboolean`, a pointer to data, or another library's code. Then, for the first
//! [`crate::layout_check::CHECKS_BEFORE_TRUST`] calls, the arguments must be what the
//! layout says: `render` gets a render node and a cairo region inside its surface;
//! `end_frame` gets the draw context's frame region (the very pointer
//! `gdk_draw_context_get_frame_region()` returns, where it still answers) or a cairo
//! region inside the surface. Memory is only looked at through [`read`], which cannot
//! fault, until the pointer is known to be a region or a node; cairo is asked only then.

use std::ffi::c_void;
use std::sync::OnceLock;

use glib_sys::GType;

use crate::ffi::{CairoRectangleInt, CairoRegion};

extern "C" {
    fn cairo_region_get_extents(region: *const CairoRegion, extents: *mut CairoRectangleInt);
    fn cairo_region_status(region: *const CairoRegion) -> std::ffi::c_int;
}

/// A `T` copied from `address` in this process, or `None` where nothing readable is:
/// `process_vm_readv` on ourselves reports a bad address instead of faulting.
pub(crate) fn read<T: Copy>(address: usize) -> Option<T> {
    if address == 0 {
        return None;
    }
    let mut value = std::mem::MaybeUninit::<T>::uninit();
    let local = libc::iovec {
        iov_base: value.as_mut_ptr().cast(),
        iov_len: size_of::<T>(),
    };
    let remote = libc::iovec {
        iov_base: address as *mut c_void,
        iov_len: size_of::<T>(),
    };
    // SAFETY: both iovecs describe `size_of::<T>()` bytes; the kernel checks `remote`.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    // SAFETY: all bytes were written; `T: Copy` is plain data for our callers.
    (n == size_of::<T>() as isize).then(|| unsafe { value.assume_init() })
}

/// The load address of the library that holds `address` (`dladdr`), 0 if none.
fn module_base(address: usize) -> usize {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only compares the address with the loaded modules' ranges.
    if unsafe { libc::dladdr(address as *const c_void, &mut info) } == 0 {
        0
    } else {
        info.dli_fbase as usize
    }
}

/// Where libgtk-4 is loaded: the library the dynamic linker resolves
/// `gtk_get_major_version` to (asked by name, so it is never a stub of ours).
fn gtk_base() -> usize {
    static BASE: OnceLock<usize> = OnceLock::new();
    *BASE.get_or_init(|| {
        let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"gtk_get_major_version".as_ptr()) };
        module_base(symbol as usize)
    })
}

/// Whether the pointer-sized slot at `offset` in `class` is empty or GTK's code.
fn slot_holds_gtk_code_or_nothing(class: usize, offset: usize) -> Result<(), String> {
    let Some(function) = read::<usize>(class + offset) else {
        return Err(format!("its class cannot be read at offset {offset}"));
    };
    if function == 0 {
        return Ok(());
    }
    let base = gtk_base();
    if base != 0 && module_base(function) == base {
        Ok(())
    } else {
        Err(format!(
            "offset {offset} of its class holds {function:#x}, which is not GTK's code"
        ))
    }
}

/// The class about to be patched at `offset` (with `neighbours`, the layout's other
/// vfuncs) holds GTK's code there, and something at `offset` itself.
pub(crate) fn check_class(class: usize, offset: usize, neighbours: &[usize]) -> Result<(), String> {
    for at in neighbours.iter().chain([&offset]) {
        slot_holds_gtk_code_or_nothing(class, *at)?;
    }
    match read::<usize>(class + offset) {
        Some(0) | None => Err(format!("offset {offset} of its class is empty")),
        Some(_) => Ok(()),
    }
}

/// Every render node type (GskRenderNode and all its descendants), registered by now.
fn render_node_types() -> &'static [GType] {
    static TYPES: OnceLock<Vec<GType>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut types = vec![unsafe { gsk4_sys::gsk_render_node_get_type() }];
        let mut i = 0;
        while let Some(&parent) = types.get(i) {
            let mut n = 0;
            let children = unsafe { gobject_sys::g_type_children(parent, &mut n) };
            if !children.is_null() {
                for k in 0..n as usize {
                    types.push(unsafe { *children.add(k) });
                }
                unsafe { glib_sys::g_free(children.cast()) };
            }
            i += 1;
        }
        types
    })
}

/// Whether `node` is a render node: its class pointer and the class's GType are read
/// without faulting, and the type is one of GSK's node types.
pub(crate) fn is_render_node(node: usize) -> bool {
    let Some(class) = read::<usize>(node) else {
        return false;
    };
    read::<GType>(class).is_some_and(|gtype| render_node_types().contains(&gtype))
}

/// cairo's `struct _cairo_region` up to pixman's data pointer (see `region.rs`).
#[derive(Clone, Copy)]
#[repr(C)]
struct RegionHead {
    ref_count: i32,
    status: i32,
    x1: i32,
    y1: i32,
    x2: i32,
    y2: i32,
    data: usize,
}

/// What a region argument turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RegionProof {
    /// A live region with non-empty extents inside the bounds, as cairo agrees.
    Inside,
    /// A live, empty region: consistent, but it proves little.
    Empty,
    /// A live region cairo agrees with, reaching past the surface's current size: a
    /// frame drawn at the size the surface had before a resize still in flight. It
    /// proves nothing either way.
    PastTheSurface,
}

/// Whether `region` is a live cairo region whose extents lie inside `(0, 0, width,
/// height)` (the surface in device pixels, the largest either vfunc may use). Extents
/// from the origin past that size, on a region cairo agrees with, are a frame of the
/// size before a resize ([`RegionProof::PastTheSurface`]), not a sign of a wrong layout.
pub(crate) fn check_region(region: usize, width: i32, height: i32) -> Result<RegionProof, String> {
    let Some(head) = read::<RegionHead>(region) else {
        return Err(format!("the region argument {region:#x} cannot be read"));
    };
    if head.ref_count <= 0 || head.status != 0 {
        return Err(format!(
            "the region argument is no live cairo region (reference count {}, status {})",
            head.ref_count, head.status
        ));
    }
    if head.x1 > head.x2 || head.y1 > head.y2 {
        return Err("the region argument has inverted extents".to_owned());
    }
    if head.x1 == head.x2 || head.y1 == head.y2 {
        return Ok(RegionProof::Empty);
    }
    if head.x1 < 0 || head.y1 < 0 {
        return Err(format!(
            "the region's extents {},{} to {},{} start outside the surface",
            head.x1, head.y1, head.x2, head.y2
        ));
    }
    if head.data != 0 {
        // pixman's `{ long size; long numRects; }` before the boxes.
        let Some([size, rects]) = read::<[i64; 2]>(head.data) else {
            return Err("the region's rectangles cannot be read".to_owned());
        };
        if !(1..=size).contains(&rects) || size > 1 << 24 {
            return Err(format!("the region claims {rects} of {size} rectangles"));
        }
    }
    // Readable and consistent: cairo may be asked now, and must agree.
    let region = region as *const CairoRegion;
    let mut extents = CairoRectangleInt::default();
    let status = unsafe { cairo_region_status(region) };
    unsafe { cairo_region_get_extents(region, &mut extents) };
    let ours = [head.x1, head.y1, head.x2 - head.x1, head.y2 - head.y1];
    let cairos = [extents.x, extents.y, extents.width, extents.height];
    if status != 0 || ours != cairos {
        return Err(format!(
            "cairo disagrees about the region (extents {cairos:?}, read {ours:?})"
        ));
    }
    if head.x2 > width || head.y2 > height {
        return Ok(RegionProof::PastTheSurface);
    }
    Ok(RegionProof::Inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_copies_readable_memory_and_refuses_the_rest() {
        let value: u64 = 0x1234_5678_9abc_def0;
        assert_eq!(read::<u64>(&value as *const u64 as usize), Some(value));
        assert_eq!(read::<u64>(0), None);
        assert_eq!(read::<u64>(8), None);
        assert_eq!(read::<u64>(usize::MAX - 4), None);
    }

    #[test]
    fn live_regions_are_proven_and_garbage_is_refused() {
        extern "C" {
            fn cairo_region_create_rectangle(r: *const CairoRectangleInt) -> *mut CairoRegion;
            fn cairo_region_create() -> *mut CairoRegion;
            fn cairo_region_union_rectangle(
                region: *mut CairoRegion,
                r: *const CairoRectangleInt,
            ) -> std::ffi::c_int;
            fn cairo_region_destroy(region: *mut CairoRegion);
        }
        let rect = |x, y, width, height| CairoRectangleInt {
            x,
            y,
            width,
            height,
        };
        unsafe {
            let one = cairo_region_create_rectangle(&rect(10, 20, 30, 40));
            assert_eq!(
                check_region(one as usize, 100, 100),
                Ok(RegionProof::Inside)
            );
            // Past a surface that shrank since the frame began: neither proof nor refusal.
            assert_eq!(
                check_region(one as usize, 35, 100),
                Ok(RegionProof::PastTheSurface)
            );
            let left_of_origin = cairo_region_create_rectangle(&rect(-5, 0, 10, 10));
            assert!(check_region(left_of_origin as usize, 100, 100).is_err());
            cairo_region_destroy(left_of_origin);
            let two = cairo_region_create();
            assert_eq!(check_region(two as usize, 100, 100), Ok(RegionProof::Empty));
            cairo_region_union_rectangle(two, &rect(0, 0, 5, 5));
            cairo_region_union_rectangle(two, &rect(50, 50, 5, 5));
            assert_eq!(
                check_region(two as usize, 100, 100),
                Ok(RegionProof::Inside)
            );
            // Not a region: a rectangle struct, a string, nothing.
            let not_a_region = rect(1, 2, 3, 4);
            assert!(check_region(&not_a_region as *const _ as usize, 100, 100).is_err());
            assert!(check_region(c"GdkX11GLContextEGL".as_ptr() as usize, 100, 100).is_err());
            assert!(check_region(16, 100, 100).is_err());
            cairo_region_destroy(one);
            cairo_region_destroy(two);
        }
    }

    #[test]
    fn only_gtk_code_passes_the_class_check() {
        // A fake "class" whose slots hold this test's code and data, not GTK's.
        let ours = only_gtk_code_passes_the_class_check as fn() as usize;
        let class: [usize; 4] = [0, ours, 0, 0];
        let at = class.as_ptr() as usize;
        assert!(check_class(at, 8, &[]).is_err());
        // Empty slots are fine as neighbours, not as the slot patched.
        assert!(check_class(at, 16, &[0, 24]).is_err());
    }
}
