//! The output formats of `dump`: one module per format, each a [`RecordWriter`] over any
//! `io::Write`. They all show the same records with the same field names (from the
//! records' serde form, see [`fields`]); `docs/formats.md` describes each.

use std::io::Write;

use gdkrecord_format::{Record, RecordKind};

use crate::cli::DumpFormat;

pub mod csv;
pub mod fields;
pub mod flat;
pub mod json;
pub mod json_value;
pub mod text;
pub mod xml;

/// Writes records in one output format. Callers write every record, then call
/// [`RecordWriter::finish`] once; io errors (a closed pipe) are returned, never ignored.
pub trait RecordWriter {
    /// Writes one record.
    fn write(&mut self, record: &Record) -> std::io::Result<()>;
    /// Closes the document (`]`, `</gdkrecord>`) and flushes.
    fn finish(&mut self) -> std::io::Result<()>;
}

/// A writer of `format` over `out`. `kinds` are the record kinds that may come (the CSV
/// columns are the union of their fields).
pub fn writer<'w, W: Write + 'w>(
    format: DumpFormat,
    out: W,
    kinds: &[RecordKind],
) -> std::io::Result<Box<dyn RecordWriter + 'w>> {
    Ok(match format {
        DumpFormat::Text => Box::new(text::TextWriter::new(out)),
        DumpFormat::Jsonl => Box::new(json::JsonWriter::lines(out)),
        DumpFormat::Json => Box::new(json::JsonWriter::array(out)?),
        DumpFormat::Csv => Box::new(csv::CsvWriter::new(out, kinds)?),
        DumpFormat::Xml => Box::new(xml::XmlWriter::new(out)?),
    })
}
