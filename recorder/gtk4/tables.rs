//! The GTK 4 front's main-thread tables for the recording: surfaces, frame clocks,
//! renderers and draw contexts, key names, touch sequences. What the hooks keep per
//! object is defined here, below the hooks that fill it in (`frames.rs`, `surfaces.rs`,
//! `damage/`), so that every hook module looks the tables up and none is looked up by
//! the tables.

use gdkrecord_core::frame_cycle::ClockState;
use gdkrecord_core::key_names::{KeyName, KeyNameCache};
use gdkrecord_core::session::MainThreadCell;
use gdkrecord_core::small_map::SmallMap;
use gdkrecord_core::touch_sequences::TouchSequences;
use gdkrecord_format::{Record, Renderer, SurfaceId};

use crate::queue;

/// The recording's tables, filled when it starts.
static SESSION: MainThreadCell<Session> = MainThreadCell::new();

/// Runs `f` on the tables, if recording, on the main thread, and not already inside
/// `with_session`.
#[inline(always)]
pub(crate) fn with_session<R>(f: impl FnOnce(&mut Session) -> R) -> Option<R> {
    SESSION.with(f)
}

/// Fills the tables (main thread, when the recording starts).
pub(crate) fn open() {
    // SAFETY: called by `session::start` on the main thread before recording is on.
    unsafe {
        SESSION.fill(Session {
            current_frame: -1,
            clocks: SmallMap::new(),
            surfaces: SmallMap::new(),
            drawers: SmallMap::new(),
            key_names: KeyNameCache::new(),
            next_surface: 1,
            sequences: TouchSequences::new(),
        })
    };
}

/// The main thread's tables for the recording, kept inline in the static (see
/// `small_map.rs`).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Session {
    /// The frame counter of the frame-clock cycle running now, -1 outside cycles.
    pub(crate) current_frame: i64,
    /// Frame clocks by pointer.
    pub(crate) clocks: SmallMap<ClockState, 4>,
    /// Live surfaces by pointer.
    pub(crate) surfaces: SmallMap<SurfaceInfo, 8>,
    /// Renderers and draw contexts by pointer (see [`Drawer`]).
    pub(crate) drawers: SmallMap<Drawer, 8>,
    /// Key names by keyval, as looked up once (see `key_names.rs`).
    pub(crate) key_names: KeyNameCache,
    pub(crate) next_surface: u32,
    /// Touch sequences (GdkEventSequence pointers) -> small numbers.
    sequences: TouchSequences,
}

/// What the recorder keeps about a live surface.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SurfaceInfo {
    pub(crate) id: SurfaceId,
    pub(crate) size: (i32, i32),
    pub(crate) scale: i32,
    pub(crate) state: u32,
}

/// What drew into a surface: a renderer or draw context's surface and what it is,
/// cached per instance in the session (asking GSK/GDK costs a type check and a call into
/// cold code every frame). Emptied whenever a native widget unrealizes, as its renderer
/// and draw context go with it, and whenever a surface's scale changes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drawer {
    pub(crate) surface: usize,
    pub(crate) renderer: Renderer,
    /// The surface's scale factor when the drawer was looked up (the cache is emptied
    /// when a surface's scale changes).
    pub(crate) scale: u8,
}

impl Default for Drawer {
    fn default() -> Drawer {
        Drawer {
            surface: 0,
            renderer: Renderer::UNKNOWN,
            scale: 1,
        }
    }
}

impl Session {
    /// Sends `record` to the file (the caller is the main thread).
    #[inline(always)]
    pub(crate) fn write(&mut self, record: Record) {
        queue::send(record, true);
    }

    /// The small number of a touch sequence; `end` forgets it after this event.
    pub(crate) fn sequence_number(&mut self, sequence: usize, end: bool) -> u64 {
        self.sequences.number(sequence, end)
    }

    /// The name of `keyval` (not 0), looked up in GDK the first time.
    ///
    /// # Safety
    /// `key_names::usable()`.
    pub(crate) unsafe fn key_name(&mut self, keyval: u32) -> KeyName {
        unsafe { self.key_names.name(keyval) }
    }

    /// What is known of a live surface.
    pub(crate) fn surface_info(&mut self, surface: usize) -> Option<&mut SurfaceInfo> {
        self.surfaces.get_mut(surface)
    }

    /// Looks a known surface up.
    pub(crate) fn known_surface(&self, surface: usize) -> Option<SurfaceId> {
        self.surfaces.get(surface).map(|info| info.id)
    }
}

#[cfg(test)]
mod tests {
    use gdkrecord_core::key_names;
    use std::ffi::CStr;

    #[test]
    fn names_match_gdk() {
        unsafe { key_names::probe(gdk4_sys::gdk_keyval_name) };
        assert!(
            key_names::usable(),
            "GDK 4.8's gdk_keyval_name behaves as expected"
        );
        // Table names, Unicode keyvals, keyvals GDK does not know, and no keyval.
        for keyval in [
            0x61,
            0xff0d,
            0xffbe,
            0x20ac,
            0x0100_20ac,
            0x0100_0041,
            0x00ff_fffe,
            0,
        ] {
            let name = unsafe { key_names::look_up(keyval) }.text(keyval);
            let gdk = unsafe { gdk4_sys::gdk_keyval_name(keyval) };
            let expected = (!gdk.is_null()).then(|| {
                unsafe { CStr::from_ptr(gdk) }
                    .to_string_lossy()
                    .into_owned()
            });
            assert_eq!(name, expected, "keyval {keyval:#x}");
        }
    }
}
