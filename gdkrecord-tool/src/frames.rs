//! `gdkrecord-tool frames`: writes what a surface looked like after each frame that
//! repainted it, as PNG files, from a recording made with pixels on (`record --pixels`).
//! The pictures are composed by `gdkrecord-replay` (the same as `exposures` and the
//! viewer show): every patch painted in file order, popups placed over their parent.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use gdkrecord_format::{Record, SurfaceId, SurfaceKind};
use gdkrecord_replay::{Picture, Pictures};

use crate::cli::FramesArgs;
use crate::graph::thousands;
use crate::input::{Filter, Recording};

/// Runs `frames`.
pub fn run(args: &FramesArgs) -> Result<ExitCode> {
    if args.max_frames == 0 {
        bail!("--max-frames: must be at least 1");
    }
    let window = Filter::from_args(&args.read.filters)?;
    let dir = &args.output;
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{}: not a directory (frames writes one PNG per frame into it)",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    // Every record is read: pictures need every patch before --from, and the sizes.
    let mut everything = args.read.filters.clone();
    everything.surface = None;
    everything.from = None;
    everything.to = None;
    everything.kind.clear();
    everything.event_type.clear();
    let mut recording = Recording::open(
        &args.read.file,
        Filter::from_args(&everything)?,
        args.read.strict,
    )?;
    recording.show_progress("frames");
    let mut writer = FrameWriter {
        dir,
        pictures: Pictures::default(),
        surface: window.surface(),
        changed: false,
        written: 0,
        skipped_in_range: 0,
        over_limit: 0,
        max_frames: args.max_frames,
        range: (window.from_ns(), window.to_ns()),
    };
    recording.for_each(|record| writer.take(&record))?;
    let file = args.read.file.display();
    if writer.pictures.patches() == 0 {
        bail!("{file}: no pixels in the recording (record with `gdkrecord-tool record --pixels`)");
    }
    let Some(surface) = writer.surface else {
        bail!("{file}: no toplevel surface with pixels");
    };
    if writer.written == 0 {
        bail!("{file}: surface {surface} has no repainted frame with pixels in the range");
    }
    if writer.over_limit > 0 {
        eprintln!(
            "gdkrecord-tool: warning: {file}: {} more frames in range, not written (--max-frames {})",
            thousands(writer.over_limit),
            args.max_frames
        );
    }
    if writer.skipped_in_range > 0 {
        eprintln!(
            "gdkrecord-tool: warning: {file}: {} frames in range were recorded without pixels (over the recorder's budget): the pictures show them late",
            thousands(writer.skipped_in_range)
        );
    }
    if writer.pictures.undecodable() > 0 {
        eprintln!(
            "gdkrecord-tool: warning: {file}: {} pixel patches were damaged and left out",
            thousands(writer.pictures.undecodable())
        );
    }
    eprintln!(
        "gdkrecord-tool: wrote {} frames of surface {surface} into {}",
        thousands(writer.written),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Follows the pictures through the recording and writes one PNG per frame that
/// changed the chosen surface.
struct FrameWriter<'a> {
    dir: &'a Path,
    pictures: Pictures,
    /// The surface written (`--surface`, else the first toplevel).
    surface: Option<SurfaceId>,
    /// Its picture (or a popup over it) changed since the last PNG.
    changed: bool,
    written: u64,
    skipped_in_range: u64,
    over_limit: u64,
    max_frames: u64,
    range: (Option<u64>, Option<u64>),
}

impl FrameWriter<'_> {
    fn in_range(&self, t_ns: u64) -> bool {
        self.range.0.is_none_or(|from| t_ns >= from) && self.range.1.is_none_or(|to| t_ns <= to)
    }

    fn take(&mut self, record: &Record) -> Result<()> {
        if let (Record::Surface(s), None) = (record, self.surface) {
            if s.surface_kind == SurfaceKind::TOPLEVEL {
                self.surface = Some(s.surface);
            }
        }
        let Some(surface) = self.surface else {
            self.pictures.push(record);
            return Ok(());
        };
        if let Some(changed) = self.pictures.push(record) {
            if changed == surface || self.pictures.offset(changed, surface).is_some() {
                self.changed = true;
            }
            if matches!(record, Record::SurfaceDestroyed(_)) {
                // A popup over it closed.
                self.changed = true;
            }
        }
        match record {
            Record::PixelsSkipped(s) if s.surface == surface && self.in_range(s.t_ns) => {
                self.skipped_in_range += 1;
            }
            // A cycle ends with its frame record, after the patches drawn in it; popups
            // share their toplevel's frame clock.
            Record::Frame(f) if f.surface == surface && self.changed => {
                if !self.in_range(f.t_ns) {
                    self.changed = false;
                    return Ok(());
                }
                if self.written >= self.max_frames {
                    self.over_limit += 1;
                    self.changed = false;
                    return Ok(());
                }
                if let Some(picture) = self.pictures.compose(surface) {
                    let name = format!(
                        "{:05}-frame{}-{:.3}s.png",
                        self.written + 1,
                        f.counter,
                        f.t_ns as f64 / 1e9
                    );
                    write_rgba_png(&self.dir.join(name), &picture)?;
                    self.written += 1;
                }
                self.changed = false;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Writes a picture as an 8-bit RGBA PNG (straight alpha); errors name the file.
pub fn write_rgba_png(path: &Path, picture: &Picture) -> Result<()> {
    let shown = path.display();
    let file = std::fs::File::create(path).with_context(|| format!("{shown}: cannot create"))?;
    let mut encoder =
        png::Encoder::new(std::io::BufWriter::new(file), picture.width, picture.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .with_context(|| format!("{shown}: cannot write"))?;
    writer
        .write_image_data(&picture.to_rgba())
        .with_context(|| format!("{shown}: cannot write"))?;
    writer
        .finish()
        .with_context(|| format!("{shown}: cannot write"))?;
    Ok(())
}
