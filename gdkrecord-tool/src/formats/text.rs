//! Text for people: one line per record, the time in ms since the start, the kind, then
//! `name=value` for every non-null field:
//!
//! ```text
//!     12.345 ms  event         surface=1 type=button-press time_ms=4242 x=200.00 y=150.00 button=1 modifiers=shift|button1
//!     16.002 ms  frame         surface=1 counter=7 duration=3.120ms update=0.020ms layout=1.250ms paint=1.800ms
//!     16.500 ms  damage        surface=1 frame=7 renderer=gl rects=11,57,375,42;711,211,20,25
//! ```
//!
//! Fields are those of the JSONL form with three changes for legibility: a time field
//! `x_ns` (other than the header's absolute `start_*` clocks) is shown as `x=…ms`; a frame
//! shows its `duration` and each phase's duration instead of phase start/end times; numbers
//! inside a list are joined by `,` so that a value never holds a space. Floats have two
//! decimals; strings holding spaces or quotes are quoted; an empty list is `none`; code
//! addresses and stacks read as `symbol<-symbol<-module+0xoffset`, innermost first.

use std::io::{self, Write};

use gdkrecord_format::{Record, PHASE_NAMES};
use serde::Serialize;

use super::fields::{visit_fields, FieldVisitor};
use super::flat::{render_flat, Flat, Floats};
use super::RecordWriter;

/// Writes one line per record.
#[derive(Debug)]
pub struct TextWriter<W: Write> {
    out: W,
    line: Vec<u8>,
    value: Vec<u8>,
}

impl<W: Write> TextWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> TextWriter<W> {
        TextWriter {
            out,
            line: Vec::with_capacity(256),
            value: Vec::with_capacity(128),
        }
    }
}

/// Appends `ns` as milliseconds with three decimals, rounded to the microsecond.
pub fn push_ms(ns: u64, out: &mut Vec<u8>) {
    let us = ns.saturating_add(500) / 1_000;
    let _ = write!(out, "{}.{:03}", us / 1_000, us % 1_000);
}

struct TextFields<'a> {
    line: &'a mut Vec<u8>,
    value: &'a mut Vec<u8>,
}

impl FieldVisitor for TextFields<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        index: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        if index < 2 {
            return Ok(()); // kind and t_ns lead the line
        }
        self.value.clear();
        let shape = render_flat(value, Floats::TwoDecimals, self.value)?;
        let line = &mut *self.line;
        match shape {
            Flat::Null => return Ok(()),
            Flat::Scalar if name.ends_with("_ns") && !name.starts_with("start_") => {
                let ns = std::str::from_utf8(self.value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok());
                if let Some(ns) = ns {
                    line.push(b' ');
                    line.extend_from_slice(name.trim_end_matches("_ns").as_bytes());
                    line.push(b'=');
                    push_ms(ns, line);
                    line.extend_from_slice(b"ms");
                    return Ok(());
                }
            }
            _ => {}
        }
        line.push(b' ');
        line.extend_from_slice(name.as_bytes());
        line.push(b'=');
        if shape == Flat::Json {
            if let Some(frames) = code_addresses_text(self.value) {
                line.extend_from_slice(frames.as_bytes());
                return Ok(());
            }
        }
        let text = String::from_utf8_lossy(self.value);
        match shape {
            Flat::List if text.is_empty() => line.extend_from_slice(b"none"),
            Flat::List
                if text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b" -.;".contains(&b)) =>
            {
                line.extend(text.bytes().map(|b| if b == b' ' { b',' } else { b }));
            }
            Flat::Str | Flat::List | Flat::Json if needs_quotes(&text) => {
                let _ = write!(line, "{text:?}");
            }
            _ => line.extend_from_slice(text.as_bytes()),
        }
        Ok(())
    }
}

