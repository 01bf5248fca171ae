//! Replays what a GTK 4 program repainted, frame by frame: the model shared by
//! `gdkrecord-tool exposures` (GIF and heatmap pictures) and the GTK viewer.
//!
//! Build a [`Timeline`] from a recording's records in one streaming pass, then walk a
//! surface's frames with a [`Replay`]: each step gives a [`FrameView`] of plain data a
//! renderer draws as it likes (rectangles as `[x, y, width, height]` in surface pixels,
//! opacity per rectangle, colours as RGB bytes or RGBA floats).
//!
//! - **Flash and fade** ([`DamageMode::Flash`]): the current frame's damage at full
//!   strength, the previous [`ReplayOptions::fade_frames`] frames' fading out, like
//!   GTK 3's `GTK_DEBUG=updates`.
//! - **Accumulate** ([`DamageMode::Accumulate`]): every rectangle repainted so far.
//! - **Heatmap** ([`Replay::heatmap`]): how often each pixel (or cell) was repainted,
//!   with a logarithmic colour scale ([`heat_color`]).
//! - **Pictures** ([`Pictures`]): what each surface looked like, composed from the
//!   `pixels` records of a recording made with pixels on, popups placed over their parent.
//! - **Stepping**: [`Replay::seek_frame`], [`Replay::next_frame`], [`Replay::prev_frame`],
//!   [`Replay::seek_time`] (binary search), so a viewer can scrub.
//!
//! # Example
//!
//! ```
//! use gdkrecord_format::*;
//! use gdkrecord_replay::{Replay, Timeline};
//!
//! let window = SurfaceId(1);
//! let records = [
//!     Record::Surface(Surface {
//!         t_ns: 0, surface: window, surface_kind: SurfaceKind::TOPLEVEL, parent: None,
//!         type_name: "GdkX11Toplevel".into(), widget_type: None,
//!         width: 400, height: 300, scale_factor: 1,
//!     }),
//!     Record::Damage(Damage {
//!         t_ns: 1_000_000, surface: window, frame: 1, renderer: Renderer::CAIRO,
//!         rects: vec![[10, 10, 24, 24]],
//!     }),
//!     Record::Frame(Frame {
//!         t_ns: 500_000, surface: window, counter: 1, end_ns: 2_000_000,
//!         before_paint: None, update: None, layout: None, paint: None, after_paint: None,
//!     }),
//! ];
//! let timeline = Timeline::from_records(&records);
//! let mut replay = Replay::new(&timeline, timeline.default_surface().unwrap());
//! assert!(replay.next_frame());
//! let view = replay.view().unwrap();
//! assert_eq!(view.size, [400, 300]);
//! assert_eq!(view.damage[0].rect, [10, 10, 24, 24]);
//! assert_eq!(view.damage[0].alpha, 1.0);
//! assert_eq!(replay.heatmap(1, true).count_at_pixel(20, 20), 1);
//! ```
//!
//! # Design constraints
//! - No GTK and no drawing library: the tool draws with its own rasteriser, the viewer
//!   with cairo, both from the same [`FrameView`].
//! - Memory proportional to frames (and clicks/keys), not to records: motion events only
//!   set the pointer position stored with each frame.
//! - Records come in write order, not time order: a frame's damage is written during its
//!   paint phase, before the frame record that ends the cycle; frames are matched by
//!   (surface, frame counter) and sorted by start time at the end.

mod heatmap;
mod pictures;
mod replay;
mod timeline;

pub use heatmap::{heat_color, heat_scale, Heatmap, HeatmapBuilder, NEVER_REPAINTED_RGB};
pub use pictures::{Composition, Picture, Pictures, MAX_PICTURES_BYTES, MAX_PICTURE_BYTES};
pub use replay::{
    fade_alpha, ClickMark, DamageMode, DamageSource, FadingRect, FrameView, Replay, ReplayOptions,
    CLICK_RGB, DAMAGE_RGB, POINTER_RGB,
};
pub use timeline::{
    rects_area, InputKind, InputMark, ReplayFrame, SizeChange, SurfaceInfo, Timeline,
    TimelineBuilder,
};

#[cfg(test)]
mod tests;
