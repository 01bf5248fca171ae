//! One field value as the flat text CSV, XML and text use (the table in `fields.rs`'s
//! docs): numbers, strings and lists written compactly, anything else as compact JSON.

use std::io;

use serde::ser::{self, Impossible, Serialize, Serializer};

/// How floats are written in flat text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Floats {
    /// The shortest text that reads back as the same value (as serde_json writes them).
    Exact,
    /// Two decimals, for people (`200.00`).
    TwoDecimals,
}

/// What [`render_flat`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flat {
    /// The value is null: nothing was written.
    Null,
    /// A string, written as is (the format escapes it).
    Str,
    /// A number or bool.
    Scalar,
    /// A list or tuple in the compact forms above.
    List,
    /// A nested value written as compact JSON.
    Json,
}

/// Appends `value` to `out` as flat text (see the module docs) and says what it was.
pub fn render_flat<T: Serialize + ?Sized>(
    value: &T,
    floats: Floats,
    out: &mut Vec<u8>,
) -> io::Result<Flat> {
    let start = out.len();
    match value.serialize(FlatText {
        out: &mut *out,
        floats,
        depth: Depth::Top,
    }) {
        Ok(flat) => Ok(flat),
        Err(FlatError::NeedsJson) => {
            out.truncate(start);
            serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
            Ok(Flat::Json)
        }
        Err(FlatError::Other(message)) => Err(io::Error::other(message)),
    }
}

/// Where in a value the flat serializer is: what it may still write compactly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// The field's value itself.
    Top,
    /// An element of a top-level list: a string or number, or a tuple of numbers.
    ListElement,
    /// Inside a tuple: numbers only.
    TupleElement,
}

#[derive(Debug)]
enum FlatError {
    /// The value has a shape flat text does not cover: write it as JSON instead.
    NeedsJson,
    Other(String),
}

impl std::fmt::Display for FlatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlatError::NeedsJson => f.write_str("needs JSON"),
            FlatError::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for FlatError {}

impl ser::Error for FlatError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        FlatError::Other(msg.to_string())
    }
}

struct FlatText<'a> {
    out: &'a mut Vec<u8>,
    floats: Floats,
    depth: Depth,
}

impl FlatText<'_> {
    fn integer(self, text: &str) -> Result<Flat, FlatError> {
        self.out.extend_from_slice(text.as_bytes());
        Ok(Flat::Scalar)
    }

    fn float(self, v: f64) -> Result<Flat, FlatError> {
        if !v.is_finite() {
            // serde_json writes non-finite floats as null; agree with it.
            return if self.depth == Depth::Top {
                Ok(Flat::Null)
            } else {
                Err(FlatError::NeedsJson)
            };
        }
        match self.floats {
            Floats::Exact => {
                if !push_centi(v, self.out) {
                    self.out
                        .extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
                }
            }
            Floats::TwoDecimals => {
                use std::io::Write;
                let _ = write!(self.out, "{v:.2}");
            }
        }
        Ok(Flat::Scalar)
    }

    fn string(self, s: &str) -> Result<Flat, FlatError> {
        match self.depth {
            Depth::Top => self.out.extend_from_slice(s.as_bytes()),
            Depth::ListElement => {
                for byte in s.bytes() {
                    if byte == b'|' || byte == b'\\' {
                        self.out.push(b'\\');
                    }
                    self.out.push(byte);
                }
            }
            Depth::TupleElement => return Err(FlatError::NeedsJson),
        }
        Ok(Flat::Str)
    }
}

