//! Integration tests of `frames` and of pixels in `stats`: run the real binary on
//! recordings written with the format crate's Writer, holding pixel patches the way the
//! recorder writes them (a whole picture, then repainted patches, a popup over its
//! parent), and decode the PNG files it writes.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use gdkrecord_format::*;
use support::scratch;

const MS: u64 = 1_000_000;
const WINDOW: SurfaceId = SurfaceId(1);
const POPUP: SurfaceId = SurfaceId(2);
const GREY: [u8; 3] = [200, 200, 200];
const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gdkrecord-tool")
}

/// An opaque patch of one colour (R, G, B), packed as the recorder writes it.
fn patch(
    surface: SurfaceId,
    t_ms: u64,
    frame: i64,
    full: bool,
    rect: Rect,
    rgb: [u8; 3],
) -> Record {
    let pixel = [rgb[2], rgb[1], rgb[0], 255];
    let data = pixel.repeat((rect[2] * rect[3]) as usize);
    Record::Pixels(Pixels::raw(t_ms * MS, surface, frame, 1, full, rect, data).packed())
}

fn frame(t_ms: u64, counter: i64) -> Record {
    Record::Frame(Frame {
        t_ns: t_ms * MS,
        surface: WINDOW,
        counter,
        end_ns: (t_ms + 5) * MS,
        before_paint: None,
        update: None,
        layout: None,
        paint: None,
        after_paint: None,
    })
}

fn surface(id: SurfaceId, kind: SurfaceKind, parent: Option<SurfaceId>, size: [i32; 2]) -> Record {
    Record::Surface(Surface {
        t_ns: MS,
        surface: id,
        surface_kind: kind,
        parent,
        type_name: "GdkX11Toplevel".into(),
        widget_type: None,
        width: size[0],
        height: size[1],
        scale_factor: 1,
    })
}

/// A 40×20 window: grey at frame 1, a red 4×4 patch at frame 2, a frame without
/// repaint, a 6×5 green popup at (36, 12) at frame 4 (reaching past the window's edge),
/// the popup closed at frame 5, and a frame without pixels.
fn recording() -> Vec<Record> {
    vec![
        surface(WINDOW, SurfaceKind::TOPLEVEL, None, [40, 20]),
        patch(WINDOW, 10, 1, true, [0, 0, 40, 20], GREY),
        frame(8, 1),
        patch(WINDOW, 30, 2, false, [4, 4, 4, 4], RED),
        frame(28, 2),
        frame(48, 3),
        surface(POPUP, SurfaceKind::POPUP, Some(WINDOW), [6, 5]),
        Record::PopupPosition(PopupPosition {
            t_ns: 69 * MS,
            surface: POPUP,
            x: 36,
            y: 12,
        }),
        patch(POPUP, 70, 4, true, [0, 0, 6, 5], GREEN),
        frame(68, 4),
        Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns: 85 * MS,
            surface: POPUP,
        }),
        frame(88, 5),
        Record::PixelsSkipped(PixelsSkipped {
            t_ns: 110 * MS,
            surface: WINDOW,
            frame: 6,
            reason: PixelsSkipReason::BUDGET,
        }),
        frame(108, 6),
    ]
}

/// Writes `records` between a header and an end record.
fn write(path: &Path, records: &[Record]) {
    let header = Header::synthetic("pixels-app", 4711);
    let end = End {
        t_ns: 200 * MS,
        reason: EndReason::EXIT,
        records: records.len() as u64 + 2,
        dropped: 0,
    };
    let mut writer = Writer::new(Vec::new()).unwrap();
    writer.write(&Record::Header(header)).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.write(&Record::End(end)).unwrap();
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

/// Width, height and pixels (RGBA, or RGB for the heatmap) of a PNG.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn rgb_at(png: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let i = ((y * png.0 + x) * 4) as usize;
    [png.2[i], png.2[i + 1], png.2[i + 2]]
}

