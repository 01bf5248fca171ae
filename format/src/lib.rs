//! The gdkrecord log format: record types, a writer, and a streaming reader.
//!
//! A gdkrecord recording is what `libgdkrecord.so` writes while it runs inside a GTK 4
//! program: every input event, surface size, frame-clock phase and repainted region.
//! This crate knows nothing of GTK, so the tool, tests and fuzzers build without it.
//!
//! # Byte layout (format version 2)
//!
//! All integers are little-endian. A *varint* is unsigned LEB128 (7 bits a byte, low
//! bits first, high bit set on every byte but the last); a *signed varint* is a varint of
//! the zigzag encoding (`(v << 1) ^ (v >> 63)`); a *string* is a varint byte length and
//! UTF-8 bytes; a *centi-pixel* is a signed varint of the value times 100, rounded.
//!
//! ```text
//! file    = file-header frame*  [zero padding]
//! file-header (16 bytes)
//!   0  8  magic  89 47 44 4B 52 45 43 0A   ("\x89GDKREC\n")
//!   8  2  format version (u16)             2 (1 is read too)
//!  10  2  flags (u16)                      0
//!  12  4  reserved                         0
//! frame   = varint payload-length (1 ..= 16 MiB)  u32 CRC-32 (IEEE) of payload  payload
//! payload = u8 kind-code  varint t_ns  fields...
//! ```
//!
//! `t_ns` is nanoseconds of CLOCK_MONOTONIC since [`Header::start_monotonic_ns`]. A
//! frame never starts with a zero byte, so zeros where a frame should start mean the
//! end: the recorder writes into a memory-mapped file grown in chunks, and a program
//! killed before it could truncate the file leaves a zero-filled tail. A reader may
//! ignore fields after the ones it knows (later minor versions append fields) and skips
//! frames of kinds it does not know.
//!
//! Fields by kind (`Option` fields are a presence byte 0/1 and the value when 1, unless
//! a presence mask is given):
//!
//! | code | kind | fields after `t_ns` |
//! |---|---|---|
//! | 1 | header | varint format_version, string recorder_version, varint pid, string program, varint argc + argc strings, 3 varints gtk_version, varint start_unix_ns, varint start_monotonic_ns, string display_backend, string display_name, u8 damage_capture, string damage_note, string damage_layout (appended: absent in older files) |
//! | 2 | surface | varint surface, u8 surface_kind, varint parent+1 (0: none), string type_name, Option string widget_type, signed width, signed height, signed scale_factor |
//! | 3 | surface-destroyed | varint surface |
//! | 4 | size | varint surface, signed width, signed height |
//! | 5 | scale | varint surface, signed scale_factor |
//! | 6 | state | varint surface, varint GdkToplevelState bits |
//! | 7 | event | varint surface, u8 GdkEventType, varint time_ms, varint presence mask, then per set bit in order: 0 x, y (centi-pixels); 1 varint button; 2 varint keyval; 3 string key; 4 varint keycode; 5 varint modifiers; 6 u8 scroll_direction; 7 dx, dy (centi-pixels); 8 u8 crossing_mode; 9 u8 crossing_detail; 10 u8 focus_in; 11 varint sequence |
//! | 8 | frame | varint surface, signed counter, varint end-t_ns, u8 phase mask (bit 0 before-paint .. bit 4 after-paint), per set bit: varint start-t_ns, varint duration |
//! | 9 | frame-timings | varint surface, signed counter, u8 presence mask, per set bit a varint: 0 frame_time_ns, 1 presentation_time_ns, 2 predicted_presentation_time_ns, 3 refresh_interval_ns |
//! | 10 | damage | varint surface, signed frame, u8 renderer, varint n, n × 4 signed (x, y, width, height) |
//! | 11 | painted | as damage |
//! | 12 | end | u8 reason, varint records, varint dropped |
//! | 13 | loop-iteration | varint poll_ns, varint work_ns (version 2: only iterations working at least the recorder's threshold, also counted in loop-summary) |
//! | 14 | dispatch | varint duration_ns, Option string source, string source_type, signed priority, Option code-address callback |
//! | 15 | stall | varint duration_ns, Option string source, varint samples, stack |
//! | 16 | stall-sample | varint t_ns − stall_start_ns, stack |
//! | 17 | damage-capture | string class_name, u8 vfunc (0 render, 1 end-frame), string damage_layout, u8 state (0 patched, 1 proven, 2 refused), string note |
//! | 18 | loop-summary (version 2) | varint iterations, varint work_ns, varint poll_ns: the main loop over `t_ns .. t_ns + work_ns + poll_ns` |
//! | 19–21 | reserved | |
//! | 22 | pixels | varint surface, signed frame, varint scale (1 ..= 8), u8 flags (bit 0: full picture), 4 signed (x, y, width, height: application pixels), u8 codec (0 raw, 1 lz4 block), varint data length, data: `width × scale` × `height × scale` pixels of 4 bytes, premultiplied B, G, R, A, rows top to bottom, decoded |
//! | 23 | popup-position | varint surface, signed x, signed y: the popup's top-left corner in its parent's surface coordinates |
//! | 24 | pixels-skipped | varint surface, signed frame, u8 reason (0 budget, 1 failed) |
//!
//! Version 2 differs from version 1 only in the main loop's records: version 1 has a
//! `loop-iteration` record for every iteration; version 2 has a `loop-summary` per
//! stretch of at most one whole second of recording time (seconds are cut at multiples of
//! 1 s from the start; only a stretch of one long poll spans seconds) and a
//! `loop-iteration` only for slow iterations, which the summaries count too.
//!
//! A *code-address* is varint addr, Option string module, varint offset, Option string
//! symbol; a *stack* is a varint count of code-addresses, innermost frame first.
//!
//! End reasons: 0 exit, 1 display-closed, 2 disk-full (the recorder could not grow the file
//! and stopped there; the program went on).
//!
//! A record holds no more than the recorder produces: at most [`MAX_ARGS`] arguments,
//! [`MAX_STACK_FRAMES`] frames per stack, [`MAX_RECTS`] rectangles per region, and pixels
//! of at most [`MAX_PIXEL_BYTES`] decoded (a scale of at most [`MAX_PIXEL_SCALE`]). A frame
//! claiming more is corrupt: a reader's memory follows what it keeps, never what a count
//! claims. A [`Reader`] lists the first [`ISSUES_LISTED`] stretches it skips and counts the
//! rest ([`Reader::skipped`]).
//!
//! # Example
//!
//! ```
//! use gdkrecord_format::*;
//! let mut writer = Writer::new(Vec::new()).unwrap();
//! let mut click = Event::new(1_000, SurfaceId(1), EventType::BUTTON_PRESS, 42);
//! click.x = Some(200.0);
//! click.y = Some(150.5);
//! click.button = Some(1);
//! writer.write(&Record::Event(click.clone())).unwrap();
//! let bytes = writer.finish().unwrap();
//!
//! let records: Vec<Record> = Reader::new(&bytes[..]).unwrap().map(Result::unwrap).collect();
//! assert_eq!(records, [Record::Event(click)]);
//! let json = serde_json::to_string(&records[0]).unwrap();
//! assert!(json.starts_with(r#"{"kind":"event","t_ns":1000,"surface":1,"type":"button-press""#));
//! ```
//!
//! # Design constraints
//! - Small: a motion event takes about 28 bytes, so hour-long recordings stay small.
//! - Crash-safe: every complete frame before a cut, a kill or a scribble is readable.
//! - Streaming: reading needs memory for one record, whatever the file's size or content.
//! - Stable: every released version has a golden file under `tests/golden/`.

