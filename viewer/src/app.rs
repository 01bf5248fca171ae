//! The GtkApplication: one window per file opened, keyboard shortcuts, and opening files
//! given on the command line.

use gtk::prelude::*;
use gtk::{gio, glib};

use crate::window::GdkrecordViewerWindow;

/// The application id.
pub const APP_ID: &str = "org.gdkrecord.Viewer";

/// Keyboard shortcuts of the window actions.
pub const ACCELS: [(&str, &[&str]); 6] = [
    ("win.open", &["<Control>o"]),
    ("win.play", &["space"]),
    ("win.step-back", &["Left"]),
    ("win.step-forward", &["Right"]),
    ("win.home", &["Home"]),
    ("win.end", &["End"]),
];

/// Sets the keyboard shortcuts of the window actions on `app`.
pub fn set_accels(app: &gtk::Application) {
    for (action, accels) in ACCELS {
        app.set_accels_for_action(action, accels);
    }
    app.set_accels_for_action("window.close", &["<Control>w"]);
}

/// The viewer application: `activate` opens an empty window, `open` a window per file.
pub fn new_application() -> gtk::Application {
    let app = gtk::Application::builder()
        .application_id(APP_ID)
        // Every run is its own process: a second viewer must not hand its files to the first.
        .flags(gio::ApplicationFlags::HANDLES_OPEN | gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.connect_startup(|app| {
        set_accels(app);
        gtk::Window::set_default_icon_name("video-display");
        glib::set_application_name("gdkrecord viewer");
    });
    app.connect_activate(|app| GdkrecordViewerWindow::new(app).present());
    app.connect_open(|app, files, _hint| {
        for file in files {
            let window = GdkrecordViewerWindow::new(app);
            window.present();
            match file.path() {
                Some(path) => window.open_path(&path),
                None => window.show_banner(
                    crate::window::BannerKind::Error,
                    &format!("cannot open {}: only local files can be opened", file.uri()),
                ),
            }
        }
    });
    app
}
