//! Repainted regions. GDK's public `GdkSurface::render` region is empty in GTK 4.8, so
//! the recorder wraps two private class vfuncs (see shared/notes/gtk4-hooking.md):
//! `GskRendererClass.render(renderer, root, clip)` gives the logical damage of each frame
//! (a Damage record) and `GdkDrawContextClass.end_frame(context, painted)` what was really
//! presented (a Painted record). The class layouts are checked at load with
//! `g_type_query` against mirror structs; on any mismatch nothing is patched and the
//! header says why.
//!
//! Patching is per concrete class, once, keeping the original function in a table by
//! GType. A subclass's vfunc that chains up to its (patched) parent re-enters the
//! wrapper: a per-thread "type whose original is running" makes the nested call walk up
//! from that type's parent, so every original runs exactly once and only the outermost
//! call records.

use std::cell::Cell;
use std::sync::{Mutex, OnceLock};

use gdk4_sys::{GdkDrawContext, GdkSurface};
use gdkrecord_format::{Damage, Record, Renderer};
use glib_sys::GType;
use gsk4_sys::{GskRenderNode, GskRenderer};

use crate::clock;
use crate::ffi::{
    region_rects, type_of, CairoRegion, EndFrameFn, GdkDrawContextClassMirror,
    GskRendererClassMirror, RenderFn,
};
use crate::self_time::Timer;
use crate::session::with_session;

/// Whether damage capture is on, and why not.
static STATUS: OnceLock<(bool, String)> = OnceLock::new();

#[derive(Debug, Default)]
struct Patches {
    renderers: Vec<(GType, RenderFn)>,
    contexts: Vec<(GType, EndFrameFn)>,
    /// A new renderer class was patched: look for its draw-context classes at its next render.
    scan_contexts: bool,
}

static PATCHES: Mutex<Patches> = Mutex::new(Patches {
    renderers: Vec::new(),
    contexts: Vec::new(),
    scan_contexts: false,
});

thread_local! {
    /// The GType whose original `render` is running on this thread (0: none).
    static RENDER_RUNNING: Cell<GType> = const { Cell::new(0) };
    /// The GType whose original `end_frame` is running on this thread (0: none).
    static END_FRAME_RUNNING: Cell<GType> = const { Cell::new(0) };
    /// The last renderer type seen by `render_wrapper`, and what it stands for.
    static RENDERER_KIND: Cell<(GType, Renderer)> = const { Cell::new((0, Renderer::UNKNOWN)) };
    /// The last draw-context type seen by `end_frame_wrapper`, and what it stands for.
    static CONTEXT_KIND: Cell<(GType, Renderer)> = const { Cell::new((0, Renderer::UNKNOWN)) };
}

fn patches() -> std::sync::MutexGuard<'static, Patches> {
    PATCHES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Checks GTK's private class layouts once (at load) and decides whether to capture damage.
pub(crate) fn check_layout() {
    STATUS.get_or_init(|| {
        if std::env::var_os("GDKRECORD_DAMAGE").is_some_and(|v| v == "0") {
            return (false, "turned off by GDKRECORD_DAMAGE=0".to_owned());
        }
        let checks = [
            ("GskRendererClass", unsafe { gsk4_sys::gsk_renderer_get_type() }, size_of::<GskRendererClassMirror>()),
            ("GdkDrawContextClass", unsafe { gdk4_sys::gdk_draw_context_get_type() }, size_of::<GdkDrawContextClassMirror>()),
        ];
        for (name, gtype, expected) in checks {
            let mut query: gobject_sys::GTypeQuery = unsafe { std::mem::zeroed() };
            unsafe { gobject_sys::g_type_query(gtype, &mut query) };
            if query.class_size as usize != expected {
                return (
                    false,
                    format!(
                        "{name} is {} bytes in this GTK, the recorder expects {expected} (GTK 4.8 layout): damage capture off",
                        query.class_size
                    ),
                );
            }
        }
        (true, String::new())
    });
}

/// `(damage_capture, damage_note)` for the header.
pub(crate) fn status() -> (bool, String) {
    STATUS
        .get()
        .cloned()
        .unwrap_or((false, "layout not checked".to_owned()))
}

fn enabled() -> bool {
    STATUS.get().is_some_and(|(on, _)| *on)
}

/// Wraps `render` of the renderer's class, once per class.
///
/// # Safety
/// `renderer` is null or a valid GskRenderer.
pub(crate) unsafe fn patch_renderer(renderer: *mut GskRenderer) {
    if renderer.is_null() || !enabled() {
        return;
    }
    let gtype = unsafe { type_of(renderer) };
    let mut patches = patches();
    if patches.renderers.iter().any(|(t, _)| *t == gtype) {
        return;
    }
    let class = unsafe { gobject_sys::g_type_class_peek(gtype) }.cast::<GskRendererClassMirror>();
    if class.is_null() {
        return;
    }
    let Some(original) = (unsafe { (*class).render }) else {
        return;
    };
    if original as usize != render_wrapper as RenderFn as usize {
        patches.renderers.push((gtype, original));
        unsafe { (*class).render = Some(render_wrapper) };
    }
    patches.scan_contexts = true;
}

