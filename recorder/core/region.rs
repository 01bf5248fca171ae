//! Reading the rectangles of a `cairo_region_t`, the region GSK renders and GDK swaps.
//!
//! Through cairo that is one call for the count and one per rectangle, each into cairo
//! and then pixman, whose code is cold by the time a frame is drawn. A cairo region is
//! `{ int ref_count; int status; pixman_region32_t rgn; }` (cairo's private
//! `struct _cairo_region`, unchanged since cairo 1.10), and `pixman_region32_t` is
//! pixman's public, ABI-stable `{ box extents; data* }` with the boxes after `data`'s
//! `{ long size; long numRects; }`. So the rectangles are read from memory once cairo's
//! part is proven: the extents read at offset 8 must equal `cairo_region_get_extents`
//! for the first regions with non-empty extents (`layout_check.rs`), before the
//! `data` pointer next to them is ever followed. One disagreement and the calls are
//! used for the rest of the run.

use crate::layout_check::LayoutCheck;
use std::ffi::c_int;

use crate::ffi::{CairoRectangleInt, CairoRegion};
use gdkrecord_format::MAX_RECTS;

#[link(name = "cairo")]
extern "C" {
    fn cairo_region_num_rectangles(region: *const CairoRegion) -> c_int;
    fn cairo_region_get_rectangle(
        region: *const CairoRegion,
        nth: c_int,
        rect: *mut CairoRectangleInt,
    );
    fn cairo_region_get_extents(region: *const CairoRegion, extents: *mut CairoRectangleInt);
}

/// Where `pixman_region32_t` starts in `struct _cairo_region`.
const RGN_OFFSET: usize = 8;
/// Trust in cairo's region layout.
static LAYOUT: LayoutCheck = LayoutCheck::new();

/// `pixman_box32_t`.
#[repr(C)]
#[derive(Clone, Copy)]
struct PixmanBox {
    x1: i32,
    y1: i32,
    x2: i32,
    y2: i32,
}

/// `pixman_region32_t`.
#[repr(C)]
struct PixmanRegion {
    extents: PixmanBox,
    data: *const PixmanRegionData,
}

/// `pixman_region32_data_t` (the boxes follow it).
#[repr(C)]
struct PixmanRegionData {
    size: std::ffi::c_long,
    num_rects: std::ffi::c_long,
}

impl PixmanBox {
    fn rect(self) -> [i32; 4] {
        [self.x1, self.y1, self.x2 - self.x1, self.y2 - self.y1]
    }
}

/// The rectangles of `region` (null: none) as `[x, y, width, height]`, passed to `f`
/// one by one; returns how many.
///
/// # Safety
/// `region` is null or a valid `cairo_region_t`.
#[inline(always)]
pub unsafe fn for_each_rect(region: *const CairoRegion, mut f: impl FnMut([i32; 4])) -> usize {
    if region.is_null() {
        return 0;
    }
    if LAYOUT.trusted() {
        // SAFETY: the layout was checked (module docs).
        let rgn = unsafe { &*region.cast::<u8>().add(RGN_OFFSET).cast::<PixmanRegion>() };
        if rgn.data.is_null() {
            f(rgn.extents.rect());
            return 1;
        }
        let data = unsafe { &*rgn.data };
        let n = usize::try_from(data.num_rects).unwrap_or(0);
        if n > MAX_RECTS {
            // More than readers accept: the bounding box stands for them.
            f(rgn.extents.rect());
            return 1;
        }
        // SAFETY: pixman keeps `num_rects` boxes right after the data header.
        let boxes = unsafe { std::slice::from_raw_parts(rgn.data.add(1).cast::<PixmanBox>(), n) };
        for b in boxes {
            f(b.rect());
        }
        return n;
    }
    unsafe { rects_through_cairo(region, &mut f) }
}