mod codec;
mod file;
mod names;
mod pixels;
mod records;
mod redact;
mod wire;

pub use codec::{
    encode_payload, encode_record, MAX_ARGS, MAX_PAYLOAD, MAX_RECTS, MAX_STACK_FRAMES,
};
pub use file::{
    check_file_header, decode_frame, file_header, FrameAt, OpenError, Problem, ReadIssue, Reader,
    Skipped, Writer, FILE_HEADER_LEN, FORMAT_VERSION, ISSUES_LISTED, MAGIC,
};
pub use names::{
    CaptureState, CrossingMode, DamageVfunc, EndReason, EventType, Modifiers, NotifyType,
    PixelCodec, PixelsSkipReason, Renderer, ScrollDirection, SurfaceKind, ToplevelState,
};
pub use pixels::{
    PixelError, Pixels, PixelsSkipped, PopupPosition, MAX_PIXEL_BYTES, MAX_PIXEL_SCALE,
    PIXEL_BAND_BYTES,
};
pub use records::{
    CodeAddress, Damage, DamageCapture, Dispatch, End, Event, Frame, FrameTimings, Header,
    LoopIteration, LoopSummary, Nanos, Phase, Record, RecordKind, Rect, Scale, Size, Stall,
    StallSample, State, Surface, SurfaceDestroyed, SurfaceId, PHASE_NAMES,
};
pub use redact::is_text_keyval;
