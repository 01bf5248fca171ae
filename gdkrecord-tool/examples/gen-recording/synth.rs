//! A deterministic synthetic recording with the mix of a real session: pointer motion
//! (the bulk), a 60 Hz frame clock with phases, frame timings, damage of 1-4 rectangles,
//! main-loop iterations, now and then a click, a key, a scroll, a resize, a slow frame, a
//! popup. Shared by the benchmark generator and the tool's tests (via `#[path]`).

use std::io::{self, Write};

use gdkrecord_format::{
    Damage, End, EndReason, Event, EventType, Frame, FrameTimings, Header, LoopIteration,
    Modifiers, Phase, Record, Renderer, ScrollDirection, Size, Surface, SurfaceDestroyed,
    SurfaceId, SurfaceKind, Writer,
};

/// Nanoseconds between frames at 60 Hz.
pub const REFRESH_NS: u64 = 16_666_667;

/// xorshift64*: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Counted<W: Write> {
    writer: Writer<W>,
    written: u64,
}

impl<W: Write> Counted<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        self.written += 1;
        self.writer.write(&record)
    }
}

/// Writes a recording of about `records` records (at least the header, one surface and
/// the end record) to `out`, the same for the same `seed`.
pub fn write_recording<W: Write>(out: W, records: u64, seed: u64) -> io::Result<W> {
    let mut writer = Counted {
        writer: Writer::new(out)?,
        written: 0,
    };
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    writer.emit(Record::Header(Header {
        format_version: 1,
        argv: vec![
            "./synthetic".into(),
            "--title".into(),
            "A \"quoted\", <odd> title".into(),
        ],
        start_monotonic_ns: 5_000_000_000,
        ..Header::synthetic("synthetic", 4242)
    }))?;
    let (mut width, mut height) = (800i32, 600i32);
    writer.emit(Record::Surface(Surface {
        t_ns: 1_000_000,
        surface: SurfaceId(1),
        surface_kind: SurfaceKind::TOPLEVEL,
        parent: None,
        type_name: "GdkX11Toplevel".into(),
        widget_type: Some("GtkApplicationWindow".into()),
        width,
        height,
        scale_factor: 1,
    }))?;
    let toplevel = SurfaceId(1);
    let mut resizes = 0u32;
    // Surface numbers are never reused: each popup gets the next one.
    let mut popup: Option<SurfaceId> = None;
    let mut next_surface = 2u32;
    let mut t = 2_000_000u64;
    let mut counter = 0i64;
    let (mut x, mut y) = (100.0f64, 100.0f64);
    let mut time_ms = 10_000u32;
    // Leave room for the closing records.
    while writer.written + 3 < records {
        // Input between two frames: motion, and now and then something discrete.
        for _ in 0..rng.below(12) {
            t += 1_000_000 + rng.below(400_000);
            time_ms += 1;
            x = (x + rng.below(9) as f64 - 4.0 + 0.25).clamp(0.0, f64::from(width));
            y = (y + rng.below(9) as f64 - 4.0 + 0.5).clamp(0.0, f64::from(height));
            let mut motion = Event::new(t, toplevel, EventType::MOTION_NOTIFY, time_ms);
            motion.x = Some(x);
            motion.y = Some(y);
            motion.modifiers = Some(Modifiers(0));
            writer.emit(Record::Event(motion))?;
        }
        if rng.below(40) == 0 {
            let button = 1 + rng.below(3) as u32;
            for event_type in [EventType::BUTTON_PRESS, EventType::BUTTON_RELEASE] {
                t += 300_000;
                let mut click = Event::new(t, toplevel, event_type, time_ms);
                click.x = Some(x);
                click.y = Some(y);
                click.button = Some(button);
                click.modifiers = Some(if event_type == EventType::BUTTON_RELEASE {
                    Modifiers(Modifiers::BUTTON1.0)
                } else {
                    Modifiers(0)
                });
                writer.emit(Record::Event(click))?;
            }
        }
        if rng.below(50) == 0 {
            for event_type in [EventType::KEY_PRESS, EventType::KEY_RELEASE] {
                t += 200_000;
                let mut key = Event::new(t, toplevel, event_type, time_ms);
                key.keyval = Some(0x61);
                key.key = Some("a".into());
                key.keycode = Some(38);
                key.modifiers = Some(Modifiers(Modifiers::SHIFT.0 | Modifiers::CONTROL.0));
                writer.emit(Record::Event(key))?;
            }
        }
        if rng.below(60) == 0 {
            t += 100_000;
            let mut scroll = Event::new(t, toplevel, EventType::SCROLL, time_ms);
            scroll.x = Some(x);
            scroll.y = Some(y);
            scroll.scroll_direction = Some(ScrollDirection::SMOOTH);
            scroll.dx = Some(0.0);
            scroll.dy = Some(1.5);
            writer.emit(Record::Event(scroll))?;
        }
        if rng.below(200) == 0 {
            // A window being resized back and forth.
            resizes += 1;
            width = 800 + 10 * (resizes % 40) as i32;
            height = 600 + 5 * (resizes % 40) as i32;
            t += 50_000;
            writer.emit(Record::Size(Size {
                t_ns: t,
                surface: toplevel,
                width,
                height,
            }))?;
        }
        if rng.below(300) == 0 {
            t += 50_000;
            let record = if let Some(surface) = popup.take() {
                Record::SurfaceDestroyed(SurfaceDestroyed { t_ns: t, surface })
            } else {
                let surface = SurfaceId(next_surface);
                next_surface += 1;
                popup = Some(surface);
                Record::Surface(Surface {
                    t_ns: t,
                    surface,
                    surface_kind: SurfaceKind::POPUP,
                    parent: Some(toplevel),
                    type_name: "GdkX11Popup".into(),
                    widget_type: None,
                    width: 120,
                    height: 80,
                    scale_factor: 1,
                })
            };
            writer.emit(record)?;
        }
        // The main loop woke up for the frame.
        t += 200_000;
        let work = 200_000 + rng.below(300_000);
        writer.emit(Record::LoopIteration(LoopIteration {
            t_ns: t,
            poll_ns: 8_000_000,
            work_ns: work,
        }))?;
        // One frame-clock cycle; every 50th or so paints slowly.
        counter += 1;
        let start = t + 10_000;
        let slow = rng.below(50) == 0;
        let durations = [
            20_000,
            100_000 + rng.below(200_000),
            300_000 + rng.below(700_000),
            if slow {
                25_000_000
            } else {
                1_000_000 + rng.below(2_000_000)
            },
            30_000,
        ];
        let mut phases = [None; 5];
        let mut at = start;
        for (phase, duration) in phases.iter_mut().zip(durations) {
            *phase = Some(Phase {
                start_ns: at,
                end_ns: at + duration,
            });
            at += duration + 5_000;
        }
        let end = at;
        let rect_count = 1 + rng.below(4) as usize;
        let rects = (0..rect_count)
            .map(|i| {
                if i == 0 && rng.below(30) == 0 {
                    [0, 0, width, height]
                } else {
                    let (w, h) = (20 + rng.below(200) as i32, 10 + rng.below(60) as i32);
                    [
                        (rng.below(500) as i32).min(width - w),
                        (rng.below(400) as i32).min(height - h),
                        w,
                        h,
                    ]
                }
            })
            .collect();
        let paint = phases[3].unwrap_or(Phase {
            start_ns: start,
            end_ns: start,
        });
        writer.emit(Record::Damage(Damage {
            t_ns: paint.start_ns + 1_000,
            surface: toplevel,
            frame: counter,
            renderer: Renderer::GL,
            rects,
        }))?;
        writer.emit(Record::Frame(Frame {
            t_ns: start,
            surface: toplevel,
            counter,
            end_ns: end,
            before_paint: phases[0],
            update: phases[1],
            layout: phases[2],
            paint: phases[3],
            after_paint: phases[4],
        }))?;
        if counter > 2 {
            writer.emit(Record::FrameTimings(FrameTimings {
                t_ns: end + 1_000,
                surface: toplevel,
                counter: counter - 2,
                frame_time_ns: Some(start - 2 * REFRESH_NS),
                presentation_time_ns: Some(start - REFRESH_NS),
                predicted_presentation_time_ns: Some(start - REFRESH_NS + 1_000),
                refresh_interval_ns: Some(REFRESH_NS),
            }))?;
        }
        t = t.max(end).max(start + REFRESH_NS - 200_000 - 10_000);
    }
    if let Some(surface) = popup {
        t += 1_000;
        writer.emit(Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns: t,
            surface,
        }))?;
    }
    t += 1_000;
    writer.emit(Record::SurfaceDestroyed(SurfaceDestroyed {
        t_ns: t,
        surface: toplevel,
    }))?;
    let records = writer.written + 1;
    writer.emit(Record::End(End {
        t_ns: t + 1_000,
        reason: EndReason::EXIT,
        records,
        dropped: 0,
    }))?;
    writer.writer.finish()
}
