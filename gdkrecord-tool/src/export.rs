//! `gdkrecord-tool export`: a Chrome trace-event JSON file (the format Perfetto UI and
//! chrome://tracing open), written as the records stream by, in constant memory.
//!
//! The trace: one process (the recorded program), one track (thread) per surface, named
//! `surface 1 (GtkApplicationWindow)`, holding each frame as a `frame N` slice with its
//! phases nested inside, the input events as instants (fields in `args`), and the other
//! surface records as instants; counters for the damaged area and the frame rate of each
//! surface; a `main loop` track with loop iterations (poll and work), a `dispatches`
//! track with slow dispatches, and a `stalls` track whose slices are named after where
//! the main loop was stuck (`stall in blocker::busy_wait ← blocker::block_main_loop_for_300ms`,
//! see [`stall_place`]). A record kind without its own rule becomes an instant with all
//! its fields as args, so new kinds show up without changes here.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use gdkrecord_format::{Frame, Header, Nanos, Record, SurfaceId, PHASE_NAMES};
use serde::Serialize;

use crate::cli::ExportArgs;
use crate::formats::fields::{visit_fields, FieldVisitor};
use crate::formats::json_value::render_json;
use crate::input;
use crate::output;
use crate::stalls::{stall_place, StallInfo};
use crate::symbolize::Symbolizer;

/// Track of main-loop iterations (poll, then work).
const MAIN_LOOP_TID: u64 = 1_000_000;
/// Track of stalls: slices on one track must nest, and a stall overlaps iterations.
const STALLS_TID: u64 = 1_000_001;
/// Track of slow dispatches (their own track, so a dispatch straddling iterations, as in
/// a nested main loop, still imports).
const DISPATCH_TID: u64 = 1_000_002;
/// Track of records about no surface (end, ...).
const RECORDING_TID: u64 = 0;

/// Runs `export`.
pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    let mut recording = input::open(&args.read)?;
    recording.show_progress("export");
    let (out, shown): (Box<dyn Write>, String) = if output::is_stdout(&args.output) {
        (Box::new(output::stdout()?), "standard output".to_owned())
    } else {
        let file = recording.create_output(&args.output)?;
        (Box::new(file), args.output.display().to_string())
    };
    let fallback_name = recording.path().display().to_string();
    let mut trace = TraceWriter::new(
        BufWriter::with_capacity(64 << 10, out),
        recording.header(),
        &fallback_name,
    )
    .with_context(|| format!("{shown}: write error"))?;
    recording.for_each(|record| {
        trace
            .write(&record)
            .with_context(|| format!("{shown}: write error"))
    })?;
    trace
        .finish()
        .with_context(|| format!("{shown}: write error"))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes trace events for records, one at a time.
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    out: W,
    /// The event being built, written in one call.
    event: Vec<u8>,
    pid: u32,
    /// Whether no event was written yet (the next needs no separator).
    empty: bool,
    /// Frame starts of the last second, per surface, for the fps counter.
    recent_frames: HashMap<SurfaceId, VecDeque<Nanos>>,
    /// Names stall slices after where they happened.
    symbolizer: Symbolizer,
}

impl<W: Write> TraceWriter<W> {
    /// Opens the document and names the process and the fixed tracks.
    pub fn new(
        mut out: W,
        header: Option<&Header>,
        fallback_name: &str,
    ) -> io::Result<TraceWriter<W>> {
        out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
        let pid = header.map_or(1, |h| h.pid);
        let mut trace = TraceWriter {
            out,
            event: Vec::with_capacity(512),
            pid,
            empty: true,
            recent_frames: HashMap::new(),
            symbolizer: Symbolizer::new(),
        };
        let process = match header {
            Some(h) => format!("{} (pid {})", h.program, h.pid),
            None => fallback_name.to_owned(),
        };
        trace.metadata("process_name", None, &process)?;
        trace.metadata("thread_name", Some(MAIN_LOOP_TID), "main loop")?;
        trace.metadata("thread_name", Some(DISPATCH_TID), "dispatches")?;
        trace.metadata("thread_name", Some(STALLS_TID), "stalls")?;
        trace.metadata("thread_name", Some(RECORDING_TID), "recording")?;
        Ok(trace)
    }

