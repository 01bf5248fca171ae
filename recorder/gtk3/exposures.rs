//! Exposures: GDK 3 sends one `GDK_EXPOSE` per `GdkWindow` it repaints in a frame (the
//! surface and each child window under the damage, with overlapping regions). They are
//! added up per surface while the frame clock paints, and written as one Damage record
//! per surface and frame when the cycle ends (as GTK 4 renders one region per frame), in
//! surface coordinates. An expose outside a frame-clock cycle is written at once.
//!
//! GDK 3 paints client-side child windows through their surface: the surface's expose,
//! which comes first, already holds each such child's area, so their exposes add nothing.
//! That is proven on the running process before it is relied on ([`CHILDREN_INSIDE`]):
//! the first exposes of non-native child windows are offset into their surface and must
//! each lie inside the surface's exposure of the same frame; once they all did, those
//! exposes are skipped (no parent chain to walk); one that did not, and every child expose
//! is added up for the rest of the run. Native child windows are always read.

use gdkrecord_core::ffi::{CairoRectangleInt, CairoRegion};
use gdkrecord_core::layout_check::LayoutCheck;
use gdkrecord_core::queue::{self, Entry, InlineRegion, INLINE_RECTS};
use gdkrecord_core::region;
use gdkrecord_format::{Damage, Record, Rect, Renderer, SurfaceId};

use crate::ffi::GdkWindow;
use crate::pixels::{self, Due};

#[link(name = "cairo")]
extern "C" {
    fn cairo_region_create() -> *mut CairoRegion;
    fn cairo_region_destroy(region: *mut CairoRegion);
    fn cairo_region_union_rectangle(region: *mut CairoRegion, rect: *const CairoRectangleInt);
    fn cairo_region_contains_rectangle(
        region: *const CairoRegion,
        rect: *const CairoRectangleInt,
    ) -> std::ffi::c_int;
}

/// `CAIRO_REGION_OVERLAP_IN`: the rectangle is inside the region.
const OVERLAP_IN: std::ffi::c_int = 0;

/// Trust that a non-native child window's expose lies inside its surface's exposure of
/// the same frame (module docs).
pub(crate) static CHILDREN_INSIDE: LayoutCheck = LayoutCheck::new();

/// One surface's exposure in the frame being painted: its rectangles kept inline while
/// they are disjoint (the usual case: a child window's expose repeats what its parent's
/// already holds), in a cairo region from the first partial overlap on.
#[derive(Debug)]
pub(crate) struct Exposure {
    surface: SurfaceId,
    /// The surface's window, for its pixels (checked against the surface table before
    /// use: it may be gone by the end of the cycle).
    window: *mut GdkWindow,
    frame: i64,
    /// When the first expose of it came.
    t_ns: u64,
    len: u8,
    rects: [[i32; 4]; INLINE_RECTS],
    /// The union, once the rectangles overlap or do not fit inline (owned; null before).
    union: *mut CairoRegion,
}

impl Exposure {
    fn new(surface: SurfaceId, window: *mut GdkWindow, frame: i64, t_ns: u64) -> Exposure {
        Exposure {
            surface,
            window,
            frame,
            t_ns,
            len: 0,
            rects: [[0; 4]; INLINE_RECTS],
            union: std::ptr::null_mut(),
        }
    }

    /// Whether `rect` is inside what this exposure holds already.
    fn covers(&self, rect: [i32; 4]) -> bool {
        if self.union.is_null() {
            self.inline().iter().any(|r| contains(*r, rect))
        } else {
            // SAFETY: the live region made by `add`.
            unsafe { cairo_region_contains_rectangle(self.union, &cairo_rect(rect)) == OVERLAP_IN }
        }
    }

    fn inline(&self) -> &[[i32; 4]] {
        &self.rects[..usize::from(self.len)]
    }

