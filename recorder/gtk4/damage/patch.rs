//! Deciding whether to capture damage, patching classes, proving the layout on the first
//! calls, and putting everything back when the proof fails.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use gdkrecord_format::{CaptureState, DamageCapture, DamageVfunc, Record};
use glib_sys::GType;

use super::layouts::{self, Layout, PaintedArg};
use super::proof::{self, RegionProof};
use super::{end_frame_wrapper, render_wrapper};
use crate::clock;
use crate::ffi::{class_slot, gtk_version, EndFrameFn, RenderFn};
use crate::layout_check::LayoutCheck;
use crate::session;

/// What was decided at load.
#[derive(Debug, Clone)]
struct Status {
    /// The layout, when capture is on.
    layout: Option<Layout>,
    /// Why capture is off, or a remark (a GTK outside the table); empty otherwise.
    note: String,
}

static STATUS: OnceLock<Status> = OnceLock::new();
/// Capture is on: the layout was chosen and no proof has failed since.
static CAPTURING: AtomicBool = AtomicBool::new(false);
/// Proofs of the first calls of each wrapped vfunc.
pub(super) static RENDER_PROOF: LayoutCheck = LayoutCheck::new();
pub(super) static END_FRAME_PROOF: LayoutCheck = LayoutCheck::new();

/// The originals of every class patched, by GType.
#[derive(Debug, Default)]
pub(super) struct Patches {
    pub renderers: Vec<(GType, RenderFn)>,
    pub contexts: Vec<(GType, EndFrameFn)>,
}

static PATCHES: Mutex<Patches> = Mutex::new(Patches {
    renderers: Vec::new(),
    contexts: Vec::new(),
});
/// A new renderer class was patched: look for its draw-context classes at its next render.
pub(super) static SCAN_CONTEXTS: AtomicBool = AtomicBool::new(false);
/// Bumped whenever a class is patched (a cached lookup may be stale then).
pub(super) static PATCH_GENERATION: AtomicU64 = AtomicU64::new(0);

pub(super) fn patches() -> MutexGuard<'static, Patches> {
    PATCHES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The size of a class struct (`g_type_query`), 0 if unknown.
fn class_size(gtype: GType) -> usize {
    let mut query: gobject_sys::GTypeQuery = unsafe { std::mem::zeroed() };
    unsafe { gobject_sys::g_type_query(gtype, &mut query) };
    query.class_size as usize
}

fn type_name(gtype: GType) -> String {
    unsafe { crate::ffi::c_string(gobject_sys::g_type_name(gtype)) }
}

/// Chooses the layout once (at load) from GTK's version and its class sizes.
pub(crate) fn check_layout() {
    STATUS.get_or_init(|| {
        if std::env::var_os("GDKRECORD_DAMAGE").is_some_and(|v| v == "0") {
            return Status {
                layout: None,
                note: "turned off by GDKRECORD_DAMAGE=0".to_owned(),
            };
        }
        let version = gtk_version();
        let renderer_class = class_size(unsafe { gsk4_sys::gsk_renderer_get_type() });
        let draw_context_class = class_size(unsafe { gdk4_sys::gdk_draw_context_get_type() });
        let chosen = match std::env::var("GDKRECORD_DAMAGE_LAYOUT") {
            Ok(name) if !name.is_empty() => {
                layouts::forced(&name, version, renderer_class, draw_context_class)
            }
            _ => layouts::choose(version, renderer_class, draw_context_class),
        };
        match chosen {
            Ok((layout, remark)) => {
                CAPTURING.store(true, Ordering::Release);
                if !remark.is_empty() {
                    eprintln!("gdkrecord: {remark}");
                }
                Status {
                    layout: Some(layout),
                    note: remark,
                }
            }
            Err(note) => {
                eprintln!("gdkrecord: {note}");
                Status { layout: None, note }
            }
        }
    });
}

