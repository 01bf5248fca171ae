//! What the app drew: pixel patches of repainted regions (`pixels`, kind 22), where a
//! popup sits over its parent (`popup-position`, 23), and frames rendered without
//! pixels (`pixels-skipped`, 24). Only recordings made with pixels on have them.
//!
//! A `pixels` record is one rectangle of a surface as drawn in one frame: `width × scale`
//! by `height × scale` device pixels, 4 bytes each, rows top to bottom without padding,
//! each pixel premultiplied B, G, R, A (cairo's ARGB32 on a little-endian machine).
//! Painting the patches of a surface over each other in file order gives the surface's
//! picture at any time; a `full` patch belongs to a whole picture of the surface (its first,
//! after a resize, after frames skipped), so a picture is complete from its `full`
//! patches on.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::names::{PixelCodec, PixelsSkipReason};
use crate::records::{Nanos, Rect, SurfaceId};
use crate::wire::{Get, Malformed, Put};

/// Largest scale factor a `pixels` record may have (GDK's integer scale; 2 on HiDPI).
pub const MAX_PIXEL_SCALE: u32 = 8;
/// Most decoded bytes one `pixels` record may hold: 16 MiB, 2048 × 2048 device pixels. The
/// recorder cuts larger rectangles into bands of at most [`PIXEL_BAND_BYTES`], so a reader
/// never has to allocate more than this for a record, whatever its fields claim.
pub const MAX_PIXEL_BYTES: u64 = 16 << 20;
/// Most decoded bytes the recorder puts in one `pixels` record: 4 MiB, so that even
/// incompressible pixels (LZ4 grows them by at most 0.4 %) fit a frame's payload.
pub const PIXEL_BAND_BYTES: u64 = 4 << 20;

/// One rectangle of a surface as the app drew it in a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pixels {
    /// When the frame was rendered.
    pub t_ns: Nanos,
    /// The surface drawn.
    pub surface: SurfaceId,
    /// Frame counter of the surface's frame clock.
    pub frame: i64,
    /// Device pixels per application pixel (GDK's scale factor), 1 ..= [`MAX_PIXEL_SCALE`].
    pub scale: u32,
    /// Part of a whole picture of the surface (the first one, after a resize or after
    /// frames recorded without pixels) rather than a repainted patch.
    pub full: bool,
    /// `[x, y, width, height]` in surface coordinates (application pixels).
    pub rect: Rect,
    /// How `data` is stored.
    pub codec: PixelCodec,
    /// The stored pixels (see [`Pixels::decode`]); JSON gives their size in bytes only.
    #[serde(
        rename = "data_bytes",
        serialize_with = "serialize_len",
        deserialize_with = "deserialize_len"
    )]
    pub data: Vec<u8>,
}

fn serialize_len<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(data.len() as u64)
}

/// JSON keeps only the size: reading it back gives no pixels.
fn deserialize_len<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    u64::deserialize(d).map(|_| Vec::new())
}

/// Why a `pixels` record's pixels cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PixelError {
    /// The rectangle or scale is out of bounds (empty, negative, too large).
    #[error("pixel rectangle {0:?} at scale {1} is empty or larger than the format allows")]
    BadGeometry(Rect, u32),
    /// A codec this reader does not know.
    #[error("unknown pixel codec {0}")]
    UnknownCodec(u8),
    /// The data does not decode to exactly the rectangle's bytes.
    #[error("pixel data does not decode to the {0} bytes of its rectangle")]
    BadData(u64),
}

impl Pixels {
    /// Raw pixels of `rect` at `scale`, stored as they are (the recorder's main thread
    /// makes these; [`Pixels::compress`] on its writer thread packs them).
    pub fn raw(
        t_ns: Nanos,
        surface: SurfaceId,
        frame: i64,
        scale: u32,
        full: bool,
        rect: Rect,
        data: Vec<u8>,
    ) -> Pixels {
        Pixels {
            t_ns,
            surface,
            frame,
            scale,
            full,
            rect,
            codec: PixelCodec::RAW,
            data,
        }
    }

    /// Width and height in device pixels, when the geometry is within the caps.
    pub fn device_size(&self) -> Result<(u32, u32), PixelError> {
        device_size(self.rect, self.scale)
    }

    /// How many bytes the decoded pixels take (width × height × 4 device pixels).
    pub fn decoded_len(&self) -> Result<usize, PixelError> {
        let (w, h) = self.device_size()?;
        Ok(w as usize * h as usize * 4)
    }

