//! `gdkrecord-tool graph`: one dashboard picture of a recording (PNG, or SVG when the
//! output ends in `.svg`), drawn with plotters and the font bundled in `assets/`.
//!
//! Records are read once; events are counted in adaptive time buckets and frames kept as
//! 16-byte samples, then reduced to one min/max/mean per pixel column, so a recording of
//! ten million records graphs in seconds and stays readable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

use crate::cli::GraphArgs;
use crate::input::{Filter, Recording};

mod chart;
mod data;
mod draw;
pub mod font;
mod labels;
mod panels;

pub use labels::thousands;

/// Runs `graph`.
pub fn run(args: &GraphArgs) -> Result<ExitCode> {
    let [width, height] = parse_size(&args.size)?;
    let window = Filter::from_args(&args.read.filters)?;
    let output = output_path(&args.read.file, args.output.as_deref(), "png");
    let svg = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if !svg
        && !output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        anyhow::bail!("{}: the picture must end in .png or .svg", output.display());
    }
    crate::output::refuse_input(&args.read.file, &output)?;
    // Read every time so that sizes set before --from are known; the window is applied
    // by the collector.
    let mut untimed = args.read.filters.clone();
    untimed.from = None;
    untimed.to = None;
    let mut recording = Recording::open(
        &args.read.file,
        Filter::from_args(&untimed)?,
        args.read.strict,
    )?;
    recording.show_progress("graph");
    let mut collector = data::Collector::new(window.from_ns(), window.to_ns());
    recording.for_each(|record| {
        collector.push(&record);
        Ok(())
    })?;
    let data = collector.finish();
    font::register();
    if svg {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
            draw::dashboard(&root, &data).map_err(|e| anyhow!("drawing the graph: {e}"))?;
        }
        std::fs::write(&output, text)
            .with_context(|| format!("{}: cannot write", output.display()))?;
    } else {
        let mut rgb = vec![255u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            draw::dashboard(&root, &data).map_err(|e| anyhow!("drawing the graph: {e}"))?;
        }
        write_png(&output, width, height, &rgb)?;
    }
    eprintln!(
        "gdkrecord-tool: wrote {} ({width}×{height}, {} frames, {} records)",
        output.display(),
        thousands(data.frames.len() as u64),
        thousands(data.records)
    );
    Ok(ExitCode::SUCCESS)
}

/// `OUT`, or `FILE.<extension>` beside the recording (as the 2009 tool did).
pub fn output_path(recording: &Path, output: Option<&Path>, extension: &str) -> PathBuf {
    match output {
        Some(path) => path.to_owned(),
        None => {
            let mut name = recording.as_os_str().to_owned();
            name.push(".");
            name.push(extension);
            PathBuf::from(name)
        }
    }
}

/// Parses `1600x1000`.
pub fn parse_size(text: &str) -> Result<[u32; 2]> {
    let parsed = text
        .split_once(['x', 'X', '×'])
        .and_then(|(w, h)| Some([w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?]));
    match parsed {
        Some([w, h]) if (400..=10_000).contains(&w) && (300..=10_000).contains(&h) => Ok([w, h]),
        _ => anyhow::bail!("--size: `{text}` is not WIDTHxHEIGHT between 400x300 and 10000x10000"),
    }
}

/// Writes 8-bit RGB pixels as a PNG; errors name the file.
pub fn write_png(path: &Path, width: u32, height: u32, rgb: &[u8]) -> Result<()> {
    let shown = path.display();
    let file = std::fs::File::create(path).with_context(|| format!("{shown}: cannot create"))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder
        .write_header()
        .with_context(|| format!("{shown}: cannot write"))?;
    writer
        .write_image_data(rgb)
        .with_context(|| format!("{shown}: cannot write"))?;
    writer
        .finish()
        .with_context(|| format!("{shown}: cannot write"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_is_beside_the_recording() {
        assert_eq!(
            output_path(Path::new("d/x.gdkrecord"), None, "png"),
            PathBuf::from("d/x.gdkrecord.png")
        );
        assert_eq!(
            output_path(Path::new("x"), Some(Path::new("y.svg")), "png"),
            PathBuf::from("y.svg")
        );
    }

    #[test]
    fn sizes_parse_and_are_bounded() {
        assert_eq!(parse_size("1600x1000").unwrap(), [1600, 1000]);
        assert_eq!(parse_size("800×600").unwrap(), [800, 600]);
        assert!(parse_size("10x10").is_err());
        assert!(parse_size("big").is_err());
    }
}
