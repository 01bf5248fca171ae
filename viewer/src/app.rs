//! The GtkApplication: one window per file opened, keyboard shortcuts, opening files
//! given on the command line (or by the file manager through the desktop entry's `%f`),
//! `--version` and the About dialog.

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

/// The application's actions (the main menu's): `app.about`.
pub fn add_app_actions(app: &gtk::Application) {
    let about = gio::ActionEntry::builder("about")
        .activate(|app: &gtk::Application, _, _| {
            crate::about::show_about(app.active_window().as_ref())
        })
        .build();
    app.add_action_entries([about]);
}

/// The viewer's icon: its own once installed (hicolor theme), a stock one when run from the
/// build tree, where no icon theme knows ours.
pub fn icon_name() -> &'static str {
    let installed = gtk::gdk::Display::default()
        .is_some_and(|display| gtk::IconTheme::for_display(&display).has_icon(APP_ID));
    if installed {
        APP_ID
    } else {
        "video-display"
    }
}

/// The viewer application: `activate` opens an empty window, `open` a window per file.
pub fn new_application() -> gtk::Application {
    let app = gtk::Application::builder()
        .application_id(APP_ID)
        // Every run is its own process: a second viewer must not hand its files to the first.
        .flags(gio::ApplicationFlags::HANDLES_OPEN | gio::ApplicationFlags::NON_UNIQUE)
        .build();
    for option in crate::about::OPTIONS {
        app.add_main_option(
            option.long,
            glib::Char::from(option.short as u8),
            glib::OptionFlags::NONE,
            glib::OptionArg::None,
            option.help,
            None,
        );
    }
    app.set_option_context_summary(Some(crate::about::SUMMARY));
    app.set_option_context_parameter_string(Some("[FILE…]"));
    app.connect_handle_local_options(|_, options| {
        if options.contains("version") {
            println!("gdkrecord-viewer {}", crate::about::VERSION);
            return std::ops::ControlFlow::Break(glib::ExitCode::SUCCESS);
        }
        std::ops::ControlFlow::Continue(())
    });
    app.connect_startup(|app| {
        set_accels(app);
        gtk::Window::set_default_icon_name(icon_name());
        glib::set_application_name("gdkrecord viewer");
        add_app_actions(app);
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