/// `(damage_capture, damage_note, damage_layout)` for the header.
pub(crate) fn status() -> (bool, String, String) {
    match STATUS.get() {
        Some(status) => (
            status.layout.is_some() && capturing(),
            status.note.clone(),
            status.layout.map_or("", |l| l.name).to_owned(),
        ),
        None => (false, "layout not checked".to_owned(), String::new()),
    }
}

/// Whether regions are recorded (and classes patched) now.
#[inline(always)]
pub(super) fn capturing() -> bool {
    CAPTURING.load(Ordering::Relaxed)
}

fn layout() -> Option<Layout> {
    STATUS.get().and_then(|s| s.layout)
}

/// Where `end_frame` takes its painted region in this GTK.
#[inline(always)]
pub(super) fn painted_arg() -> PaintedArg {
    layout().map_or(PaintedArg::Second, |l| l.painted_arg)
}

fn capture_record(gtype: GType, vfunc: DamageVfunc, state: CaptureState, note: String) {
    session::emit(Record::DamageCapture(DamageCapture {
        t_ns: clock::now(),
        class_name: type_name(gtype),
        vfunc,
        damage_layout: layout().map_or("", |l| l.name).to_owned(),
        state,
        note,
    }));
}

/// Wraps `render` of the renderer's class, once per class, after checking the class
/// holds GTK's code where the layout says.
///
/// # Safety
/// `renderer` is null or a valid GskRenderer.
pub(crate) unsafe fn patch_renderer(renderer: *mut gsk4_sys::GskRenderer) {
    let Some(layout) = layout().filter(|_| capturing() && !renderer.is_null()) else {
        return;
    };
    let gtype = unsafe { crate::ffi::type_of(renderer) };
    let mut patches = patches();
    if patches.renderers.iter().any(|(t, _)| *t == gtype) {
        return;
    }
    let class = unsafe { gobject_sys::g_type_class_peek(gtype) };
    if class.is_null() || class_size(gtype) < layout.renderer_class_size {
        return;
    }
    let slot = unsafe { class_slot::<RenderFn>(class, layout.render_offset) };
    let current = unsafe { *slot };
    if current.is_some_and(|f| f as usize == render_wrapper as RenderFn as usize) {
        // Inherited from a patched parent: the wrapper resolves it through the parent.
        SCAN_CONTEXTS.store(true, Ordering::Release);
        return;
    }
    let checked = proof::check_class(
        class as usize,
        layout.render_offset,
        layout.renderer_neighbours,
    );
    let (Ok(()), Some(original)) = (checked.clone(), current) else {
        drop(patches);
        let why = checked
            .err()
            .unwrap_or_else(|| "render is empty".to_owned());
        refuse(gtype, DamageVfunc::RENDER, why);
        return;
    };
    patches.renderers.push((gtype, original));
    unsafe { *slot = Some(render_wrapper) };
    PATCH_GENERATION.fetch_add(1, Ordering::Release);
    SCAN_CONTEXTS.store(true, Ordering::Release);
    drop(patches);
    capture_record(
        gtype,
        DamageVfunc::RENDER,
        CaptureState::PATCHED,
        format!("render at offset {}", layout.render_offset),
    );
}

