//! Pixel patches from a front's main thread to the file: what to capture of a repaint,
//! within the budget ([`plan`], [`finish`], [`capture`], whichever the toolkit), the
//! image buffer each band is captured into ([`capture_band`]), the buffer handle the queue
//! carries ([`PixelPatch`], which counts the bytes waiting for the writer so the budget
//! can bound them), and the whole pictures the writer thread adds every 10 s of repaints
//! ([`Wholes`]). Getting the pixels is the front's: GTK 4 reads them back from what its
//! cairo renderer drew or draws the frame's render node again (`recorder/gtk4/pixels/`),
//! GTK 3 reads the painted window back (`recorder/gtk3/pixels.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

use gdkrecord_format::{Pixels, Record};

use crate::queue::{self, Entry};

mod buffer;
mod capture;
mod wholes;
pub use self::buffer::{capture_band, copy_band, Cairo};
pub use self::capture::{capture, enabled, finish, init_from_env, plan, Band, Plan, Repaint};
pub use self::wholes::{Wholes, WHOLE_PICTURE_EVERY_NS};

/// Decoded bytes queued and not yet written: bounds the memory a lagging writer holds.
static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);

/// Decoded pixel bytes queued and not yet written (or dropped).
pub fn in_flight() -> u64 {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Sends raw `pixels` to the writer thread, which packs them (from the main thread).
pub fn send(pixels: Pixels) {
    queue::send_entry(Entry::Pixels(Box::new(PixelPatch::new(pixels))), true);
}

/// A patch on its way to the writer thread, holding its share of the bytes in flight
/// until it is written or dropped.
#[derive(Debug)]
pub struct PixelPatch(Pixels);

impl PixelPatch {
    fn new(pixels: Pixels) -> PixelPatch {
        IN_FLIGHT.fetch_add(pixels.data.len() as u64, Ordering::Relaxed);
        PixelPatch(pixels)
    }

    /// The record to write, packed with LZ4 (on the writer thread).
    pub(crate) fn packed(&self) -> Record {
        Record::Pixels(self.0.packed())
    }

    /// The raw patch.
    pub(crate) fn raw(&self) -> &Pixels {
        &self.0
    }
}

impl Drop for PixelPatch {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(self.0.data.len() as u64, Ordering::Relaxed);
    }
}
