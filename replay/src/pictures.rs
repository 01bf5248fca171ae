//! What each surface looked like: its picture composed from the `pixels` records of a
//! recording made with pixels on (each patch painted over the picture in file order),
//! and a toplevel's picture with its popups placed over it (`popup-position`).
//!
//! Feed every record to [`Pictures::push`] in file order; ask [`Pictures::picture`] or
//! [`Pictures::compose`] at any point. Memory is bounded whatever the file claims: a
//! surface's picture is at most [`MAX_PICTURE_BYTES`], all of them together at most
//! [`MAX_PICTURES_BYTES`] (a surface beyond that has no picture, and
//! [`Pictures::refused`] counts its patches).

use std::collections::BTreeMap;

use gdkrecord_format::{Nanos, Pixels, Record, SurfaceId, SurfaceKind};

/// Most bytes one surface's picture takes (4096 × 4096 device pixels).
pub const MAX_PICTURE_BYTES: u64 = 64 << 20;
/// Most bytes all pictures take together.
pub const MAX_PICTURES_BYTES: u64 = 256 << 20;
/// Deepest chain of popups over popups placed on a toplevel.
const MAX_POPUP_DEPTH: usize = 8;

/// A surface's picture: `width × height` device pixels of premultiplied B, G, R, A (the
/// format's byte order), at `scale` device pixels per application pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub scale: u32,
    pub bgra: Vec<u8>,
    /// Every pixel comes from a patch since the last resize (a `full` patch covered it).
    pub whole: bool,
    /// Frame counter and time of the last patch painted.
    pub frame: i64,
    pub t_ns: Nanos,
}

impl Picture {
    fn new(width: u32, height: u32, scale: u32) -> Picture {
        Picture {
            width,
            height,
            scale,
            bgra: vec![0; width as usize * height as usize * 4],
            whole: false,
            frame: -1,
            t_ns: 0,
        }
    }

    /// The premultiplied B, G, R, A of device pixel (`x`, `y`), transparent outside.
    pub fn bgra_at(&self, x: u32, y: u32) -> [u8; 4] {
        if x >= self.width || y >= self.height {
            return [0; 4];
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [
            self.bgra[i],
            self.bgra[i + 1],
            self.bgra[i + 2],
            self.bgra[i + 3],
        ]
    }

    /// Device pixel (`x`, `y`) as RGB over `background`.
    pub fn rgb_over(&self, x: u32, y: u32, background: [u8; 3]) -> [u8; 3] {
        let [b, g, r, a] = self.bgra_at(x, y);
        let keep = 255 - u32::from(a);
        let over =
            |c: u8, bg: u8| (u32::from(c) + (u32::from(bg) * keep + 127) / 255).min(255) as u8;
        [
            over(r, background[0]),
            over(g, background[1]),
            over(b, background[2]),
        ]
    }

    /// Straight (not premultiplied) R, G, B, A rows, as PNG files hold them.
    pub fn to_rgba(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bgra.len());
        for p in self.bgra.chunks_exact(4) {
            let a = p[3];
            let straight = |c: u8| match a {
                0 => 0,
                255 => c,
                a => ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8,
            };
            out.extend_from_slice(&[straight(p[2]), straight(p[1]), straight(p[0]), a]);
        }
        out
    }

    /// Paints `patch` (decoded to `data`) over the picture, clipped to it.
    fn paint(&mut self, patch: &Pixels, data: &[u8]) {
        let scale = i64::from(self.scale);
        let (x0, y0) = (
            i64::from(patch.rect[0]) * scale,
            i64::from(patch.rect[1]) * scale,
        );
        let (pw, ph) = (
            i64::from(patch.rect[2]) * scale,
            i64::from(patch.rect[3]) * scale,
        );
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (cx0, cx1) = (x0.max(0), (x0 + pw).min(w));
        if cx0 >= cx1 {
            return;
        }
        for row in 0..ph {
            let y = y0 + row;
            if y < 0 || y >= h {
                continue;
            }
            let src = ((row * pw + (cx0 - x0)) * 4) as usize;
            let dst = ((y * w + cx0) * 4) as usize;
            let len = ((cx1 - cx0) * 4) as usize;
            if let (Some(from), Some(to)) =
                (data.get(src..src + len), self.bgra.get_mut(dst..dst + len))
            {
                to.copy_from_slice(from);
            }
        }
        if patch.full {
            self.whole = true;
        }
        self.frame = patch.frame;
        self.t_ns = patch.t_ns;
    }