    /// Writes the trace events of one record.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        match record {
            Record::Header(_) => {} // named the process already
            Record::Surface(s) => {
                let name = format!(
                    "surface {} ({})",
                    s.surface,
                    s.widget_type.as_deref().unwrap_or(&s.type_name)
                );
                self.metadata("thread_name", Some(u64::from(s.surface.0)), &name)?;
                self.instant(
                    record,
                    "surface",
                    u64::from(s.surface.0),
                    &["kind", "t_ns", "surface"],
                )?;
            }
            Record::Event(e) => {
                self.begin();
                self.event_start(
                    Name::Str(&e.event_type.nick()),
                    "input",
                    "i",
                    e.t_ns,
                    u64::from(e.surface.0),
                );
                self.event.extend_from_slice(b",\"s\":\"t\"");
                self.args(record, &["kind", "t_ns", "surface", "type"])?;
                self.emit()?;
            }
            Record::Frame(f) => self.frame(f)?,
            Record::Damage(d) => {
                self.instant(
                    record,
                    "damage",
                    u64::from(d.surface.0),
                    &["kind", "t_ns", "surface"],
                )?;
                let name = Name::Numbered("damaged area (surface ", d.surface.0.into(), ")");
                self.counter(name, d.t_ns, "px", d.area())?;
            }
            Record::LoopIteration(l) => {
                let poll_start = l.t_ns.saturating_sub(l.poll_ns);
                self.slice(
                    "poll",
                    "main-loop",
                    poll_start,
                    l.poll_ns,
                    MAIN_LOOP_TID,
                    None,
                )?;
                self.slice("work", "main-loop", l.t_ns, l.work_ns, MAIN_LOOP_TID, None)?;
            }
            Record::LoopSummary(l) => {
                // Version 2's per-second summaries: the busy share as a counter, in %.
                let busy = l.work_ns as f64 / (l.work_ns as f64 + l.poll_ns as f64).max(1.0);
                let name = Name::Str("main-loop busy %");
                self.counter(name, l.t_ns, "busy", (busy * 100.0).round() as i64)?;
            }
            Record::Dispatch(d) => {
                let name = d.source.as_deref().unwrap_or(&d.source_type).to_owned();
                self.slice(
                    &name,
                    "dispatch",
                    d.t_ns,
                    d.duration_ns,
                    DISPATCH_TID,
                    Some(record),
                )?;
            }
            Record::Stall(s) => {
                let stall = StallInfo {
                    start_ns: s.t_ns,
                    duration_ns: s.duration_ns,
                    ongoing_at_end: false,
                    source: s.source.clone(),
                    samples: s.samples,
                    stack: s.stack.clone(),
                    input: None,
                };
                let name = format!("stall in {}", stall_place(&stall, &mut self.symbolizer));
                self.slice(
                    &name,
                    "stall",
                    s.t_ns,
                    s.duration_ns,
                    STALLS_TID,
                    Some(record),
                )?
            }
            _ => {
                let tid = record.surface().map_or(RECORDING_TID, |s| u64::from(s.0));
                self.instant(
                    record,
                    record.kind().name(),
                    tid,
                    &["kind", "t_ns", "surface"],
                )?;
            }
        }
        Ok(())
    }

    /// Closes the document and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }

    fn frame(&mut self, frame: &Frame) -> io::Result<()> {
        let tid = u64::from(frame.surface.0);
        self.begin();
        self.event_start(
            Name::Numbered("frame ", frame.counter, ""),
            "frame",
            "X",
            frame.t_ns,
            tid,
        );
        push_key_us(&mut self.event, "dur", frame.duration_ns());
        self.event.extend_from_slice(b",\"args\":{\"counter\":");
        push_int(&mut self.event, frame.counter);
        self.event.push(b'}');
        self.emit()?;
        for (name, phase) in PHASE_NAMES.iter().zip(frame.phases()) {
            if let Some(phase) = phase {
                self.slice(
                    name,
                    "frame-phase",
                    phase.start_ns,
                    phase.duration_ns(),
                    tid,
                    None,
                )?;
            }
        }
        let recent = self.recent_frames.entry(frame.surface).or_default();
        recent.push_back(frame.t_ns);
        while recent
            .front()
            .is_some_and(|t| *t + 1_000_000_000 <= frame.t_ns)
        {
            recent.pop_front();
        }
        let fps = recent.len() as i64;
        let name = Name::Numbered("fps (surface ", frame.surface.0.into(), ")");
        self.counter(name, frame.t_ns, "fps", fps)
    }

    /// Starts a new event in `self.event` (behind the separator from the last one).
    fn begin(&mut self) {
        self.event.clear();
        self.event.extend_from_slice(b",\n");
    }

    /// `{"name":..,"cat":..,"ph":..,"ts":..,"pid":..,"tid":..` into `self.event`.
    /// (`cat` and `ph` are constants with nothing to escape.)
    fn event_start(&mut self, name: Name<'_>, cat: &str, ph: &str, t_ns: Nanos, tid: u64) {
        let e = &mut self.event;
        e.extend_from_slice(b"{\"name\":");
        match name {
            Name::Str(name) => {
                let _ = serde_json::to_writer(&mut *e, name);
            }
            Name::Numbered(before, n, after) => {
                e.push(b'"');
                e.extend_from_slice(before.as_bytes());
                push_int(e, n);
                e.extend_from_slice(after.as_bytes());
                e.push(b'"');
            }
        }
        e.extend_from_slice(b",\"cat\":\"");
        e.extend_from_slice(cat.as_bytes());
        e.extend_from_slice(b"\",\"ph\":\"");
        e.extend_from_slice(ph.as_bytes());
        e.push(b'"');
        push_key_us(e, "ts", t_ns);
        e.extend_from_slice(b",\"pid\":");
        push_int(e, i64::from(self.pid));
        e.extend_from_slice(b",\"tid\":");
        push_int(e, tid as i64);
    }

    fn slice(
        &mut self,
        name: &str,
        cat: &str,
        start: Nanos,
        duration: u64,
        tid: u64,
        args: Option<&Record>,
    ) -> io::Result<()> {
        self.begin();
        self.event_start(Name::Str(name), cat, "X", start, tid);
        push_key_us(&mut self.event, "dur", duration);
        if let Some(record) = args {
            self.args(record, &["kind", "t_ns"])?;
        }
        self.emit()
    }

    fn instant(&mut self, record: &Record, name: &str, tid: u64, skip: &[&str]) -> io::Result<()> {
        self.begin();
        self.event_start(
            Name::Str(name),
            record.kind().name(),
            "i",
            record.t_ns(),
            tid,
        );
        self.event.extend_from_slice(b",\"s\":\"t\"");
        self.args(record, skip)?;
        self.emit()
    }

    fn counter(&mut self, name: Name<'_>, t_ns: Nanos, series: &str, value: i64) -> io::Result<()> {
        self.begin();
        self.event_start(name, "counter", "C", t_ns, 0);
        self.event.extend_from_slice(b",\"args\":{\"");
        self.event.extend_from_slice(series.as_bytes());
        self.event.extend_from_slice(b"\":");
        push_int(&mut self.event, value);
        self.event.push(b'}');
        self.emit()
    }

    fn metadata(&mut self, name: &str, tid: Option<u64>, value: &str) -> io::Result<()> {
        self.begin();
        let _ = write!(
            self.event,
            "{{\"name\":\"{name}\",\"ph\":\"M\",\"pid\":{},\"tid\":{}",
            self.pid,
            tid.unwrap_or(0)
        );
        self.event.extend_from_slice(b",\"args\":{\"name\":");
        serde_json::to_writer(&mut self.event, value)?;
        self.event.extend_from_slice(b"}");
        if let Some(tid) = tid {
            // Keep surfaces in number order, the fixed tracks after them.
            let _ = write!(self.event, "}},\n{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":{},\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}", self.pid);
        }
        self.emit()
    }

    /// `,"args":{...}` with the record's non-null fields but those in `skip`.
    fn args(&mut self, record: &Record, skip: &[&str]) -> io::Result<()> {
        self.event.extend_from_slice(b",\"args\":{");
        let mut args = Args {
            out: &mut self.event,
            skip,
            count: 0,
        };
        visit_fields(record, &mut args)?;
        self.event.push(b'}');
        Ok(())
    }

    /// Closes the event in `self.event` and writes it.
    fn emit(&mut self) -> io::Result<()> {
        self.event.push(b'}');
        let separator = if self.empty { 2 } else { 0 };
        self.empty = false;
        self.out.write_all(&self.event[separator..])
    }
}