/// Wraps `end_frame` of `gtype` and every draw-context class below it created so far
/// (the renderer's own context was created when it was realized, before its first render).
/// Classes whose `end_frame` is empty (abstract ones) are passed over.
unsafe fn patch_draw_contexts(patches: &mut Patches, gtype: GType, layout: &Layout) {
    let class = unsafe { gobject_sys::g_type_class_peek(gtype) };
    if !class.is_null()
        && class_size(gtype) >= layout.draw_context_class_size
        && !patches.contexts.iter().any(|(t, _)| *t == gtype)
    {
        let slot = unsafe { class_slot::<EndFrameFn>(class, layout.end_frame_offset) };
        if let Some(original) = unsafe { *slot } {
            if original as usize != end_frame_wrapper as EndFrameFn as usize {
                let checked = proof::check_class(
                    class as usize,
                    layout.end_frame_offset,
                    layout.draw_context_neighbours,
                );
                if let Err(why) = checked {
                    // Recorded once the lock is given back.
                    PENDING_REFUSAL.get_or_init(|| (gtype, why));
                    return;
                }
                patches.contexts.push((gtype, original));
                unsafe { *slot = Some(end_frame_wrapper) };
                PATCH_GENERATION.fetch_add(1, Ordering::Release);
                capture_record(
                    gtype,
                    DamageVfunc::END_FRAME,
                    CaptureState::PATCHED,
                    format!(
                        "end_frame at offset {}, painted region as {} argument",
                        layout.end_frame_offset,
                        match layout.painted_arg {
                            PaintedArg::Second => "2nd",
                            PaintedArg::Third => "3rd",
                        }
                    ),
                );
            }
        }
    }
    let mut n = 0;
    let children = unsafe { gobject_sys::g_type_children(gtype, &mut n) };
    if children.is_null() {
        return;
    }
    for i in 0..n as usize {
        unsafe { patch_draw_contexts(patches, *children.add(i), layout) };
    }
    unsafe { glib_sys::g_free(children.cast()) };
}

/// A draw-context class that failed its check while the patch table was locked.
static PENDING_REFUSAL: OnceLock<(GType, String)> = OnceLock::new();

/// After a renderer class was patched: its draw contexts' classes (created with it).
#[inline(never)]
pub(super) fn scan_draw_contexts() {
    let Some(layout) = layout().filter(|_| capturing()) else {
        return;
    };
    let mut patches = patches();
    unsafe { patch_draw_contexts(&mut patches, gdk4_sys::gdk_draw_context_get_type(), &layout) };
    drop(patches);
    if let Some((gtype, why)) = PENDING_REFUSAL.get() {
        refuse(*gtype, DamageVfunc::END_FRAME, why.clone());
    }
}

/// The layout is in doubt: capture off for the rest of the run, every patched class
/// given its original back (a wrapper still reached through a copied slot or a call in
/// flight only forwards), and the reason in the recording and on stderr, once.
#[inline(never)]
#[cold]
pub(super) fn refuse(gtype: GType, vfunc: DamageVfunc, why: String) {
    if !CAPTURING.swap(false, Ordering::AcqRel) {
        return;
    }
    restore_originals();
    let class = type_name(gtype);
    let [major, minor, micro] = gtk_version();
    let layout = layout().map_or("", |l| l.name);
    eprintln!(
        "gdkrecord: damage capture off: {class}.{vfunc} does not fit layout {layout} on GTK {major}.{minor}.{micro}: {why}; please report it"
    );
    capture_record(gtype, vfunc, CaptureState::REFUSED, why);
}

/// Puts the original vfuncs back into every class still holding a wrapper.
fn restore_originals() {
    let Some(layout) = layout() else {
        return;
    };
    let patches = patches();
    let renderers = patches.renderers.iter().map(|(t, f)| (*t, *f as usize));
    for (gtype, original) in renderers {
        unsafe {
            put_back(
                gtype,
                layout.render_offset,
                original,
                render_wrapper as RenderFn as usize,
            )
        };
    }
    let contexts = patches.contexts.iter().map(|(t, f)| (*t, *f as usize));
    for (gtype, original) in contexts {
        unsafe {
            put_back(
                gtype,
                layout.end_frame_offset,
                original,
                end_frame_wrapper as EndFrameFn as usize,
            )
        };
    }
    PATCH_GENERATION.fetch_add(1, Ordering::Release);
}

