//! Encoding and decoding of record payloads and frames (layout in the crate docs).

use crate::names::{
    CaptureState, CrossingMode, DamageVfunc, EndReason, EventType, Modifiers, NotifyType, Renderer,
    ScrollDirection, SurfaceKind, ToplevelState,
};
use crate::pixels::{
    decode_pixels, decode_pixels_skipped, decode_popup_position, encode_pixels,
    encode_pixels_skipped, encode_popup_position,
};
use crate::records::*;
use crate::wire::{Get, Malformed, Put};

/// Largest payload a frame may carry; a larger length prefix means corruption.
pub const MAX_PAYLOAD: usize = 16 << 20;

// Counts a record may hold: what the recorder can produce, no more. A reader's memory
// must follow what the analysis keeps, not what a length field claims: an empty
// argument takes 1 byte in the file but 24 in memory, a stack frame 4 bytes but 72.

/// Most command-line arguments a header holds (the recorder keeps the first ones).
pub const MAX_ARGS: usize = 4096;
/// Most frames a stack holds (the recorder's stall sampler captures at most this many).
pub const MAX_STACK_FRAMES: usize = 128;
/// Most rectangles a damage or painted record holds (the recorder writes a region with
/// more as its bounding box).
pub const MAX_RECTS: usize = 4096;

// Event field presence bits, in the order the fields follow in the payload.
const EV_POSITION: u32 = 1 << 0;
const EV_BUTTON: u32 = 1 << 1;
const EV_KEYVAL: u32 = 1 << 2;
const EV_KEY: u32 = 1 << 3;
const EV_KEYCODE: u32 = 1 << 4;
const EV_MODIFIERS: u32 = 1 << 5;
const EV_SCROLL_DIRECTION: u32 = 1 << 6;
const EV_DELTAS: u32 = 1 << 7;
const EV_CROSSING_MODE: u32 = 1 << 8;
const EV_CROSSING_DETAIL: u32 = 1 << 9;
const EV_FOCUS_IN: u32 = 1 << 10;
const EV_SEQUENCE: u32 = 1 << 11;

// Frame-timings presence bits.
const FT_FRAME_TIME: u8 = 1 << 0;
const FT_PRESENTATION: u8 = 1 << 1;
const FT_PREDICTED: u8 = 1 << 2;
const FT_REFRESH: u8 = 1 << 3;

/// Appends one complete frame (length, CRC-32, payload) holding `record` to `out`.
pub fn encode_record(record: &Record, out: &mut Vec<u8>) {
    let mut payload = Vec::with_capacity(64);
    encode_payload(record, &mut payload);
    frame_payload(&payload, out);
}