    /// Packs raw data with LZ4 (data already packed is left as it is).
    pub fn compress(&mut self) {
        if self.codec == PixelCodec::RAW {
            self.data = lz4_flex::block::compress(&self.data);
            self.codec = PixelCodec::LZ4;
        }
    }

    /// A copy with its data packed with LZ4 (without copying the raw data first).
    pub fn packed(&self) -> Pixels {
        let (codec, data) = if self.codec == PixelCodec::RAW {
            (PixelCodec::LZ4, lz4_flex::block::compress(&self.data))
        } else {
            (self.codec, self.data.clone())
        };
        Pixels {
            codec,
            data,
            ..*self
        }
    }

    /// The pixels, `device_size` rows of premultiplied B, G, R, A. Allocates only the
    /// rectangle's size, which the caps bound, whatever the data holds.
    pub fn decode(&self) -> Result<Vec<u8>, PixelError> {
        let len = self.decoded_len()?;
        let bad = PixelError::BadData(len as u64);
        match self.codec {
            PixelCodec::RAW if self.data.len() == len => Ok(self.data.clone()),
            PixelCodec::RAW => Err(bad),
            PixelCodec::LZ4 => {
                let mut out = vec![0; len];
                match lz4_flex::block::decompress_into(&self.data, &mut out) {
                    Ok(n) if n == len => Ok(out),
                    _ => Err(bad),
                }
            }
            PixelCodec(other) => Err(PixelError::UnknownCodec(other)),
        }
    }
}

/// Device size of `rect` at `scale`, within [`MAX_PIXEL_SCALE`] and [`MAX_PIXEL_BYTES`].
fn device_size(rect: Rect, scale: u32) -> Result<(u32, u32), PixelError> {
    let bad = PixelError::BadGeometry(rect, scale);
    if scale == 0 || scale > MAX_PIXEL_SCALE || rect[2] <= 0 || rect[3] <= 0 {
        return Err(bad);
    }
    let w = u64::from(rect[2].unsigned_abs()) * u64::from(scale);
    let h = u64::from(rect[3].unsigned_abs()) * u64::from(scale);
    if w > MAX_PIXEL_BYTES || h > MAX_PIXEL_BYTES {
        return Err(bad);
    }
    // Each side is at most 2^24 here, so the product cannot overflow.
    if w * h * 4 > MAX_PIXEL_BYTES {
        return Err(bad);
    }
    Ok((w as u32, h as u32))
}

/// Where a popup sits over its parent surface: its top-left corner in the parent's
/// surface coordinates (`gdk_popup_get_position_x/y`), written when it changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PopupPosition {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    /// The popup.
    pub surface: SurfaceId,
    /// Application pixels from the parent's left edge.
    pub x: i32,
    /// Application pixels from the parent's top edge.
    pub y: i32,
}

/// A frame rendered without `pixels` records: the picture of the surface is stale from
/// here until its next `full` patches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PixelsSkipped {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    /// Frame counter of the frame without pixels.
    pub frame: i64,
    /// Why: over the bytes-per-second budget, or the recorder failed to draw it.
    pub reason: PixelsSkipReason,
}

const FULL: u8 = 1 << 0;

pub(crate) fn encode_pixels(p: &Pixels, put: &mut Put<'_>) {
    put.varint(u64::from(p.surface.0));
    put.signed(p.frame);
    put.varint(u64::from(p.scale));
    put.u8(if p.full { FULL } else { 0 });
    for v in p.rect {
        put.signed(i64::from(v));
    }
    put.u8(p.codec.0);
    put.bytes(&p.data);
}

/// Decodes a `pixels` record's fields, refusing geometry beyond the caps and raw data
/// whose length is not the rectangle's (packed data is checked when decoded).
pub(crate) fn decode_pixels(t_ns: Nanos, get: &mut Get<'_>) -> Result<Pixels, Malformed> {
    let surface = SurfaceId(get.u32()?);
    let frame = get.signed()?;
    let scale = get.u32()?;
    let full = get.u8()? & FULL != 0;
    let rect = [get.i32()?, get.i32()?, get.i32()?, get.i32()?];
    let codec = PixelCodec(get.u8()?);
    let (w, h) = device_size(rect, scale).map_err(|_| Malformed)?;
    let data = get.bytes()?;
    let decoded = u64::from(w) * u64::from(h) * 4;
    if codec == PixelCodec::RAW && data.len() as u64 != decoded {
        return Err(Malformed);
    }
    Ok(Pixels {
        t_ns,
        surface,
        frame,
        scale,
        full,
        rect,
        codec,
        data: data.to_vec(),
    })
}

