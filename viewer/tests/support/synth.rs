//! Synthetic recordings that look like a real session of a small GTK 4 app: a window
//! with a spinner, buttons that light up when clicked, an entry being typed into, a
//! popup menu, a resize, a few slow frames and idle stretches. Shared by the GUI tests,
//! the open benchmark and the screenshot example (`#[path]`-included by each).

use gdkrecord_format::*;

/// Small deterministic random numbers (xorshift64*), so every run writes the same file.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub const FRAME_NS: u64 = 16_666_667;

pub fn header(program: &str) -> Record {
    Record::Header(Header {
        argv: vec![format!("./{program}")],
        ..Header::synthetic(program, 4242)
    })
}

pub fn surface(
    t_ns: u64,
    id: u32,
    kind: SurfaceKind,
    parent: Option<u32>,
    w: i32,
    h: i32,
) -> Record {
    Record::Surface(Surface {
        t_ns,
        surface: SurfaceId(id),
        surface_kind: kind,
        parent: parent.map(SurfaceId),
        type_name: if kind == SurfaceKind::POPUP {
            "GdkX11Popup"
        } else {
            "GdkX11Toplevel"
        }
        .into(),
        widget_type: Some(
            if kind == SurfaceKind::POPUP {
                "GtkPopoverMenu"
            } else {
                "GtkApplicationWindow"
            }
            .into(),
        ),
        width: w,
        height: h,
        scale_factor: 1,
    })
}

/// A frame cycle starting at `t_ns` whose paint phase takes `paint_ns`.
pub fn frame(t_ns: u64, surface: u32, counter: i64, layout_ns: u64, paint_ns: u64) -> Record {
    let phase = |start: u64, len: u64| {
        Some(Phase {
            start_ns: start,
            end_ns: start + len,
        })
    };
    let before = t_ns;
    let update = before + 20_000;
    let layout = update + 60_000;
    let paint = layout + layout_ns;
    let after = paint + paint_ns;
    Record::Frame(Frame {
        t_ns,
        surface: SurfaceId(surface),
        counter,
        end_ns: after + 15_000,
        before_paint: phase(before, 15_000),
        update: phase(update, 50_000),
        layout: phase(layout, layout_ns),
        paint: phase(paint, paint_ns),
        after_paint: phase(after, 15_000),
    })
}

pub fn damage(t_ns: u64, surface: u32, frame: i64, rects: Vec<Rect>) -> Record {
    Record::Damage(Damage {
        t_ns,
        surface: SurfaceId(surface),
        frame,
        renderer: Renderer::GL,
        rects,
    })
}

pub fn pointer(
    t_ns: u64,
    surface: u32,
    event_type: EventType,
    x: f64,
    y: f64,
    button: Option<u32>,
) -> Record {
    let mut e = Event::new(
        t_ns,
        SurfaceId(surface),
        event_type,
        (t_ns / 1_000_000) as u32,
    );
    e.x = Some(x);
    e.y = Some(y);
    e.button = button;
    e.modifiers = Some(Modifiers(0));
    Record::Event(e)
}

pub fn key(t_ns: u64, surface: u32, event_type: EventType, name: &str) -> Record {
    let mut e = Event::new(
        t_ns,
        SurfaceId(surface),
        event_type,
        (t_ns / 1_000_000) as u32,
    );
    e.keyval = Some(name.chars().next().map_or(0xff0d, u32::from));
    e.key = Some(name.into());
    e.keycode = Some(38);
    e.modifiers = Some(Modifiers(0));
    Record::Event(e)
}