/// Appends a frame around an already encoded payload.
pub(crate) fn frame_payload(payload: &[u8], out: &mut Vec<u8>) {
    Put(out).varint(payload.len() as u64);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Appends the payload of `record` (kind code, time, fields) to `out`.
pub fn encode_payload(record: &Record, out: &mut Vec<u8>) {
    let mut put = Put(out);
    put.u8(record.kind() as u8);
    put.varint(record.t_ns());
    match record {
        Record::Header(h) => {
            put.varint(u64::from(h.format_version));
            put.str(&h.recorder_version);
            put.varint(u64::from(h.pid));
            put.str(&h.program);
            put.varint(h.argv.len() as u64);
            for arg in &h.argv {
                put.str(arg);
            }
            for v in h.gtk_version {
                put.varint(u64::from(v));
            }
            put.varint(h.start_unix_ns);
            put.varint(h.start_monotonic_ns);
            put.str(&h.display_backend);
            put.str(&h.display_name);
            put.u8(u8::from(h.damage_capture));
            put.str(&h.damage_note);
            put.str(&h.damage_layout);
        }
        Record::Surface(s) => {
            put.varint(u64::from(s.surface.0));
            put.u8(s.surface_kind.0);
            put.varint(s.parent.map_or(0, |p| u64::from(p.0) + 1));
            put.str(&s.type_name);
            match &s.widget_type {
                Some(w) => {
                    put.u8(1);
                    put.str(w);
                }
                None => put.u8(0),
            }
            put.signed(i64::from(s.width));
            put.signed(i64::from(s.height));
            put.signed(i64::from(s.scale_factor));
        }
        Record::SurfaceDestroyed(s) => put.varint(u64::from(s.surface.0)),
        Record::Size(s) => {
            put.varint(u64::from(s.surface.0));
            put.signed(i64::from(s.width));
            put.signed(i64::from(s.height));
        }
        Record::Scale(s) => {
            put.varint(u64::from(s.surface.0));
            put.signed(i64::from(s.scale_factor));
        }
        Record::State(s) => {
            put.varint(u64::from(s.surface.0));
            put.varint(u64::from(s.state.0));
        }
        Record::Event(e) => encode_event(e, &mut put),
        Record::Frame(f) => {
            put.varint(u64::from(f.surface.0));
            put.signed(f.counter);
            put.varint(f.end_ns.saturating_sub(f.t_ns));
            let phases = f.phases();
            let mask =
                phases
                    .iter()
                    .enumerate()
                    .fold(0u8, |m, (i, p)| if p.is_some() { m | (1 << i) } else { m });
            put.u8(mask);
            for phase in phases.iter().flatten() {
                put.varint(phase.start_ns.saturating_sub(f.t_ns));
                put.varint(phase.duration_ns());
            }
        }
        Record::FrameTimings(t) => {
            put.varint(u64::from(t.surface.0));
            put.signed(t.counter);
            let fields = [
                (FT_FRAME_TIME, t.frame_time_ns),
                (FT_PRESENTATION, t.presentation_time_ns),
                (FT_PREDICTED, t.predicted_presentation_time_ns),
                (FT_REFRESH, t.refresh_interval_ns),
            ];
            put.u8(fields
                .iter()
                .fold(0, |m, (bit, v)| if v.is_some() { m | bit } else { m }));
            for v in fields.iter().filter_map(|(_, v)| *v) {
                put.varint(v);
            }
        }
        Record::Damage(d) | Record::Painted(d) => {
            put.varint(u64::from(d.surface.0));
            put.signed(d.frame);
            put.u8(d.renderer.0);
            put.varint(d.rects.len() as u64);
            for r in &d.rects {
                for v in r {
                    put.signed(i64::from(*v));
                }
            }
        }
        Record::DamageCapture(c) => {
            put.str(&c.class_name);
            put.u8(c.vfunc.0);
            put.str(&c.damage_layout);
            put.u8(c.state.0);
            put.str(&c.note);
        }
        Record::End(e) => {
            put.u8(e.reason.0);
            put.varint(e.records);
            put.varint(e.dropped);
        }
        Record::LoopIteration(l) => {
            put.varint(l.poll_ns);
            put.varint(l.work_ns);
        }
        Record::Dispatch(d) => {
            put.varint(d.duration_ns);
            put.opt_str(d.source.as_deref());
            put.str(&d.source_type);
            put.signed(i64::from(d.priority));
            match &d.callback {
                Some(callback) => {
                    put.u8(1);
                    encode_code_address(callback, &mut put);
                }
                None => put.u8(0),
            }
        }
        Record::Stall(st) => {
            put.varint(st.duration_ns);
            put.opt_str(st.source.as_deref());
            put.varint(u64::from(st.samples));
            encode_stack(&st.stack, &mut put);
        }
        Record::StallSample(sample) => {
            put.varint(sample.t_ns.saturating_sub(sample.stall_start_ns));
            encode_stack(&sample.stack, &mut put);
        }
        Record::LoopSummary(l) => {
            put.varint(l.iterations);
            put.varint(l.work_ns);
            put.varint(l.poll_ns);
        }
        Record::Pixels(p) => encode_pixels(p, &mut put),
        Record::PopupPosition(p) => encode_popup_position(p, &mut put),
        Record::PixelsSkipped(p) => encode_pixels_skipped(p, &mut put),
    }
}

fn encode_code_address(a: &CodeAddress, put: &mut Put<'_>) {
    put.varint(a.addr);
    put.opt_str(a.module.as_deref());
    put.varint(a.offset);
    put.opt_str(a.symbol.as_deref());
}

fn encode_stack(stack: &[CodeAddress], put: &mut Put<'_>) {
    put.varint(stack.len() as u64);
    for frame in stack {
        encode_code_address(frame, put);
    }
}

fn decode_code_address(get: &mut Get<'_>) -> Result<CodeAddress, Malformed> {
    Ok(CodeAddress {
        addr: get.varint()?,
        module: get.opt_str()?,
        offset: get.varint()?,
        symbol: get.opt_str()?,
    })
}

fn decode_stack(get: &mut Get<'_>) -> Result<Vec<CodeAddress>, Malformed> {
    let n = get.varint()?;
    if n > MAX_STACK_FRAMES as u64 {
        return Err(Malformed);
    }
    (0..n).map(|_| decode_code_address(get)).collect()
}

fn encode_event(e: &Event, put: &mut Put<'_>) {
    put.varint(u64::from(e.surface.0));
    put.u8(e.event_type.0);
    put.varint(u64::from(e.time_ms));
    let position = e.x.zip(e.y);
    let deltas = e.dx.zip(e.dy);
    let present = [
        (EV_POSITION, position.is_some()),
        (EV_BUTTON, e.button.is_some()),
        (EV_KEYVAL, e.keyval.is_some()),
        (EV_KEY, e.key.is_some()),
        (EV_KEYCODE, e.keycode.is_some()),
        (EV_MODIFIERS, e.modifiers.is_some()),
        (EV_SCROLL_DIRECTION, e.scroll_direction.is_some()),
        (EV_DELTAS, deltas.is_some()),
        (EV_CROSSING_MODE, e.crossing_mode.is_some()),
        (EV_CROSSING_DETAIL, e.crossing_detail.is_some()),
        (EV_FOCUS_IN, e.focus_in.is_some()),
        (EV_SEQUENCE, e.sequence.is_some()),
    ];
    put.varint(u64::from(present.iter().fold(0, |m, (bit, p)| {
        if *p {
            m | bit
        } else {
            m
        }
    })));
    if let Some((x, y)) = position {
        put.centi(x);
        put.centi(y);
    }
    if let Some(v) = e.button {
        put.varint(u64::from(v));
    }
    if let Some(v) = e.keyval {
        put.varint(u64::from(v));
    }
    if let Some(v) = &e.key {
        put.str(v);
    }
    if let Some(v) = e.keycode {
        put.varint(u64::from(v));
    }
    if let Some(v) = e.modifiers {
        put.varint(u64::from(v.0));
    }
    if let Some(v) = e.scroll_direction {
        put.u8(v.0);
    }
    if let Some((dx, dy)) = deltas {
        put.centi(dx);
        put.centi(dy);
    }
    if let Some(v) = e.crossing_mode {
        put.u8(v.0);
    }
    if let Some(v) = e.crossing_detail {
        put.u8(v.0);
    }
    if let Some(v) = e.focus_in {
        put.u8(u8::from(v));
    }
    if let Some(v) = e.sequence {
        put.varint(v);
    }
}

/// What a payload turned out to be.
// A record is as large as its largest kind (the header); boxing it would allocate for
// every record read to save a copy of a rare unknown kind.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Decoded {
    Record(Record),
    /// A well-formed frame of a kind this reader does not know (written by a newer recorder).
    UnknownKind(u8),
}

