//! What the picture tests share: fixtures written the way the recorder writes (damage
//! before the frame record that ends the cycle), a scratch directory running the real
//! binary, and decoded PNG / GIF pictures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gdkrecord_format::*;

pub(crate) const MS: u64 = 1_000_000;
pub(crate) const WINDOW: SurfaceId = SurfaceId(1);
pub(crate) const POPUP: SurfaceId = SurfaceId(2);

/// Writes records the way the recorder does (damage before the frame record that ends
/// the cycle).
pub(crate) struct Fixture {
    pub(crate) records: Vec<Record>,
    pub(crate) counter: i64,
}

impl Fixture {
    pub(crate) fn new(width: i32, height: i32) -> Fixture {
        let header = Header::synthetic("demo-app", 4711);
        let surface = Surface {
            t_ns: MS,
            surface: WINDOW,
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkApplicationWindow".into()),
            width,
            height,
            scale_factor: 1,
        };
        Fixture {
            records: vec![Record::Header(header), Record::Surface(surface)],
            counter: 0,
        }
    }

    /// One frame of `surface`'s clock starting at `start_ms`, taking `duration_ms`, with
    /// `rects` damaged.
    pub(crate) fn frame(&mut self, start_ms: f64, duration_ms: f64, rects: Vec<Rect>) {
        self.counter += 1;
        let start = (start_ms * 1e6) as u64;
        let end = start + (duration_ms * 1e6) as u64;
        let paint_start = start + (end - start) / 2;
        if !rects.is_empty() {
            self.records.push(Record::Damage(Damage {
                t_ns: paint_start + 1000,
                surface: WINDOW,
                frame: self.counter,
                renderer: Renderer::CAIRO,
                rects,
            }));
        }
        self.records.push(Record::Frame(Frame {
            t_ns: start,
            surface: WINDOW,
            counter: self.counter,
            end_ns: end,
            before_paint: None,
            update: Some(Phase {
                start_ns: start,
                end_ns: start + 100_000,
            }),
            layout: Some(Phase {
                start_ns: start + 100_000,
                end_ns: paint_start,
            }),
            paint: Some(Phase {
                start_ns: paint_start,
                end_ns: end,
            }),
            after_paint: None,
        }));
    }

    pub(crate) fn event(
        &mut self,
        t_ms: f64,
        event_type: EventType,
        at: Option<(f64, f64)>,
        button: Option<u32>,
        key: Option<&str>,
    ) {
        let mut event = Event::new(
            (t_ms * 1e6) as u64,
            WINDOW,
            event_type,
            (t_ms as u32).wrapping_add(100_000),
        );
        if let Some((x, y)) = at {
            event.x = Some(x);
            event.y = Some(y);
        }
        event.button = button;
        if let Some(key) = key {
            event.key = Some(key.into());
            event.keyval = Some(0x61);
            event.keycode = Some(38);
        }
        self.records.push(Record::Event(event));
    }

    pub(crate) fn resize(&mut self, t_ms: f64, width: i32, height: i32) {
        self.records.push(Record::Size(Size {
            t_ns: (t_ms * 1e6) as u64,
            surface: WINDOW,
            width,
            height,
        }));
    }

    pub(crate) fn write(mut self, path: &Path) {
        let t = self.records.iter().map(Record::t_ns).max().unwrap_or(0) + MS;
        let count = self.records.len() as u64 + 1;
        self.records.push(Record::End(End {
            t_ns: t,
            reason: EndReason::EXIT,
            records: count,
            dropped: 0,
        }));
        let mut writer = Writer::new(Vec::new()).unwrap();
        for record in &self.records {
            writer.write(record).unwrap();
        }
        std::fs::write(path, writer.finish().unwrap()).unwrap();
    }
}

/// A small recording with known damage: frame 1 repaints the whole 320×200 window, then
/// frames 2..=6 repaint a 40×30 box at (200, 100), frame 3 also a 60×20 strip at (20, 150).
pub(crate) fn known_damage() -> Fixture {
    let mut f = Fixture::new(320, 200);
    f.frame(10.0, 3.0, vec![[0, 0, 320, 200]]);
    for n in 0..5 {
        let mut rects = vec![[200, 100, 40, 30]];
        if n == 1 {
            rects.push([20, 150, 60, 20]);
        }
        f.frame(30.0 + 16.7 * f64::from(n), 2.0, rects);
    }
    f
}