    /// Adds `rect` (surface coordinates), keeping the rectangles disjoint.
    fn add(&mut self, rect: [i32; 4]) {
        if self.union.is_null() {
            if rect[2] <= 0 || rect[3] <= 0 || self.inline().iter().any(|r| contains(*r, rect)) {
                return;
            }
            let mut len = 0;
            for i in 0..usize::from(self.len) {
                if !contains(rect, self.rects[i]) {
                    self.rects[len] = self.rects[i];
                    len += 1;
                }
            }
            self.len = len as u8;
            let overlaps = self.inline().iter().any(|r| overlap(*r, rect));
            if !overlaps && len < INLINE_RECTS {
                self.rects[len] = rect;
                self.len += 1;
                return;
            }
            // SAFETY: a new region, owned here until `flush`.
            unsafe {
                self.union = cairo_region_create();
                for r in self.inline() {
                    cairo_region_union_rectangle(self.union, &cairo_rect(*r));
                }
            }
            self.len = 0;
        }
        // SAFETY: `union` is the live region made above.
        unsafe { cairo_region_union_rectangle(self.union, &cairo_rect(rect)) };
    }
}

/// Whether `outer` holds all of `inner`.
fn contains(outer: [i32; 4], inner: [i32; 4]) -> bool {
    inner[0] >= outer[0]
        && inner[1] >= outer[1]
        && inner[0] + inner[2] <= outer[0] + outer[2]
        && inner[1] + inner[3] <= outer[1] + outer[3]
}

