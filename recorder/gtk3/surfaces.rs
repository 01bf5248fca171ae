//! Surfaces in GDK 3: what GTK 4 calls a surface is a GDK 3 `GdkWindow` that is not a
//! child window (`gdk_window_get_toplevel()`: toplevels, override-redirect popups and
//! menus, subsurfaces). Child `GdkWindow`s (a GtkEntry's text area, a GtkTreeView's bin
//! window, a viewport) receive their own events and exposes in their own coordinates:
//! [`Target`] names the surface and the child's offset in it, so that every position and
//! rectangle is recorded in surface coordinates, as on GTK 4.
//!
//! Sizes come from `GDK_CONFIGURE`, states from `GDK_WINDOW_STATE` (`events.rs`); a weak
//! reference tells when a surface goes.

use std::ffi::c_void;
use std::sync::atomic::Ordering;

use gdkrecord_core::clock;
use gdkrecord_core::ffi::{is_a, type_name_of};
use gdkrecord_core::hot::HOT;
use gdkrecord_format::{
    Record, Scale, Size, State, Surface, SurfaceDestroyed, SurfaceId, SurfaceKind, ToplevelState,
};
use gobject_sys::GObject;

use crate::ffi::{self, type_hint, window_type, GdkWindow};
use crate::tables::{SurfaceInfo, Tables};

/// Parent links followed at most from a child window to its surface (GTK nests a few).
const MAX_DEPTH: usize = 64;

/// The surface an event or expose belongs to, and where its window sits in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub(crate) surface: *mut GdkWindow,
    pub(crate) dx: i32,
    pub(crate) dy: i32,
}

impl Target {
    /// The surface of `window` and the offset of `window` within it.
    ///
    /// # Safety
    /// `window` is a valid GdkWindow.
    #[inline(always)]
    pub(crate) unsafe fn of(window: *mut GdkWindow) -> Target {
        // The surface seen last is a surface: no need to ask GDK (most events and exposes).
        if HOT.last_surface.load(Ordering::Relaxed) == window as usize {
            return Target {
                surface: window,
                dx: 0,
                dy: 0,
            };
        }
        let surface = unsafe { ffi::gdk_window_get_toplevel(window) };
        if surface == window || surface.is_null() {
            return Target {
                surface: window,
                dx: 0,
                dy: 0,
            };
        }
        unsafe { Target::of_child(window, surface) }
    }

    /// [`Target::of`] for a child window: adds up the positions up to the surface.
    ///
    /// # Safety
    /// `window` is a valid GdkWindow inside `surface`.
    #[inline(never)]
    pub(crate) unsafe fn of_child(window: *mut GdkWindow, surface: *mut GdkWindow) -> Target {
        let (mut dx, mut dy) = (0, 0);
        let mut at = window;
        for _ in 0..MAX_DEPTH {
            if at.is_null() || at == surface {
                break;
            }
            let (mut x, mut y) = (0, 0);
            unsafe { ffi::gdk_window_get_position(at, &mut x, &mut y) };
            dx += x;
            dy += y;
            at = unsafe { ffi::gdk_window_get_parent(at) };
        }
        Target { surface, dx, dy }
    }
}

/// Toplevel, popup (menus, tooltips, combo lists, popovers' subsurfaces) or drag icon;
/// an input-only window (GTK 3's menus grab through one, off screen) is none of them.
unsafe fn surface_kind(window: *mut GdkWindow) -> SurfaceKind {
    if unsafe { ffi::gdk_window_is_input_only(window) } != 0 {
        return SurfaceKind::OTHER;
    }
    let hint = unsafe { ffi::gdk_window_get_type_hint(window) };
    match (unsafe { ffi::gdk_window_get_window_type(window) }, hint) {
        (_, type_hint::DND) => SurfaceKind::DRAG,
        (window_type::TEMP | window_type::SUBSURFACE, _) => SurfaceKind::POPUP,
        (
            window_type::TOPLEVEL,
            type_hint::MENU
            | type_hint::DROPDOWN_MENU
            | type_hint::POPUP_MENU
            | type_hint::TOOLTIP
            | type_hint::NOTIFICATION
            | type_hint::COMBO,
        ) => SurfaceKind::POPUP,
        (window_type::TOPLEVEL, _) => SurfaceKind::TOPLEVEL,
        _ => SurfaceKind::OTHER,
    }
}

