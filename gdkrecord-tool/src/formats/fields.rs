//! Records as a sequence of named fields, derived from their serde form (the JSONL
//! contract), so that every output format shows the same fields under the same names and
//! a record kind added to the format crate flows through every format without changes
//! here beyond one line in [`field_names`].
//!
//! Two pieces:
//! - [`visit_fields`] walks one record's fields in order (`kind` first, then `t_ns`, then
//!   the kind's fields), handing each value (still a `Serialize`) to a [`FieldVisitor`];
//! - [`render_flat`] writes one field value as the flat text CSV, XML and text use:
//!
//! | value | flat text |
//! |---|---|
//! | `null` | nothing ([`Flat::Null`]) |
//! | bool, number, string | `true`, `12`, `200.5`, `Return` |
//! | list of strings (`modifiers`, `argv`, `state`) | `shift\|control` (`\|` and `\` inside a string are escaped with `\`) |
//! | list of numbers, fixed-size tuple (`gtk_version`) | `4 8 3` |
//! | list of number tuples (`rects`) | `11 57 375 42;711 211 20 25` |
//! | object of numbers (a frame phase) | its values in field order: `4000000 4010000` |
//! | anything else (code addresses, stacks) | compact JSON, as in JSONL |

use std::io;

use gdkrecord_format::{
    Damage, DamageCapture, Dispatch, End, Event, Frame, FrameTimings, Header, LoopIteration,
    LoopSummary, Pixels, PixelsSkipped, PopupPosition, Record, RecordKind, Scale, Size, Stall,
    StallSample, State, Surface, SurfaceDestroyed,
};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};

/// Receives the fields of one record, in their serde order.
pub trait FieldVisitor {
    /// Field number `index` (0 is `kind`, 1 is `t_ns`), named as in JSON.
    fn field<T: Serialize + ?Sized>(
        &mut self,
        index: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()>;
}

/// Calls `visitor` for every field of `record`, `kind` first.
pub fn visit_fields<V: FieldVisitor>(record: &Record, visitor: &mut V) -> io::Result<()> {
    record.serialize(FieldSplitter { visitor }).map_err(|e| e.0)
}

/// The JSON names of the fields of records of `kind`, `kind` and `t_ns` included, in the
/// order [`visit_fields`] gives them. Read from the serde derive of each record type:
/// this match is the one place that ties a kind to its Rust type.
pub fn field_names(kind: RecordKind) -> Vec<&'static str> {
    let fields = match kind {
        RecordKind::Header => struct_fields::<Header>(),
        RecordKind::Surface => struct_fields::<Surface>(),
        RecordKind::SurfaceDestroyed => struct_fields::<SurfaceDestroyed>(),
        RecordKind::Size => struct_fields::<Size>(),
        RecordKind::Scale => struct_fields::<Scale>(),
        RecordKind::State => struct_fields::<State>(),
        RecordKind::Event => struct_fields::<Event>(),
        RecordKind::Frame => struct_fields::<Frame>(),
        RecordKind::FrameTimings => struct_fields::<FrameTimings>(),
        RecordKind::Damage | RecordKind::Painted => struct_fields::<Damage>(),
        RecordKind::End => struct_fields::<End>(),
        RecordKind::LoopIteration => struct_fields::<LoopIteration>(),
        RecordKind::Dispatch => struct_fields::<Dispatch>(),
        RecordKind::Stall => struct_fields::<Stall>(),
        RecordKind::StallSample => struct_fields::<StallSample>(),
        RecordKind::DamageCapture => struct_fields::<DamageCapture>(),
        RecordKind::LoopSummary => struct_fields::<LoopSummary>(),
        RecordKind::Pixels => struct_fields::<Pixels>(),
        RecordKind::PopupPosition => struct_fields::<PopupPosition>(),
        RecordKind::PixelsSkipped => struct_fields::<PixelsSkipped>(),
    };
    std::iter::once("kind")
        .chain(fields.iter().copied())
        .collect()
}

/// The field names a `#[derive(Deserialize)]` struct declares, asked from the derive
/// itself with a deserializer that only records what `deserialize_struct` is told.
fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNameProbe(&mut names));
    names
}

struct FieldNameProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNameProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("field-name probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field-name probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// An io error carried through serde.
#[derive(Debug)]
pub struct FieldError(pub io::Error);

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FieldError {}

impl ser::Error for FieldError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        FieldError(io::Error::other(msg.to_string()))
    }
}

impl From<io::Error> for FieldError {
    fn from(e: io::Error) -> Self {
        FieldError(e)
    }
}

fn not_a_record<T>() -> Result<T, FieldError> {
    Err(ser::Error::custom(
        "a record serializes as a struct of fields",
    ))
}

/// Serializer accepting only the top-level struct a record serializes to.
struct FieldSplitter<'v, V> {
    visitor: &'v mut V,
}

struct SplitStruct<'v, V> {
    visitor: &'v mut V,
    index: usize,
}

impl<V: FieldVisitor> ser::SerializeStruct for SplitStruct<'_, V> {
    type Ok = ();
    type Error = FieldError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), FieldError> {
        self.visitor.field(self.index, key, value)?;
        self.index += 1;
        Ok(())
    }

    fn end(self) -> Result<(), FieldError> {
        Ok(())
    }
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, FieldError> { not_a_record() })*
    };
}

impl<'v, V: FieldVisitor> Serializer for FieldSplitter<'v, V> {
    type Ok = ();
    type Error = FieldError;
    type SerializeSeq = Impossible<(), FieldError>;
    type SerializeTuple = Impossible<(), FieldError>;
    type SerializeTupleStruct = Impossible<(), FieldError>;
    type SerializeTupleVariant = Impossible<(), FieldError>;
    type SerializeMap = Impossible<(), FieldError>;
    type SerializeStruct = SplitStruct<'v, V>;
    type SerializeStructVariant = Impossible<(), FieldError>;

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, FieldError> {
        Ok(SplitStruct {
            visitor: self.visitor,
            index: 0,
        })
    }

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), FieldError> {
        not_a_record()
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), FieldError> {
        not_a_record()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), FieldError> {
        not_a_record()
    }
}

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
fn push_centi(v: f64, out: &mut Vec<u8>) -> bool {
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
    use gdkrecord_format::{EventType, Modifiers, Phase, Renderer, SurfaceId};

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

    #[test]
    fn fields_come_in_serde_order_with_their_json_names() {
        struct Names(Vec<(usize, &'static str)>);
        impl FieldVisitor for Names {
            fn field<T: Serialize + ?Sized>(
                &mut self,
                i: usize,
                name: &'static str,
                _: &T,
            ) -> io::Result<()> {
                self.0.push((i, name));
                Ok(())
            }
        }
        let event = Record::Event(Event::new(1, SurfaceId(1), EventType::KEY_PRESS, 2));
        let mut names = Names(Vec::new());
        visit_fields(&event, &mut names).unwrap();
        let expected = field_names(RecordKind::Event);
        assert_eq!(
            names.0.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(&expected[..4], ["kind", "t_ns", "surface", "type"]);
        assert!(names
            .0
            .iter()
            .enumerate()
            .all(|(i, (index, _))| i == *index));
    }

    #[test]
    fn every_kind_has_fields() {
        for kind in RecordKind::ALL {
            let names = field_names(kind);
            assert!(names.len() >= 2 && names[1] == "t_ns", "{kind}: {names:?}");
        }
    }
}
