//! The analysis behind `stalls`, reusable by `stats`, `graph` and `export`: each stall
//! of the main loop with its stack, source and the input event shown with it (see the
//! parent module for how that event is chosen), where it happened, and stalls grouped
//! by stack.

use std::collections::{BTreeMap, HashMap};

use gdkrecord_format::{CodeAddress, Event, EventType, Nanos, Record};

use crate::input::Filter;
use crate::symbolize::{NamedFrame, Symbolizer};

/// One stall of the main loop.
#[derive(Debug, Clone, PartialEq)]
pub struct StallInfo {
    /// When the main thread left poll, ns since the start of the recording.
    pub start_ns: Nanos,
    /// How long it stayed away; for a stall still going on at the end of the recording,
    /// up to its last sample (a lower bound).
    pub duration_ns: u64,
    /// The recording ended (the program was killed or crashed) during the stall.
    pub ongoing_at_end: bool,
    /// The GSource being dispatched, when known.
    pub source: Option<String>,
    /// Stack samples taken during the stall.
    pub samples: u32,
    /// The first sample's stack, innermost frame first (empty when none was taken).
    pub stack: Vec<CodeAddress>,
    /// The input event shown with the stall (see the module docs).
    pub input: Option<StallInput>,
}

impl StallInfo {
    /// When the stall ended (for an ongoing one: its last sample).
    pub fn end_ns(&self) -> Nanos {
        self.start_ns.saturating_add(self.duration_ns)
    }
}

/// How an input event relates to a stall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputRole {
    /// It arrived during the stall and was delivered after it.
    Waiting,
    /// It was being handled when the stall began (or arrived just before).
    Trigger,
}

/// The input event a stall is shown with.
#[derive(Debug, Clone, PartialEq)]
pub struct StallInput {
    #[allow(missing_docs)]
    pub role: InputRole,
    /// When the recorder saw it.
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub event_type: EventType,
    /// For a waiting event: the time from its estimated arrival to its delivery.
    pub waited_ns: Option<u64>,
}

/// Whether an event record is user input: pointer, keys, scrolling, touch, touchpad and
/// pad events (not focus, crossing, proximity, drag-and-drop or grab bookkeeping).
fn is_input(event: &Event) -> bool {
    matches!(event.event_type.0, 1..=5 | 15 | 17..=28)
}

/// The stalls of a recording, built record by record.
#[derive(Debug, Default)]
pub struct StallIndex {
    stalls: Vec<StallInfo>,
    /// Samples by the start of their stall: `(count, last sample t_ns, first stack)`.
    samples: BTreeMap<Nanos, (u32, Nanos, Vec<CodeAddress>)>,
    /// Input events: `(t_ns, time_ms, type)`; see [`StallIndex::forget_distant_inputs`].
    inputs: Vec<(Nanos, u32, EventType)>,
    /// Smallest `t_ms − time_ms` seen: the windowing clock's offset.
    clock_offset_ms: Option<f64>,
    /// The latest `loop-iteration` or `loop-summary` start: no stall recorded later starts
    /// before it.
    latest_iteration_ns: Nanos,
    /// `inputs` is thinned out when it reaches this length.
    thin_inputs_at: usize,
}

/// Inputs kept at least: below this many, none is forgotten.
const INPUTS_ALWAYS_KEPT: usize = 4096;
/// How far from a stall an input event can still be shown with it: one second before its
/// start (a trigger), and, with a margin, after its end (a waiting event is delivered as
/// soon as the loop runs again).
const INPUT_REACH_NS: u64 = 2_000_000_000;

impl StallIndex {
    /// An empty index.
    pub fn new() -> StallIndex {
        StallIndex::default()
    }

    /// Takes in one record (stall, stall-sample and input event records matter).
    /// `input_filter` decides which events may be shown with a stall.
    pub fn add(&mut self, record: &Record, input_filter: &Filter) {
        match record {
            Record::LoopIteration(iteration) => {
                self.latest_iteration_ns = self.latest_iteration_ns.max(iteration.t_ns);
            }
            Record::LoopSummary(summary) => {
                self.latest_iteration_ns = self.latest_iteration_ns.max(summary.t_ns);
            }
            Record::Stall(stall) => self.stalls.push(StallInfo {
                start_ns: stall.t_ns,
                duration_ns: stall.duration_ns,
                ongoing_at_end: false,
                source: stall.source.clone(),
                samples: stall.samples,
                stack: stall.stack.clone(),
                input: None,
            }),
            Record::StallSample(sample) => {
                let entry = self
                    .samples
                    .entry(sample.stall_start_ns)
                    .or_insert_with(|| (0, sample.t_ns, sample.stack.clone()));
                entry.0 += 1;
                entry.1 = entry.1.max(sample.t_ns);
            }
            Record::Event(event) if is_input(event) => {
                if event.time_ms != 0 {
                    let offset = event.t_ns as f64 / 1e6 - f64::from(event.time_ms);
                    self.clock_offset_ms =
                        Some(self.clock_offset_ms.map_or(offset, |o| o.min(offset)));
                }
                if input_filter.matches(record) {
                    self.inputs
                        .push((event.t_ns, event.time_ms, event.event_type));
                    if self.inputs.len() >= self.thin_inputs_at.max(INPUTS_ALWAYS_KEPT) {
                        self.forget_distant_inputs();
                        self.thin_inputs_at = 2 * self.inputs.len();
                    }
                }
            }
            _ => {}
        }
    }

