//! Records as a sequence of named fields, derived from their serde form (the JSONL
//! contract), so that every output format shows the same fields under the same names and
//! a record kind added to the format crate flows through every format without changes
//! here beyond one line in [`field_names`].
//!
//! Two pieces:
//! - [`visit_fields`] walks one record's fields in order (`kind` first, then `t_ns`, then
//!   the kind's fields), handing each value (still a `Serialize`) to a [`FieldVisitor`];
//! - [`render_flat`](super::flat::render_flat) (`flat.rs`) writes one field value as the
//!   flat text CSV, XML and text use:
//!
//! | value | flat text |
//! |---|---|
//! | `null` | nothing ([`Flat::Null`](super::flat::Flat::Null)) |
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

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{EventType, SurfaceId};

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
