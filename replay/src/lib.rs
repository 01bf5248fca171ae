//! Replay state of a recording (surfaces, damage fading, heatmaps), shared by the tool and the viewer.