    /// Copies `from` into the picture with its top-left corner at device pixel (`x`,
    /// `y`), replacing what is there, clipped to the picture.
    fn copy_in(&mut self, from: &Picture, x: i64, y: i64) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (cx0, cx1) = (x.max(0), (x + i64::from(from.width)).min(w));
        if cx0 >= cx1 {
            return;
        }
        for row in 0..i64::from(from.height) {
            let ty = y + row;
            if ty < 0 || ty >= h {
                continue;
            }
            let src = ((row * i64::from(from.width) + (cx0 - x)) * 4) as usize;
            let dst = ((ty * w + cx0) * 4) as usize;
            let len = ((cx1 - cx0) * 4) as usize;
            self.bgra[dst..dst + len].copy_from_slice(&from.bgra[src..src + len]);
        }
    }

    /// Paints `popup` over the picture with its top-left corner at device pixel
    /// (`x`, `y`) (premultiplied source-over), clipped to the picture.
    fn paint_over(&mut self, popup: &Picture, x: i64, y: i64) {
        for py in 0..i64::from(popup.height) {
            let ty = y + py;
            if ty < 0 || ty >= i64::from(self.height) {
                continue;
            }
            for px in 0..i64::from(popup.width) {
                let tx = x + px;
                if tx < 0 || tx >= i64::from(self.width) {
                    continue;
                }
                let src = popup.bgra_at(px as u32, py as u32);
                let i = ((ty * i64::from(self.width) + tx) * 4) as usize;
                let keep = 255 - u32::from(src[3]);
                for (dst, src) in self.bgra[i..i + 4].iter_mut().zip(src) {
                    *dst = (u32::from(src) + (u32::from(*dst) * keep + 127) / 255).min(255) as u8;
                }
            }
        }
    }
}

/// A toplevel's picture with its popups, on a canvas that holds them whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Composition {
    pub picture: Picture,
    /// Where the toplevel's top-left corner is in `picture`, in application pixels (not
    /// 0 when a popup reaches above or left of it).
    pub origin: [i32; 2],
}

/// What is known of a surface for its picture.
#[derive(Debug, Default)]
struct SurfaceState {
    size: [i32; 2],
    scale: i32,
    popup: bool,
    parent: Option<SurfaceId>,
    position: Option<(i32, i32)>,
    picture: Option<Picture>,
}

/// The pictures of every live surface, composed from `pixels` records.
#[derive(Debug, Default)]
pub struct Pictures {
    surfaces: BTreeMap<SurfaceId, SurfaceState>,
    bytes: u64,
    refused: u64,
    undecodable: u64,
    patches: u64,
}

impl Pictures {
    /// Takes one record (in file order); returns the surface whose picture it changed.
    pub fn push(&mut self, record: &Record) -> Option<SurfaceId> {
        match record {
            Record::Surface(s) => {
                let state = self.surfaces.entry(s.surface).or_default();
                state.size = [s.width, s.height];
                state.scale = s.scale_factor;
                state.popup = s.surface_kind == SurfaceKind::POPUP;
                state.parent = s.parent;
                None
            }
            Record::Size(s) => {
                self.surfaces.entry(s.surface).or_default().size = [s.width, s.height];
                None
            }
            Record::Scale(s) => {
                self.surfaces.entry(s.surface).or_default().scale = s.scale_factor;
                None
            }
            Record::PopupPosition(p) => {
                let state = self.surfaces.entry(p.surface).or_default();
                state.position = Some((p.x, p.y));
                state.popup = true;
                Some(p.surface)
            }
            Record::SurfaceDestroyed(s) => {
                let state = self.surfaces.remove(&s.surface)?;
                if let Some(picture) = state.picture {
                    self.bytes -= picture.bgra.len() as u64;
                }
                Some(s.surface)
            }
            Record::Pixels(patch) => self.paint(patch),
            _ => None,
        }
    }

