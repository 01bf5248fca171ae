//! XML: a `<gdkrecord>` document with one empty `<record kind="..." t_ns="..." .../>`
//! element per record, each non-null field an attribute holding its flat form (see
//! [`super::fields`]); a null field has no attribute. Attribute values escape `&`, `<`,
//! `>`, `"` and tab/line breaks as character references; characters XML 1.0 cannot hold
//! at all (other control characters) become U+FFFD.

use std::io::{self, Write};

use gdkrecord_format::Record;
use serde::Serialize;

use super::fields::{visit_fields, FieldVisitor};
use super::flat::{render_flat, Flat, Floats};
use super::RecordWriter;

/// Writes the XML document straight into the output.
#[derive(Debug)]
pub struct XmlWriter<W: Write> {
    out: W,
    /// The element being built, written in one call.
    scratch: Vec<u8>,
    /// One attribute's value before escaping.
    value: Vec<u8>,
}

impl<W: Write> XmlWriter<W> {
    /// Writes the XML declaration and opens the root element.
    pub fn new(mut out: W) -> io::Result<XmlWriter<W>> {
        out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gdkrecord>\n")?;
        Ok(XmlWriter {
            out,
            scratch: Vec::with_capacity(512),
            value: Vec::with_capacity(128),
        })
    }
}

/// Appends `text` to `out` escaped for a double-quoted attribute value.
pub fn escape_attribute(text: &str, out: &mut Vec<u8>) {
    let mut rest = text;
    while let Some(at) =
        rest.find(|c: char| matches!(c, '&' | '<' | '>' | '"') || needs_reference(c))
    {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let c = rest[at..].chars().next().unwrap_or('\u{fffd}');
        let escaped: &[u8] = match c {
            '&' => b"&amp;",
            '<' => b"&lt;",
            '>' => b"&gt;",
            '"' => b"&quot;",
            '\t' => b"&#9;",
            '\n' => b"&#10;",
            '\r' => b"&#13;",
            _ => "\u{fffd}".as_bytes(),
        };
        out.extend_from_slice(escaped);
        rest = &rest[at + c.len_utf8()..];
    }
    out.extend_from_slice(rest.as_bytes());
}

/// Control characters: tab and line breaks need a reference to survive attribute-value
/// normalisation; the others are not allowed in XML 1.0 at all.
fn needs_reference(c: char) -> bool {
    c < ' ' || matches!(c, '\u{fffe}' | '\u{ffff}')
}

struct Attributes<'a> {
    out: &'a mut Vec<u8>,
    value: &'a mut Vec<u8>,
}

impl FieldVisitor for Attributes<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        _: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        self.value.clear();
        let shape = render_flat(value, Floats::Exact, self.value)?;
        if shape == Flat::Null {
            return Ok(());
        }
        self.out.push(b' ');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"=\"");
        if shape == Flat::Scalar {
            self.out.extend_from_slice(self.value);
        } else {
            let text = std::str::from_utf8(self.value).map_err(io::Error::other)?;
            escape_attribute(text, self.out);
        }
        self.out.push(b'"');
        Ok(())
    }
}

impl<W: Write> RecordWriter for XmlWriter<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        self.scratch.clear();
        self.scratch.extend_from_slice(b"  <record");
        let mut attributes = Attributes {
            out: &mut self.scratch,
            value: &mut self.value,
        };
        visit_fields(record, &mut attributes)?;
        self.scratch.extend_from_slice(b"/>\n");
        self.out.write_all(&self.scratch)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(b"</gdkrecord>\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped() {
        let mut out = Vec::new();
        escape_attribute("a<b & \"c\"\n\u{1}é", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a&lt;b &amp; &quot;c&quot;&#10;\u{fffd}é"
        );
    }
}
