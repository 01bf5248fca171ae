//! Repainted regions. GDK's public `GdkSurface::render` region is empty since GTK 4.8, so
//! the recorder wraps two private class vfuncs (see shared/notes/gtk-versions.md):
//! `GskRendererClass.render(renderer, root, clip)` gives the logical damage of each frame
//! (a Damage record) and `GdkDrawContextClass.end_frame(context, [context_data,] painted)`
//! what was really presented (a Painted record, in surface coordinates whatever the GTK
//! passes: `painted_space.rs`). Where they sit changed between GTK
//! releases: `layouts.rs` picks the layout from GTK's version and class sizes at load,
//! `proof.rs` proves it on the running process (before patching a class, and on the
//! first calls' arguments); any doubt turns capture off, puts the original vfuncs back
//! and says why in a DamageCapture record and on stderr.
//!
//! Patching is per concrete class, once, keeping the original function in a table by
//! GType. A subclass's vfunc that chains up to its (patched) parent re-enters the
//! wrapper: a per-thread "type whose original is running" makes the nested call walk up
//! from that type's parent, so every original runs exactly once and only the outermost
//! call records.

mod chain;
mod layouts;
mod painted_space;
mod patch;
mod proof;

use std::ffi::c_void;
use std::sync::atomic::Ordering;

use gdk4_sys::{GdkDrawContext, GdkSurface};
use gdkrecord_format::Renderer;
use gsk4_sys::{GskRenderNode, GskRenderer};

use self::chain::{Chain, END_FRAME, RENDER};
use self::layouts::PaintedArg;
use self::patch::{capturing, scan_draw_contexts, END_FRAME_PROOF, RENDER_PROOF, SCAN_CONTEXTS};
pub(crate) use self::patch::{check_layout, patch_renderer, status};
use crate::clock;
use crate::ffi::{type_of, CairoRegion, EndFrameFn, RenderFn};
use crate::queue::{self, InlineRegion, INLINE_RECTS};
use crate::self_time::{FrameSite, Timer};
use crate::session::on_main_thread;
use crate::tables::{with_session, Drawer, Session};

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