    fn paint(&mut self, patch: &Pixels) -> Option<SurfaceId> {
        let Ok(data) = patch.decode() else {
            self.undecodable += 1;
            return None;
        };
        self.patches += 1;
        let state = self.surfaces.entry(patch.surface).or_default();
        // The picture covers the surface's size, or the patch when it reaches further
        // (a size record lost, or none yet).
        let scale = patch.scale;
        let size_of = |v: i32, reach: i32| v.max(reach).max(1) as u64 * u64::from(scale);
        let reach = [
            patch.rect[0].saturating_add(patch.rect[2]),
            patch.rect[1].saturating_add(patch.rect[3]),
        ];
        let (width, height) = (
            size_of(state.size[0], reach[0]),
            size_of(state.size[1], reach[1]),
        );
        let fits = |picture: &Picture| {
            picture.scale == scale
                && u64::from(picture.width) == width
                && u64::from(picture.height) == height
        };
        if !state.picture.as_ref().is_some_and(fits) {
            let old = state.picture.take();
            let old_bytes = old.as_ref().map_or(0, |p| p.bgra.len() as u64);
            let new_bytes = width * height * 4;
            if new_bytes > MAX_PICTURE_BYTES
                || self.bytes - old_bytes + new_bytes > MAX_PICTURES_BYTES
            {
                self.bytes -= old_bytes;
                self.refused += 1;
                return None;
            }
            self.bytes = self.bytes - old_bytes + new_bytes;
            let mut picture = Picture::new(width as u32, height as u32, scale);
            if let Some(old) = old.filter(|old| old.scale == scale) {
                // Keep what is still inside: the recorder sends a whole picture after a
                // resize, but a reader may start anywhere.
                picture.paint_over(&old, 0, 0);
            }
            state.picture = Some(picture);
        }
        let picture = state.picture.as_mut()?;
        picture.paint(patch, &data);
        Some(patch.surface)
    }

    /// The picture of `surface` alone, if it has pixels.
    pub fn picture(&self, surface: SurfaceId) -> Option<&Picture> {
        self.surfaces.get(&surface)?.picture.as_ref()
    }

    /// Whether any surface has a picture.
    pub fn any(&self) -> bool {
        self.surfaces.values().any(|s| s.picture.is_some())
    }

    /// The picture of `toplevel` with every live popup over it (whose chain of parents
    /// leads to it) at its recorded position, in the order they appeared, cut to the
    /// toplevel (a sequence of pictures of one size).
    pub fn compose(&self, toplevel: SurfaceId) -> Option<Picture> {
        let mut composed = self.picture(toplevel)?.clone();
        for (popup, x, y) in self.placed_popups(toplevel, composed.scale) {
            composed.paint_over(popup, x, y);
        }
        Some(composed)
    }

