//! The GTK 3 front's main-thread tables: the surfaces (GDK 3's toplevel, popup and drag
//! `GdkWindow`s) by pointer, the frame clocks, key names, touch sequences and the
//! exposures of the frame being painted. Below the hooks that fill them in
//! (`surfaces.rs`, `frames.rs`, `events.rs`); above `exposures.rs`, whose list they hold.

use gdkrecord_core::frame_cycle::ClockState;
use gdkrecord_core::key_names::{KeyName, KeyNameCache};
use gdkrecord_core::queue;
use gdkrecord_core::session::MainThreadCell;
use gdkrecord_core::small_map::SmallMap;
use gdkrecord_core::touch_sequences::TouchSequences;
use gdkrecord_format::{Record, SurfaceId};

use crate::exposures::Exposures;

/// What the recorder keeps about a live surface.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SurfaceInfo {
    pub(crate) id: SurfaceId,
    pub(crate) size: (i32, i32),
    pub(crate) scale: i32,
    pub(crate) state: u32,
    /// A popup: its pixels come with its position over its parent.
    pub(crate) popup: bool,
}

/// The recording's tables.
#[derive(Debug)]
pub(crate) struct Tables {
    /// The frame counter of the cycle running now, -1 outside cycles (for exposes).
    pub(crate) current_frame: i64,
    pub(crate) surfaces: SmallMap<SurfaceInfo, 8>,
    pub(crate) clocks: SmallMap<ClockState, 4>,
    key_names: KeyNameCache,
    pub(crate) next_surface: u32,
    sequences: TouchSequences,
    /// Surfaces exposed in the cycle running now (`exposures.rs`).
    pub(crate) exposures: Exposures,
}

static TABLES: MainThreadCell<Tables> = MainThreadCell::new();

/// Runs `f` on the tables, if recording, on the main thread, and not re-entered.
#[inline(always)]
pub(crate) fn with_tables<R>(f: impl FnOnce(&mut Tables) -> R) -> Option<R> {
    TABLES.with(f)
}

/// Fills the tables (main thread, when the recording starts).
pub(crate) fn open() {
    // SAFETY: called by `session::start` on the main thread before recording is on.
    unsafe {
        TABLES.fill(Tables {
            current_frame: -1,
            surfaces: SmallMap::new(),
            clocks: SmallMap::new(),
            key_names: KeyNameCache::new(),
            next_surface: 1,
            sequences: TouchSequences::new(),
            exposures: Exposures::default(),
        })
    };
}

impl Tables {
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
}
