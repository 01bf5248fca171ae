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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use gdk4_sys::{GdkDrawContext, GdkSurface};
use gdkrecord_format::{Damage, Record, Renderer};
use glib_sys::GType;
use gsk4_sys::{GskRenderNode, GskRenderer};

use crate::clock;
use crate::ffi::{
    type_of, CairoRegion, EndFrameFn, GdkDrawContextClassMirror, GskRendererClassMirror, RenderFn,
};
use crate::queue::{self, Entry, InlineRegion, INLINE_RECTS};
use crate::region;
use crate::self_time::{FrameSite, Timer};
use crate::session::{on_main_thread, with_session, Session};

/// Whether damage capture is on, and why not.
static STATUS: OnceLock<(bool, String)> = OnceLock::new();

#[derive(Debug, Default)]
struct Patches {
    renderers: Vec<(GType, RenderFn)>,
    contexts: Vec<(GType, EndFrameFn)>,
}

static PATCHES: Mutex<Patches> = Mutex::new(Patches {
    renderers: Vec::new(),
    contexts: Vec::new(),
});
/// A new renderer class was patched: look for its draw-context classes at its next render.
static SCAN_CONTEXTS: AtomicBool = AtomicBool::new(false);
/// Bumped whenever a class is patched (a cached lookup may be stale then).
static PATCH_GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The GType whose original `render` is running on this thread (0: none), for
    /// threads other than GTK's main thread.
    static RENDER_RUNNING: Cell<GType> = const { Cell::new(0) };
    /// The same for `end_frame`.
    static END_FRAME_RUNNING: Cell<GType> = const { Cell::new(0) };
}

/// One wrapped vfunc's bookkeeping: which class's original runs now (for chaining up),
/// and which original to call. On GTK's main thread, where it renders: statics rather
/// than the thread-local (each access a call into `ld.so` from a `dlopen()`ed library),
/// and the last outermost lookup cached rather than taken under [`PATCHES`]' lock; only
/// the main thread touches those fields.
#[derive(Debug)]
struct Chain {
    /// The thread-local for other threads.
    other_threads: &'static std::thread::LocalKey<Cell<GType>>,
    /// The GType whose original runs on the main thread now (0: none).
    running: AtomicUsize,
    /// The instance type of the last outermost call, at [`PATCH_GENERATION`]
    /// `generation`, and what it resolved to: the patched type and its original.
    instance_type: AtomicUsize,
    generation: AtomicU64,
    patched_type: AtomicUsize,
    original: AtomicUsize,
}

impl Chain {
    const fn new(other_threads: &'static std::thread::LocalKey<Cell<GType>>) -> Chain {
        Chain {
            other_threads,
            running: AtomicUsize::new(0),
            instance_type: AtomicUsize::new(0),
            generation: AtomicU64::new(u64::MAX),
            patched_type: AtomicUsize::new(0),
            original: AtomicUsize::new(0),
        }
    }

    /// The cached resolution of `instance_type`, if still valid.
    #[inline(always)]
    fn cached(&self, instance_type: GType) -> Option<(GType, usize)> {
        (self.instance_type.load(Ordering::Relaxed) == instance_type
            && self.generation.load(Ordering::Relaxed) == PATCH_GENERATION.load(Ordering::Acquire))
        .then(|| {
            (
                self.patched_type.load(Ordering::Relaxed),
                self.original.load(Ordering::Relaxed),
            )
        })
    }

    fn remember(&self, instance_type: GType, generation: u64, found: (GType, usize)) {
        self.instance_type.store(instance_type, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Relaxed);
        self.patched_type.store(found.0, Ordering::Relaxed);
        self.original.store(found.1, Ordering::Relaxed);
    }
}

static RENDER: Chain = Chain::new(&RENDER_RUNNING);
static END_FRAME: Chain = Chain::new(&END_FRAME_RUNNING);

/// What drew into a surface: a renderer or draw context's surface and what it is,
/// cached per instance in the session (asking GSK/GDK costs a type check and a call into
/// cold code every frame). Emptied whenever a native widget unrealizes, as its renderer
/// and draw context go with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drawer {
    surface: usize,
    renderer: Renderer,
}