fn written(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn frames_writes_one_png_per_repainted_frame_with_popups_in_place() {
    let dir = scratch("frames-popups");
    write(&dir.join("rec.gdkrecord"), &recording());
    let out = tool(&dir, &["frames", "rec.gdkrecord", "-o", "out"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 frames in range were recorded without pixels"),
        "{stderr}"
    );
    // Frame 3 repainted nothing and frame 6 has no pixels: no file for them.
    let names = written(&dir.join("out"));
    assert_eq!(
        names,
        [
            "00001-frame1-0.008s.png",
            "00002-frame2-0.028s.png",
            "00003-frame4-0.068s.png",
            "00004-frame5-0.088s.png"
        ]
    );
    let png = |n: usize| decode_png(&dir.join("out").join(&names[n]));
    let first = png(0);
    assert_eq!((first.0, first.1), (40, 20));
    assert_eq!(rgb_at(&first, 5, 5), GREY);
    let second = png(1);
    assert_eq!(rgb_at(&second, 5, 5), RED);
    assert_eq!(rgb_at(&second, 8, 8), GREY, "outside the patch");
    assert_eq!(first.2.len(), 40 * 20 * 4, "RGBA");
    let with_popup = png(2);
    assert_eq!(rgb_at(&with_popup, 37, 13), GREEN);
    assert_eq!(
        rgb_at(&with_popup, 39, 16),
        GREEN,
        "the popup is cut at the window's edge"
    );
    assert_eq!(rgb_at(&with_popup, 35, 13), GREY);
    assert_eq!(
        rgb_at(&with_popup, 5, 5),
        RED,
        "the window's pixels under it stay"
    );
    let closed = png(3);
    assert_eq!(rgb_at(&closed, 37, 13), GREY, "the closed popup is gone");
}

#[test]
fn frames_honours_the_time_window_and_the_limit() {
    let dir = scratch("frames-window");
    write(&dir.join("rec.gdkrecord"), &recording());
    let out = tool(
        &dir,
        &[
            "frames",
            "rec.gdkrecord",
            "-o",
            "out",
            "--from",
            "20ms",
            "--to",
            "70ms",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = written(&dir.join("out"));
    assert_eq!(
        names,
        ["00001-frame2-0.028s.png", "00002-frame4-0.068s.png"]
    );
    // Patches before --from are painted: frame 2's picture is grey around the red.
    let png = decode_png(&dir.join("out").join(&names[0]));
    assert_eq!(rgb_at(&png, 20, 2), GREY);

    let out = tool(
        &dir,
        &["frames", "rec.gdkrecord", "-o", "few", "--max-frames", "1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(written(&dir.join("few")).len(), 1);
    assert!(
        stderr.contains("3 more frames in range, not written"),
        "{stderr}"
    );
}

#[test]
fn frames_without_pixels_or_into_a_file_is_a_clear_error() {
    let dir = scratch("frames-errors");
    let mut no_pixels = recording();
    no_pixels.retain(|r| !matches!(r, Record::Pixels(_)));
    write(&dir.join("plain.gdkrecord"), &no_pixels);
    let out = tool(&dir, &["frames", "plain.gdkrecord", "-o", "out"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plain.gdkrecord: no pixels in the recording"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    std::fs::write(dir.join("file"), "x").unwrap();
    write(&dir.join("rec.gdkrecord"), &recording());
    let out = tool(&dir, &["frames", "rec.gdkrecord", "-o", "file"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("file: not a directory"));
}

#[test]
fn damaged_pixel_data_is_left_out_with_a_warning() {
    let dir = scratch("frames-damaged");
    let mut records = recording();
    if let Record::Pixels(p) = &mut records[3] {
        p.data.truncate(p.data.len() / 2);
    }
    write(&dir.join("rec.gdkrecord"), &records);
    let out = tool(&dir, &["frames", "rec.gdkrecord", "-o", "out"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 pixel patches were damaged and left out"),
        "{stderr}"
    );
    let names = written(&dir.join("out"));
    let png = decode_png(&dir.join("out").join(&names[0]));
    assert_eq!(rgb_at(&png, 5, 5), GREY);
}

#[test]
fn stats_says_what_the_pixels_take() {
    let dir = scratch("frames-stats");
    write(&dir.join("rec.gdkrecord"), &recording());
    let out = tool(&dir, &["stats", "rec.gdkrecord", "--json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pixels = &report["pixels"];
    assert_eq!(pixels["patches"], 3);
    assert_eq!(pixels["full_patches"], 2);
    assert_eq!(pixels["decoded_bytes"], (40 * 20 + 16 + 30) * 4);
    assert_eq!(pixels["skipped_over_budget"], 1);
    assert_eq!(pixels["popup_positions"], 1);
    assert!(pixels["stored_bytes"].as_u64().unwrap() < 40 * 20 * 4 / 4);
    let text = tool(&dir, &["stats", "rec.gdkrecord"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("pixels     3 patches (2 of whole pictures)"),
        "{text}"
    );
}

/// The RGB of pixel (`x`, `y`) of decoded pixels with `channels` bytes a pixel.
fn rgb_of(pixels: &[u8], width: u32, channels: u32, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * width + x) * channels) as usize;
    [pixels[i], pixels[i + 1], pixels[i + 2]]
}

#[test]
fn exposures_draw_over_the_recorded_pixels() {
    let dir = scratch("frames-exposures");
    let mut records = recording();
    // Damage where frame 2 painted red, so the heatmap and the GIF have something to show.
    records.insert(
        3,
        Record::Damage(Damage {
            t_ns: 30 * MS,
            surface: WINDOW,
            frame: 2,
            renderer: Renderer::CAIRO,
            rects: vec![[4, 4, 4, 4]],
        }),
    );
    write(&dir.join("rec.gdkrecord"), &records);
    let out = tool(
        &dir,
        &["exposures", "rec.gdkrecord", "--heatmap", "-o", "heat.png"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The surface is drawn 16 px from the left, 80 px from the top, unscaled; the app's
    // picture (grey, a red square) shows in grey under the heat.
    let heat = decode_png(&dir.join("heat.png"));
    let (width, pixels) = (heat.0, &heat.2);
    let channels = (pixels.len() / (heat.0 * heat.1) as usize) as u32;
    let grey_area = rgb_of(pixels, width, channels, 16 + 30, 80 + 15);
    let red_square = rgb_of(pixels, width, channels, 16 + 5, 80 + 5);
    assert!(
        grey_area.iter().all(|&c| c > 60),
        "the never repainted grey window shows through: {grey_area:?}"
    );
    assert_ne!(grey_area, red_square, "the repainted red square differs");

    let out = tool(&dir, &["exposures", "rec.gdkrecord", "-o", "anim.gif"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(dir.join("anim.gif")).unwrap())
        .unwrap();
    let width = u32::from(decoder.width());
    let first = decoder.read_next_frame().unwrap().unwrap().buffer.to_vec();
    // The surface is drawn 12 px from the corner: the app's grey, not the plain surface
    // colour drawn without pixels (246, 246, 248).
    let surface = rgb_of(&first, width, 4, 12 + 30, 12 + 15);
    assert!(
        surface.iter().all(|&c| (180..=215).contains(&c)),
        "the app's grey in the GIF: {surface:?}"
    );
}
