//! Benchmark: opening a big recording and scrubbing through it.
//!
//! `cargo bench -p gdkrecord-viewer --bench open -- [MEGABYTES] [--gui] [--pixels]`
//!
//! Generates a synthetic session of MEGABYTES (default 1024) in the temp folder once
//! (with `--pixels`, as recorded with pixels on: a patch for each damage rectangle of the
//! window and a whole 800×600 picture every 10 s, about 40 % of the bytes),
//! then measures: the index pass ([`RecordingIndex::build`]); seeks to random times as a
//! scrub does ([`SceneSource::moment`], lazy decoding around the playhead); and with
//! `--gui`, on a private Xvfb, the time from `open_path` to the window showing the first
//! frame.

#[path = "../tests/support/gui.rs"]
#[allow(dead_code)]
mod gui;
#[path = "../tests/support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gdkrecord_viewer::index::RecordingIndex;
use gdkrecord_viewer::scene::{SceneSource, ViewMode};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let megabytes: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1024);
    let with_gui = args.iter().any(|a| a == "--gui");
    let with_pixels = args.iter().any(|a| a == "--pixels");
    let path = std::env::temp_dir().join(format!(
        "gdkrecord-viewer-bench-{megabytes}M{}.gdkrecord",
        if with_pixels { "-pixels" } else { "" }
    ));
    if !path.exists() {
        let started = Instant::now();
        let file =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        let records = if with_pixels {
            write_with_pixels(file, megabytes << 20)
        } else {
            synth::write_session(file, megabytes << 20).unwrap()
        };
        println!(
            "generated {} ({records} records) in {:.2?}",
            path.display(),
            started.elapsed()
        );
    }
    // Warm the page cache, as a file just recorded or opened before would be.
    let _ = RecordingIndex::build(&path, &mut |_, _| true).unwrap();
    println!("peak RSS after indexing once: {} MB", peak_rss_kb() / 1024);
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut index = None;
    for _ in 0..3 {
        let (started, cpu_started) = (Instant::now(), cpu_time());
        index = Some(RecordingIndex::build(&path, &mut |_, _| true).unwrap());
        times.push(started.elapsed());
        cpu.push(cpu_time() - cpu_started);
    }
    cpu.sort();
    let index = Arc::new(index.unwrap());
    times.sort();
    println!(
        "index {} MB: {} records, {} frames, {} input markers, {:.0} s recorded: median {:.2?} (min {:.2?}, max {:.2?}) on {} threads, {:.2?} CPU (median)",
        index.file_len >> 20,
        index.records,
        index.frames.len(),
        index.inputs.len(),
        index.duration_ns as f64 / 1e9,
        times[1],
        times[0],
        times[2],
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(4),
        cpu[1],
    );
    let surface = index.default_surface().unwrap();
    for mode in ViewMode::ALL {
        let mut source = SceneSource::new(index.clone());
        let mut rng = synth::Rng::new(7);
        let mut seeks = Vec::new();
        for _ in 0..200 {
            let t = rng.below(index.duration_ns);
            let started = Instant::now();
            source.moment(surface, t, mode).unwrap();
            seeks.push(started.elapsed());
        }
        // Small steps, as dragging the playhead or playing does.
        let mut t = index.duration_ns / 2;
        let mut steps = Vec::new();
        for _ in 0..200 {
            t += 16_666_667;
            let started = Instant::now();
            source.moment(surface, t, mode).unwrap();
            steps.push(started.elapsed());
        }
        seeks.sort();
        steps.sort();
        println!(
            "{mode:?}: random seek median {:.2?}, p95 {:.2?}, max {:.2?}; frame step median {:.2?}, max {:.2?}",
            seeks[100], seeks[190], seeks[199], steps[100], steps[199]
        );
    }
    if with_gui {
        use gtk::prelude::*;
        let (_xvfb, app) = gui::start_gtk();
        let window = gdkrecord_viewer::window::GdkrecordViewerWindow::new(&app);
        window.present();
        gui::pump_for(Duration::from_millis(300));
        let (started, cpu_started) = (Instant::now(), cpu_time());
        window.open_path(&path);
        gui::pump_until(Duration::from_secs(60), || !window.is_loading());
        let loaded = started.elapsed();
        gui::pump_until(Duration::from_secs(10), || {
            window.canvas().scene().caption.contains("frame")
        });
        let shown = started.elapsed();
        println!(
            "gui: open_path to indexed {loaded:.2?}, to first frame shown {shown:.2?} ({:.2?} CPU, renderer {})",
            cpu_time() - cpu_started,
            std::env::var("GSK_RENDERER").unwrap_or_else(|_| "default".into())
        );
    }
}

/// User plus system CPU time of this process so far (all threads).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros =
        |t: libc::timeval| Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64);
    micros(usage.ru_utime) + micros(usage.ru_stime)
}

/// Peak resident memory of this process so far, kB.
fn peak_rss_kb() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss
}

/// A synthetic session with pixels, of at least `min_bytes`: the session's records with a
/// patch after each damage of the window (its rectangles, at most 64×64 each) and a
/// whole 800×600 picture every 10 s; returns how many records it wrote.
fn write_with_pixels(out: impl std::io::Write, min_bytes: u64) -> u64 {
    use gdkrecord_format::{Pixels, Reader, Record, SurfaceId, Writer};
    // The pixels (solid patches, a smooth whole picture: they pack well) add about 60 %.
    let mut session = Vec::new();
    synth::write_session(&mut session, min_bytes * 10 / 16).unwrap();
    let mut writer = Writer::new(out).unwrap();
    let (mut written, mut records, mut next_whole) = (0u64, 0u64, 0u64);
    let mut put = |writer: &mut Writer<_>, record: Record| {
        let mut frame = Vec::new();
        gdkrecord_format::encode_record(&record, &mut frame);
        written += frame.len() as u64;
        records += 1;
        writer.write(&record).unwrap();
    };
    let picture: Vec<u8> = (0..800 * 600 * 4u32)
        .map(|i| (i / 4 % 800 / 4) as u8)
        .collect();
    for record in Reader::new(&session[..]).unwrap().map(Result::unwrap) {
        let damage = match &record {
            Record::Damage(d) if d.surface == SurfaceId(1) => Some(d.clone()),
            _ => None,
        };
        put(&mut writer, record);
        let Some(d) = damage else { continue };
        if d.t_ns >= next_whole {
            next_whole = d.t_ns + 10_000_000_000;
            let whole = Pixels::raw(
                d.t_ns,
                d.surface,
                d.frame,
                1,
                true,
                [0, 0, 800, 600],
                picture.clone(),
            );
            put(&mut writer, Record::Pixels(whole.packed()));
        }
        for rect in &d.rects {
            let rect = [
                rect[0].max(0),
                rect[1].max(0),
                rect[2].clamp(1, 64),
                rect[3].clamp(1, 64),
            ];
            let data = vec![(d.frame % 251) as u8; (rect[2] * rect[3] * 4) as usize];
            let patch = Pixels::raw(d.t_ns, d.surface, d.frame, 1, false, rect, data);
            put(&mut writer, Record::Pixels(patch.packed()));
        }
    }
    println!("pixels added: {written} bytes in all");
    writer.finish().unwrap();
    records
}