/// Appends `v` the way ryu and serde_json write it (shortest text that reads back the
/// same, at least one decimal) when `v` is a whole number of hundredths below 10^9, as
/// every coordinate of a recording is (they are stored in centi-pixels): the hot path of
/// a dump, four times faster than the general algorithm. Returns false for other values.
pub(super) fn push_centi(v: f64, out: &mut Vec<u8>) -> bool {
    if v.abs() >= 1e9 || v.is_nan() {
        return false;
    }
    let centis = (v * 100.0).round();
    if centis / 100.0 != v {
        return false;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let centis = centis.abs() as u64;
    out.extend_from_slice(itoa::Buffer::new().format(centis / 100).as_bytes());
    let fraction = centis % 100;
    out.push(b'.');
    out.push(b'0' + (fraction / 10) as u8);
    if !fraction.is_multiple_of(10) {
        out.push(b'0' + (fraction % 10) as u8);
    }
    true
}

fn needs_json<T>() -> Result<T, FlatError> {
    Err(FlatError::NeedsJson)
}

impl<'a> Serializer for FlatText<'a> {
    type Ok = Flat;
    type Error = FlatError;
    type SerializeSeq = FlatList<'a>;
    type SerializeTuple = FlatTuple<'a>;
    type SerializeTupleStruct = FlatTuple<'a>;
    type SerializeTupleVariant = Impossible<Flat, FlatError>;
    type SerializeMap = Impossible<Flat, FlatError>;
    type SerializeStruct = FlatTuple<'a>;
    type SerializeStructVariant = Impossible<Flat, FlatError>;

    fn serialize_bool(self, v: bool) -> Result<Flat, FlatError> {
        if self.depth != Depth::Top {
            return needs_json();
        }
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(Flat::Scalar)
    }
    fn serialize_i8(self, v: i8) -> Result<Flat, FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Flat, FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Flat, FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Flat, FlatError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Flat, FlatError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Flat, FlatError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Flat, FlatError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Flat, FlatError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Flat, FlatError> {
        self.float(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Flat, FlatError> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<Flat, FlatError> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Flat, FlatError> {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Flat, FlatError> {
        needs_json()
    }
    fn serialize_none(self) -> Result<Flat, FlatError> {
        if self.depth == Depth::Top {
            Ok(Flat::Null)
        } else {
            needs_json()
        }
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Flat, FlatError> {
        if self.depth == Depth::Top {
            value.serialize(self)
        } else {
            needs_json()
        }
    }
    fn serialize_unit(self) -> Result<Flat, FlatError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Flat, FlatError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Flat, FlatError> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Flat, FlatError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Flat, FlatError> {
        needs_json()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<FlatList<'a>, FlatError> {
        if self.depth != Depth::Top {
            return needs_json();
        }
        Ok(FlatList {
            out: self.out,
            floats: self.floats,
            count: 0,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<FlatTuple<'a>, FlatError> {
        if self.depth == Depth::TupleElement {
            return needs_json();
        }
        Ok(FlatTuple {
            out: self.out,
            floats: self.floats,
            count: 0,
        })
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<FlatTuple<'a>, FlatError> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        needs_json()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        needs_json()
    }
    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, FlatError> {
        // A struct of numbers (a frame phase) reads like a tuple; others become JSON.
        if self.depth != Depth::Top {
            return needs_json();
        }
        self.serialize_tuple(len)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        needs_json()
    }
}

/// A top-level list: strings joined by `|`, numbers by ` `, tuples by `;`.
struct FlatList<'a> {
    out: &'a mut Vec<u8>,
    floats: Floats,
    count: usize,
}

impl ser::SerializeSeq for FlatList<'_> {
    type Ok = Flat;
    type Error = FlatError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlatError> {
        // The separator depends on what the element turns out to be: reserve its byte.
        let separator_at = (self.count > 0).then(|| {
            self.out.push(b' ');
            self.out.len() - 1
        });
        let element = FlatText {
            out: &mut *self.out,
            floats: self.floats,
            depth: Depth::ListElement,
        };
        let shape = value.serialize(element)?;
        if let Some(at) = separator_at {
            self.out[at] = match shape {
                Flat::Str => b'|',
                Flat::List => b';',
                _ => b' ',
            };
        }
        self.count += 1;
        Ok(())
    }

    fn end(self) -> Result<Flat, FlatError> {
        Ok(Flat::List)
    }
}

/// A tuple of numbers joined by ` ` (a rectangle, a version).
struct FlatTuple<'a> {
    out: &'a mut Vec<u8>,
    floats: Floats,
    count: usize,
}

impl FlatTuple<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlatError> {
        if self.count > 0 {
            self.out.push(b' ');
        }
        value.serialize(FlatText {
            out: &mut *self.out,
            floats: self.floats,
            depth: Depth::TupleElement,
        })?;
        self.count += 1;
        Ok(())
    }
}

impl ser::SerializeTuple for FlatTuple<'_> {
    type Ok = Flat;
    type Error = FlatError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlatError> {
        self.element(value)
    }

    fn end(self) -> Result<Flat, FlatError> {
        Ok(Flat::List)
    }
}

impl ser::SerializeStruct for FlatTuple<'_> {
    type Ok = Flat;
    type Error = FlatError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), FlatError> {
        self.element(value)
    }

    fn end(self) -> Result<Flat, FlatError> {
        Ok(Flat::List)
    }
}

