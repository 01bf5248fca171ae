//! gdkrecord-viewer: replays a gdkrecord recording's exposures interactively.

pub mod index;
pub mod scene;