/// `,"key":` and a time in µs with ns precision (`1234.567`).
fn push_key_us(out: &mut Vec<u8>, key: &str, ns: u64) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(itoa::Buffer::new().format(ns / 1_000).as_bytes());
    let fraction = ns % 1_000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ]);
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// An event name: a string, or a number with a fixed text around it (written without
/// allocating; the texts have nothing to escape).
#[derive(Clone, Copy)]
enum Name<'a> {
    Str(&'a str),
    Numbered(&'static str, i64, &'static str),
}

struct Args<'a, 's> {
    out: &'a mut Vec<u8>,
    skip: &'s [&'s str],
    count: usize,
}

impl FieldVisitor for Args<'_, '_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        _: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        if self.skip.contains(&name) {
            return Ok(());
        }
        let start = self.out.len();
        if self.count > 0 {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        if render_json(value, self.out)? {
            self.out.truncate(start);
        } else {
            self.count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Event, EventType, Phase};

    fn trace(records: &[Record]) -> serde_json::Value {
        let mut out = Vec::new();
        let mut trace = TraceWriter::new(&mut out, None, "x.gdkrecord").unwrap();
        for record in records {
            trace.write(record).unwrap();
        }
        trace.finish().unwrap();
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn times_are_microseconds_with_ns_precision() {
        let mut out = Vec::new();
        push_key_us(&mut out, "ts", 1_234_567);
        push_key_us(&mut out, "dur", 5);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ",\"ts\":1234.567,\"dur\":0.005"
        );
    }

    #[test]
    fn frames_become_nested_slices_and_events_instants() {
        let mut click = Event::new(1_000, SurfaceId(3), EventType::BUTTON_PRESS, 0);
        click.button = Some(1);
        let frame = Frame {
            t_ns: 2_000,
            surface: SurfaceId(3),
            counter: 9,
            end_ns: 9_000,
            before_paint: None,
            update: None,
            layout: None,
            paint: Some(Phase {
                start_ns: 3_000,
                end_ns: 8_000,
            }),
            after_paint: None,
        };
        let value = trace(&[Record::Event(click), Record::Frame(frame)]);
        let events = value["traceEvents"].as_array().unwrap();
        let named = |name: &str| events.iter().find(|e| e["name"] == name).unwrap();
        assert_eq!(named("process_name")["args"]["name"], "x.gdkrecord");
        let press = named("button-press");
        assert_eq!(
            (press["ph"].as_str(), press["tid"].as_u64()),
            (Some("i"), Some(3))
        );
        assert_eq!(
            press["args"],
            serde_json::json!({"time_ms": 0, "button": 1})
        );
        let slice = named("frame 9");
        assert_eq!(
            (slice["ts"].as_f64(), slice["dur"].as_f64()),
            (Some(2.0), Some(7.0))
        );
        let paint = named("paint");
        assert_eq!(
            (paint["ts"].as_f64(), paint["dur"].as_f64()),
            (Some(3.0), Some(5.0))
        );
        assert_eq!(named("fps (surface 3)")["args"]["fps"], 1);
    }

    #[test]
    fn an_empty_recording_is_still_a_trace() {
        let value = trace(&[]);
        assert_eq!(value["displayTimeUnit"], "ms");
        assert!(value["traceEvents"].as_array().unwrap().len() >= 4);
    }
}