/// Whether `a` and `b` share a pixel.
fn overlap(a: [i32; 4], b: [i32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

fn cairo_rect([x, y, width, height]: [i32; 4]) -> CairoRectangleInt {
    CairoRectangleInt {
        x,
        y,
        width,
        height,
    }
}

/// The exposures of the cycle running now, one per surface (a main-thread table), and
/// with `GDKRECORD_PIXELS` the repaints written whose pixels are still to be read back.
#[derive(Debug, Default)]
pub(crate) struct Exposures {
    pending: Vec<Exposure>,
    pixels_due: Vec<Due>,
}

impl Exposures {
    /// Adds the expose `region`, whose window sits at `offset` in `surface` (whose window
    /// is `window`), to the surface's exposure of `frame`. `check_child`: the region is a
    /// non-native child window's, counted for or against [`CHILDREN_INSIDE`].
    ///
    /// # Safety
    /// `region` is null or a valid cairo region.
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn add(
        &mut self,
        surface: SurfaceId,
        window: *mut GdkWindow,
        frame: i64,
        offset: (i32, i32),
        region: *const CairoRegion,
        t_ns: u64,
        check_child: bool,
    ) {
        let pending = &mut self.pending;
        let at = match pending
            .iter()
            .position(|e| e.surface == surface && e.frame == frame)
        {
            Some(at) => at,
            None => {
                pending.push(Exposure::new(surface, window, frame, t_ns));
                pending.len() - 1
            }
        };
        let exposure = &mut pending[at];
        let mut inside = true;
        unsafe {
            region::for_each_rect(region, |[x, y, width, height]| {
                let rect = [x + offset.0, y + offset.1, width, height];
                inside &= exposure.covers(rect);
                exposure.add(rect);
            })
        };
        if check_child {
            CHILDREN_INSIDE.record(inside);
        }
    }

    /// Writes every pending exposure (at the end of a cycle, before its Frame record),
    /// keeping what each repainted for its pixels when they are recorded.
    pub(crate) fn flush(&mut self) {
        let pixels = pixels::enabled();
        for exposure in self.pending.drain(..) {
            let rects = if exposure.union.is_null() {
                write_inline(&exposure);
                if !pixels {
                    continue;
                }
                exposure.inline().to_vec()
            } else {
                // SAFETY: made by `Exposure::add`, owned by it until here.
                let rects = unsafe {
                    let rects = region_rects(exposure.union);
                    cairo_region_destroy(exposure.union);
                    rects
                };
                if !pixels {
                    write_region(&exposure, rects);
                    continue;
                }
                write_region(&exposure, rects.clone());
                rects
            };
            if !rects.is_empty() {
                self.pixels_due.push(Due {
                    window: exposure.window,
                    surface: exposure.surface,
                    frame: exposure.frame,
                    rects,
                });
            }
        }
    }

    /// The repaints written whose pixels are to be read back now (the window painted).
    pub(crate) fn take_pixels_due(&mut self) -> Vec<Due> {
        std::mem::take(&mut self.pixels_due)
    }
}

/// The Damage record of disjoint rectangles kept inline (none for none).
fn write_inline(exposure: &Exposure) {
    if exposure.len == 0 {
        return;
    }
    queue::send_in_place(
        InlineRegion {
            t_ns: exposure.t_ns,
            frame: exposure.frame,
            surface: exposure.surface,
            renderer: Renderer::CAIRO,
            painted: false,
            len: exposure.len,
            rects: exposure.rects,
        },
        Entry::Region,
    );
}

/// The rectangles of a union.
///
/// # Safety
/// `union` is a valid cairo region.
unsafe fn region_rects(union: *const CairoRegion) -> Vec<Rect> {
    let mut rects = Vec::new();
    unsafe { region::for_each_rect(union, |rect| rects.push(rect)) };
    rects
}

/// The Damage record of an exposure's union, of `rects`.
fn write_region(exposure: &Exposure, rects: Vec<Rect>) {
    if rects.is_empty() {
        return;
    }
    queue::send(
        Record::Damage(Damage {
            t_ns: exposure.t_ns,
            surface: exposure.surface,
            frame: exposure.frame,
            renderer: Renderer::CAIRO,
            rects,
        }),
        true,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rects(exposure: &Exposure) -> Vec<[i32; 4]> {
        exposure.inline().to_vec()
    }

    #[test]
    fn repeated_and_contained_rectangles_are_kept_once() {
        let mut e = Exposure::new(SurfaceId(1), std::ptr::null_mut(), 3, 0);
        e.add([300, 20, 24, 24]);
        e.add([300, 20, 24, 24]);
        e.add([304, 24, 4, 4]);
        e.add([20, 20, 100, 17]);
        assert_eq!(rects(&e), [[300, 20, 24, 24], [20, 20, 100, 17]]);
        // A larger one replaces what it contains.
        e.add([0, 0, 400, 200]);
        assert_eq!(rects(&e), [[0, 0, 400, 200]]);
        assert!(e.union.is_null());
    }

    #[test]
    fn coverage_is_by_one_inline_rectangle_or_by_the_union() {
        let mut e = Exposure::new(SurfaceId(1), std::ptr::null_mut(), 3, 0);
        e.add([0, 0, 400, 200]);
        assert!(e.covers([300, 20, 24, 24]));
        assert!(!e.covers([390, 190, 24, 24]));
        e.add([390, 190, 24, 24]);
        assert!(!e.union.is_null());
        assert!(e.covers([395, 195, 10, 10]) && e.covers([10, 10, 5, 5]));
        assert!(!e.covers([420, 0, 5, 5]));
        unsafe { cairo_region_destroy(e.union) };
    }

    #[test]
    fn partial_overlaps_become_a_disjoint_union() {
        let mut e = Exposure::new(SurfaceId(1), std::ptr::null_mut(), 3, 0);
        e.add([0, 0, 10, 10]);
        e.add([5, 5, 10, 10]);
        assert!(!e.union.is_null());
        let mut out = Vec::new();
        unsafe { region::for_each_rect(e.union, |r| out.push(r)) };
        let area: i32 = out.iter().map(|r| r[2] * r[3]).sum();
        assert_eq!(area, 100 + 100 - 25, "{out:?}");
        for (i, a) in out.iter().enumerate() {
            for b in &out[i + 1..] {
                assert!(!overlap(*a, *b), "{a:?} {b:?}");
            }
        }
        unsafe { cairo_region_destroy(e.union) };
    }
}