impl Default for Drawer {
    fn default() -> Drawer {
        Drawer {
            surface: 0,
            renderer: Renderer::UNKNOWN,
        }
    }
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
        PATCH_GENERATION.fetch_add(1, Ordering::Release);
    }
    SCAN_CONTEXTS.store(true, Ordering::Release);
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
                PATCH_GENERATION.fetch_add(1, Ordering::Release);
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
#[inline(never)]
unsafe fn frame_counter(surface: *mut GdkSurface) -> i64 {
    let clock = unsafe { gdk4_sys::gdk_surface_get_frame_clock(surface) };
    if clock.is_null() {
        -1
    } else {
        unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) }
    }
}

/// The renderer a GSK renderer or GDK draw context stands for, from its type name.
unsafe fn renderer_kind<T>(instance: *mut T) -> Renderer {
    let name = unsafe { gobject_sys::g_type_name(type_of(instance)) };
    if name.is_null() {
        Renderer::UNKNOWN
    } else {
        Renderer::from_type_name(&unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy())
    }
}

/// Records `region` as drawn now (Damage, or Painted when `painted`) by `drawer` (a
/// renderer or draw context), on the surface and by the renderer `drawn_by` names when
/// the drawer is new; timed as frame work from `started` (the wrapper's entry, a
/// CLOCK_MONOTONIC reading that is also the record's time); a panic stops the recording.
#[inline(always)]
fn record_timed(
    started: u64,
    region: *const CairoRegion,
    painted: bool,
    drawer: usize,
    drawn_by: impl FnOnce() -> Drawer,
) {
    crate::guard((), || {
        let timer = Timer::start_at(started);
        let t_ns = clock::since_start(started);
        with_session(|session| {
            let drawer = match session.drawers.get_mut(drawer) {
                Some(known) => *known,
                None => new_drawer(session, drawer, drawn_by),
            };
            unsafe { record_region(session, drawer, region, painted, t_ns) };
        });
        timer.stop_frame_work(
            if painted {
                FrameSite::Painted
            } else {
                FrameSite::Damage
            },
            false,
        );
    });
}

/// A region of more than [`INLINE_RECTS`] rectangles: read again into a record.
///
/// # Safety
/// `region` is a valid `cairo_region_t`.
#[inline(never)]
unsafe fn record_large_region(
    session: &mut Session,
    head: InlineRegion,
    region: *const CairoRegion,
) {
    let mut rects = Vec::new();
    unsafe { region::for_each_rect(region, |rect| rects.push(rect)) };
    let damage = Damage {
        t_ns: head.t_ns,
        surface: head.surface,
        frame: head.frame,
        renderer: head.renderer,
        rects,
    };
    session.write(if head.painted {
        Record::Painted(damage)
    } else {
        Record::Damage(damage)
    });
}

/// Looks a drawer seen for the first time up, and remembers it.
#[inline(never)]
fn new_drawer(session: &mut Session, key: usize, drawn_by: impl FnOnce() -> Drawer) -> Drawer {
    *session.drawers.insert(key, drawn_by())
}