/// The rectangles through cairo's calls (checking the layout meanwhile).
///
/// # Safety
/// `region` is a valid `cairo_region_t`.
#[inline(never)]
unsafe fn rects_through_cairo(region: *const CairoRegion, f: &mut dyn FnMut([i32; 4])) -> usize {
    unsafe { check_layout(region) };
    let n = unsafe { cairo_region_num_rectangles(region) }.max(0);
    if n as usize > MAX_RECTS {
        // More than readers accept: the bounding box stands for them.
        let mut r = CairoRectangleInt::default();
        unsafe { cairo_region_get_extents(region, &mut r) };
        f([r.x, r.y, r.width, r.height]);
        return 1;
    }
    for i in 0..n {
        let mut r = CairoRectangleInt::default();
        unsafe { cairo_region_get_rectangle(region, i, &mut r) };
        f([r.x, r.y, r.width, r.height]);
    }
    n as usize
}

/// One check of cairo's layout on `region` (until trusted or refused).
///
/// # Safety
/// `region` is a valid `cairo_region_t`.
#[inline(never)]
unsafe fn check_layout(region: *const CairoRegion) {
    if !LAYOUT.checking() {
        return;
    }
    let mut extents = CairoRectangleInt::default();
    unsafe { cairo_region_get_extents(region, &mut extents) };
    if extents.width <= 0 || extents.height <= 0 {
        return; // an empty region proves nothing
    }
    // Only the extents are read: `data` is not followed before the layout is trusted.
    let direct = unsafe {
        region
            .cast::<u8>()
            .add(RGN_OFFSET)
            .cast::<PixmanBox>()
            .read_unaligned()
    };
    let agrees = direct.rect() == [extents.x, extents.y, extents.width, extents.height];
    LAYOUT.record(agrees);
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn cairo_region_create() -> *mut CairoRegion;
        fn cairo_region_union_rectangle(
            region: *mut CairoRegion,
            rect: *const CairoRectangleInt,
        ) -> c_int;
        fn cairo_region_destroy(region: *mut CairoRegion);
    }

    fn region(rects: &[[i32; 4]]) -> *mut CairoRegion {
        let region = unsafe { cairo_region_create() };
        for &[x, y, width, height] in rects {
            let r = CairoRectangleInt {
                x,
                y,
                width,
                height,
            };
            unsafe { cairo_region_union_rectangle(region, &r) };
        }
        region
    }

    fn rects(region: *const CairoRegion) -> Vec<[i32; 4]> {
        let mut out = Vec::new();
        let n = unsafe { for_each_rect(region, |r| out.push(r)) };
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn direct_reads_match_cairo_once_trusted() {
        let shapes: [&[[i32; 4]]; 4] = [
            &[[10, 20, 30, 40]],
            &[[0, 0, 5, 5], [100, 50, 20, 10]],
            &[[0, 0, 10, 10], [5, 5, 10, 10]],
            &[],
        ];
        // Through cairo while checking, then from memory: the same rectangles.
        for round in 0..(crate::layout_check::CHECKS_BEFORE_TRUST as usize + 8) {
            let shape = shapes[round % shapes.len()];
            let r = region(shape);
            let n = unsafe { cairo_region_num_rectangles(r) };
            let expected: Vec<[i32; 4]> = (0..n)
                .map(|i| {
                    let mut c = CairoRectangleInt::default();
                    unsafe { cairo_region_get_rectangle(r, i, &mut c) };
                    [c.x, c.y, c.width, c.height]
                })
                .collect();
            assert_eq!(rects(r), expected, "round {round}");
            unsafe { cairo_region_destroy(r) };
        }
        assert!(LAYOUT.trusted());
        assert!(rects(std::ptr::null()).is_empty());
    }

    #[test]
    fn a_region_of_more_rectangles_than_readers_accept_is_its_bounding_box() {
        // Disjoint squares down a diagonal: one rectangle each.
        let squares: Vec<[i32; 4]> = (0..=MAX_RECTS as i32)
            .map(|i| [2 * i, 2 * i, 1, 1])
            .collect();
        let r = region(&squares);
        let side = 2 * MAX_RECTS as i32 + 1;
        for _ in 0..2 {
            assert_eq!(rects(r), [[0, 0, side, side]]);
        }
        unsafe { cairo_region_destroy(r) };
    }
}
