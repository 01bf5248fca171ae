//! Whole pictures taken on the writer thread: it paints every raw patch it writes into a
//! picture of its surface (the patches of a surface, painted in order, are the
//! surface), and when a surface's last whole picture is [`WHOLE_PICTURE_EVERY_NS`] old it
//! writes that picture as `full` patches after the patch that aged it. So a reader (the
//! viewer) composes any moment from at most that much of a surface's patches, and the
//! app's main thread draws a whole picture only when it must: a surface's first frame,
//! after a resize, after frames without pixels.
//!
//! Memory: one picture per live surface that has pixels (4 bytes a device pixel),
//! forgotten when the surface is destroyed.

use std::collections::HashMap;

use gdkrecord_format::{Pixels, SurfaceId, PIXEL_BAND_BYTES};

/// Age of a surface's last whole picture at which the writer writes another.
pub const WHOLE_PICTURE_EVERY_NS: u64 = 10_000_000_000;

/// A surface's picture as the writer composed it.
#[derive(Debug)]
struct Picture {
    /// Device pixels.
    width: usize,
    height: usize,
    scale: u32,
    bgra: Vec<u8>,
    /// When the last whole picture of the surface was written.
    whole_at_ns: u64,
}

/// The writer's pictures, by surface.
#[derive(Debug, Default)]
pub struct Wholes {
    pictures: HashMap<SurfaceId, Picture>,
}

impl Wholes {
    /// Paints raw `patch` (just written) into its surface's picture; returns the whole
    /// picture to write after it, in bands, when the last one is old enough.
    pub(crate) fn paint(&mut self, patch: &Pixels) -> Vec<Pixels> {
        let Ok((w, h)) = patch.device_size() else {
            return Vec::new();
        };
        let (w, h) = (w as usize, h as usize);
        let scale = patch.scale as usize;
        if patch.data.len() != w * h * 4 {
            return Vec::new();
        }
        // A whole picture starts with the band at the top-left corner: it gives the
        // picture its width; its bands give it its height.
        if patch.full && patch.rect[0] == 0 && patch.rect[1] == 0 {
            self.pictures.insert(
                patch.surface,
                Picture {
                    width: w,
                    height: 0,
                    scale: patch.scale,
                    bgra: Vec::new(),
                    whole_at_ns: patch.t_ns,
                },
            );
        }
        let Some(picture) = self.pictures.get_mut(&patch.surface) else {
            return Vec::new();
        };
        if picture.scale != patch.scale || patch.rect[0] < 0 || patch.rect[1] < 0 {
            return Vec::new();
        }
        let (x, y) = (
            patch.rect[0] as usize * scale,
            patch.rect[1] as usize * scale,
        );
        if patch.full && x == 0 && w == picture.width && y + h > picture.height {
            picture.height = y + h;
            picture.bgra.resize(picture.width * picture.height * 4, 0);
        }
        for row in 0..h.min(picture.height.saturating_sub(y)) {
            let len = w.min(picture.width.saturating_sub(x)) * 4;
            let to = ((y + row) * picture.width + x) * 4;
            picture.bgra[to..to + len].copy_from_slice(&patch.data[row * w * 4..row * w * 4 + len]);
        }
        if patch.t_ns.saturating_sub(picture.whole_at_ns) < WHOLE_PICTURE_EVERY_NS {
            return Vec::new();
        }
        picture.whole_at_ns = patch.t_ns;
        let rows_per_band =
            (PIXEL_BAND_BYTES as usize / (picture.width * 4 * scale)).max(1) * scale;
        (0..picture.height)
            .step_by(rows_per_band)
            .map(|top| {
                let rows = rows_per_band.min(picture.height - top);
                let data = picture.bgra[top * picture.width * 4..(top + rows) * picture.width * 4]
                    .to_vec();
                let rect = [
                    0,
                    (top / scale) as i32,
                    (picture.width / scale) as i32,
                    (rows / scale) as i32,
                ];
                Pixels::raw(
                    patch.t_ns,
                    patch.surface,
                    patch.frame,
                    patch.scale,
                    true,
                    rect,
                    data,
                )
            })
            .collect()
    }

    /// Forgets a destroyed surface's picture.
    pub(crate) fn forget(&mut self, surface: SurfaceId) {
        self.pictures.remove(&surface);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(t_s: u64, full: bool, rect: [i32; 4], value: u8) -> Pixels {
        let data = vec![value; (rect[2] * rect[3] * 4) as usize];
        Pixels::raw(
            t_s * 1_000_000_000,
            SurfaceId(1),
            t_s as i64,
            1,
            full,
            rect,
            data,
        )
    }

    #[test]
    fn a_whole_picture_follows_the_patch_that_makes_the_last_one_old() {
        let mut wholes = Wholes::default();
        // A whole picture in two bands, then patches.
        assert!(wholes.paint(&patch(0, true, [0, 0, 8, 3], 1)).is_empty());
        assert!(wholes.paint(&patch(0, true, [0, 3, 8, 2], 2)).is_empty());
        assert!(wholes.paint(&patch(4, false, [2, 1, 2, 2], 9)).is_empty());
        let whole = wholes.paint(&patch(10, false, [7, 4, 1, 1], 5));
        assert_eq!(whole.len(), 1);
        let whole = &whole[0];
        assert!(whole.full);
        assert_eq!(whole.rect, [0, 0, 8, 5]);
        assert_eq!(whole.t_ns, 10_000_000_000);
        let at = |x: usize, y: usize| whole.data[(y * 8 + x) * 4];
        assert_eq!(
            (at(0, 0), at(0, 4), at(2, 1), at(3, 2), at(7, 4)),
            (1, 2, 9, 9, 5)
        );
        // The next one comes 10 s after this one.
        assert!(wholes.paint(&patch(15, false, [0, 0, 1, 1], 3)).is_empty());
        assert_eq!(wholes.paint(&patch(20, false, [0, 0, 1, 1], 3)).len(), 1);
    }

    #[test]
    fn big_pictures_come_in_bands_and_a_new_size_starts_over() {
        let mut wholes = Wholes::default();
        let data = vec![7; 1400 * 1000 * 4];
        let big = Pixels::raw(0, SurfaceId(1), 1, 1, true, [0, 0, 1400, 1000], data);
        wholes.paint(&big);
        let bands = wholes.paint(&patch(11, false, [0, 0, 1, 1], 3));
        assert_eq!(bands.len(), 2);
        assert_eq!(bands.iter().map(|b| b.rect[3]).sum::<i32>(), 1000);
        assert!(bands
            .iter()
            .all(|b| b.data.len() as u64 <= PIXEL_BAND_BYTES));
        // A new whole picture (after a resize) replaces the old one.
        wholes.paint(&patch(12, true, [0, 0, 4, 4], 1));
        let bands = wholes.paint(&patch(22, false, [0, 0, 1, 1], 3));
        assert_eq!(bands[0].rect, [0, 0, 4, 4]);
        wholes.forget(SurfaceId(1));
        assert!(wholes.paint(&patch(40, false, [0, 0, 1, 1], 3)).is_empty());
    }
}
