//! Exposures: GDK 3 sends one `GDK_EXPOSE` per `GdkWindow` it repaints in a frame (the
//! surface and each child window under the damage, with overlapping regions). Each is
//! written at once as a Damage record of its frame, in surface coordinates (in place in
//! the ring, as GTK 4's render regions are): the cycle's end has nothing to add up. An
//! expose outside a frame-clock cycle belongs to the clock's current frame.
//!
//! GDK 3 paints client-side child windows through their surface: the surface's expose,
//! which comes first, already holds each such child's area, so their exposes add nothing
//! and are not written. That is proven on the running process before it is relied on
//! ([`CHILDREN_INSIDE`]): the first exposes of non-native child windows are offset into
//! their surface and must each lie inside the surface's expose of the same frame; once
//! they all did, those exposes are skipped (no parent chain to walk); one that did not,
//! and every child expose is written for the rest of the run (a frame may then have
//! several Damage records, as GTK 4's may). Native child windows are always written.
//!
//! With `GDKRECORD_PIXELS` the exposures are also added up per surface and frame
//! ([`Exposure`]) for the pixels read back at the cycle's end.

use gdkrecord_core::ffi::{CairoRectangleInt, CairoRegion};
use gdkrecord_core::layout_check::LayoutCheck;
use gdkrecord_core::queue::{self, InlineRegion, INLINE_RECTS};
use gdkrecord_core::region;
use gdkrecord_format::{Rect, Renderer, SurfaceId};

use crate::ffi::GdkWindow;
use crate::pixels::{self, Due};

#[link(name = "cairo")]
extern "C" {
    fn cairo_region_create() -> *mut CairoRegion;
    fn cairo_region_destroy(region: *mut CairoRegion);
    fn cairo_region_union_rectangle(region: *mut CairoRegion, rect: *const CairoRectangleInt);
}

/// Trust that a non-native child window's expose lies inside its surface's exposure of
/// the same frame (module docs).
pub(crate) static CHILDREN_INSIDE: LayoutCheck = LayoutCheck::new();

/// One surface's exposure in the frame being painted, for its pixels: its rectangles
/// kept inline while they are disjoint (the usual case: a child window's expose repeats
/// what its parent's already holds), in a cairo region from the first partial overlap on.
#[derive(Debug)]
pub(crate) struct Exposure {
    surface: SurfaceId,
    /// The surface's window, for its pixels (checked against the surface table before
    /// use: it may be gone by the end of the cycle).
    window: *mut GdkWindow,
    frame: i64,
    len: u8,
    rects: [[i32; 4]; INLINE_RECTS],
    /// The union, once the rectangles overlap or do not fit inline (owned; null before).
    union: *mut CairoRegion,
}

