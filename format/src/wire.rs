//! Byte-level primitives: LEB128 varints, zigzag, centi-pixels, strings.

/// Appends primitives to a byte vector.
pub(crate) struct Put<'a>(pub &'a mut Vec<u8>);

impl Put<'_> {
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    #[inline]
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    #[inline]
    pub fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    /// A coordinate or delta in hundredths of a pixel.
    #[inline]
    pub fn centi(&mut self, v: f64) {
        let scaled = (v * 100.0).round();
        // Saturating float->int cast; NaN becomes 0.
        self.signed(scaled as i64);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// A varint byte length, then the bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    /// A presence byte, then the string when present.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
}

/// What went wrong decoding a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Reads primitives from a byte slice.
pub(crate) struct Get<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Get<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Get { bytes, pos: 0 }
    }

    /// Whether every byte was read (fields appended by later versions may be absent).
    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn u8(&mut self) -> Result<u8, Malformed> {
        let b = *self.bytes.get(self.pos).ok_or(Malformed)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn varint(&mut self) -> Result<u64, Malformed> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Malformed)
    }

    pub fn u32(&mut self) -> Result<u32, Malformed> {
        u32::try_from(self.varint()?).map_err(|_| Malformed)
    }

    pub fn signed(&mut self) -> Result<i64, Malformed> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn i32(&mut self) -> Result<i32, Malformed> {
        i32::try_from(self.signed()?).map_err(|_| Malformed)
    }

    pub fn centi(&mut self) -> Result<f64, Malformed> {
        Ok(self.signed()? as f64 / 100.0)
    }

    pub fn bool(&mut self) -> Result<bool, Malformed> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Malformed),
        }
    }

    pub fn str(&mut self) -> Result<String, Malformed> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }

    /// A varint byte length and that many bytes, which must be there: a length claiming
    /// more than the payload holds is malformed, so nothing is allocated for it.
    pub fn bytes(&mut self) -> Result<&'a [u8], Malformed> {
        let len = usize::try_from(self.varint()?).map_err(|_| Malformed)?;
        let end = self.pos.checked_add(len).ok_or(Malformed)?;
        let bytes = self.bytes.get(self.pos..end).ok_or(Malformed)?;
        self.pos = end;
        Ok(bytes)
    }

    pub fn opt_str(&mut self) -> Result<Option<String>, Malformed> {
        if self.bool()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        let values = [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MAX, i64::MIN];
        let mut buf = Vec::new();
        for v in values {
            Put(&mut buf).signed(v);
            Put(&mut buf).varint(v as u64);
        }
        let mut get = Get::new(&buf);
        for v in values {
            assert_eq!(get.signed().unwrap(), v);
            assert_eq!(get.varint().unwrap(), v as u64);
        }
        assert!(get.is_empty());
    }

    #[test]
    fn centipixels_keep_two_decimals() {
        let mut buf = Vec::new();
        Put(&mut buf).centi(123.456);
        Put(&mut buf).centi(-0.5);
        Put(&mut buf).centi(f64::NAN);
        let mut get = Get::new(&buf);
        assert_eq!(get.centi().unwrap(), 123.46);
        assert_eq!(get.centi().unwrap(), -0.5);
        assert_eq!(get.centi().unwrap(), 0.0);
    }

    #[test]
    fn truncated_input_is_malformed_not_a_panic() {
        assert_eq!(Get::new(&[0x80]).varint(), Err(Malformed));
        assert_eq!(Get::new(&[5, b'a']).str(), Err(Malformed));
        assert_eq!(Get::new(&[0xff; 11]).varint(), Err(Malformed));
    }
}