/// A 6-second session of a small app: a spinner while loading, hovering and clicking a
/// button, a slow list refresh, typing into an entry, a resize, an idle pause, a popup.
pub(crate) fn demo() -> Fixture {
    let mut f = Fixture::new(640, 400);
    let mut t = 20.0;
    f.frame(t, 6.0, vec![[0, 0, 640, 400]]);
    // Loading: a 24×24 spinner at the top right repaints every frame for 1.5 s.
    while t < 1500.0 {
        t += 16.7;
        f.frame(t, 1.2, vec![[596, 12, 24, 24]]);
    }
    f.frame(t + 16.7, 4.0, vec![[596, 12, 24, 24], [20, 60, 600, 260]]);
    // The pointer comes in and moves to the "Refresh" button (20, 340, 120×40).
    f.event(
        1600.0,
        EventType::ENTER_NOTIFY,
        Some((630.0, 200.0)),
        None,
        None,
    );
    let mut t = 1600.0;
    let (mut x, mut y) = (630.0, 200.0);
    while t < 2400.0 {
        t += 8.0;
        x += (80.0 - x) * 0.04;
        y += (360.0 - y) * 0.04;
        f.event(t, EventType::MOTION_NOTIFY, Some((x, y)), None, None);
        if (t as u64).is_multiple_of(16) && x < 160.0 && y > 330.0 {
            f.frame(t + 1.0, 1.5, vec![[20, 340, 120, 40]]);
        }
    }
    f.frame(2100.0, 1.5, vec![[20, 340, 120, 40]]);
    // Click: the button repaints pressed, then the list refreshes slowly (two 45 ms frames).
    f.event(2500.0, EventType::BUTTON_PRESS, Some((x, y)), Some(1), None);
    f.frame(2505.0, 2.0, vec![[20, 340, 120, 40]]);
    f.event(
        2600.0,
        EventType::BUTTON_RELEASE,
        Some((x, y)),
        Some(1),
        None,
    );
    f.frame(2605.0, 45.0, vec![[20, 340, 120, 40], [20, 60, 600, 260]]);
    f.frame(2655.0, 38.0, vec![[20, 60, 600, 260]]);
    // Typing into the entry (20, 20, 300×28): each key repaints a few characters.
    for (i, key) in ["h", "e", "l", "l", "o"].iter().enumerate() {
        let t = 2800.0 + 180.0 * i as f64;
        f.event(t, EventType::KEY_PRESS, None, None, Some(key));
        f.event(t + 60.0, EventType::KEY_RELEASE, None, None, Some(key));
        f.frame(t + 5.0, 1.8, vec![[24 + 9 * i as i32, 22, 12, 24]]);
        f.frame(t + 90.0, 1.1, vec![[34 + 9 * i as i32, 22, 2, 24]]);
    }
    f.event(3800.0, EventType::SCROLL, Some((300.0, 200.0)), None, None);
    f.frame(3805.0, 9.0, vec![[20, 60, 600, 260]]);
    // The window is made bigger: whole-window repaints while it grows.
    for (i, (w, h)) in [(680, 420), (720, 450), (760, 480), (800, 500)]
        .into_iter()
        .enumerate()
    {
        let t = 4000.0 + 16.7 * i as f64;
        f.resize(t, w, h);
        f.frame(t + 1.0, 12.0 + 3.0 * i as f64, vec![[0, 0, w, h]]);
    }
    // 1.4 s idle, then a popup menu opens from the button and the cursor blinks twice.
    f.records.push(Record::Surface(Surface {
        t_ns: 5500 * MS,
        surface: POPUP,
        surface_kind: SurfaceKind::POPUP,
        parent: Some(WINDOW),
        type_name: "GdkX11Popup".into(),
        widget_type: None,
        width: 160,
        height: 120,
        scale_factor: 1,
    }));
    f.event(
        5480.0,
        EventType::BUTTON_PRESS,
        Some((80.0, 360.0)),
        Some(3),
        None,
    );
    f.frame(5500.0, 3.0, vec![[20, 340, 120, 40]]);
    f.records.push(Record::Damage(Damage {
        t_ns: 5501 * MS,
        surface: POPUP,
        frame: f.counter,
        renderer: Renderer::CAIRO,
        rects: vec![[0, 0, 160, 120]],
    }));
    f.frame(5700.0, 1.0, vec![[74, 22, 2, 24]]);
    f.frame(6200.0, 1.0, vec![[74, 22, 2, 24]]);
    f
}

pub(crate) struct Run {
    pub(crate) dir: PathBuf,
}

impl Run {
    pub(crate) fn new(name: &str) -> Run {
        let dir =
            std::env::temp_dir().join(format!("gdkrecord-pictures-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Run { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub(crate) fn tool(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
            .args(args)
            .env("FONTCONFIG_FILE", "/nonexistent/fonts.conf")
            .env("XDG_DATA_DIRS", "/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "the tool panicked: {stderr}");
        output
    }

    pub(crate) fn ok(&self, args: &[&str]) -> Output {
        let output = self.tool(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Decoded 8-bit RGB(A) picture.
pub(crate) struct Picture {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: usize,
    pub(crate) pixels: Vec<u8>,
}

impl Picture {
    pub(crate) fn rgb(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    pub(crate) fn distinct_colors(&self) -> usize {
        let mut colors: Vec<[u8; 3]> = self
            .pixels
            .chunks(self.channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        colors.sort_unstable();
        colors.dedup();
        colors.len()
    }
}

pub(crate) fn decode_png(path: &Path) -> Picture {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    pixels.truncate(info.buffer_size());
    Picture {
        width: info.width,
        height: info.height,
        channels,
        pixels,
    }
}

/// Every frame of a GIF, composited onto the canvas as a viewer shows it, with its delay
/// in hundredths of a second.
pub(crate) fn decode_gif(path: &Path) -> Vec<(Picture, u16)> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let mut canvas = vec![0u8; width as usize * height as usize * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        for row in 0..usize::from(frame.height) {
            for column in 0..usize::from(frame.width) {
                let src = (row * usize::from(frame.width) + column) * 4;
                if frame.buffer[src + 3] == 0 {
                    continue; // transparent: the previous frame shows through
                }
                let dst = ((row + usize::from(frame.top)) * width as usize
                    + column
                    + usize::from(frame.left))
                    * 4;
                canvas[dst..dst + 4].copy_from_slice(&frame.buffer[src..src + 4]);
            }
        }
        frames.push((
            Picture {
                width,
                height,
                channels: 4,
                pixels: canvas.clone(),
            },
            frame.delay,
        ));
    }
    frames
}

pub(crate) fn near(a: [u8; 3], b: [u8; 3], tolerance: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(&x, y)| (i32::from(x) - i32::from(y)).abs() <= tolerance)
}
