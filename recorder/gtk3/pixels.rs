//! Pixels of what was repainted (`GDKRECORD_PIXELS=1`, `gdkrecord-tool record --pixels`),
//! GTK 3's way: GDK 3 paints each exposed window during the frame clock's paint, so at
//! the cycle's end (where the exposures are written, `exposures.rs`) the window holds the
//! frame, and each exposed rectangle is read back from it with GDK's public API
//! (`gdk_cairo_set_source_window()` painted into a cairo image of the rectangle at the
//! window's scale). An expose outside a cycle is read right after GTK handled it. What
//! to capture (whole pictures first, after a resize, after a skipped frame), the budget,
//! the bands and the records are the core's (`gdkrecord_core::pixels::capture`, shared
//! with GTK 4).
//!
//! X11 only: under Wayland a GDK 3 window's cairo surface is GDK's staging buffer, and
//! whether it still holds the frame shown once GDK committed it is not verified; it is
//! not read (said once on stderr). Reading back asks the X server for the window's
//! pixels (one round trip a rectangle, through shared memory where the server has
//! MIT-SHM: `shm_read.rs`); where the window is covered by another and no
//! compositor keeps its content, the server gives what is on screen there. X errors (a
//! window unmapped meanwhile) are trapped, and cairo's failure gives a
//! `pixels-skipped` record.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use gdkrecord_core::pixels::{self as core_pixels, copy_band, Repaint};
use gdkrecord_core::{clock, self_time};
use gdkrecord_format::{Rect, SurfaceId};

use crate::ffi::{self, GdkWindow};
use crate::shm_read;
use crate::surfaces::parent_window;
use crate::tables::Tables;

pub(crate) use gdkrecord_core::pixels::enabled;

/// A repaint written as Damage whose pixels are still to be read back.
#[derive(Debug)]
pub(crate) struct Due {
    /// The surface's window as the exposure saw it (maybe gone since).
    pub(crate) window: *mut GdkWindow,
    pub(crate) surface: SurfaceId,
    pub(crate) frame: i64,
    /// What was exposed, in surface coordinates.
    pub(crate) rects: Vec<Rect>,
}

/// Reads back the pixels of the repaints written so far (main thread, the windows
/// painted): those of windows still registered as the same surface, viewable. Returns the
/// nanoseconds it took (0 when there were none).
///
/// # Safety
/// On the main thread, outside GDK's painting of these windows.
pub(crate) unsafe fn read_due(tables: &mut Tables) -> u64 {
    let due = tables.exposures.take_pixels_due();
    if due.is_empty() {
        return 0;
    }
    let started = clock::monotonic_ns();
    for due in due {
        let Some(info) = tables.surfaces.get(due.window as usize) else {
            continue;
        };
        if info.id != due.surface {
            continue;
        }
        let popup = info.popup;
        unsafe { read_repaint(due, popup) };
    }
    clock::monotonic_ns().saturating_sub(started)
}

/// [`read_due`] for one live surface window.
///
/// # Safety
/// `due.window` is a live surface window.
unsafe fn read_repaint(due: Due, popup: bool) {
    let started = clock::monotonic_ns();
    let window = due.window;
    unsafe {
        if !readable_display(window)
            || ffi::gdk_window_is_destroyed(window) != 0
            || ffi::gdk_window_is_viewable(window) == 0
        {
            return;
        }
    }
    let repaint = unsafe {
        Repaint {
            surface: due.surface,
            frame: due.frame,
            t_ns: clock::since_start(started),
            width: ffi::gdk_window_get_width(window),
            height: ffi::gdk_window_get_height(window),
            scale: ffi::gdk_window_get_scale_factor(window),
        }
    };
    // A window unmapped since GDK painted it makes the server refuse: trapped, cairo
    // then reports the failure.
    unsafe { ffi::gdk_error_trap_push() };
    let mut read = 0;
    let whole = core_pixels::capture(
        &repaint,
        || due.rects,
        || {
            popup
                .then(|| unsafe { popup_position(due.surface, window) })
                .flatten()
        },
        |band, scale| {
            read += 1;
            unsafe { read_back(window, band, scale) }
        },
    );
    unsafe { ffi::gdk_error_trap_pop_ignored() };
    self_time::count_pixel_bands(read, 0);
    self_time::time_pixels(clock::monotonic_ns().saturating_sub(started), whole);
}

/// Whether windows of this process can be read back: X11 (checked once, on the first
/// window; GTK 3 has one display backend per process).
///
/// # Safety
/// `window` is a valid GdkWindow.
unsafe fn readable_display(window: *mut GdkWindow) -> bool {
    static X11: OnceLock<bool> = OnceLock::new();
    *X11.get_or_init(|| {
        let display = unsafe { ffi::gdk_window_get_display(window) };
        let name = unsafe { gdkrecord_core::ffi::type_name_of(display) };
        let x11 = name == "GdkX11Display";
        if !x11 {
            eprintln!("gdkrecord: GTK 3 pixels are read back under X11 only, not on {name}: none recorded");
        }
        x11
    })
}

/// The rectangle `rect` of `window`'s content (application pixels) at `scale`, in a new
/// buffer of premultiplied B, G, R, A: through the X server's shared memory where it can
/// (`shm_read.rs`), else through the window's cairo surface; `None` when both fail.
///
/// # Safety
/// `window` is a live, viewable surface window, outside GDK's painting of it.
unsafe fn read_back(window: *mut GdkWindow, rect: Rect, scale: u32) -> Option<Vec<u8>> {
    if let Some(data) = unsafe { shm_read::read(window, rect, scale) } {
        return Some(data);
    }
    // The window's surface has its scale as device scale: pixels copy one to one.
    unsafe {
        copy_band(rect, scale, |cr| {
            ffi::gdk_cairo_set_source_window(cr, window, 0.0, 0.0)
        })
    }
}

/// A popup's position over its parent as last asked of the X server, and GDK's cached
/// positions of both then (`[popup x, y, parent x, y]`), which tell when to ask again.
type KnownPosition = ([i32; 4], (i32, i32));

/// Where a popup sits over its parent surface (`gdk_window_get_origin()` of both: a
/// round trip to the X server each), `None` without a parent. Asked again only when
/// GDK's cached positions of either changed, so a popup costs the round trips when it
/// appears or moves, not every frame.
///
/// # Safety
/// `window` is a live popup surface window.
unsafe fn popup_position(surface: SurfaceId, window: *mut GdkWindow) -> Option<(i32, i32)> {
    thread_local! {
        static KNOWN: RefCell<HashMap<SurfaceId, KnownPosition>> = RefCell::new(HashMap::new());
    }
    let parent = unsafe { parent_window(window) };
    if parent.is_null() || parent == window {
        return None;
    }
    let position = |w| {
        let (mut x, mut y) = (0, 0);
        unsafe { ffi::gdk_window_get_position(w, &mut x, &mut y) };
        (x, y)
    };
    let ((px, py), (qx, qy)) = (position(window), position(parent));
    let cached = [px, py, qx, qy];
    KNOWN.with(|known| {
        let mut known = known.try_borrow_mut().ok()?;
        if let Some((seen, at)) = known.get(&surface) {
            if *seen == cached {
                return Some(*at);
            }
        }
        let origin = |w| {
            let (mut x, mut y) = (0, 0);
            unsafe { ffi::gdk_window_get_origin(w, &mut x, &mut y) };
            (x, y)
        };
        let ((x, y), (parent_x, parent_y)) = (origin(window), origin(parent));
        let at = (x - parent_x, y - parent_y);
        known.insert(surface, (cached, at));
        Some(at)
    })
}