impl ser::SerializeTupleStruct for FlatTuple<'_> {
    type Ok = Flat;
    type Error = FlatError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlatError> {
        self.element(value)
    }

    fn end(self) -> Result<Flat, FlatError> {
        Ok(Flat::List)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Modifiers, Phase, Renderer};

    fn flat<T: Serialize>(value: &T) -> (Flat, String) {
        let mut out = Vec::new();
        let shape = render_flat(value, Floats::Exact, &mut out).unwrap();
        (shape, String::from_utf8(out).unwrap())
    }

    #[test]
    fn values_flatten_as_documented() {
        assert_eq!(flat(&Some(200.0)), (Flat::Scalar, "200.0".into()));
        assert_eq!(flat(&None::<u32>), (Flat::Null, String::new()));
        assert_eq!(flat(&"a,b"), (Flat::Str, "a,b".into()));
        assert_eq!(flat(&[4, 8, 3]), (Flat::List, "4 8 3".into()));
        assert_eq!(
            flat(&vec![[11, 57, 375, 42], [711, 211, 20, 25]]),
            (Flat::List, "11 57 375 42;711 211 20 25".into())
        );
        let m = Modifiers(Modifiers::SHIFT.0 | Modifiers::CONTROL.0);
        assert_eq!(flat(&Some(m)), (Flat::List, "shift|control".into()));
        assert_eq!(
            flat(&vec!["a|b", "c\\d"]),
            (Flat::List, "a\\|b|c\\\\d".into())
        );
        assert_eq!(flat(&Vec::<String>::new()), (Flat::List, String::new()));
        let phase = Some(Phase {
            start_ns: 5,
            end_ns: 9,
        });
        assert_eq!(flat(&phase), (Flat::List, "5 9".into()));
        let code = gdkrecord_format::CodeAddress {
            addr: 1,
            module: None,
            offset: 1,
            symbol: None,
        };
        assert_eq!(
            flat(&code),
            (
                Flat::Json,
                r#"{"addr":1,"module":null,"offset":1,"symbol":null}"#.into()
            )
        );
        assert_eq!(flat(&Renderer::GL), (Flat::Str, "gl".into()));
    }

    #[test]
    fn centi_pixels_print_like_ryu() {
        let mut values = vec![
            0.0,
            -0.0,
            0.01,
            0.1,
            0.5,
            1.0,
            97.25,
            200.0,
            -3.5,
            1234.56,
            999_999_999.99,
            1e9,
            0.001,
            1.0 / 3.0,
        ];
        values.extend((-20_000..20_000).map(|n| f64::from(n) / 100.0));
        for v in values {
            let mut fast = Vec::new();
            if push_centi(v, &mut fast) {
                assert_eq!(
                    String::from_utf8(fast).unwrap(),
                    ryu::Buffer::new().format_finite(v),
                    "{v}"
                );
                assert_eq!(
                    serde_json::to_string(&v).unwrap(),
                    ryu::Buffer::new().format_finite(v),
                    "{v}"
                );
            } else {
                assert!(
                    v.abs() >= 1e9 || (v * 100.0).fract() != 0.0,
                    "{v} took the slow path"
                );
            }
        }
    }
}