    /// [`Pictures::compose`] on a canvas grown to hold the popups whole where they reach
    /// past the toplevel's edges (a menu opened near the bottom of a small window), as
    /// far as [`MAX_PICTURE_BYTES`] allows.
    pub fn compose_whole(&self, toplevel: SurfaceId) -> Option<Composition> {
        let base = self.picture(toplevel)?;
        let popups: Vec<_> = self.placed_popups(toplevel, base.scale).collect();
        let (mut x0, mut y0) = (0i64, 0i64);
        let (mut x1, mut y1) = (i64::from(base.width), i64::from(base.height));
        for (popup, x, y) in &popups {
            x0 = x0.min(*x);
            y0 = y0.min(*y);
            x1 = x1.max(x + i64::from(popup.width));
            y1 = y1.max(y + i64::from(popup.height));
        }
        let (width, height) = (x1 - x0, y1 - y0);
        let fits = (width * height * 4) as u64 <= MAX_PICTURE_BYTES;
        if (x0, y0, width, height) == (0, 0, i64::from(base.width), i64::from(base.height)) || !fits
        {
            return Some(Composition {
                picture: self.compose(toplevel)?,
                origin: [0, 0],
            });
        }
        let mut canvas = Picture {
            whole: base.whole,
            frame: base.frame,
            t_ns: base.t_ns,
            ..Picture::new(width as u32, height as u32, base.scale)
        };
        canvas.copy_in(base, -x0, -y0);
        for (popup, x, y) in popups {
            canvas.paint_over(popup, x - x0, y - y0);
        }
        // Popups sit at whole application pixels: the offsets divide by the scale.
        let scale = i64::from(base.scale.max(1));
        Some(Composition {
            picture: canvas,
            origin: [(-x0 / scale) as i32, (-y0 / scale) as i32],
        })
    }