    /// Bounds memory on long recordings (every motion event is an input): forgets the
    /// input events that no stall, recorded or to come, can be shown with — those more
    /// than [`INPUT_REACH_NS`] from every stall recorded so far and before the latest loop
    /// iteration's start minus that reach (the recorder writes a stall after the
    /// iteration it began in, so stalls still to come start after that iteration).
    /// Amortised O(1) per input: it runs each time the list doubled since the last time.
    fn forget_distant_inputs(&mut self) {
        let mut near: Vec<(Nanos, Nanos)> = self
            .stalls
            .iter()
            .map(|s| (s.start_ns, s.end_ns()))
            .chain(
                self.samples
                    .iter()
                    .map(|(start, (_, last, _))| (*start, *last)),
            )
            .map(|(start, end)| {
                (
                    start.saturating_sub(INPUT_REACH_NS),
                    end.saturating_add(INPUT_REACH_NS),
                )
            })
            .collect();
        near.sort_unstable();
        // Among the windows opening at or before a time, the furthest any of them reaches.
        let mut reach = 0;
        for window in &mut near {
            reach = reach.max(window.1);
            window.1 = reach;
        }
        let recent = self.latest_iteration_ns.saturating_sub(INPUT_REACH_NS);
        self.inputs.retain(|&(t_ns, _, _)| {
            t_ns >= recent
                || near
                    .partition_point(|w| w.0 <= t_ns)
                    .checked_sub(1)
                    .is_some_and(|last_opened| t_ns <= near[last_opened].1)
        });
    }

    /// The windowing clock's offset to the recording's: `t_ms − time_ms` of the input
    /// event handled fastest (see the module docs); `None` before any input with a time.
    pub fn clock_offset_ms(&self) -> Option<f64> {
        self.clock_offset_ms
    }

    /// Adds the stalls known only from their samples (ongoing when the recording ended),
    /// sorts by start, and finds each stall's input event.
    pub fn finish(mut self) -> Vec<StallInfo> {
        let ended: std::collections::HashSet<Nanos> =
            self.stalls.iter().map(|s| s.start_ns).collect();
        for (start, (count, last, stack)) in &self.samples {
            if !ended.contains(start) {
                self.stalls.push(StallInfo {
                    start_ns: *start,
                    duration_ns: last.saturating_sub(*start),
                    ongoing_at_end: true,
                    source: None,
                    samples: *count,
                    stack: stack.clone(),
                    input: None,
                });
            }
        }
        self.stalls.sort_by_key(|s| s.start_ns);
        self.inputs.sort_by_key(|i| i.0);
        for index in 0..self.stalls.len() {
            let input = self.input_for(&self.stalls[index]);
            self.stalls[index].input = input;
        }
        self.stalls
    }

    fn input_for(&self, stall: &StallInfo) -> Option<StallInput> {
        let (start, end) = (stall.start_ns, stall.end_ns());
        if let Some(offset_ms) = self.clock_offset_ms {
            let after = self.inputs.partition_point(|i| i.0 < end);
            for &(t_ns, time_ms, event_type) in &self.inputs[after..] {
                let arrival_ns = ((f64::from(time_ms) + offset_ms) * 1e6).max(0.0) as Nanos;
                if arrival_ns > end {
                    break; // later events arrived after the stall
                }
                if arrival_ns >= start {
                    return Some(StallInput {
                        role: InputRole::Waiting,
                        t_ns,
                        event_type,
                        waited_ns: Some(t_ns.saturating_sub(arrival_ns)),
                    });
                }
            }
        }
        let upto = self.inputs.partition_point(|i| i.0 <= end);
        self.inputs[..upto]
            .last()
            .filter(|i| i.0.saturating_add(1_000_000_000) >= start)
            .map(|&(t_ns, _, event_type)| StallInput {
                role: InputRole::Trigger,
                t_ns,
                event_type,
                waited_ns: None,
            })
    }
}

