//! JSONL (one object per line: the contract of `docs/format.md`) and JSON (one array of the
//! same objects, one per line, so the document is valid JSON and still greppable).
//!
//! The objects are exactly what `serde_json::to_writer(record)` gives; they are built here
//! field by field (keys written as they are, values by serde_json) because escaping the
//! constant keys was a third of the time of a dump.

use std::io::{self, Write};

use gdkrecord_format::Record;

use serde::Serialize;

use super::fields::{visit_fields, FieldVisitor};
use super::json_value::render_json;
use super::RecordWriter;

/// Writes records as serde_json objects, straight into the output.
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    /// `Some` for the array form: whether no record was written yet.
    array_empty: Option<bool>,
    /// The object being built, written in one call.
    object: Vec<u8>,
}

impl<W: Write> JsonWriter<W> {
    /// One object per line.
    pub fn lines(out: W) -> JsonWriter<W> {
        JsonWriter {
            out,
            array_empty: None,
            object: Vec::with_capacity(1024),
        }
    }

    /// One JSON array holding the objects, one per line.
    pub fn array(mut out: W) -> io::Result<JsonWriter<W>> {
        out.write_all(b"[")?;
        Ok(JsonWriter {
            out,
            array_empty: Some(true),
            object: Vec::with_capacity(1024),
        })
    }
}

impl<W: Write> RecordWriter for JsonWriter<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        match &mut self.array_empty {
            None => {}
            Some(empty @ true) => {
                *empty = false;
                self.out.write_all(b"\n")?;
            }
            Some(false) => self.out.write_all(b",\n")?,
        }
        self.object.clear();
        write_object(record, &mut self.object)?;
        if self.array_empty.is_none() {
            self.object.push(b'\n');
        }
        self.out.write_all(&self.object)
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.array_empty.is_some() {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()
    }
}

/// Appends `record` as the compact JSON object serde_json would write for it.
pub fn write_object(record: &Record, out: &mut Vec<u8>) -> io::Result<()> {
    visit_fields(record, &mut ObjectFields { out })?;
    out.push(b'}');
    Ok(())
}

struct ObjectFields<'a> {
    out: &'a mut Vec<u8>,
}

impl FieldVisitor for ObjectFields<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        index: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        // Field names are Rust identifiers (or renames such as `type`): nothing to escape.
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.out
            .extend_from_slice(if index == 0 { b"{\"" } else { b",\"" });
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        render_json(value, self.out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{End, EndReason};

    fn end(t_ns: u64) -> Record {
        Record::End(End {
            t_ns,
            reason: EndReason::EXIT,
            records: 3,
            dropped: 0,
        })
    }

    #[test]
    fn array_is_valid_json_even_when_empty() {
        for n in 0..3 {
            let mut out = Vec::new();
            let mut writer = JsonWriter::array(&mut out).unwrap();
            for t in 0..n {
                writer.write(&end(t)).unwrap();
            }
            writer.finish().unwrap();
            let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(value.as_array().unwrap().len(), n as usize);
        }
    }

    #[test]
    fn objects_are_what_serde_json_writes() {
        let mut event = gdkrecord_format::Event::new(
            7,
            gdkrecord_format::SurfaceId(2),
            gdkrecord_format::EventType::KEY_PRESS,
            9,
        );
        event.key = Some("\"quoted\"\n".into());
        event.x = Some(0.1);
        event.modifiers = Some(gdkrecord_format::Modifiers(5));
        for record in [end(1), Record::Event(event)] {
            let mut out = Vec::new();
            write_object(&record, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&record).unwrap()
            );
        }
    }

    #[test]
    fn lines_hold_one_object_each() {
        let mut out = Vec::new();
        let mut writer = JsonWriter::lines(&mut out);
        writer.write(&end(1)).unwrap();
        writer.write(&end(2)).unwrap();
        writer.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"kind\":\"end\",\"t_ns\":1,\"reason\":\"exit\",\"records\":3,\"dropped\":0}\n\
             {\"kind\":\"end\",\"t_ns\":2,\"reason\":\"exit\",\"records\":3,\"dropped\":0}\n"
        );
    }
}