/// A code address (`callback`) or a stack, innermost first, as people read them:
/// `g_usleep<-on_click<-blocker+0x1f2a` (the recorded symbol, else the module's file name
/// and the offset). `None` when the JSON is not code addresses.
fn code_addresses_text(json: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let frames = match &value {
        serde_json::Value::Array(frames) => frames.iter().collect(),
        object @ serde_json::Value::Object(_) => vec![object],
        _ => return None,
    };
    let mut names = Vec::with_capacity(frames.len());
    for frame in frames {
        let code: gdkrecord_format::CodeAddress = serde_json::from_value(frame.clone()).ok()?;
        names.push(match (&code.symbol, &code.module) {
            (Some(symbol), _) => symbol.clone(),
            (None, Some(module)) => {
                let file = module.rsplit('/').next().unwrap_or(module);
                format!("{file}+{:#x}", code.offset)
            }
            (None, None) => format!("{:#x}", code.addr),
        });
    }
    Some(if names.is_empty() {
        "none".to_owned()
    } else {
        names.join("<-")
    })
}

fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
}

impl<W: Write> RecordWriter for TextWriter<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        let us = record.t_ns().saturating_add(500) / 1_000;
        let _ = write!(
            line,
            "{:>6}.{:03} ms  {:<13}",
            us / 1_000,
            us % 1_000,
            record.kind().name()
        );
        match record {
            Record::Frame(frame) => {
                let _ = write!(
                    line,
                    " surface={} counter={} duration=",
                    frame.surface, frame.counter
                );
                push_ms(frame.duration_ns(), line);
                line.extend_from_slice(b"ms");
                for (name, phase) in PHASE_NAMES.iter().zip(frame.phases()) {
                    if let Some(phase) = phase {
                        let _ = write!(line, " {name}=");
                        push_ms(phase.duration_ns(), line);
                        line.extend_from_slice(b"ms");
                    }
                }
            }
            _ => visit_fields(
                record,
                &mut TextFields {
                    line,
                    value: &mut self.value,
                },
            )?,
        }
        line.push(b'\n');
        self.out.write_all(line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Event, EventType, Frame, Modifiers, Phase, SurfaceId};

    fn line(record: &Record) -> String {
        let mut out = Vec::new();
        let mut writer = TextWriter::new(&mut out);
        writer.write(record).unwrap();
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn events_read_like_the_docs() {
        let mut click = Event::new(12_345_400, SurfaceId(1), EventType::BUTTON_PRESS, 4242);
        click.x = Some(200.0);
        click.y = Some(150.0);
        click.button = Some(1);
        click.modifiers = Some(Modifiers(0));
        assert_eq!(
            line(&Record::Event(click)),
            "    12.345 ms  event         surface=1 type=button-press time_ms=4242 x=200.00 y=150.00 button=1 modifiers=none\n"
        );
    }

    #[test]
    fn stacks_read_as_symbol_chains() {
        use gdkrecord_format::{CodeAddress, StallSample};
        let sample = StallSample {
            t_ns: 2_000_000,
            stall_start_ns: 1_000_000,
            stack: vec![
                CodeAddress {
                    addr: 0x7f00_0000_1000,
                    module: Some("/lib/libc.so.6".into()),
                    offset: 0x1000,
                    symbol: Some("nanosleep".into()),
                },
                CodeAddress {
                    addr: 0x5555_0000_2000,
                    module: Some("/usr/bin/blocker".into()),
                    offset: 0x2000,
                    symbol: None,
                },
                CodeAddress {
                    addr: 0x1234,
                    module: None,
                    offset: 0,
                    symbol: None,
                },
            ],
        };
        assert_eq!(
            line(&Record::StallSample(sample)),
            "     2.000 ms  stall-sample  stall_start=1.000ms stack=nanosleep<-blocker+0x2000<-0x1234\n"
        );
    }

    #[test]
    fn frames_show_phase_durations() {
        let frame = Frame {
            t_ns: 16_000_000,
            surface: SurfaceId(1),
            counter: 7,
            end_ns: 19_120_000,
            before_paint: None,
            update: Some(Phase {
                start_ns: 16_000_000,
                end_ns: 16_020_000,
            }),
            layout: None,
            paint: Some(Phase {
                start_ns: 17_000_000,
                end_ns: 18_800_000,
            }),
            after_paint: None,
        };
        assert_eq!(
            line(&Record::Frame(frame)),
            "    16.000 ms  frame         surface=1 counter=7 duration=3.120ms update=0.020ms paint=1.800ms\n"
        );
    }
}