/// Writes the function `original` at `offset` of `gtype`'s class if `wrapper` is there.
///
/// # Safety
/// `offset` lies inside the class (checked when it was patched).
unsafe fn put_back(gtype: GType, offset: usize, original: usize, wrapper: usize) {
    let class: *mut c_void = unsafe { gobject_sys::g_type_class_peek(gtype) };
    if class.is_null() {
        return;
    }
    let slot = unsafe { class.cast::<u8>().add(offset).cast::<usize>() };
    if unsafe { *slot } == wrapper {
        unsafe { *slot = original };
    }
}

/// One call of `render` while its proof runs: the node and the clip must be what the
/// layout says. Returns whether the clip may be recorded.
#[inline(never)]
#[cold]
pub(super) fn prove_render(renderer: *mut gsk4_sys::GskRenderer, root: usize, clip: usize) -> bool {
    let surface = unsafe { gsk4_sys::gsk_renderer_get_surface(renderer) };
    let gtype = unsafe { crate::ffi::type_of(renderer) };
    let verdict = if !proof::is_render_node(root) {
        Err(format!("its 2nd argument {root:#x} is not a render node"))
    } else {
        surface_bounds(surface).and_then(|(w, h)| proof::check_region(clip, w, h))
    };
    judge(&RENDER_PROOF, gtype, DamageVfunc::RENDER, verdict)
}

/// One call of `end_frame` while its proof runs: the painted argument must be the draw
/// context's frame region (where GDK still tells it) and a region inside the surface.
#[inline(never)]
#[cold]
pub(super) fn prove_end_frame(context: *mut gdk4_sys::GdkDrawContext, painted: usize) -> bool {
    let gtype = unsafe { crate::ffi::type_of(context) };
    // Deprecated in 4.16 and empty in newer GTKs; where it answers, it is the region.
    let frame_region = unsafe { gdk4_sys::gdk_draw_context_get_frame_region(context) } as usize;
    let verdict = if frame_region != 0 && frame_region != painted {
        Err(format!(
            "its painted argument {painted:#x} is not the frame region {frame_region:#x}"
        ))
    } else {
        let surface = unsafe { gdk4_sys::gdk_draw_context_get_surface(context) };
        surface_bounds(surface).and_then(|(w, h)| proof::check_region(painted, w, h))
    };
    judge(&END_FRAME_PROOF, gtype, DamageVfunc::END_FRAME, verdict)
}

/// Counts a proof call's verdict; the last needed one is recorded, a failure refuses.
fn judge(
    check: &LayoutCheck,
    gtype: GType,
    vfunc: DamageVfunc,
    verdict: Result<RegionProof, String>,
) -> bool {
    match verdict {
        Ok(RegionProof::Inside) => {
            check.record(true);
            if check.trusted() {
                capture_record(
                    gtype,
                    vfunc,
                    CaptureState::PROVEN,
                    format!(
                        "{} calls' arguments checked",
                        crate::layout_check::CHECKS_BEFORE_TRUST
                    ),
                );
            }
            true
        }
        // An empty region is consistent but proves nothing: recorded, not counted.
        Ok(RegionProof::Empty) => true,
        // A frame of the size before a resize: not counted, and not recorded until the
        // layout is proven (a resize during the first calls must not turn capture off).
        Ok(RegionProof::PastTheSurface) => false,
        Err(why) => {
            check.record(false);
            refuse(gtype, vfunc, why);
            false
        }
    }
}

/// The surface's size in device pixels: the largest either region may span.
fn surface_bounds(surface: *mut gdk4_sys::GdkSurface) -> Result<(i32, i32), String> {
    if surface.is_null() {
        return Err("it draws to no surface".to_owned());
    }
    let scale = unsafe { gdk4_sys::gdk_surface_get_scale_factor(surface) }.max(1);
    let (width, height) = unsafe {
        (
            gdk4_sys::gdk_surface_get_width(surface),
            gdk4_sys::gdk_surface_get_height(surface),
        )
    };
    Ok((width.saturating_mul(scale), height.saturating_mul(scale)))
}