/// The GtkWidget a GdkWindow belongs to (its user data), or null.
unsafe fn widget_of(window: *mut GdkWindow) -> *mut c_void {
    let mut widget = std::ptr::null_mut();
    unsafe { ffi::gdk_window_get_user_data(window, &mut widget) };
    widget
}

/// The surface a popup belongs to. For a popup's GtkWindow: its transient parent (combo
/// lists and dialogs name one), else the widget it is attached to, else, for a menu's
/// window (GTK 3 makes it transient for nothing), the widget the menu is attached to;
/// for a menu's own windows, that widget too. Null when none is known.
pub(crate) unsafe fn parent_window(window: *mut GdkWindow) -> *mut GdkWindow {
    let widget = unsafe { widget_of(window) };
    let menu_attach = |menu: *mut c_void| unsafe {
        if is_a(menu, ffi::gtk_menu_get_type()) {
            ffi::gtk_menu_get_attach_widget(menu)
        } else {
            std::ptr::null_mut()
        }
    };
    let owner = if unsafe { is_a(widget, ffi::gtk_window_get_type()) } {
        unsafe {
            [
                ffi::gtk_window_get_transient_for(widget),
                ffi::gtk_window_get_attached_to(widget),
                menu_attach(ffi::gtk_bin_get_child(widget)),
            ]
        }
        .into_iter()
        .find(|owner| !owner.is_null())
        .unwrap_or(std::ptr::null_mut())
    } else {
        menu_attach(widget)
    };
    if owner == widget {
        return std::ptr::null_mut();
    }
    unsafe { toplevel_window_of(owner) }
}

/// The surface window of `widget`'s toplevel (null for null or unrealized).
unsafe fn toplevel_window_of(widget: *mut c_void) -> *mut GdkWindow {
    if widget.is_null() {
        return std::ptr::null_mut();
    }
    let window = unsafe { ffi::gtk_widget_get_window(ffi::gtk_widget_get_toplevel(widget)) };
    if window.is_null() {
        return window;
    }
    unsafe { ffi::gdk_window_get_toplevel(window) }
}

/// GDK 3's `GdkWindowState` as GTK 4's `GdkToplevelState`: the same flags one bit lower,
/// without GDK 3's `WITHDRAWN` (bit 0).
pub(crate) fn toplevel_state(gdk3_state: u32) -> u32 {
    gdk3_state >> 1
}

impl Tables {
    /// The id of `surface` (a surface window, see [`Target`]), registering it (and its
    /// parent) on first sight.
    ///
    /// # Safety
    /// `surface` is a valid GdkWindow.
    #[inline(always)]
    pub(crate) unsafe fn surface_id(&mut self, surface: *mut GdkWindow) -> SurfaceId {
        if HOT.last_surface.load(Ordering::Relaxed) == surface as usize {
            return SurfaceId(HOT.last_surface_id.load(Ordering::Relaxed));
        }
        unsafe { self.look_surface_up(surface) }
    }

    /// [`Tables::surface_id`] for another surface than the last one.
    ///
    /// # Safety
    /// `surface` is a valid GdkWindow.
    #[inline(never)]
    unsafe fn look_surface_up(&mut self, surface: *mut GdkWindow) -> SurfaceId {
        let key = surface as usize;
        let id = match self.surfaces.get(key) {
            Some(info) => info.id,
            None => unsafe { self.register_surface(surface) },
        };
        HOT.last_surface_id.store(id.0, Ordering::Relaxed);
        HOT.last_surface.store(key, Ordering::Relaxed);
        id
    }

