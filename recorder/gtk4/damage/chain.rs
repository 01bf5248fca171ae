//! Which original a wrapper calls, and which class's original runs now: the bookkeeping
//! that lets a subclass's vfunc chain up to its patched parent through the wrapper.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};

use gdkrecord_format::Renderer;
use glib_sys::GType;

use super::patch::{patches, Patches, PATCH_GENERATION};
use super::Drawer;

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
pub(super) struct Chain {
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
    /// The renderer or draw context of the last call on the main thread (0: none) and
    /// what it drew into: the session's drawer table, for the one that draws every frame,
    /// on the line this wrapper reads anyway.
    drawer: AtomicUsize,
    drawer_surface: AtomicUsize,
    drawer_renderer: AtomicU8,
    drawer_scale: AtomicU8,
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
            drawer: AtomicUsize::new(0),
            drawer_surface: AtomicUsize::new(0),
            drawer_renderer: AtomicU8::new(0),
            drawer_scale: AtomicU8::new(1),
        }
    }

    /// What `drawer` drew into last time, if it was the last one seen (main thread).
    #[inline(always)]
    pub(super) fn cached_drawer(&self, drawer: usize) -> Option<Drawer> {
        (self.drawer.load(Ordering::Relaxed) == drawer).then(|| Drawer {
            surface: self.drawer_surface.load(Ordering::Relaxed),
            renderer: Renderer(self.drawer_renderer.load(Ordering::Relaxed)),
            scale: self.drawer_scale.load(Ordering::Relaxed),
        })
    }

    /// Remembers what `drawer` draws into (main thread).
    pub(super) fn remember_drawer(&self, drawer: usize, known: Drawer) {
        self.drawer.store(0, Ordering::Relaxed);
        self.drawer_surface.store(known.surface, Ordering::Relaxed);
        self.drawer_renderer
            .store(known.renderer.0, Ordering::Relaxed);
        self.drawer_scale.store(known.scale, Ordering::Relaxed);
        self.drawer.store(drawer, Ordering::Relaxed);
    }

    /// Forgets the last drawer (its widget was unrealized: the address may come back).
    pub(super) fn forget_drawer(&self) {
        self.drawer.store(0, Ordering::Relaxed);
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

pub(super) static RENDER: Chain = Chain::new(&RENDER_RUNNING);
pub(super) static END_FRAME: Chain = Chain::new(&END_FRAME_RUNNING);

impl Chain {
    /// The GType whose original runs on this thread now (0: none).
    #[inline(always)]
    pub(super) fn running(&self, on_main: bool) -> GType {
        if on_main {
            self.running.load(Ordering::Relaxed)
        } else {
            self.other_threads.with(Cell::get)
        }
    }

    /// Calls `original` with `gtype` marked as running, then marks `previous` again.
    #[inline(always)]
    pub(super) fn run_as(
        &self,
        on_main: bool,
        gtype: GType,
        previous: GType,
        original: impl FnOnce(),
    ) {
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
    pub(super) fn resolve<F: Copy>(
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