/// Decodes one payload (as checked by its CRC).
pub(crate) fn decode_payload(payload: &[u8]) -> Result<Decoded, Malformed> {
    let mut get = Get::new(payload);
    let code = get.u8()?;
    let Some(kind) = RecordKind::from_code(code) else {
        return Ok(Decoded::UnknownKind(code));
    };
    let t_ns = get.varint()?;
    let surface = |get: &mut Get<'_>| get.u32().map(SurfaceId);
    let record = match kind {
        RecordKind::Header => {
            let format_version = u16::try_from(get.varint()?).map_err(|_| Malformed)?;
            let recorder_version = get.str()?;
            let pid = get.u32()?;
            let program = get.str()?;
            let argc = get.varint()?;
            if argc > MAX_ARGS as u64 {
                return Err(Malformed);
            }
            let mut argv = Vec::with_capacity(argc as usize);
            for _ in 0..argc {
                argv.push(get.str()?);
            }
            let gtk_version = [get.u32()?, get.u32()?, get.u32()?];
            Record::Header(Header {
                t_ns,
                format_version,
                recorder_version,
                pid,
                program,
                argv,
                gtk_version,
                start_unix_ns: get.varint()?,
                start_monotonic_ns: get.varint()?,
                display_backend: get.str()?,
                display_name: get.str()?,
                damage_capture: get.bool()?,
                damage_note: get.str()?,
                // Appended later: older recorders end the header here.
                damage_layout: if get.is_empty() {
                    String::new()
                } else {
                    get.str()?
                },
            })
        }
        RecordKind::Surface => Record::Surface(Surface {
            t_ns,
            surface: surface(&mut get)?,
            surface_kind: SurfaceKind(get.u8()?),
            parent: match get.u32()? {
                0 => None,
                p => Some(SurfaceId(p - 1)),
            },
            type_name: get.str()?,
            widget_type: if get.bool()? { Some(get.str()?) } else { None },
            width: get.i32()?,
            height: get.i32()?,
            scale_factor: get.i32()?,
        }),
        RecordKind::SurfaceDestroyed => Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns,
            surface: surface(&mut get)?,
        }),
        RecordKind::Size => Record::Size(Size {
            t_ns,
            surface: surface(&mut get)?,
            width: get.i32()?,
            height: get.i32()?,
        }),
        RecordKind::Scale => Record::Scale(Scale {
            t_ns,
            surface: surface(&mut get)?,
            scale_factor: get.i32()?,
        }),
        RecordKind::State => Record::State(State {
            t_ns,
            surface: surface(&mut get)?,
            state: ToplevelState(get.u32()?),
        }),
        RecordKind::Event => Record::Event(decode_event(t_ns, &mut get)?),
        RecordKind::Frame => {
            let surface = surface(&mut get)?;
            let counter = get.signed()?;
            let end_ns = t_ns.checked_add(get.varint()?).ok_or(Malformed)?;
            let mask = get.u8()?;
            let mut phases = [None; 5];
            for (i, phase) in phases.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    let start_ns = t_ns.checked_add(get.varint()?).ok_or(Malformed)?;
                    let end_ns = start_ns.checked_add(get.varint()?).ok_or(Malformed)?;
                    *phase = Some(Phase { start_ns, end_ns });
                }
            }
            let [before_paint, update, layout, paint, after_paint] = phases;
            Record::Frame(Frame {
                t_ns,
                surface,
                counter,
                end_ns,
                before_paint,
                update,
                layout,
                paint,
                after_paint,
            })
        }
        RecordKind::FrameTimings => {
            let surface = surface(&mut get)?;
            let counter = get.signed()?;
            let mask = get.u8()?;
            let mut field = |bit: u8| -> Result<Option<u64>, Malformed> {
                if mask & bit != 0 {
                    get.varint().map(Some)
                } else {
                    Ok(None)
                }
            };
            Record::FrameTimings(FrameTimings {
                t_ns,
                surface,
                counter,
                frame_time_ns: field(FT_FRAME_TIME)?,
                presentation_time_ns: field(FT_PRESENTATION)?,
                predicted_presentation_time_ns: field(FT_PREDICTED)?,
                refresh_interval_ns: field(FT_REFRESH)?,
            })
        }
        RecordKind::Damage | RecordKind::Painted => {
            let surface = surface(&mut get)?;
            let frame = get.signed()?;
            let renderer = Renderer(get.u8()?);
            let n = get.varint()?;
            if n > MAX_RECTS as u64 {
                return Err(Malformed);
            }
            let mut rects = Vec::with_capacity(n as usize);
            for _ in 0..n {
                rects.push([get.i32()?, get.i32()?, get.i32()?, get.i32()?]);
            }
            let damage = Damage {
                t_ns,
                surface,
                frame,
                renderer,
                rects,
            };
            if kind == RecordKind::Damage {
                Record::Damage(damage)
            } else {
                Record::Painted(damage)
            }
        }
        RecordKind::DamageCapture => Record::DamageCapture(DamageCapture {
            t_ns,
            class_name: get.str()?,
            vfunc: DamageVfunc(get.u8()?),
            damage_layout: get.str()?,
            state: CaptureState(get.u8()?),
            note: get.str()?,
        }),
        RecordKind::End => Record::End(End {
            t_ns,
            reason: EndReason(get.u8()?),
            records: get.varint()?,
            dropped: get.varint()?,
        }),
        RecordKind::LoopIteration => Record::LoopIteration(LoopIteration {
            t_ns,
            poll_ns: get.varint()?,
            work_ns: get.varint()?,
        }),
        RecordKind::Dispatch => Record::Dispatch(Dispatch {
            t_ns,
            duration_ns: get.varint()?,
            source: get.opt_str()?,
            source_type: get.str()?,
            priority: get.i32()?,
            callback: if get.bool()? {
                Some(decode_code_address(&mut get)?)
            } else {
                None
            },
        }),
        RecordKind::Stall => {
            let duration_ns = get.varint()?;
            Record::Stall(Stall {
                t_ns,
                duration_ns,
                duration_ms: duration_ns as f64 / 1e6,
                source: get.opt_str()?,
                samples: get.u32()?,
                stack: decode_stack(&mut get)?,
            })
        }
        RecordKind::StallSample => Record::StallSample(StallSample {
            t_ns,
            stall_start_ns: t_ns.checked_sub(get.varint()?).ok_or(Malformed)?,
            stack: decode_stack(&mut get)?,
        }),
        RecordKind::LoopSummary => Record::LoopSummary(LoopSummary {
            t_ns,
            iterations: get.varint()?,
            work_ns: get.varint()?,
            poll_ns: get.varint()?,
        }),
        RecordKind::Pixels => Record::Pixels(decode_pixels(t_ns, &mut get)?),
        RecordKind::PopupPosition => Record::PopupPosition(decode_popup_position(t_ns, &mut get)?),
        RecordKind::PixelsSkipped => Record::PixelsSkipped(decode_pixels_skipped(t_ns, &mut get)?),
    };
    // Fields appended by a later minor version are allowed after the known ones.
    Ok(Decoded::Record(record))
}