    /// The live popups over `toplevel` drawn at `scale`, with where their top-left corner
    /// is in the toplevel's device pixels, in the order they appeared.
    fn placed_popups(
        &self,
        toplevel: SurfaceId,
        scale: u32,
    ) -> impl Iterator<Item = (&Picture, i64, i64)> + '_ {
        let device = i64::from(scale);
        self.surfaces.iter().filter_map(move |(&id, state)| {
            if id == toplevel || !state.popup {
                return None;
            }
            let popup = state.picture.as_ref().filter(|p| p.scale == scale)?;
            let (x, y) = self.offset(id, toplevel)?;
            Some((popup, i64::from(x) * device, i64::from(y) * device))
        })
    }

    /// Where popup `id` sits in `toplevel`'s coordinates (its positions summed up its
    /// chain of parents), or `None` when it is not over `toplevel` or not placed.
    pub fn offset(&self, id: SurfaceId, toplevel: SurfaceId) -> Option<(i32, i32)> {
        let (mut x, mut y) = (0i32, 0i32);
        let mut at = id;
        for _ in 0..MAX_POPUP_DEPTH {
            let state = self.surfaces.get(&at)?;
            let (px, py) = state.position?;
            x = x.saturating_add(px);
            y = y.saturating_add(py);
            match state.parent? {
                parent if parent == toplevel => return Some((x, y)),
                parent => at = parent,
            }
        }
        None
    }

    /// Patches painted so far.
    pub fn patches(&self) -> u64 {
        self.patches
    }

    /// Patches left out: their surface's picture would pass the memory caps.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Patches whose pixels did not decode (damaged data).
    pub fn undecodable(&self) -> u64 {
        self.undecodable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{PopupPosition, Size, Surface, SurfaceDestroyed};

    fn surface(id: u32, kind: SurfaceKind, parent: Option<u32>, size: [i32; 2]) -> Record {
        Record::Surface(Surface {
            t_ns: 0,
            surface: SurfaceId(id),
            surface_kind: kind,
            parent: parent.map(SurfaceId),
            type_name: "GdkX11Toplevel".into(),
            widget_type: None,
            width: size[0],
            height: size[1],
            scale_factor: 1,
        })
    }

    /// An opaque patch of one colour (B, G, R).
    fn patch(id: u32, frame: i64, full: bool, rect: [i32; 4], bgr: [u8; 3]) -> Record {
        let data = [bgr[0], bgr[1], bgr[2], 255].repeat((rect[2] * rect[3]) as usize);
        let mut pixels = Pixels::raw(frame as u64, SurfaceId(id), frame, 1, full, rect, data);
        pixels.compress();
        Record::Pixels(pixels)
    }

    #[test]
    fn patches_paint_over_the_whole_picture() {
        let mut pictures = Pictures::default();
        pictures.push(&surface(1, SurfaceKind::TOPLEVEL, None, [8, 4]));
        assert_eq!(
            pictures.push(&patch(1, 1, true, [0, 0, 8, 4], [200, 200, 200])),
            Some(SurfaceId(1))
        );
        pictures.push(&patch(1, 2, false, [2, 1, 3, 2], [0, 0, 255]));
        let picture = pictures.picture(SurfaceId(1)).unwrap();
        assert!(picture.whole);
        assert_eq!(picture.frame, 2);
        assert_eq!(picture.bgra_at(2, 1), [0, 0, 255, 255]);
        assert_eq!(picture.bgra_at(4, 2), [0, 0, 255, 255]);
        assert_eq!(picture.bgra_at(5, 2), [200, 200, 200, 255]);
        assert_eq!(picture.bgra_at(1, 1), [200, 200, 200, 255]);
        assert_eq!(picture.rgb_over(3, 2, [0, 0, 0]), [255, 0, 0]);
        assert_eq!(&picture.to_rgba()[..4], &[200, 200, 200, 255]);
    }

    #[test]
    fn a_resize_keeps_what_is_inside_until_the_whole_picture_comes() {
        let mut pictures = Pictures::default();
        pictures.push(&surface(1, SurfaceKind::TOPLEVEL, None, [4, 4]));
        pictures.push(&patch(1, 1, true, [0, 0, 4, 4], [9, 9, 9]));
        pictures.push(&Record::Size(Size {
            t_ns: 2,
            surface: SurfaceId(1),
            width: 6,
            height: 3,
        }));
        pictures.push(&patch(1, 2, false, [4, 0, 2, 1], [1, 2, 3]));
        let picture = pictures.picture(SurfaceId(1)).unwrap();
        assert_eq!((picture.width, picture.height), (6, 3));
        assert!(!picture.whole);
        assert_eq!(picture.bgra_at(3, 2), [9, 9, 9, 255]);
        assert_eq!(picture.bgra_at(5, 0), [1, 2, 3, 255]);
        assert_eq!(picture.bgra_at(5, 2), [0, 0, 0, 0]);
    }

    #[test]
    fn popups_past_the_edges_are_whole_on_a_grown_canvas() {
        let mut pictures = Pictures::default();
        pictures.push(&surface(1, SurfaceKind::TOPLEVEL, None, [10, 10]));
        pictures.push(&surface(2, SurfaceKind::POPUP, Some(1), [4, 4]));
        pictures.push(&patch(1, 1, true, [0, 0, 10, 10], [0, 0, 0]));
        pictures.push(&patch(2, 1, true, [0, 0, 4, 4], [0, 255, 0]));
        // Inside: the canvas is the toplevel's.
        pictures.push(&Record::PopupPosition(PopupPosition {
            t_ns: 1,
            surface: SurfaceId(2),
            x: 2,
            y: 2,
        }));
        let inside = pictures.compose_whole(SurfaceId(1)).unwrap();
        assert_eq!(inside.origin, [0, 0]);
        assert_eq!(inside.picture, pictures.compose(SurfaceId(1)).unwrap());
        // Past the right edge and above the top: the canvas grows to hold it, the
        // toplevel moves down by 2.
        pictures.push(&Record::PopupPosition(PopupPosition {
            t_ns: 2,
            surface: SurfaceId(2),
            x: 8,
            y: -2,
        }));
        let grown = pictures.compose_whole(SurfaceId(1)).unwrap();
        assert_eq!(grown.origin, [0, 2]);
        let picture = &grown.picture;
        assert_eq!((picture.width, picture.height), (12, 12));
        assert_eq!(
            picture.bgra_at(11, 0),
            [0, 255, 0, 255],
            "the popup's far corner"
        );
        assert_eq!(
            picture.bgra_at(8, 2),
            [0, 255, 0, 255],
            "the popup over the toplevel"
        );
        assert_eq!(
            picture.bgra_at(0, 2),
            [0, 0, 0, 255],
            "the toplevel's corner"
        );
        assert_eq!(
            picture.bgra_at(0, 0),
            [0, 0, 0, 0],
            "beside both: transparent"
        );
        assert_eq!(picture.bgra_at(11, 11), [0, 0, 0, 0]);
        let cut = pictures.compose(SurfaceId(1)).unwrap();
        assert_eq!((cut.width, cut.height), (10, 10));
        assert_eq!(cut.bgra_at(9, 0), [0, 255, 0, 255]);
    }

    #[test]
    fn popups_are_placed_over_their_parents_until_destroyed() {
        let mut pictures = Pictures::default();
        pictures.push(&surface(1, SurfaceKind::TOPLEVEL, None, [10, 10]));
        pictures.push(&surface(2, SurfaceKind::POPUP, Some(1), [3, 2]));
        pictures.push(&surface(3, SurfaceKind::POPUP, Some(2), [2, 2]));
        pictures.push(&patch(1, 1, true, [0, 0, 10, 10], [0, 0, 0]));
        for (id, x, y) in [(2, 4, 5), (3, 1, 1)] {
            pictures.push(&Record::PopupPosition(PopupPosition {
                t_ns: 1,
                surface: SurfaceId(id),
                x,
                y,
            }));
        }
        pictures.push(&patch(2, 1, true, [0, 0, 3, 2], [0, 255, 0]));
        pictures.push(&patch(3, 1, true, [0, 0, 2, 2], [255, 0, 0]));
        let composed = pictures.compose(SurfaceId(1)).unwrap();
        assert_eq!(composed.bgra_at(4, 5), [0, 255, 0, 255]);
        assert_eq!(composed.bgra_at(5, 6), [255, 0, 0, 255], "popup of a popup");
        assert_eq!(composed.bgra_at(3, 5), [0, 0, 0, 255]);
        assert_eq!(pictures.offset(SurfaceId(3), SurfaceId(1)), Some((5, 6)));
        pictures.push(&Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns: 2,
            surface: SurfaceId(2),
        }));
        let composed = pictures.compose(SurfaceId(1)).unwrap();
        assert_eq!(composed.bgra_at(4, 5), [0, 0, 0, 255]);
        assert_eq!(composed.bgra_at(5, 6), [0, 0, 0, 255], "its parent is gone");
    }

    #[test]
    fn pictures_stay_within_the_memory_caps() {
        let mut pictures = Pictures::default();
        // Sizes claimed by a crafted file: the picture would be 16 GiB.
        pictures.push(&surface(1, SurfaceKind::TOPLEVEL, None, [65_536, 65_536]));
        assert_eq!(
            pictures.push(&patch(1, 1, false, [0, 0, 2, 2], [1, 1, 1])),
            None
        );
        assert_eq!(pictures.refused(), 1);
        // Many surfaces of the largest allowed picture: only the first ones get one.
        let mut kept = 0;
        for id in 2..12 {
            pictures.push(&surface(id, SurfaceKind::TOPLEVEL, None, [4096, 4096]));
            if pictures
                .push(&patch(id, 1, false, [0, 0, 1, 1], [1, 1, 1]))
                .is_some()
            {
                kept += 1;
            }
        }
        assert_eq!(kept, (MAX_PICTURES_BYTES / MAX_PICTURE_BYTES) as usize);
        assert!(pictures.bytes <= MAX_PICTURES_BYTES);
    }

    #[test]
    fn damaged_pixel_data_is_counted_not_painted() {
        let mut pictures = Pictures::default();
        let Record::Pixels(mut broken) = patch(1, 1, true, [0, 0, 4, 4], [1, 1, 1]) else {
            unreachable!()
        };
        broken.data.truncate(3);
        assert_eq!(pictures.push(&Record::Pixels(broken)), None);
        assert_eq!(pictures.undecodable(), 1);
        assert!(!pictures.any());
    }
}