pub(crate) fn encode_popup_position(p: &PopupPosition, put: &mut Put<'_>) {
    put.varint(u64::from(p.surface.0));
    put.signed(i64::from(p.x));
    put.signed(i64::from(p.y));
}

pub(crate) fn decode_popup_position(
    t_ns: Nanos,
    get: &mut Get<'_>,
) -> Result<PopupPosition, Malformed> {
    Ok(PopupPosition {
        t_ns,
        surface: SurfaceId(get.u32()?),
        x: get.i32()?,
        y: get.i32()?,
    })
}

pub(crate) fn encode_pixels_skipped(p: &PixelsSkipped, put: &mut Put<'_>) {
    put.varint(u64::from(p.surface.0));
    put.signed(p.frame);
    put.u8(p.reason.0);
}

pub(crate) fn decode_pixels_skipped(
    t_ns: Nanos,
    get: &mut Get<'_>,
) -> Result<PixelsSkipped, Malformed> {
    Ok(PixelsSkipped {
        t_ns,
        surface: SurfaceId(get.u32()?),
        frame: get.signed()?,
        reason: PixelsSkipReason(get.u8()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(rect: Rect, scale: u32, data: Vec<u8>) -> Pixels {
        Pixels::raw(5, SurfaceId(1), 3, scale, false, rect, data)
    }

    #[test]
    fn compressed_pixels_decode_to_the_raw_ones() {
        let raw: Vec<u8> = (0..40 * 30 * 4).map(|i| (i / 97) as u8).collect();
        let mut p = patch([10, 20, 40, 30], 1, raw.clone());
        p.compress();
        assert_eq!(p.codec, PixelCodec::LZ4);
        assert!(p.data.len() < raw.len() / 4, "{} bytes", p.data.len());
        assert_eq!(p.decode().unwrap(), raw);
    }

    #[test]
    fn scale_multiplies_both_sides() {
        let p = patch([0, 0, 3, 2], 2, vec![7; 6 * 4 * 4]);
        assert_eq!(p.device_size().unwrap(), (6, 4));
        assert_eq!(p.decode().unwrap().len(), 96);
    }

    #[test]
    fn geometry_beyond_the_caps_is_refused_before_allocating() {
        for (rect, scale) in [
            ([0, 0, 0, 10], 1),
            ([0, 0, 10, -1], 1),
            ([0, 0, 10, 10], 0),
            ([0, 0, 10, 10], MAX_PIXEL_SCALE + 1),
            ([0, 0, 2049, 2048], 1),
            ([0, 0, 1025, 1024], 2),
            ([0, 0, i32::MAX, i32::MAX], MAX_PIXEL_SCALE),
        ] {
            let p = patch(rect, scale, Vec::new());
            assert_eq!(
                p.decode(),
                Err(PixelError::BadGeometry(rect, scale)),
                "{rect:?}"
            );
        }
        assert!(patch([0, 0, 2048, 2048], 1, Vec::new())
            .decoded_len()
            .is_ok());
    }

    #[test]
    fn lz4_data_of_the_wrong_size_or_garbage_is_an_error() {
        let mut small = patch([0, 0, 4, 4], 1, vec![1; 64]);
        small.compress();
        let mut claimed_larger = small.clone();
        claimed_larger.rect = [0, 0, 8, 8];
        assert_eq!(claimed_larger.decode(), Err(PixelError::BadData(256)));
        let mut claimed_smaller = small.clone();
        claimed_smaller.rect = [0, 0, 2, 2];
        assert_eq!(claimed_smaller.decode(), Err(PixelError::BadData(16)));
        let mut garbage = small;
        garbage.data = vec![0xff; 12];
        assert_eq!(garbage.decode(), Err(PixelError::BadData(64)));
        let unknown = Pixels {
            codec: PixelCodec(9),
            ..patch([0, 0, 1, 1], 1, vec![0; 4])
        };
        assert_eq!(unknown.decode(), Err(PixelError::UnknownCodec(9)));
    }
}
