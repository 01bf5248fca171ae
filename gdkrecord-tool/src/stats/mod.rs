//! `gdkrecord-tool stats`: a summary of a recording in one streaming pass: counts, surfaces
//! and their sizes, frame times with the phase to blame for slow frames, damage, and input
//! latency. `--json` prints [`Report`] (documented in `docs/formats.md`); otherwise
//! [`human`] prints a compact report.
//!
//! Each section is a collector with `observe(&Record)` and `report()`; a new section is one
//! more field of [`Collector`] and of [`Report`]. The main-loop section is reported first:
//! its stalls are what slow frames and slow inputs are blamed on when one delayed them.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use gdkrecord_format::{CaptureState, DamageCapture, Header, Nanos, Record, RecordKind};
use serde::Serialize;

use crate::cli::StatsArgs;
use crate::input;
use crate::symbolize::Symbolizer;
use crate::terminal;

mod damage;
mod frames;
mod human;
mod latency;
mod mainloop;
mod pixels;
pub mod summary;
mod surfaces;

pub use damage::DamageReport;
pub use frames::FramesReport;
pub use latency::LatencyReport;
pub use mainloop::MainLoopReport;
pub use pixels::PixelsReport;
pub use surfaces::SurfaceReport;

/// Runs `stats`.
pub fn run(args: &StatsArgs) -> Result<ExitCode> {
    let report = report_of(input::open(&args.read)?)?;
    // The human report has no colour.
    terminal::print(&report, args.json, |r, _, mut out| {
        human::write(r, &mut out)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The report of every record of `recording` passing its filters (what `stats` prints;
/// `diff` and `check` compare it).
pub fn report_of(mut recording: input::Recording) -> Result<Report> {
    recording.show_progress("stats");
    let file = recording.path().display().to_string();
    let mut collector = Collector::new(recording.header());
    recording.for_each(|record| {
        collector.observe(&record);
        Ok(())
    })?;
    Ok(collector.report(file))
}

/// Everything `stats` reports (JSON form of `--json`). Times are ms since the start of
/// the recording unless a name says otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub file: String,
    /// From the header record; null when the file has none.
    pub recording: Option<RecordingInfo>,
    /// From the first record read to the last time seen (a frame's end included).
    pub duration_ms: f64,
    /// Records read (after the filters).
    pub records: u64,
    /// Records per kind, by name; kinds absent from the file are left out.
    pub kinds: BTreeMap<&'static str, u64>,
    /// Events per type (GDK nick).
    pub event_types: BTreeMap<String, u64>,
    pub surfaces: Vec<SurfaceReport>,
    pub frames: FramesReport,
    pub damage: DamageReport,
    pub input_latency: LatencyReport,
    pub main_loop: MainLoopReport,
    /// Only for recordings made with pixels on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<PixelsReport>,
}

/// JSON `recording`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordingInfo {
    pub program: String,
    pub pid: u32,
    pub argv: Vec<String>,
    pub gtk_version: [u32; 3],
    pub recorder_version: String,
    pub display_backend: String,
    pub display_name: String,
    /// Whether damage was recorded: the header said so and no class was refused since.
    pub damage_capture: bool,
    /// Why not, or a remark about it (the header's note, or the refusal's).
    pub damage_note: String,
    /// The private GTK layout the recorder chose (`gtk-4.14`); empty when off.
    pub damage_layout: String,
    /// The GTK classes whose vfuncs gave the damage, with how far their proof went.
    pub damage_classes: Vec<CapturedClass>,
    pub start_unix_ns: u64,
}

/// JSON `recording.damage_classes[]`: one wrapped class, in its latest state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapturedClass {
    pub class_name: String,
    pub vfunc: String,
    pub state: String,
    pub note: String,
}

impl RecordingInfo {
    /// Takes a damage-capture record in: the class's latest state; a refusal turns
    /// capture off with its reason.
    fn observe_capture(&mut self, capture: &DamageCapture) {
        let vfunc = capture.vfunc.nick().into_owned();
        let state = capture.state.nick().into_owned();
        if capture.state == CaptureState::REFUSED {
            self.damage_capture = false;
            self.damage_note = format!(
                "refused at {:.3} s: {}.{vfunc}: {}",
                capture.t_ns as f64 / 1e9,
                capture.class_name,
                capture.note
            );
        }
        match self
            .damage_classes
            .iter_mut()
            .find(|c| c.class_name == capture.class_name && c.vfunc == vfunc)
        {
            Some(known) => {
                known.state = state;
                known.note.clone_from(&capture.note);
            }
            None => self.damage_classes.push(CapturedClass {
                class_name: capture.class_name.clone(),
                vfunc,
                state,
                note: capture.note.clone(),
            }),
        }
    }
}

/// Builds the report from the records, one at a time.
#[derive(Debug)]
pub struct Collector {
    recording: Option<RecordingInfo>,
    first_ns: Option<Nanos>,
    last_ns: Nanos,
    records: u64,
    kinds: BTreeMap<RecordKind, u64>,
    event_types: BTreeMap<String, u64>,
    surfaces: surfaces::Surfaces,
    frames: frames::FrameStats,
    damage: damage::DamageStats,
    latency: latency::LatencyStats,
    main_loop: mainloop::MainLoopStats,
    pixels: pixels::PixelStats,
}

impl Collector {
    /// A collector for a recording with `header`.
    pub fn new(header: Option<&Header>) -> Collector {
        Collector {
            recording: header.map(|h| RecordingInfo {
                program: h.program.clone(),
                pid: h.pid,
                argv: h.argv.clone(),
                gtk_version: h.gtk_version,
                recorder_version: h.recorder_version.clone(),
                display_backend: h.display_backend.clone(),
                display_name: h.display_name.clone(),
                damage_capture: h.damage_capture,
                damage_note: h.damage_note.clone(),
                damage_layout: h.damage_layout.clone(),
                damage_classes: Vec::new(),
                start_unix_ns: h.start_unix_ns,
            }),
            first_ns: None,
            last_ns: 0,
            records: 0,
            kinds: BTreeMap::new(),
            event_types: BTreeMap::new(),
            surfaces: surfaces::Surfaces::default(),
            frames: frames::FrameStats::default(),
            damage: damage::DamageStats::default(),
            latency: latency::LatencyStats::new(header.is_none_or(|h| h.damage_capture)),
            main_loop: mainloop::MainLoopStats::new(header.map_or(1, |h| h.format_version)),
            pixels: pixels::PixelStats::default(),
        }
    }

    /// Takes in one record.
    pub fn observe(&mut self, record: &Record) {
        let t = record.t_ns();
        self.first_ns = Some(self.first_ns.map_or(t, |first| first.min(t)));
        self.last_ns = self.last_ns.max(t);
        self.records += 1;
        *self.kinds.entry(record.kind()).or_insert(0) += 1;
        match record {
            Record::Event(event) => {
                let nick = event.event_type.nick();
                match self.event_types.get_mut(nick.as_ref()) {
                    Some(count) => *count += 1,
                    None => {
                        self.event_types.insert(nick.into_owned(), 1);
                    }
                }
            }
            Record::Frame(frame) => self.last_ns = self.last_ns.max(frame.end_ns),
            Record::DamageCapture(capture) => {
                if let Some(recording) = &mut self.recording {
                    recording.observe_capture(capture);
                }
            }
            _ => {}
        }
        self.surfaces.observe(record);
        self.frames.observe(record);
        self.damage.observe(record, &self.surfaces);
        self.latency.observe(record, &self.surfaces);
        self.main_loop.observe(record);
        self.pixels.observe(record);
    }

    /// The report; `file` names the recording.
    pub fn report(self, file: String) -> Report {
        let frame_budget_ns = self.frames.budget_ns();
        let (main_loop, stalls) = self.main_loop.report(&mut Symbolizer::new());
        Report {
            file,
            recording: self.recording,
            duration_ms: summary::ms(self.last_ns.saturating_sub(self.first_ns.unwrap_or(0))),
            records: self.records,
            kinds: self.kinds.into_iter().map(|(k, n)| (k.name(), n)).collect(),
            event_types: self.event_types,
            surfaces: self.surfaces.report(),
            frames: self.frames.report(&stalls),
            damage: self.damage.report(),
            input_latency: self.latency.report(frame_budget_ns, &stalls),
            main_loop,
            pixels: self.pixels.report(),
        }
    }
}
