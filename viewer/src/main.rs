//! `gdkrecord-viewer [FILE...]`: replays the exposures of gdkrecord recordings.

use gtk::prelude::*;

fn main() -> gtk::glib::ExitCode {
    gdkrecord_viewer::app::new_application().run()
}