/// Where a stall happened, in a few words: the innermost frame of the program's own code
/// with its caller, else the innermost frame with a plain name, else the source that was
/// being dispatched; frames outside the main loop's dispatch are not considered. For the
/// `blocker` sample:
/// `blocker::busy_wait ← blocker::block_main_loop_for_300ms`.
///
/// Library code is not the program's own: modules under `/usr` or `/lib`, modules
/// without a path (the kernel's vDSO), the recorder itself (`libgdkrecord.so`, whose
/// dispatch wrapper is below every callback), and Rust's standard library compiled into
/// the program (`std::`, `core::`, `alloc::` functions).
pub fn stall_place(stall: &StallInfo, symbolizer: &mut Symbolizer) -> String {
    let frames = symbolizer.name_stack(&stall.stack);
    let is_recorder = |frame: &NamedFrame| {
        frame
            .module
            .as_deref()
            .is_some_and(|name| name.starts_with("libgdkrecord"))
    };
    let is_library = |index: usize| {
        let module_is_library = stall.stack[index].module.as_deref().is_none_or(|m| {
            m.starts_with("/usr/")
                || m.starts_with("/lib")
                || !m.contains('/')
                || is_recorder(&frames[index])
        });
        let function_is_std = frames[index].function.as_deref().is_some_and(|f| {
            let path = f.trim_start_matches('<');
            ["std::", "core::", "alloc::"]
                .iter()
                .any(|krate| path.starts_with(krate))
        });
        module_is_library || function_is_std
    };
    // Frames outside the main loop's dispatch (`main`, `g_application_run` …) are on
    // every stack: they say nothing about the stall.
    let dispatch_depth = frames
        .iter()
        .position(|f| {
            f.function.as_deref().is_some_and(|name| {
                name.starts_with("g_main_context_") || name.starts_with("g_main_loop_")
            })
        })
        .unwrap_or(frames.len());
    if let Some(own) = (0..dispatch_depth).find(|&i| !is_library(i)) {
        let mut place = frames[own].label();
        if own + 1 < dispatch_depth && !is_library(own + 1) {
            place.push_str(" \u{2190} ");
            place.push_str(&frames[own + 1].label());
        }
        return place;
    }
    // Only libraries: the innermost function with a plain (C or demangled Rust) name,
    // which is an API the program called (`gsk_renderer_render`) rather than a mangled
    // C++ internal of a driver. Never the recorder's own wrappers, which sit between GTK
    // and what they wrap: blaming them would blame the recorder for the GL driver's work.
    let named = |plain: bool| {
        frames[..dispatch_depth].iter().find(|f| {
            !is_recorder(f)
                && f.function
                    .as_deref()
                    .is_some_and(|name| !plain || !name.starts_with("_Z"))
        })
    };
    if let Some(frame) = named(true).or_else(|| named(false)) {
        return frame.label();
    }
    match (&stall.source, frames.first()) {
        (Some(source), _) => source.clone(),
        (None, Some(frame)) => frame.label(),
        (None, None) => "an unknown place (no stack, no source)".to_owned(),
    }
}

/// The stall covering `t_ns` (started at or before it, not yet over), if any: what
/// delayed an input or a frame at that moment. `stalls` sorted by start, as
/// [`StallIndex::finish`] returns them.
#[cfg_attr(not(test), allow(dead_code))]
pub fn stall_covering(stalls: &[StallInfo], t_ns: Nanos) -> Option<&StallInfo> {
    let index = stalls
        .partition_point(|s| s.start_ns <= t_ns)
        .checked_sub(1)?;
    let stall = &stalls[index];
    (t_ns <= stall.end_ns()).then_some(stall)
}

/// Stalls with the same named stack.
#[derive(Debug)]
pub struct StackGroup {
    /// The stack, innermost frame first.
    pub frames: Vec<NamedFrame>,
    /// Stalls with this stack.
    pub count: u32,
    /// Their durations added up.
    pub total_ns: u64,
    /// The longest of them.
    pub longest_ns: u64,
    /// The longest of them, for [`stall_place`].
    pub longest: StallInfo,
}