/// The scale factor of `surface` (null: 1), as a drawer caches it.
unsafe fn scale_of(surface: *mut GdkSurface) -> u8 {
    if surface.is_null() {
        return 1;
    }
    let scale = unsafe { gdk4_sys::gdk_surface_get_scale_factor(surface) };
    u8::try_from(scale).unwrap_or(u8::MAX)
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

/// Records `region` as drawn now (Damage from `render`'s `chain`, Painted from
/// `end_frame`'s) by `drawer` (a renderer or draw context), on the surface and by the
/// renderer `drawn_by` names when the drawer is new; timed as frame work from `started` (the wrapper's entry, a
/// CLOCK_MONOTONIC reading that is also the record's time); a panic stops the recording.
/// A painted region is recorded in surface coordinates (`painted_space.rs`). Returns the
/// drawer's surface scale (1 when unknown).
#[inline(always)]
fn record_timed(
    started: u64,
    region: *const CairoRegion,
    chain: &Chain,
    drawer: usize,
    drawn_by: impl FnOnce() -> Drawer,
) -> u8 {
    let painted = std::ptr::eq(chain, &END_FRAME);
    crate::guard(1, || {
        let timer = Timer::start_at(started);
        let t_ns = clock::since_start(started);
        let scale = with_session(|session| {
            let known = match chain.cached_drawer(drawer) {
                Some(known) => known,
                None => {
                    let known = match session.drawers.get_mut(drawer) {
                        Some(known) => *known,
                        None => new_drawer(session, drawer, drawn_by),
                    };
                    chain.remember_drawer(drawer, known);
                    known
                }
            };
            if painted && known.scale > 1 {
                unsafe { record_scaled_painted(session, known, region, t_ns) };
            } else {
                unsafe { record_region(session, known, region, painted, t_ns) };
            }
            known.scale
        });
        timer.stop_frame_work(
            if painted {
                FrameSite::Painted
            } else {
                FrameSite::Damage
            },
            false,
        );
        scale.unwrap_or(1)
    })
}

/// Records `end_frame`'s painted `region` of a surface at a scale above 1, in surface
/// coordinates whichever this GTK passes (`painted_space.rs`).
///
/// # Safety
/// `region` is null or a valid region.
#[inline(never)]
unsafe fn record_scaled_painted(
    session: &mut Session,
    drawer: Drawer,
    region: *const CairoRegion,
    t_ns: u64,
) {
    let painted = unsafe {
        painted_space::in_surface_coordinates(region, drawer.scale, || {
            session.surfaces.get(drawer.surface).map(|info| info.size)
        })
    };
    unsafe { record_region(session, drawer, painted.region(), true, t_ns) };
    painted.release();
}

/// Reads the frame's pixels back through `end_frame`'s painted `region` of a surface at
/// `scale` above 1, once the region's coordinates are known (`painted_space.rs`).
///
/// # Safety
/// As [`crate::pixels::read_back`].
#[inline(never)]
unsafe fn read_back_scaled(context: *mut GdkDrawContext, region: *const CairoRegion, scale: u8) {
    // Recording the region proved its space if it could: no size is needed here.
    let painted = unsafe { painted_space::in_surface_coordinates(region, scale, || None) };
    if let Some(region) = painted.proven() {
        unsafe { crate::pixels::read_back(context, region) };
    }
    painted.release();
}

/// Forgets every renderer and draw context seen (a native widget was unrealized: they
/// went with it, and their addresses may come back for others).
pub(crate) fn forget_drawers(session: &mut Session) {
    session.drawers.clear();
    RENDER.forget_drawer();
    END_FRAME.forget_drawer();
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
    let head = InlineRegion {
        t_ns,
        frame,
        surface,
        renderer,
        painted,
        len: 0,
        rects: [[0; 4]; INLINE_RECTS],
    };
    unsafe { queue::send_region(head, region, (0, 0)) };
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
    let mut recorded = false;
    if let (true, Some(started)) = (outermost, started) {
        if capturing()
            && (!RENDER_PROOF.checking()
                || patch::prove_render(renderer, root as usize, clip as usize))
        {
            recorded = true;
            record_timed(started, clip, &RENDER, renderer as usize, || unsafe {
                let surface = gsk4_sys::gsk_renderer_get_surface(renderer);
                Drawer {
                    surface: surface as usize,
                    renderer: renderer_kind(renderer),
                    scale: scale_of(surface),
                }
            });
        }
    }
    let Some((gtype, original)) = original else {
        return;
    };
    // Pixels only of calls whose arguments were proven (`recorded`): planned now, read
    // back by the `end_frame` inside the original, the rest drawn from `root` (which the
    // caller still holds) after the frame went out, so it is not late for its pixels.
    let pixels = recorded && crate::pixels::enabled();
    if pixels {
        unsafe { crate::pixels::plan(renderer, clip) };
    }
    // SAFETY: the address of a `render` taken from a class in `patch_renderer`.
    let original = unsafe { std::mem::transmute::<usize, RenderFn>(original) };
    RENDER.run_as(on_main, gtype, running, || unsafe {
        original(renderer, root, clip)
    });
    if pixels {
        unsafe { crate::pixels::finish(root) };
    }
}

/// Forwards both forms of `end_frame` (see [`EndFrameFn`]): the painted region is the
/// `second` or `third` argument, as the layout says.
#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn end_frame_wrapper(
    context: *mut GdkDrawContext,
    second: *mut c_void,
    third: *mut c_void,
) {
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
        let painted = match patch::painted_arg() {
            PaintedArg::Second => second,
            PaintedArg::Third => third,
        };
        if capturing()
            && (!END_FRAME_PROOF.checking() || patch::prove_end_frame(context, painted as usize))
        {
            // Recorded in surface coordinates, whichever this GTK passes (`painted_space.rs`).
            let scale = record_timed(
                started,
                painted.cast(),
                &END_FRAME,
                context as usize,
                || unsafe {
                    let surface = gdk4_sys::gdk_draw_context_get_surface(context);
                    Drawer {
                        surface: surface as usize,
                        renderer: renderer_kind(context),
                        scale: scale_of(surface),
                    }
                },
            );
            // Before the original presents the frame, whose pixels are still there (timed
            // as pixels, after the frame work's timer stopped).
            if crate::pixels::enabled() {
                if scale > 1 {
                    unsafe { read_back_scaled(context, painted.cast(), scale) };
                } else {
                    unsafe { crate::pixels::read_back(context, painted.cast()) };
                }
            }
        }
    }
    let Some((gtype, original)) = original else {
        return;
    };
    // SAFETY: the address of an `end_frame` taken from a class in `patch_draw_contexts`.
    let original = unsafe { std::mem::transmute::<usize, EndFrameFn>(original) };
    END_FRAME.run_as(on_main, gtype, running, || unsafe {
        original(context, second, third)
    });
}
