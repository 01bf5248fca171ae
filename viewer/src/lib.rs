//! gdkrecord-viewer: replays a gdkrecord recording's exposures interactively.
//!
//! The GTK 4 app `gdkrecord-viewer [FILE]`: a canvas showing a surface's damage as it
//! happens (flashing and fading, accumulated, or as a heatmap), with the pointer, clicks
//! and keys; a timeline of frames coloured by duration, input events and stalls; a side
//! panel with the current frame's phase timings, damage rectangles and nearby records.
//!
//! # Design
//! - Plain Rust, no GTK: [`index`] reads a file once into a compact index (frames,
//!   input markers, sizes, checkpoints) on several threads; [`scene`] decodes a window
//!   of records around the playhead and asks the replay crate (`gdkrecord-replay`, shared
//!   with the tool's exposure pictures) what to draw.
//! - Widgets, one per module with a project prefix: [`window::GdkrecordViewerWindow`]
//!   and [`side_panel::GrvSidePanel`] with `.ui` templates beside them,
//!   [`canvas::GrvCanvas`] and [`timeline::GrvTimeline`] drawing with cairo.
//! - A 1 GB recording opens in about a second (see `docs/benchmarks.md`, `## Viewer`).

pub mod about;
pub mod app;
pub mod canvas;
pub mod describe;
pub mod index;
pub mod pictures;
pub mod scene;
pub mod side_panel;
pub mod timeline;
pub mod window;