/// Writes a Damage (or Painted) record for `region` drawn by `drawer`.
#[inline(always)]
unsafe fn record_region(
    session: &mut Session,
    drawer: Drawer,
    region: *const CairoRegion,
    painted: bool,
    t_ns: u64,
) {
    let surface = drawer.surface as *mut GdkSurface;
    if surface.is_null() {
        return;
    }
    let renderer = drawer.renderer;
    let frame = match session.current_frame {
        // Drawn outside a frame-clock cycle: ask the surface's clock.
        -1 => unsafe { frame_counter(surface) },
        frame => frame,
    };
    let surface = unsafe { session.surface_id(surface) };
    let mut inline = InlineRegion {
        t_ns,
        frame,
        surface,
        renderer,
        painted,
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
    if n <= INLINE_RECTS {
        queue::send_entry(Entry::Region(inline), true);
    } else {
        unsafe { record_large_region(session, inline, region) };
    }
}

impl Chain {
    /// The GType whose original runs on this thread now (0: none).
    #[inline(always)]
    fn running(&self, on_main: bool) -> GType {
        if on_main {
            self.running.load(Ordering::Relaxed)
        } else {
            self.other_threads.with(Cell::get)
        }
    }

    /// Calls `original` with `gtype` marked as running, then marks `previous` again.
    #[inline(always)]
    fn run_as(&self, on_main: bool, gtype: GType, previous: GType, original: impl FnOnce()) {
        if on_main {
            self.running.store(gtype, Ordering::Relaxed);
            original();
            self.running.store(previous, Ordering::Relaxed);
        } else {
            self.other_threads.with(|r| r.set(gtype));
            original();
            self.other_threads.with(|r| r.set(previous));
        }
    }

    /// The original to call for an instance of `instance_type` (or, when `running` is
    /// not 0, for the class above `running`, whose original is running), as `(patched
    /// type, function address)`.
    #[inline(always)]
    fn resolve<F: Copy>(
        &self,
        on_main: bool,
        running: GType,
        instance_type: GType,
        table: fn(&Patches) -> &[(GType, F)],
        address: fn(F) -> usize,
    ) -> Option<(GType, usize)> {
        if on_main && running == 0 {
            if let Some(hit) = self.cached(instance_type) {
                return Some(hit);
            }
        }
        self.resolve_locked(on_main, running, instance_type, table, address)
    }

    /// [`Chain::resolve`] through [`PATCHES`].
    #[inline(never)]
    fn resolve_locked<F: Copy>(
        &self,
        on_main: bool,
        running: GType,
        instance_type: GType,
        table: fn(&Patches) -> &[(GType, F)],
        address: fn(F) -> usize,
    ) -> Option<(GType, usize)> {
        let generation = PATCH_GENERATION.load(Ordering::Acquire);
        let from = if running == 0 {
            instance_type
        } else {
            unsafe { gobject_sys::g_type_parent(running) }
        };
        let found = original_from(table(&patches()), from).map(|(t, f)| (t, address(f)))?;
        if on_main && running == 0 {
            self.remember(instance_type, generation, found);
        }
        Some(found)
    }
}

/// After a renderer class was patched: its draw contexts' classes (created with it).
#[inline(never)]
fn scan_draw_contexts() {
    let mut patches = patches();
    unsafe { patch_draw_contexts(&mut patches, gdk4_sys::gdk_draw_context_get_type()) };
}

#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn render_wrapper(
    renderer: *mut GskRenderer,
    root: *mut GskRenderNode,
    clip: *const CairoRegion,
) {
    let on_main = on_main_thread();
    // The wrapper's own bookkeeping counts as frame work too: the timer starts here.
    let started = (on_main && crate::session::recording()).then(clock::monotonic_ns);
    let running = RENDER.running(on_main);
    let outermost = running == 0;
    let original = RENDER.resolve(
        on_main,
        running,
        unsafe { type_of(renderer) },
        |patches| &patches.renderers,
        |f| f as usize,
    );
    if outermost
        && SCAN_CONTEXTS.load(Ordering::Relaxed)
        && SCAN_CONTEXTS.swap(false, Ordering::AcqRel)
    {
        scan_draw_contexts();
    }
    if let (true, Some(started)) = (outermost, started) {
        record_timed(started, clip, false, renderer as usize, || unsafe {
            Drawer {
                surface: gsk4_sys::gsk_renderer_get_surface(renderer) as usize,
                renderer: renderer_kind(renderer),
            }
        });
    }
    let Some((gtype, original)) = original else {
        return;
    };
    // SAFETY: the address of a `render` taken from a class in `patch_renderer`.
    let original = unsafe { std::mem::transmute::<usize, RenderFn>(original) };
    RENDER.run_as(on_main, gtype, running, || unsafe {
        original(renderer, root, clip)
    });
}

#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn end_frame_wrapper(context: *mut GdkDrawContext, painted: *mut CairoRegion) {
    let on_main = on_main_thread();
    let started = (on_main && crate::session::recording()).then(clock::monotonic_ns);
    let running = END_FRAME.running(on_main);
    let outermost = running == 0;
    let original = END_FRAME.resolve(
        on_main,
        running,
        unsafe { type_of(context) },
        |patches| &patches.contexts,
        |f| f as usize,
    );
    if let (true, Some(started)) = (outermost, started) {
        record_timed(started, painted, true, context as usize, || unsafe {
            Drawer {
                surface: gdk4_sys::gdk_draw_context_get_surface(context) as usize,
                renderer: renderer_kind(context),
            }
        });
    }
    let Some((gtype, original)) = original else {
        return;
    };
    // SAFETY: the address of an `end_frame` taken from a class in `patch_draw_contexts`.
    let original = unsafe { std::mem::transmute::<usize, EndFrameFn>(original) };
    END_FRAME.run_as(on_main, gtype, running, || unsafe {
        original(context, painted)
    });
}
