//! What the viewer says about itself: its summary and version for `--help`, `--version`, the
//! man page (made by `gdkrecord-install-data` from [`OPTIONS`]) and the About dialog.

use gtk::prelude::*;

/// The viewer's version: the workspace's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One line on what the viewer does (`--help`, the man page, the About dialog).
pub const SUMMARY: &str =
    "Replay the exposures of gdkrecord recordings: what each frame repainted, \
                           the input, frame times and main-loop stalls.";

/// An option the viewer adds to GApplication's own (`--help`, `--help-all`, ...).
#[derive(Debug, Clone, Copy)]
pub struct ViewerOption {
    /// The long name, without `--`.
    pub long: &'static str,
    /// The one-letter name, without `-`.
    pub short: char,
    /// What it does, for `--help` and the man page.
    pub help: &'static str,
}

/// The options of `gdkrecord-viewer`, besides the files to open.
pub const OPTIONS: [ViewerOption; 1] = [ViewerOption {
    long: "version",
    short: 'v',
    help: "Print the version and exit",
}];

/// Shows the About dialog over `parent`.
pub fn show_about(parent: Option<&gtk::Window>) {
    let dialog = gtk::AboutDialog::builder()
        .program_name("gdkrecord viewer")
        .version(VERSION)
        .comments(SUMMARY)
        .logo_icon_name(crate::app::icon_name())
        .license_type(gtk::License::Custom)
        .license("MIT OR Apache-2.0")
        .modal(true)
        .build();
    if let Some(parent) = parent {
        dialog.set_transient_for(Some(parent));
    }
    dialog.present();
}