/// Wraps `end_frame` of every draw-context class created so far (the renderer's own
/// context was created when it was realized, before its first render).
unsafe fn patch_draw_contexts(patches: &mut Patches, gtype: GType) {
    let class =
        unsafe { gobject_sys::g_type_class_peek(gtype) }.cast::<GdkDrawContextClassMirror>();
    if !class.is_null() && !patches.contexts.iter().any(|(t, _)| *t == gtype) {
        if let Some(original) = unsafe { (*class).end_frame } {
            if original as usize != end_frame_wrapper as EndFrameFn as usize {
                patches.contexts.push((gtype, original));
                unsafe { (*class).end_frame = Some(end_frame_wrapper) };
            }
        }
    }
    let mut n = 0;
    let children = unsafe { gobject_sys::g_type_children(gtype, &mut n) };
    if children.is_null() {
        return;
    }
    for i in 0..n as usize {
        unsafe { patch_draw_contexts(patches, *children.add(i)) };
    }
    unsafe { glib_sys::g_free(children.cast()) };
}

/// The original of the first patched type at or above `from`.
fn original_from<F: Copy>(table: &[(GType, F)], mut from: GType) -> Option<(GType, F)> {
    while from != 0 {
        if let Some(entry) = table.iter().find(|(t, _)| *t == from) {
            return Some(*entry);
        }
        from = unsafe { gobject_sys::g_type_parent(from) };
    }
    None
}

/// Frame counter of the surface's frame clock, or -1.
unsafe fn frame_counter(surface: *mut GdkSurface) -> i64 {
    let clock = unsafe { gdk4_sys::gdk_surface_get_frame_clock(surface) };
    if clock.is_null() {
        -1
    } else {
        unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) }
    }
}

/// The renderer a GSK renderer or GDK draw context stands for, from its type name
/// (worked out once per type: `cache` holds the last type seen and its answer).
unsafe fn renderer_kind<T>(
    instance: *mut T,
    cache: &'static std::thread::LocalKey<Cell<(GType, Renderer)>>,
) -> Renderer {
    let gtype = unsafe { type_of(instance) };
    let (cached_type, cached_kind) = cache.with(Cell::get);
    if cached_type == gtype {
        return cached_kind;
    }
    let name = unsafe { gobject_sys::g_type_name(gtype) };
    let kind = if name.is_null() {
        Renderer::UNKNOWN
    } else {
        Renderer::from_type_name(&unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy())
    };
    cache.with(|c| c.set((gtype, kind)));
    kind
}

/// Records `region` as drawn now (Damage, or Painted when `painted`), on the surface and
/// by the renderer `drawn_by` names, timed as frame work; a panic stops the recording.
fn record_timed(
    region: *const CairoRegion,
    painted: bool,
    drawn_by: impl FnOnce() -> (*mut GdkSurface, Renderer),
) {
    crate::guard((), || {
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let (surface, renderer) = drawn_by();
        unsafe {
            record_region(
                surface,
                renderer,
                region,
                painted,
                clock::since_start(monotonic),
            );
        }
        timer.stop_frame_work(false);
    });
}

/// Writes a Damage (or Painted) record for `region` on `surface`.
unsafe fn record_region(
    surface: *mut GdkSurface,
    renderer: Renderer,
    region: *const CairoRegion,
    painted: bool,
    t_ns: u64,
) {
    if surface.is_null() {
        return;
    }
    let frame = unsafe { frame_counter(surface) };
    with_session(|session| {
        let surface = unsafe { session.surface_id(surface) };
        // The rectangles go into the session's reused buffer: no allocation per frame.
        let mut rects = std::mem::take(&mut session.rects);
        unsafe { region_rects(region, &mut rects) };
        let damage = Damage {
            t_ns,
            surface,
            frame,
            renderer,
            rects,
        };
        let record = if painted {
            Record::Painted(damage)
        } else {
            Record::Damage(damage)
        };
        session.write(&record);
        if let Record::Painted(damage) | Record::Damage(damage) = record {
            session.rects = damage.rects;
        }
    });
}

unsafe extern "C" fn render_wrapper(
    renderer: *mut GskRenderer,
    root: *mut GskRenderNode,
    clip: *const CairoRegion,
) {
    let running = RENDER_RUNNING.with(Cell::get);
    let outermost = running == 0;
    let original = {
        let mut patches = patches();
        let from = if outermost {
            unsafe { type_of(renderer) }
        } else {
            unsafe { gobject_sys::g_type_parent(running) }
        };
        let original = original_from(&patches.renderers, from);
        let scan = outermost && std::mem::take(&mut patches.scan_contexts);
        if scan {
            unsafe { patch_draw_contexts(&mut patches, gdk4_sys::gdk_draw_context_get_type()) };
        }
        original
    };
    if outermost && crate::session::recording() {
        record_timed(clip, false, || unsafe {
            (
                gsk4_sys::gsk_renderer_get_surface(renderer),
                renderer_kind(renderer, &RENDERER_KIND),
            )
        });
    }
    let Some((gtype, original)) = original else {
        return;
    };
    RENDER_RUNNING.with(|r| r.set(gtype));
    unsafe { original(renderer, root, clip) };
    RENDER_RUNNING.with(|r| r.set(running));
}

unsafe extern "C" fn end_frame_wrapper(context: *mut GdkDrawContext, painted: *mut CairoRegion) {
    let running = END_FRAME_RUNNING.with(Cell::get);
    let outermost = running == 0;
    let original = {
        let patches = patches();
        let from = if outermost {
            unsafe { type_of(context) }
        } else {
            unsafe { gobject_sys::g_type_parent(running) }
        };
        original_from(&patches.contexts, from)
    };
    if outermost && crate::session::recording() {
        record_timed(painted, true, || unsafe {
            (
                gdk4_sys::gdk_draw_context_get_surface(context),
                renderer_kind(context, &CONTEXT_KIND),
            )
        });
    }
    let Some((gtype, original)) = original else {
        return;
    };
    END_FRAME_RUNNING.with(|r| r.set(gtype));
    unsafe { original(context, painted) };
    END_FRAME_RUNNING.with(|r| r.set(running));
}