fn decode_event(t_ns: Nanos, get: &mut Get<'_>) -> Result<Event, Malformed> {
    let surface = SurfaceId(get.u32()?);
    let event_type = EventType(get.u8()?);
    let time_ms = get.u32()?;
    let mut e = Event::new(t_ns, surface, event_type, time_ms);
    let present = get.u32()?;
    if present & EV_POSITION != 0 {
        e.x = Some(get.centi()?);
        e.y = Some(get.centi()?);
    }
    if present & EV_BUTTON != 0 {
        e.button = Some(get.u32()?);
    }
    if present & EV_KEYVAL != 0 {
        e.keyval = Some(get.u32()?);
    }
    if present & EV_KEY != 0 {
        e.key = Some(get.str()?);
    }
    if present & EV_KEYCODE != 0 {
        e.keycode = Some(get.u32()?);
    }
    if present & EV_MODIFIERS != 0 {
        e.modifiers = Some(Modifiers(get.u32()?));
    }
    if present & EV_SCROLL_DIRECTION != 0 {
        e.scroll_direction = Some(ScrollDirection(get.u8()?));
    }
    if present & EV_DELTAS != 0 {
        e.dx = Some(get.centi()?);
        e.dy = Some(get.centi()?);
    }
    if present & EV_CROSSING_MODE != 0 {
        e.crossing_mode = Some(CrossingMode(get.u8()?));
    }
    if present & EV_CROSSING_DETAIL != 0 {
        e.crossing_detail = Some(NotifyType(get.u8()?));
    }
    if present & EV_FOCUS_IN != 0 {
        e.focus_in = Some(get.bool()?);
    }
    if present & EV_SEQUENCE != 0 {
        e.sequence = Some(get.varint()?);
    }
    Ok(e)
}
