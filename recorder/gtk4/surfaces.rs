//! Surfaces: a small id for each GdkSurface, its Surface record when first seen, and
//! per-instance watchers (weak ref, `notify::state`, `notify::scale-factor`) for the
//! records GLib cannot give through emission hooks (`GObject::notify` has NO_HOOKS).

use std::ffi::c_void;

use gdk4_sys::GdkSurface;
use gdkrecord_format::{
    Record, Scale, Size, State, Surface, SurfaceDestroyed, SurfaceId, SurfaceKind, ToplevelState,
};
use gobject_sys::{GObject, GParamSpec};

use crate::clock;
use crate::ffi::{is_a, type_name_of};
use crate::hot::HOT;
use crate::tables::{with_session, Session, SurfaceInfo};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

unsafe fn surface_kind(surface: *mut GdkSurface) -> SurfaceKind {
    unsafe {
        if is_a(surface, gdk4_sys::gdk_toplevel_get_type()) {
            SurfaceKind::TOPLEVEL
        } else if is_a(surface, gdk4_sys::gdk_popup_get_type()) {
            SurfaceKind::POPUP
        } else if is_a(surface, gdk4_sys::gdk_drag_surface_get_type()) {
            SurfaceKind::DRAG
        } else {
            SurfaceKind::OTHER
        }
    }
}

impl Session {
    /// The id of `surface`, registering it (and its parent) on first sight.
    ///
    /// # Safety
    /// `surface` is a valid GdkSurface.
    #[inline(always)]
    pub(crate) unsafe fn surface_id(&mut self, surface: *mut GdkSurface) -> SurfaceId {
        if HOT.last_surface.load(Ordering::Relaxed) == surface as usize {
            return SurfaceId(HOT.last_surface_id.load(Ordering::Relaxed));
        }
        unsafe { self.look_surface_up(surface) }
    }

    /// [`Session::surface_id`] for another surface than the last one.
    ///
    /// # Safety
    /// `surface` is a valid GdkSurface.
    #[inline(never)]
    unsafe fn look_surface_up(&mut self, surface: *mut GdkSurface) -> SurfaceId {
        let key = surface as usize;
        let id = match self.known_surface(key) {
            Some(id) => id,
            None => unsafe { self.register_surface(surface, None) },
        };
        HOT.last_surface_id.store(id.0, Ordering::Relaxed);
        HOT.last_surface.store(key, Ordering::Relaxed);
        id
    }