/// Merges stalls whose named stacks are identical, longest total first. Stacks are
/// compared by their frames' names, so the same code reached through the same calls
/// groups even when addresses differ within the functions.
pub fn group_stalls(stalls: &[StallInfo], symbolizer: &mut Symbolizer) -> Vec<StackGroup> {
    let mut groups: HashMap<Vec<String>, StackGroup> = HashMap::new();
    for stall in stalls {
        let frames = symbolizer.name_stack(&stall.stack);
        let key: Vec<String> = frames.iter().map(NamedFrame::label).collect();
        let group = groups.entry(key).or_insert_with(|| StackGroup {
            frames,
            count: 0,
            total_ns: 0,
            longest_ns: 0,
            longest: stall.clone(),
        });
        group.count += 1;
        group.total_ns += stall.duration_ns;
        if stall.duration_ns > group.longest_ns {
            group.longest_ns = stall.duration_ns;
            group.longest = stall.clone();
        }
    }
    let mut groups: Vec<StackGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        b.total_ns
            .cmp(&a.total_ns)
            .then(b.count.cmp(&a.count))
            .then_with(|| {
                a.frames
                    .first()
                    .map(NamedFrame::label)
                    .cmp(&b.frames.first().map(NamedFrame::label))
            })
    });
    groups
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use gdkrecord_format::{Stall, StallSample, SurfaceId};

    fn code(offset: u64) -> CodeAddress {
        CodeAddress {
            addr: 0x5000 + offset,
            module: Some("/nonexistent/app".into()),
            offset,
            symbol: None,
        }
    }

    pub(in crate::stalls) fn stall(t_ns: Nanos, duration_ns: u64) -> Record {
        Record::Stall(Stall {
            t_ns,
            duration_ns,
            duration_ms: duration_ns as f64 / 1e6,
            source: Some("GDK X11 Event source (:99)".into()),
            samples: 1,
            stack: vec![code(0x10), code(0x20)],
        })
    }

    fn event(t_ns: Nanos, time_ms: u32, event_type: EventType) -> Record {
        Record::Event(Event::new(t_ns, SurfaceId(1), event_type, time_ms))
    }

    pub(in crate::stalls) fn index(records: &[Record]) -> Vec<StallInfo> {
        let mut index = StallIndex::new();
        for record in records {
            index.add(record, &Filter::default());
        }
        index.finish()
    }

    #[test]
    fn input_arriving_during_a_stall_is_the_waiting_one() {
        // Windowing clock = recording ms + 1000. A press handled at once fixes the offset;
        // a release starts the stall at 2.0 s for 300 ms; a key pressed at 2.1 s waits.
        let stalls = index(&[
            event(1_000_000_000, 2000, EventType::BUTTON_PRESS),
            event(2_000_000_000, 3000, EventType::BUTTON_RELEASE),
            stall(2_000_100_000, 300_000_000),
            event(2_300_200_000, 3100, EventType::KEY_PRESS),
        ]);
        assert_eq!(stalls.len(), 1);
        let input = stalls[0].input.as_ref().unwrap();
        assert_eq!(
            (input.role, input.event_type),
            (InputRole::Waiting, EventType::KEY_PRESS)
        );
        assert_eq!(input.waited_ns, Some(200_200_000));
    }

    #[test]
    fn without_waiting_input_the_trigger_is_shown() {
        let stalls = index(&[
            event(2_000_000_000, 3000, EventType::BUTTON_RELEASE),
            event(2_000_000_000, 3000, EventType::ENTER_NOTIFY),
            stall(2_000_100_000, 300_000_000),
            event(9_000_000_000, 10_000, EventType::KEY_PRESS),
        ]);
        let input = stalls[0].input.as_ref().unwrap();
        assert_eq!(
            (input.role, input.event_type),
            (InputRole::Trigger, EventType::BUTTON_RELEASE)
        );
        // Nothing within a second before: no input shown.
        let lonely = index(&[
            event(1_000, 1, EventType::KEY_PRESS),
            stall(5_000_000_000, 200_000_000),
        ]);
        assert_eq!(lonely[0].input, None);
    }

    #[test]
    fn samples_without_a_stall_record_are_an_ongoing_stall() {
        let sample = |t_ns| {
            Record::StallSample(StallSample {
                t_ns,
                stall_start_ns: 1_000_000_000,
                stack: vec![code(0x30)],
            })
        };
        let stalls = index(&[
            stall(100, 200_000_000),
            sample(1_100_000_000),
            sample(1_350_000_000),
        ]);
        assert_eq!(stalls.len(), 2);
        let ongoing = &stalls[1];
        assert!(ongoing.ongoing_at_end);
        assert_eq!(
            (ongoing.start_ns, ongoing.duration_ns, ongoing.samples),
            (1_000_000_000, 350_000_000, 2)
        );
        assert_eq!(ongoing.stack, vec![code(0x30)]);
        assert!(!stalls[0].ongoing_at_end);
        assert_eq!(
            stall_covering(&stalls, 1_200_000_000).map(|s| s.start_ns),
            Some(1_000_000_000)
        );
        assert_eq!(stall_covering(&stalls, 500_000_000), None);
    }

    #[test]
    fn a_stall_is_placed_in_the_programs_own_code_inside_the_main_loop() {
        let at = |module: &str, symbol: &str| CodeAddress {
            addr: 1,
            module: Some(module.into()),
            offset: 1,
            symbol: Some(symbol.into()),
        };
        let libc = "/usr/lib/nonexistent/libc.so.6";
        let glib = "/usr/lib/nonexistent/libglib-2.0.so.0";
        let app = "/nonexistent/app";
        let mut stall = StallInfo {
            start_ns: 0,
            duration_ns: 1,
            ongoing_at_end: false,
            source: Some("GDK X11 Event source (:1)".into()),
            samples: 1,
            stack: vec![
                at(libc, "clock_gettime"),
                at(app, "_ZN3std4time7Instant7elapsed17h0123456789abcdefE"),
                at(app, "_ZN3app9busy_wait17h0123456789abcdefE"),
                at(app, "_ZN3app8on_click17h0123456789abcdefE"),
                at("/opt/nonexistent/libgdkrecord.so", "gdkrecord_dispatch"),
                at(glib, "g_main_context_dispatch"),
                at(app, "main"),
            ],
            input: None,
        };
        let mut symbolizer = Symbolizer::new();
        assert_eq!(
            stall_place(&stall, &mut symbolizer),
            "app::busy_wait \u{2190} app::on_click"
        );
        // Only libraries inside the dispatch: the innermost plainly named function, not
        // `main` outside it.
        stall.stack.drain(1..4);
        stall.stack.insert(0, at(libc, "_ZN4llvm4Pass3runEv"));
        assert_eq!(stall_place(&stall, &mut symbolizer), "clock_gettime");
        // A renderer's slow first frame: the driver's unnamed code, under the recorder's
        // render wrapper, under GSK: GSK's function, not the recorder's.
        stall.stack = vec![
            CodeAddress {
                addr: 1,
                module: Some("/usr/lib/nonexistent/libgallium.so".into()),
                offset: 0x574ac5,
                symbol: None,
            },
            at(
                "/opt/nonexistent/libgdkrecord.so",
                "gdkrecord::damage::render_wrapper",
            ),
            at("/usr/lib/nonexistent/libgtk-4.so.1", "gsk_renderer_render"),
            at(glib, "g_main_context_dispatch"),
        ];
        assert_eq!(stall_place(&stall, &mut symbolizer), "gsk_renderer_render");
        stall.stack.clear();
        assert_eq!(
            stall_place(&stall, &mut symbolizer),
            "GDK X11 Event source (:1)"
        );
    }

    #[test]
    fn distant_inputs_are_forgotten_without_changing_the_result() {
        // 20 000 motion events 1 ms apart over 20 s of iterations, a stall at 10 s whose
        // trigger is the last event before it: the list stays bounded, the stall's input
        // is the same as with every event kept.
        let mut records = Vec::new();
        for i in 0..20_000u64 {
            let t_ns = i * 1_000_000;
            if i % 100 == 0 {
                records.push(Record::LoopIteration(gdkrecord_format::LoopIteration {
                    t_ns,
                    poll_ns: 0,
                    work_ns: 0,
                }));
            }
            if i == 10_000 {
                records.push(stall(t_ns + 500_000, 300_000_000));
            }
            records.push(event(
                t_ns,
                (t_ns / 1_000_000) as u32 + 5,
                EventType::MOTION_NOTIFY,
            ));
        }
        let mut index = StallIndex::new();
        let mut keeps_all = StallIndex {
            thin_inputs_at: usize::MAX,
            ..StallIndex::new()
        };
        for record in &records {
            index.add(record, &Filter::default());
            keeps_all.add(record, &Filter::default());
        }
        assert_eq!(keeps_all.inputs.len(), 20_000);
        assert!(
            index.inputs.len() < 12_000,
            "{} inputs kept",
            index.inputs.len()
        );
        // Kept: the stall's neighbourhood (8.0005 s to 12.3005 s) and the last seconds.
        let kept = |t_ms: u64| index.inputs.iter().any(|i| i.0 == t_ms * 1_000_000);
        assert!(!kept(8_000) && kept(8_001) && kept(12_300) && kept(19_999));
        let stalls = index.finish();
        assert_eq!(stalls, keeps_all.finish());
        assert!(stalls[0].input.is_some());
    }
}
