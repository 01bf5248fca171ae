//! One field value as compact JSON, exactly as serde_json writes it, with nulls,
//! numbers and bools written without serde_json (half the cost of a dump's JSON).

use std::io;

use serde::ser::{self, Impossible, Serialize, Serializer};

use super::flat::push_centi;

/// Appends `value` as the compact JSON serde_json writes for it, and says whether it was
/// `null`. Nulls, numbers and bools are written here (floats through the centi-pixel fast
/// path), everything else by serde_json: the JSON of a dump costs half as much.
pub fn render_json<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> io::Result<bool> {
    match value.serialize(JsonScalar { out: &mut *out }) {
        Ok(is_null) => Ok(is_null),
        Err(NotScalar) => {
            let start = out.len();
            serde_json::to_writer(&mut *out, value)?;
            // serde_json writes a non-finite float as null.
            Ok(&out[start..] == b"null")
        }
    }
}

/// The value is not a scalar [`JsonScalar`] writes (nothing was written).
#[derive(Debug)]
struct NotScalar;

impl std::fmt::Display for NotScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a scalar")
    }
}

impl std::error::Error for NotScalar {}

impl ser::Error for NotScalar {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotScalar
    }
}

/// Writes null, bools, integers and floats as serde_json does; refuses anything else
/// before writing a byte. `Ok(true)` means null.
struct JsonScalar<'a> {
    out: &'a mut Vec<u8>,
}

impl JsonScalar<'_> {
    fn digits(self, text: &str) -> Result<bool, NotScalar> {
        self.out.extend_from_slice(text.as_bytes());
        Ok(false)
    }
}

macro_rules! not_scalar {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, NotScalar> { Err(NotScalar) })*
    };
}

impl Serializer for JsonScalar<'_> {
    type Ok = bool;
    type Error = NotScalar;
    type SerializeSeq = Impossible<bool, NotScalar>;
    type SerializeTuple = Impossible<bool, NotScalar>;
    type SerializeTupleStruct = Impossible<bool, NotScalar>;
    type SerializeTupleVariant = Impossible<bool, NotScalar>;
    type SerializeMap = Impossible<bool, NotScalar>;
    type SerializeStruct = Impossible<bool, NotScalar>;
    type SerializeStructVariant = Impossible<bool, NotScalar>;

    fn serialize_bool(self, v: bool) -> Result<bool, NotScalar> {
        self.digits(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<bool, NotScalar> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<bool, NotScalar> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<bool, NotScalar> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<bool, NotScalar> {
        self.digits(itoa::Buffer::new().format(v))
    }
    fn serialize_u8(self, v: u8) -> Result<bool, NotScalar> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<bool, NotScalar> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<bool, NotScalar> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<bool, NotScalar> {
        self.digits(itoa::Buffer::new().format(v))
    }
    fn serialize_f32(self, _: f32) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_f64(self, v: f64) -> Result<bool, NotScalar> {
        if v.is_finite() && push_centi(v, self.out) {
            Ok(false)
        } else {
            Err(NotScalar)
        }
    }
    fn serialize_none(self) -> Result<bool, NotScalar> {
        self.out.extend_from_slice(b"null");
        Ok(true)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<bool, NotScalar> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, NotScalar> {
        self.serialize_none()
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, NotScalar> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }

    not_scalar! {
        serialize_char(char) -> bool;
        serialize_str(&str) -> bool;
        serialize_bytes(&[u8]) -> bool;
        serialize_unit_struct(&'static str) -> bool;
        serialize_unit_variant(&'static str, u32, &'static str) -> bool;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_what_serde_json_writes() {
        fn check<T: Serialize>(value: T) {
            let mut out = Vec::new();
            let is_null = render_json(&value, &mut out).unwrap();
            let expected = serde_json::to_string(&value).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected);
            assert_eq!(is_null, expected == "null");
        }
        check(None::<f64>);
        check(Some(97.25));
        check(Some(1.0 / 3.0));
        check(f64::NAN);
        check(-0.0);
        check(u64::MAX);
        check(i64::MIN);
        check(true);
        check("a\"b\n");
        check(Some(vec![[1, 2, 3, 4]]));
        check(gdkrecord_format::SurfaceId(3));
        check(gdkrecord_format::Phase {
            start_ns: 1,
            end_ns: 2,
        });
        check(Some(gdkrecord_format::Modifiers(5)));
    }
}
