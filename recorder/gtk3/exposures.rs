//! Exposures: GDK 3 sends one `GDK_EXPOSE` per `GdkWindow` it repaints in a frame (the
//! surface and each child window under the damage, with overlapping regions). They are
//! added up per surface while the frame clock paints, and written as one Damage record
//! per surface and frame when the cycle ends (as GTK 4 renders one region per frame), in
//! surface coordinates. An expose outside a frame-clock cycle is written at once.

use gdkrecord_core::ffi::{CairoRectangleInt, CairoRegion};
use gdkrecord_core::queue::{self, Entry, InlineRegion, INLINE_RECTS};
use gdkrecord_core::region;
use gdkrecord_format::{Damage, Record, Renderer, SurfaceId};

use crate::ffi;
use crate::surfaces::Target;
use crate::tables::Tables;

#[link(name = "cairo")]
extern "C" {
    fn cairo_region_create() -> *mut CairoRegion;
    fn cairo_region_destroy(region: *mut CairoRegion);
    fn cairo_region_union_rectangle(region: *mut CairoRegion, rect: *const CairoRectangleInt);
}

/// One surface's exposure in the frame being painted.
#[derive(Debug)]
pub(crate) struct Exposure {
    surface: SurfaceId,
    frame: i64,
    /// When the first expose of it came.
    t_ns: u64,
    /// The union so far, in surface coordinates (owned).
    region: *mut CairoRegion,
}

/// Adds the expose `region` of `target`'s window to its surface's exposure.
///
/// # Safety
/// `region` is null or a valid cairo region, in the coordinates of `target`'s window.
pub(crate) unsafe fn add(
    tables: &mut Tables,
    target: &Target,
    surface: SurfaceId,
    region: *const CairoRegion,
    t_ns: u64,
) {
    let frame = tables.current_frame;
    if frame < 0 {
        // Outside a cycle (the app forced a repaint): its own record, now.
        let clock = unsafe { ffi::gdk_window_get_frame_clock(target.surface) };
        let frame = if clock.is_null() {
            -1
        } else {
            unsafe { ffi::gdk_frame_clock_get_frame_counter(clock) }
        };
        let union = unsafe { cairo_region_create() };
        unsafe { union_offset(union, region, target) };
        unsafe { write(surface, frame, t_ns, union) };
        unsafe { cairo_region_destroy(union) };
        return;
    }
    let at = match tables
        .exposures
        .iter()
        .position(|e| e.surface == surface && e.frame == frame)
    {
        Some(at) => at,
        None => {
            tables.exposures.push(Exposure {
                surface,
                frame,
                t_ns,
                region: unsafe { cairo_region_create() },
            });
            tables.exposures.len() - 1
        }
    };
    unsafe { union_offset(tables.exposures[at].region, region, target) };
}

/// Adds the rectangles of `region`, moved by `target`'s offset, to `union`.
unsafe fn union_offset(union: *mut CairoRegion, region: *const CairoRegion, target: &Target) {
    unsafe {
        region::for_each_rect(region, |[x, y, width, height]| {
            let rect = CairoRectangleInt {
                x: x + target.dx,
                y: y + target.dy,
                width,
                height,
            };
            cairo_region_union_rectangle(union, &rect);
        })
    };
}

/// Writes every pending exposure (at the end of a cycle, before its Frame record).
pub(crate) fn flush(tables: &mut Tables) {
    for exposure in tables.exposures.drain(..) {
        // SAFETY: made by `add`, owned by the list until here.
        unsafe {
            write(
                exposure.surface,
                exposure.frame,
                exposure.t_ns,
                exposure.region,
            );
            cairo_region_destroy(exposure.region);
        }
    }
}

/// Writes the Damage record of `region` (nothing for an empty one).
///
/// # Safety
/// `region` is a valid cairo region.
unsafe fn write(surface: SurfaceId, frame: i64, t_ns: u64, region: *const CairoRegion) {
    let mut inline = InlineRegion {
        t_ns,
        frame,
        surface,
        renderer: Renderer::CAIRO,
        painted: false,
        len: 0,
        rects: [[0; 4]; INLINE_RECTS],
    };
    let n = unsafe {
        region::for_each_rect(region, |rect| {
            if let Some(slot) = inline.rects.get_mut(usize::from(inline.len)) {
                *slot = rect;
                inline.len += 1;
            }
        })
    };
    if n == 0 {
        return;
    }
    if n <= INLINE_RECTS {
        queue::send_entry(Entry::Region(inline), true);
    } else {
        let mut rects = Vec::with_capacity(n);
        unsafe { region::for_each_rect(region, |rect| rects.push(rect)) };
        queue::send(
            Record::Damage(Damage {
                t_ns,
                surface,
                frame,
                renderer: Renderer::CAIRO,
                rects,
            }),
            true,
        );
    }
}