/// Writes a realistic session of at least `min_bytes` bytes (about 60 s of use per 200 kB)
/// and returns how many records it wrote.
pub fn write_session<W: std::io::Write>(out: W, min_bytes: u64) -> std::io::Result<u64> {
    struct Counting<W> {
        inner: W,
        written: std::rc::Rc<std::cell::Cell<u64>>,
    }
    impl<W: std::io::Write> std::io::Write for Counting<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            self.written.set(self.written.get() + n as u64);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let written = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let mut w = Writer::new(Counting {
        inner: out,
        written: written.clone(),
    })?;
    let records = std::cell::Cell::new(0u64);
    let put = |w: &mut Writer<Counting<W>>, r: Record| -> std::io::Result<()> {
        records.set(records.get() + 1);
        w.write(&r)
    };
    let mut rng = Rng::new(0x5eed);
    let (mut width, mut height) = (800i32, 600i32);
    put(&mut w, header("widget-demo"))?;
    put(
        &mut w,
        surface(2_000_000, 1, SurfaceKind::TOPLEVEL, None, width, height),
    )?;
    let mut t = 50_000_000u64;
    let mut counter = 0i64;
    let (mut px, mut py) = (400.0f64, 300.0f64);
    let mut scene = 0u64;
    let mut popup_open = false;
    let mut next_surface = 2u32;
    let buttons: [Rect; 4] = [
        [24, 80, 120, 36],
        [160, 80, 120, 36],
        [296, 80, 120, 36],
        [432, 80, 120, 36],
    ];
    let entry: Rect = [24, 140, 360, 34];
    loop {
        if written.get() >= min_bytes {
            break;
        }
        scene += 1;
        // Each scene: ~2 s of activity, then sometimes an idle gap.
        let activity = rng.below(4);
        let frames = 60 + rng.below(90);
        for i in 0..frames {
            counter += 1;
            let ft = t;
            let spinner: Rect = [width - 60, 20, 24, 24];
            let mut rects: Vec<Rect> = vec![spinner];
            let mut layout_ns = 40_000 + rng.below(80_000);
            let mut paint_ns = 900_000 + rng.below(1_400_000);
            match activity {
                0 => {
                    // Pointer wandering over the buttons; a click now and then.
                    for k in 0..3u64 {
                        px =
                            (px + (rng.below(21) as f64 - 10.0)).clamp(5.0, f64::from(width) - 5.0);
                        py =
                            (py + (rng.below(15) as f64 - 7.0)).clamp(5.0, f64::from(height) - 5.0);
                        put(
                            &mut w,
                            pointer(
                                ft + k * 5_000_000,
                                1,
                                EventType::MOTION_NOTIFY,
                                px,
                                py,
                                None,
                            ),
                        )?;
                    }
                    if i % 40 == 10 {
                        let b = buttons[rng.below(4) as usize];
                        px = f64::from(b[0] + b[2] / 2);
                        py = f64::from(b[1] + b[3] / 2);
                        put(
                            &mut w,
                            pointer(ft + 1_000_000, 1, EventType::BUTTON_PRESS, px, py, Some(1)),
                        )?;
                        put(
                            &mut w,
                            pointer(
                                ft + 9_000_000,
                                1,
                                EventType::BUTTON_RELEASE,
                                px,
                                py,
                                Some(1),
                            ),
                        )?;
                        rects.push(b);
                    }
                }
                1 => {
                    // Typing into the entry.
                    if i % 8 == 0 {
                        let letter = (b'a' + rng.below(26) as u8) as char;
                        put(
                            &mut w,
                            key(ft + 500_000, 1, EventType::KEY_PRESS, &letter.to_string()),
                        )?;
                        put(
                            &mut w,
                            key(
                                ft + 7_000_000,
                                1,
                                EventType::KEY_RELEASE,
                                &letter.to_string(),
                            ),
                        )?;
                        rects.push([
                            entry[0] + 8 + ((i / 8) as i32 % 40) * 8,
                            entry[1] + 6,
                            10,
                            22,
                        ]);
                    }
                }
                2 => {
                    // A popup menu opens, the pointer moves over its items, it closes.
                    if i == 0 && !popup_open {
                        popup_open = true;
                        put(
                            &mut w,
                            surface(ft, next_surface, SurfaceKind::POPUP, Some(1), 200, 150),
                        )?;
                        put(
                            &mut w,
                            pointer(ft, 1, EventType::BUTTON_PRESS, 60.0, 30.0, Some(1)),
                        )?;
                    }
                    if popup_open {
                        let item = (i / 10) as i32 % 4;
                        rects.push([0, item * 36, 200, 36]);
                        put(
                            &mut w,
                            pointer(
                                ft + 2_000_000,
                                next_surface,
                                EventType::MOTION_NOTIFY,
                                100.0,
                                f64::from(item * 36 + 18),
                                None,
                            ),
                        )?;
                        put(
                            &mut w,
                            damage(
                                ft + 3_000_000,
                                next_surface,
                                counter,
                                vec![[0, item * 36, 200, 36]],
                            ),
                        )?;
                    }
                    if i + 1 == frames && popup_open {
                        put(
                            &mut w,
                            Record::SurfaceDestroyed(SurfaceDestroyed {
                                t_ns: ft + 10_000_000,
                                surface: SurfaceId(next_surface),
                            }),
                        )?;
                        popup_open = false;
                        next_surface += 1;
                    }
                }
                _ => {
                    // Resizing: whole-window damage and heavy layout.
                    if i % 6 == 0 {
                        width = (width + rng.below(41) as i32 - 20).clamp(500, 1000);
                        height = (height + rng.below(31) as i32 - 15).clamp(400, 800);
                        put(
                            &mut w,
                            Record::Size(Size {
                                t_ns: ft,
                                surface: SurfaceId(1),
                                width,
                                height,
                            }),
                        )?;
                    }
                    rects = vec![[0, 0, width, height]];
                    layout_ns = 3_000_000 + rng.below(6_000_000);
                    paint_ns = 4_000_000 + rng.below(6_000_000);
                }
            }
            let slow = rng.below(150) == 0;
            if slow {
                // A slow frame: something blocked the paint, and the main loop with it.
                paint_ns = 40_000_000 + rng.below(60_000_000);
            }
            let Record::Frame(f) = frame(ft, 1, counter, layout_ns, paint_ns) else {
                unreachable!()
            };
            let paint_start = f.paint.map_or(ft, |p| p.start_ns);
            put(
                &mut w,
                damage(paint_start + 100_000, 1, counter, rects.clone()),
            )?;
            put(
                &mut w,
                Record::Painted(Damage {
                    t_ns: paint_start + 200_000,
                    surface: SurfaceId(1),
                    frame: counter,
                    renderer: Renderer::GL,
                    rects,
                }),
            )?;
            let end = f.end_ns;
            if slow {
                let duration_ns = paint_ns - 1_000_000;
                put(
                    &mut w,
                    Record::Stall(Stall {
                        t_ns: paint_start + 500_000,
                        duration_ns,
                        duration_ms: duration_ns as f64 / 1e6,
                        source: Some("GtkFrameClock".into()),
                        samples: 1,
                        stack: Vec::new(),
                    }),
                )?;
            }
            put(&mut w, Record::Frame(f))?;
            put(
                &mut w,
                Record::FrameTimings(FrameTimings {
                    t_ns: end + 1_000_000,
                    surface: SurfaceId(1),
                    counter,
                    frame_time_ns: Some(ft),
                    presentation_time_ns: None,
                    predicted_presentation_time_ns: Some(ft + FRAME_NS),
                    refresh_interval_ns: None,
                }),
            )?;
            t = (ft + FRAME_NS).max(end + 1_000_000);
        }
        if scene.is_multiple_of(3) {
            t += 500_000_000 + rng.below(3_000_000_000);
        }
    }
    put(
        &mut w,
        Record::End(End {
            t_ns: t,
            reason: EndReason::EXIT,
            records: records.get() + 1,
            dropped: 0,
        }),
    )?;
    w.finish()?;
    Ok(records.get())
}
