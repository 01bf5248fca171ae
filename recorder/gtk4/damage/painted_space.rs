//! The coordinates of `end_frame`'s painted region. GTK 4.8 passes the frame region, in
//! application pixels like the render clip; GTK 4.18 and 4.24 pass the render region, in
//! device pixels (twice as large at scale 2). Records and pixel read-back want surface
//! (application) coordinates, so which one this GTK passes is proven on the running
//! process: at the first frame at a scale above 1 that repaints the whole surface (a
//! surface's first frame, a frame after a scale change), the region's extents are the
//! surface's size, or that size times the scale. At scale 1 the two agree, and the region
//! is used as it comes; at a higher scale, until the proof, it is recorded as it comes
//! and no pixels are read back through it. The scale is the one the draw context's cache
//! holds (emptied when a surface's scale changes), the size the session's surface table's:
//! no GDK call per frame.

use std::sync::atomic::{AtomicU8, Ordering};

use gdkrecord_format::Rect;

use crate::ffi::{CairoRectangleInt, CairoRegion};
use crate::region;

extern "C" {
    fn cairo_region_create() -> *mut CairoRegion;
    fn cairo_region_destroy(region: *mut CairoRegion);
    fn cairo_region_union_rectangle(
        region: *mut CairoRegion,
        rect: *const CairoRectangleInt,
    ) -> std::ffi::c_int;
    fn cairo_region_get_extents(region: *const CairoRegion, extents: *mut CairoRectangleInt);
}

const UNKNOWN: u8 = 0;
const SURFACE: u8 = 1;
const DEVICE: u8 = 2;

/// What `end_frame`'s painted region was found to be in (`UNKNOWN` until proven).
static SPACE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// `end_frame`'s painted region in surface coordinates, as far as known.
#[derive(Debug)]
pub(crate) struct Painted {
    region: *const CairoRegion,
    /// `region` is a scaled-down copy made here, freed by [`Painted::release`].
    owned: bool,
    /// Its coordinates are known to be the surface's (not so at a scale above 1 before
    /// the proof).
    proven: bool,
}

impl Painted {
    /// The region to record (null: none).
    #[inline(always)]
    pub(crate) fn region(&self) -> *const CairoRegion {
        self.region
    }

    /// The region, if its coordinates are known to be the surface's.
    #[inline(always)]
    pub(crate) fn proven(&self) -> Option<*const CairoRegion> {
        self.proven.then_some(self.region)
    }

    /// Frees the region if it is a copy made here. (Not a `Drop`: its glue would be a
    /// call out of the hot section on every frame.)
    #[inline(always)]
    pub(crate) fn release(self) {
        if self.owned {
            unsafe { free(self.region) };
        }
    }
}

/// Frees a region made by [`scaled_down`].
#[inline(never)]
unsafe fn free(region: *const CairoRegion) {
    // SAFETY: made by `cairo_region_create` in `scaled_down`, released once.
    unsafe { cairo_region_destroy(region.cast_mut()) };
}

/// `painted` (null, or the proven painted region of an `end_frame`) in surface
/// coordinates, for a surface at `scale` whose size (application pixels) `size` gives,
/// as the session's surface table has it (`None`: a surface not known there).
///
/// # Safety
/// `painted` is null or a valid region.
#[inline(always)]
pub(crate) unsafe fn in_surface_coordinates(
    painted: *const CairoRegion,
    scale: u8,
    size: impl FnOnce() -> Option<(i32, i32)>,
) -> Painted {
    let as_it_comes = |proven| Painted {
        region: painted,
        owned: false,
        proven,
    };
    // At scale 1 the spaces agree: nothing more is read (the space is on its own line).
    if painted.is_null() || scale <= 1 {
        return as_it_comes(true);
    }
    let scale = i32::from(scale);
    let space = match SPACE.load(Ordering::Relaxed) {
        UNKNOWN => size().map_or(UNKNOWN, |size| unsafe { prove(painted, size, scale) }),
        known => known,
    };
    match space {
        DEVICE => Painted {
            region: unsafe { scaled_down(painted, scale) },
            owned: true,
            proven: true,
        },
        SURFACE => as_it_comes(true),
        _ => as_it_comes(false),
    }
}

/// Tells the painted region's coordinates from a whole-surface frame at `scale` > 1,
/// and remembers them for the rest of the run; `UNKNOWN` for a frame that repaints less.
#[cold]
unsafe fn prove(painted: *const CairoRegion, size: (i32, i32), scale: i32) -> u8 {
    let mut extents = CairoRectangleInt {
        x: 0,
        y: 0,
        width: 0,
        height: 0,
    };
    unsafe { cairo_region_get_extents(painted, &mut extents) };
    let found = classify(
        [extents.x, extents.y, extents.width, extents.height],
        size,
        scale,
    );
    if found != UNKNOWN {
        SPACE.store(found, Ordering::Relaxed);
    }
    found
}

/// The coordinates a painted region with `extents` must be in, if it covers a whole
/// surface of `size` (application pixels) at `scale`.
fn classify(extents: Rect, (width, height): (i32, i32), scale: i32) -> u8 {
    if extents == [0, 0, width, height] {
        SURFACE
    } else if extents == [0, 0, width * scale, height * scale] {
        DEVICE
    } else {
        UNKNOWN
    }
}

/// A new region of `region`'s rectangles in device pixels divided by `scale`, each grown
/// to whole application pixels.
#[inline(never)]
unsafe fn scaled_down(region: *const CairoRegion, scale: i32) -> *mut CairoRegion {
    unsafe {
        let scaled = cairo_region_create();
        region::for_each_rect(region, |rect| {
            let [x, y, width, height] = scale_down(rect, scale);
            let rect = CairoRectangleInt {
                x,
                y,
                width,
                height,
            };
            // An allocation failure leaves the region in error, recorded as empty.
            cairo_region_union_rectangle(scaled, &rect);
        });
        scaled
    }
}

/// `rect` in device pixels as the application pixels that hold it.
fn scale_down([x, y, width, height]: Rect, scale: i32) -> Rect {
    let (x0, y0) = (x.div_euclid(scale), y.div_euclid(scale));
    let x1 = (x + width + scale - 1).div_euclid(scale);
    let y1 = (y + height + scale - 1).div_euclid(scale);
    [x0, y0, x1 - x0, y1 - y0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_surface_frames_tell_the_space() {
        assert_eq!(classify([0, 0, 400, 200], (400, 200), 2), SURFACE);
        assert_eq!(classify([0, 0, 800, 400], (400, 200), 2), DEVICE);
        assert_eq!(classify([600, 40, 48, 48], (400, 200), 2), UNKNOWN);
    }

    #[test]
    fn device_rectangles_become_the_application_pixels_holding_them() {
        assert_eq!(scale_down([600, 40, 48, 48], 2), [300, 20, 24, 24]);
        assert_eq!(scale_down([601, 41, 2, 1], 2), [300, 20, 2, 1]);
        assert_eq!(scale_down([0, 0, 800, 400], 2), [0, 0, 400, 200]);
        assert_eq!(scale_down([3, 3, 3, 3], 3), [1, 1, 1, 1]);
    }
}