impl Exposure {
    fn new(surface: SurfaceId, window: *mut GdkWindow, frame: i64) -> Exposure {
        Exposure {
            surface,
            window,
            frame,
            len: 0,
            rects: [[0; 4]; INLINE_RECTS],
            union: std::ptr::null_mut(),
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

/// The number of pixels `a` and `b` share.
fn intersection_area(a: [i32; 4], b: [i32; 4]) -> i64 {
    let width = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let height = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    i64::from(width.max(0)) * i64::from(height.max(0))
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

/// The surface's own expose written last, while child exposes are being proven to lie
/// inside it.
#[derive(Debug, Clone, Copy)]
struct SurfaceExpose {
    /// Its rectangles (surface coordinates), surface and frame.
    head: InlineRegion,
    /// All its rectangles are in `head` (not more than [`INLINE_RECTS`]).
    whole: bool,
}

impl SurfaceExpose {
    /// Whether it holds `rect` of `surface` in `frame`: `None` when that cannot be told
    /// (too many rectangles kept to compare with).
    fn holds(&self, surface: SurfaceId, frame: i64, rect: [i32; 4]) -> Option<bool> {
        if self.head.surface != surface || self.head.frame != frame {
            return Some(false);
        }
        // A region's rectangles are disjoint: they hold all of `rect` when their
        // intersections with it add up to its area.
        let rects = &self.head.rects[..usize::from(self.head.len)];
        let covered: i64 = rects.iter().map(|r| intersection_area(*r, rect)).sum();
        if covered == i64::from(rect[2].max(0)) * i64::from(rect[3].max(0)) {
            Some(true)
        } else {
            self.whole.then_some(false)
        }
    }
}

/// The exposures of the cycle running now (a main-thread table): the surface's expose
/// child exposes are checked against, and with `GDKRECORD_PIXELS` the exposures added up
/// per surface and the repaints whose pixels are still to be read back.
#[derive(Debug, Default)]
pub(crate) struct Exposures {
    surface_expose: Option<SurfaceExpose>,
    pending: Vec<Exposure>,
    pixels_due: Vec<Due>,
}

/// Where an expose's window lies: its surface (whose window is `window`), its offset
/// there, and whether it is a non-native child window whose expose is still being
/// checked against [`CHILDREN_INSIDE`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExposedWindow {
    pub(crate) surface: SurfaceId,
    pub(crate) window: *mut GdkWindow,
    pub(crate) offset: (i32, i32),
    pub(crate) is_child: bool,
    pub(crate) check_child: bool,
}

impl Exposures {
    /// Writes the expose `region` of `exposed`, painted in `frame`, at `t_ns`: unless it
    /// is a child window's proven (or being proven) to lie inside its surface's expose of
    /// the same frame. Returns whether it was written.
    ///
    /// # Safety
    /// `region` is null or a valid cairo region.
    #[link_section = ".text.hot.gdkrecord"]
    pub(crate) unsafe fn add(
        &mut self,
        exposed: ExposedWindow,
        frame: i64,
        region: *const CairoRegion,
        t_ns: u64,
    ) -> bool {
        let ExposedWindow {
            surface, offset, ..
        } = exposed;
        if exposed.check_child {
            let mut inside = Some(true);
            let surface_expose = self.surface_expose;
            unsafe {
                region::for_each_rect(region, |[x, y, width, height]| {
                    let rect = [x + offset.0, y + offset.1, width, height];
                    let holds =
                        surface_expose.map_or(Some(false), |s| s.holds(surface, frame, rect));
                    inside = match (inside, holds) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    };
                })
            };
            if let Some(inside) = inside {
                CHILDREN_INSIDE.record(inside);
                if inside {
                    // It adds nothing to what its surface's expose wrote.
                    return false;
                }
            }
        }
        let head = InlineRegion {
            t_ns,
            frame,
            surface,
            renderer: Renderer::CAIRO,
            painted: false,
            len: 0,
            rects: [[0; 4]; INLINE_RECTS],
        };
        let (head, n) = unsafe { queue::send_region(head, region, offset) };
        if !exposed.is_child && CHILDREN_INSIDE.checking() {
            self.surface_expose = Some(SurfaceExpose {
                head,
                whole: n <= INLINE_RECTS,
            });
        }
        if pixels::enabled() {
            unsafe { self.add_for_pixels(exposed, frame, region) };
        }
        true
    }

    /// Adds the expose to its surface's exposure of `frame`, for its pixels.
    ///
    /// # Safety
    /// `region` is null or a valid cairo region.
    #[inline(never)]
    unsafe fn add_for_pixels(
        &mut self,
        exposed: ExposedWindow,
        frame: i64,
        region: *const CairoRegion,
    ) {
        let pending = &mut self.pending;
        let at = match pending
            .iter()
            .position(|e| e.surface == exposed.surface && e.frame == frame)
        {
            Some(at) => at,
            None => {
                pending.push(Exposure::new(exposed.surface, exposed.window, frame));
                pending.len() - 1
            }
        };
        let exposure = &mut pending[at];
        let offset = exposed.offset;
        unsafe {
            region::for_each_rect(region, |[x, y, width, height]| {
                exposure.add([x + offset.0, y + offset.1, width, height]);
            })
        };
    }

    /// With pixels, after GDK painted the exposed windows (the end of a cycle, or right
    /// after an expose outside one): every pending exposure becomes a repaint whose pixels
    /// are due.
    pub(crate) fn painted(&mut self) {
        for exposure in self.pending.drain(..) {
            let rects = if exposure.union.is_null() {
                exposure.inline().to_vec()
            } else {
                // SAFETY: made by `Exposure::add`, owned by it until here.
                unsafe {
                    let rects = region_rects(exposure.union);
                    cairo_region_destroy(exposure.union);
                    rects
                }
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

    /// The repaints whose pixels are to be read back now (the window painted).
    pub(crate) fn take_pixels_due(&mut self) -> Vec<Due> {
        std::mem::take(&mut self.pixels_due)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rects(exposure: &Exposure) -> Vec<[i32; 4]> {
        exposure.inline().to_vec()
    }

    #[test]
    fn repeated_and_contained_rectangles_are_kept_once() {
        let mut e = Exposure::new(SurfaceId(1), std::ptr::null_mut(), 3);
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
    fn a_child_rectangle_is_held_by_its_surface_expose_rectangles() {
        let mut head = InlineRegion {
            t_ns: 0,
            frame: 3,
            surface: SurfaceId(1),
            renderer: Renderer::CAIRO,
            painted: false,
            len: 2,
            rects: [[0; 4]; INLINE_RECTS],
        };
        head.rects[0] = [0, 0, 400, 100];
        head.rects[1] = [0, 100, 200, 100];
        let expose = SurfaceExpose { head, whole: true };
        assert_eq!(expose.holds(SurfaceId(1), 3, [300, 20, 24, 24]), Some(true));
        assert_eq!(expose.holds(SurfaceId(1), 3, [10, 150, 24, 24]), Some(true));
        // Across two rectangles: held by their union.
        assert_eq!(expose.holds(SurfaceId(1), 3, [10, 90, 24, 24]), Some(true));
        // Partly or wholly outside, another frame, another surface: not held.
        assert_eq!(
            expose.holds(SurfaceId(1), 3, [190, 90, 24, 24]),
            Some(false)
        );
        assert_eq!(
            expose.holds(SurfaceId(1), 3, [300, 150, 24, 24]),
            Some(false)
        );
        assert_eq!(
            expose.holds(SurfaceId(1), 4, [300, 20, 24, 24]),
            Some(false)
        );
        assert_eq!(
            expose.holds(SurfaceId(2), 3, [300, 20, 24, 24]),
            Some(false)
        );
        // Not all of the surface's rectangles kept: what they do not hold is not told.
        let partial = SurfaceExpose { head, whole: false };
        assert_eq!(partial.holds(SurfaceId(1), 3, [300, 150, 24, 24]), None);
    }

    #[test]
    fn partial_overlaps_become_a_disjoint_union() {
        let mut e = Exposure::new(SurfaceId(1), std::ptr::null_mut(), 3);
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