    /// Writes the Surface record of a surface seen for the first time and starts
    /// watching it. `widget_type` is the GtkNative's type when the caller knows it.
    ///
    /// # Safety
    /// `surface` is a valid GdkSurface not yet registered.
    pub(crate) unsafe fn register_surface(
        &mut self,
        surface: *mut GdkSurface,
        widget_type: Option<String>,
    ) -> SurfaceId {
        let kind = unsafe { surface_kind(surface) };
        let parent = if kind == SurfaceKind::POPUP {
            let parent = unsafe { gdk4_sys::gdk_popup_get_parent(surface.cast()) };
            (!parent.is_null()).then(|| unsafe { self.surface_id(parent) })
        } else {
            None
        };
        let id = SurfaceId(self.next_surface);
        self.next_surface += 1;
        let widget_type = widget_type.or_else(|| {
            let native = unsafe { gtk4_sys::gtk_native_get_for_surface(surface) };
            (!native.is_null()).then(|| unsafe { type_name_of(native) })
        });
        let (width, height, scale) = unsafe {
            (
                gdk4_sys::gdk_surface_get_width(surface),
                gdk4_sys::gdk_surface_get_height(surface),
                gdk4_sys::gdk_surface_get_scale_factor(surface),
            )
        };
        let state = if kind == SurfaceKind::TOPLEVEL {
            unsafe { gdk4_sys::gdk_toplevel_get_state(surface.cast()) }
        } else {
            0
        };
        self.surfaces.insert(
            surface as usize,
            SurfaceInfo {
                id,
                size: (width, height),
                scale,
                state,
            },
        );
        unsafe { watch_surface(surface, kind == SurfaceKind::TOPLEVEL) };
        let frame_clock = unsafe { gdk4_sys::gdk_surface_get_frame_clock(surface) };
        if !frame_clock.is_null() {
            // Popups share their parent's clock, registered before them.
            let clock = unsafe { self.clock_state(frame_clock) };
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

    /// Writes a Size record when the size differs from the last one recorded.
    ///
    /// # Safety
    /// `surface` is a valid GdkSurface.
    #[inline(always)]
    pub(crate) unsafe fn surface_size(
        &mut self,
        surface: *mut GdkSurface,
        width: i32,
        height: i32,
    ) {
        let unchanged = self
            .surfaces
            .get_mut(surface as usize)
            .is_some_and(|info| info.size == (width, height));
        if !unchanged {
            unsafe { self.size_changed(surface, width, height) };
        }
        if self
            .surfaces
            .get(surface as usize)
            .is_some_and(|info| info.size == (width, height))
        {
            LAST_SIZE.remember(surface as usize, width, height);
        }
    }

    /// Writes a Size record (registering the surface if new).
    ///
    /// # Safety
    /// `surface` is a valid GdkSurface.
    #[inline(never)]
    unsafe fn size_changed(&mut self, surface: *mut GdkSurface, width: i32, height: i32) {
        let id = unsafe { self.surface_id(surface) };
        let Some(info) = self.surface_info(surface as usize) else {
            return;
        };
        if info.size == (width, height) {
            return;
        }
        info.size = (width, height);
        self.write(Record::Size(Size {
            t_ns: clock::now(),
            surface: id,
            width,
            height,
        }));
    }
}

/// The surface whose size was checked last and that size, as recorded: every frame
/// `GdkSurface::layout` gives the same, and this line is all that check then reads (not
/// the session's tables). Main thread only; forgotten with the surface.
#[repr(C, align(64))]
#[derive(Debug)]
pub(crate) struct LastSize {
    surface: AtomicUsize,
    /// Width in the high 32 bits, height in the low ones.
    size: AtomicU64,
}

pub(crate) static LAST_SIZE: LastSize = LastSize {
    surface: AtomicUsize::new(0),
    size: AtomicU64::new(0),
};

impl LastSize {
    fn pack(width: i32, height: i32) -> u64 {
        u64::from(width as u32) << 32 | u64::from(height as u32)
    }

    /// Whether `surface`'s recorded size is `width` × `height`, as far as this line knows.
    #[inline(always)]
    pub(crate) fn is(&self, surface: usize, width: i32, height: i32) -> bool {
        self.surface.load(Ordering::Relaxed) == surface
            && self.size.load(Ordering::Relaxed) == Self::pack(width, height)
    }

    fn remember(&self, surface: usize, width: i32, height: i32) {
        self.size
            .store(Self::pack(width, height), Ordering::Relaxed);
        self.surface.store(surface, Ordering::Relaxed);
    }

    fn forget(&self, surface: usize) {
        if self.surface.load(Ordering::Relaxed) == surface {
            self.surface.store(0, Ordering::Relaxed);
        }
    }
}

/// A `notify::<property>` handler.
type NotifyFn = unsafe extern "C" fn(*mut GObject, *mut GParamSpec, *mut c_void);

/// Connects the per-instance watchers.
unsafe fn watch_surface(surface: *mut GdkSurface, toplevel: bool) {
    let object = surface.cast::<GObject>();
    unsafe {
        gobject_sys::g_object_weak_ref(object, Some(on_surface_finalized), std::ptr::null_mut());
        let notify: NotifyFn = on_scale_notify;
        gobject_sys::g_signal_connect_data(
            object,
            c"notify::scale-factor".as_ptr(),
            Some(std::mem::transmute::<NotifyFn, unsafe extern "C" fn()>(
                notify,
            )),
            std::ptr::null_mut(),
            None,
            0,
        );
        if toplevel {
            let notify: NotifyFn = on_state_notify;
            gobject_sys::g_signal_connect_data(
                object,
                c"notify::state".as_ptr(),
                Some(std::mem::transmute::<NotifyFn, unsafe extern "C" fn()>(
                    notify,
                )),
                std::ptr::null_mut(),
                None,
                0,
            );
        }
    }
}

unsafe extern "C" fn on_surface_finalized(_data: *mut c_void, where_the_object_was: *mut GObject) {
    crate::guard((), || {
        with_session(|session| {
            if HOT.last_surface.load(Ordering::Relaxed) == where_the_object_was as usize {
                HOT.last_surface.store(0, Ordering::Relaxed);
            }
            LAST_SIZE.forget(where_the_object_was as usize);
            let key = where_the_object_was as usize;
            if let Some(info) = session.surfaces.remove(key) {
                session.write(Record::SurfaceDestroyed(SurfaceDestroyed {
                    t_ns: clock::now(),
                    surface: info.id,
                }));
            }
        });
    })
}

unsafe extern "C" fn on_state_notify(
    object: *mut GObject,
    _pspec: *mut GParamSpec,
    _data: *mut c_void,
) {
    crate::guard((), || {
        let state = unsafe { gdk4_sys::gdk_toplevel_get_state(object.cast()) };
        with_session(|session| {
            let Some(info) = session.surface_info(object as usize) else {
                return;
            };
            if info.state == state {
                return;
            }
            info.state = state;
            let id = info.id;
            session.write(Record::State(State {
                t_ns: clock::now(),
                surface: id,
                state: ToplevelState(state),
            }));
        });
    })
}

unsafe extern "C" fn on_scale_notify(
    object: *mut GObject,
    _pspec: *mut GParamSpec,
    _data: *mut c_void,
) {
    crate::guard((), || {
        let scale = unsafe { gdk4_sys::gdk_surface_get_scale_factor(object.cast()) };
        with_session(|session| {
            let Some(info) = session.surface_info(object as usize) else {
                return;
            };
            if info.scale == scale {
                return;
            }
            info.scale = scale;
            let id = info.id;
            session.write(Record::Scale(Scale {
                t_ns: clock::now(),
                surface: id,
                scale_factor: scale,
            }));
            // Renderers and draw contexts cache their surface's scale: look them up again.
            crate::damage::forget_drawers(session);
        });
    })
}