    /// Writes the Surface record of a surface seen for the first time and starts
    /// watching it.
    ///
    /// # Safety
    /// `surface` is a valid GdkWindow not yet registered.
    unsafe fn register_surface(&mut self, surface: *mut GdkWindow) -> SurfaceId {
        let kind = unsafe { surface_kind(surface) };
        let parent = if kind == SurfaceKind::TOPLEVEL || kind == SurfaceKind::DRAG {
            None
        } else {
            let parent = unsafe { parent_window(surface) };
            (!parent.is_null() && parent != surface).then(|| unsafe { self.surface_id(parent) })
        };
        let id = SurfaceId(self.next_surface);
        self.next_surface += 1;
        let widget = unsafe { widget_of(surface) };
        let widget_type = (!widget.is_null()).then(|| unsafe { type_name_of(widget) });
        let (width, height, scale, state) = unsafe {
            (
                ffi::gdk_window_get_width(surface),
                ffi::gdk_window_get_height(surface),
                ffi::gdk_window_get_scale_factor(surface),
                toplevel_state(ffi::gdk_window_get_state(surface)),
            )
        };
        self.surfaces.insert(
            surface as usize,
            SurfaceInfo {
                id,
                size: (width, height),
                scale,
                state,
                popup: kind == SurfaceKind::POPUP,
            },
        );
        unsafe {
            gobject_sys::g_object_weak_ref(
                surface.cast::<GObject>(),
                Some(on_surface_finalized),
                std::ptr::null_mut(),
            )
        };
        let frame_clock = unsafe { ffi::gdk_window_get_frame_clock(surface) };
        if !frame_clock.is_null() {
            // Popups may share their parent's clock, registered before them.
            let clock = self.clock_state(frame_clock);
            clock.surface.get_or_insert(id);
        }
        let t_ns = clock::now();
        self.write(Record::Surface(Surface {
            t_ns,
            surface: id,
            surface_kind: kind,
            parent,
            type_name: unsafe { type_name_of(surface) },
            widget_type,
            width,
            height,
            scale_factor: scale,
        }));
        if kind == SurfaceKind::TOPLEVEL {
            self.write(Record::State(State {
                t_ns,
                surface: id,
                state: ToplevelState(state),
            }));
        }
        id
    }

    /// After a `GDK_CONFIGURE` of `surface`: Size (and Scale) records when they changed.
    ///
    /// # Safety
    /// `surface` is a valid surface window.
    pub(crate) unsafe fn configured(&mut self, surface: *mut GdkWindow, width: i32, height: i32) {
        let id = unsafe { self.surface_id(surface) };
        let scale = unsafe { ffi::gdk_window_get_scale_factor(surface) };
        let Some(info) = self.surfaces.get_mut(surface as usize) else {
            return;
        };
        let t_ns = clock::now();
        let size_changed = info.size != (width, height);
        let scale_changed = info.scale != scale;
        info.size = (width, height);
        info.scale = scale;
        if size_changed {
            self.write(Record::Size(Size {
                t_ns,
                surface: id,
                width,
                height,
            }));
        }
        if scale_changed {
            self.write(Record::Scale(Scale {
                t_ns,
                surface: id,
                scale_factor: scale,
            }));
        }
    }

    /// After a `GDK_WINDOW_STATE` of `surface`: a State record when it changed.
    ///
    /// # Safety
    /// `surface` is a valid surface window.
    pub(crate) unsafe fn state_changed(&mut self, surface: *mut GdkWindow, gdk3_state: u32) {
        let id = unsafe { self.surface_id(surface) };
        let state = toplevel_state(gdk3_state);
        let Some(info) = self.surfaces.get_mut(surface as usize) else {
            return;
        };
        if info.state == state {
            return;
        }
        info.state = state;
        self.write(Record::State(State {
            t_ns: clock::now(),
            surface: id,
            state: ToplevelState(state),
        }));
    }
}

unsafe extern "C" fn on_surface_finalized(_data: *mut c_void, where_the_object_was: *mut GObject) {
    gdkrecord_core::guard((), || {
        let key = where_the_object_was as usize;
        if HOT.last_surface.load(Ordering::Relaxed) == key {
            HOT.last_surface.store(0, Ordering::Relaxed);
        }
        crate::tables::with_tables(|tables| {
            if let Some(info) = tables.surfaces.remove(key) {
                tables.write(Record::SurfaceDestroyed(SurfaceDestroyed {
                    t_ns: clock::now(),
                    surface: info.id,
                }));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdk3_window_states_become_toplevel_states() {
        // GDK 3: WITHDRAWN 1, ICONIFIED 2, MAXIMIZED 4, FOCUSED 128, TILED 256.
        assert_eq!(toplevel_state(1), 0);
        assert_eq!(toplevel_state(2), ToplevelState::MINIMIZED.0);
        assert_eq!(toplevel_state(4), ToplevelState::MAXIMIZED.0);
        assert_eq!(
            toplevel_state(128 | 256),
            ToplevelState::FOCUSED.0 | ToplevelState::TILED.0
        );
    }
}
