//! Pixels (recordings made with `record --pixels`): how many patches, how many bytes they
//! take in the file and decoded, and how many frames the recorder left without pixels.

use gdkrecord_format::{PixelsSkipReason, Record};
use serde::Serialize;

/// JSON `pixels` (present only when the recording has pixel records).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PixelsReport {
    /// `pixels` records.
    pub patches: u64,
    /// Of which parts of whole pictures (first frame, after a resize or a skip).
    pub full_patches: u64,
    /// Bytes of pixel data in the file (packed).
    pub stored_bytes: u64,
    /// Bytes of the same pixels decoded (4 a device pixel).
    pub decoded_bytes: u64,
    /// Frames rendered without pixels: over the recorder's bytes-per-second budget.
    pub skipped_over_budget: u64,
    /// Frames rendered without pixels: the recorder failed to draw them.
    pub skipped_failed: u64,
    /// `popup-position` records.
    pub popup_positions: u64,
}

/// Collects the pixel records.
#[derive(Debug, Default)]
pub struct PixelStats {
    report: PixelsReport,
    seen: bool,
}

impl PixelStats {
    pub fn observe(&mut self, record: &Record) {
        let r = &mut self.report;
        match record {
            Record::Pixels(p) => {
                r.patches += 1;
                r.full_patches += u64::from(p.full);
                r.stored_bytes += p.data.len() as u64;
                r.decoded_bytes += p.decoded_len().map_or(0, |n| n as u64);
            }
            Record::PixelsSkipped(s) if s.reason == PixelsSkipReason::BUDGET => {
                r.skipped_over_budget += 1;
            }
            Record::PixelsSkipped(_) => r.skipped_failed += 1,
            Record::PopupPosition(_) => r.popup_positions += 1,
            _ => return,
        }
        self.seen = true;
    }

    /// The report, `None` for a recording without pixel records.
    pub fn report(self) -> Option<PixelsReport> {
        self.seen.then_some(self.report)
    }
}
