//! `GdkrecordViewerWindow`: the main window (layout in `window.ui`). It owns the open
//! recording and the playhead; opening indexes the file on a named thread that sends
//! progress and the finished index back as messages, so a big file never freezes the UI.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use gdkrecord_format::{Nanos, SurfaceId};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, gio, glib, CompositeTemplate};

use crate::canvas::GrvCanvas;
use crate::index::{FrameMark, IndexError, RecordingIndex};
use crate::scene::{SceneSource, ViewMode};
use crate::side_panel::GrvSidePanel;
use crate::timeline::GrvTimeline;

/// How often the indexing thread reports progress to the window.
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(150);

/// Playback speeds, in the order of the speed menu.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

const CSS: &str = "
.grv-banner { padding: 8px 12px; }
.grv-banner.warning { background-color: #f5c211; color: #2e2e2e; }
.grv-banner.error { background-color: #c01c28; color: #ffffff; }
grv-side-panel .heading { font-weight: bold; }
";

/// Messages from the thread indexing a file.
#[derive(Debug)]
enum OpenMessage {
    Progress(u64, u64),
    Done(Box<Result<RecordingIndex, IndexError>>),
}

/// How serious a banner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BannerKind {
    /// Something was skipped; the rest is shown.
    Warning,
    /// Nothing could be shown.
    Error,
}

mod imp {
    use super::*;

    #[derive(Debug, Default, CompositeTemplate)]
    #[template(file = "window.ui")]
    pub struct GdkrecordViewerWindow {
        #[template_child]
        pub play_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub speed_dropdown: TemplateChild<gtk::DropDown>,
        #[template_child]
        pub mode_dropdown: TemplateChild<gtk::DropDown>,
        #[template_child]
        pub pixels_toggle: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub damage_toggle: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub surface_dropdown: TemplateChild<gtk::DropDown>,
        #[template_child]
        pub banner: TemplateChild<gtk::Revealer>,
        #[template_child]
        pub banner_box: TemplateChild<gtk::Box>,
        #[template_child]
        pub banner_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub banner_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub banner_close: TemplateChild<gtk::Button>,
        #[template_child]
        pub progress: TemplateChild<gtk::ProgressBar>,
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub empty_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub canvas: TemplateChild<GrvCanvas>,
        #[template_child]
        pub timeline: TemplateChild<GrvTimeline>,
        #[template_child]
        pub side_panel: TemplateChild<GrvSidePanel>,

        pub source: RefCell<Option<SceneSource>>,
        pub surfaces: RefCell<Vec<SurfaceId>>,
        pub surface: Cell<Option<SurfaceId>>,
        /// The shown surface's frames, in time order.
        pub frames: RefCell<Arc<[FrameMark]>>,
        pub playhead: Cell<Nanos>,
        pub mode: Cell<ViewMode>,
        pub tick: RefCell<Option<gtk::TickCallbackId>>,
        pub last_tick_us: Cell<Option<i64>>,
        /// Counts open requests, so a slow index of a file no longer wanted is ignored.
        pub generation: Cell<u64>,
        pub cancel_open: RefCell<Option<Arc<AtomicBool>>>,
        pub loading: Cell<bool>,
        /// Set while the surface menu is refilled, so its changes are not user choices.
        pub filling_surfaces: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for GdkrecordViewerWindow {
        const NAME: &'static str = "GdkrecordViewerWindow";
        type Type = super::GdkrecordViewerWindow;
        type ParentType = gtk::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            GrvCanvas::ensure_type();
            GrvTimeline::ensure_type();
            GrvSidePanel::ensure_type();
            klass.bind_template();
            klass.install_action("win.open", None, |window, _, _| window.choose_file());
            klass.install_action("win.play", None, |window, _, _| {
                window.set_playing(!window.is_playing())
            });
            klass.install_action("win.step-back", None, |window, _, _| window.step(-1));
            klass.install_action("win.step-forward", None, |window, _, _| window.step(1));
            klass.install_action("win.home", None, |window, _, _| window.go_home());
            klass.install_action("win.end", None, |window, _, _| window.go_end());
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for GdkrecordViewerWindow {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().setup();
        }

        fn dispose(&self) {
            if let Some(cancel) = self.cancel_open.take() {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    }

    impl WidgetImpl for GdkrecordViewerWindow {}
    impl WindowImpl for GdkrecordViewerWindow {}
    impl ApplicationWindowImpl for GdkrecordViewerWindow {}
}

glib::wrapper! {
    /// The viewer's main window.
    pub struct GdkrecordViewerWindow(ObjectSubclass<imp::GdkrecordViewerWindow>)
        @extends gtk::ApplicationWindow, gtk::Window, gtk::Widget,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

impl GdkrecordViewerWindow {
    /// A window of `app`, showing nothing yet.
    pub fn new(app: &gtk::Application) -> Self {
        glib::Object::builder().property("application", app).build()
    }

    fn setup(&self) {
        let imp = self.imp();
        install_css(self);
        let modes = gtk::StringList::new(&ViewMode::ALL.map(ViewMode::label));
        imp.mode_dropdown.set_model(Some(&modes));
        imp.mode_dropdown.connect_selected_notify(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |dropdown| {
                let mode = ViewMode::ALL
                    .get(dropdown.selected() as usize)
                    .copied()
                    .unwrap_or_default();
                window.imp().mode.set(mode);
                window.update();
            }
        ));
        for toggle in [&imp.pixels_toggle, &imp.damage_toggle] {
            toggle.connect_toggled(glib::clone!(
                #[weak(rename_to = window)]
                self,
                move |_| window.update_layers()
            ));
        }
        // Long sessions have thousands of popups: let the menu be searched by typing.
        imp.surface_dropdown
            .set_expression(Some(&gtk::PropertyExpression::new(
                gtk::StringObject::static_type(),
                None::<&gtk::Expression>,
                "string",
            )));
        imp.surface_dropdown.set_enable_search(true);
        imp.surface_dropdown.connect_selected_notify(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |dropdown| {
                if window.imp().filling_surfaces.get() {
                    return;
                }
                let surface = window
                    .imp()
                    .surfaces
                    .borrow()
                    .get(dropdown.selected() as usize)
                    .copied();
                if surface.is_some() && surface != window.imp().surface.get() {
                    window.show_surface(surface);
                }
            }
        ));
        imp.timeline.connect_seek(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_, t| window.seek(t)
        ));
        imp.side_panel.connect_rect_selected(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_, rect| window.imp().canvas.set_highlight(rect)
        ));
        imp.side_panel.connect_record_activated(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_, t| window.seek(t)
        ));
        imp.banner_close.connect_clicked(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_| window.imp().banner.set_reveal_child(false)
        ));
        let drop = gtk::DropTarget::new(gdk::FileList::static_type(), gdk::DragAction::COPY);
        drop.connect_drop(glib::clone!(
            #[weak(rename_to = window)]
            self,
            #[upgrade_or]
            false,
            move |_, value, _, _| {
                let Some(path) = value
                    .get::<gdk::FileList>()
                    .ok()
                    .and_then(|files| files.files().first().and_then(|f| f.path()))
                else {
                    window.show_banner(BannerKind::Error, "Only local files can be opened");
                    return false;
                };
                window.open_path(&path);
                true
            }
        ));
        self.add_controller(drop);
        self.update_actions();
    }

    /// Opens `path`: indexes it on a thread, then shows its first frame.
    pub fn open_path(&self, path: &Path) {
        let imp = self.imp();
        self.set_playing(false);
        if let Some(cancel) = imp.cancel_open.take() {
            cancel.store(true, Ordering::Relaxed);
        }
        let generation = imp.generation.get() + 1;
        imp.generation.set(generation);
        let cancel = Arc::new(AtomicBool::new(false));
        imp.cancel_open.replace(Some(cancel.clone()));
        imp.loading.set(true);
        imp.progress.set_fraction(0.0);
        imp.progress
            .set_text(Some(&format!("Indexing {}…", display_name(path))));
        imp.progress.set_visible(true);
        let (sender, mut receiver) = futures_channel::mpsc::unbounded::<OpenMessage>();
        let thread_path = path.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("gdkrecord-open".into())
            .spawn(move || {
                let mut last_sent: Option<std::time::Instant> = None;
                let result = RecordingIndex::build(&thread_path, &mut |done, total| {
                    // A few updates a second: each one redraws the window, which takes CPU
                    // from the indexing threads (a lot of it with a software GL renderer).
                    if last_sent.is_none_or(|sent| sent.elapsed() >= PROGRESS_INTERVAL) {
                        last_sent = Some(std::time::Instant::now());
                        if sender
                            .unbounded_send(OpenMessage::Progress(done, total))
                            .is_err()
                        {
                            // A closed channel means the window is gone: stop reading.
                            return false;
                        }
                    }
                    !cancel.load(Ordering::Relaxed)
                });
                let _ = sender.unbounded_send(OpenMessage::Done(Box::new(result)));
            });
        if let Err(e) = spawned {
            imp.loading.set(false);
            imp.progress.set_visible(false);
            self.show_banner(
                BannerKind::Error,
                &format!("cannot open {}: {e}", path.display()),
            );
            return;
        }
        let path = path.to_path_buf();
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = window)]
            self,
            async move {
                while let Some(message) = receiver.next().await {
                    if window.imp().generation.get() != generation {
                        return;
                    }
                    match message {
                        OpenMessage::Progress(done, total) => {
                            window
                                .imp()
                                .progress
                                .set_fraction(done as f64 / total.max(1) as f64);
                        }
                        OpenMessage::Done(result) => {
                            window.imp().loading.set(false);
                            window.imp().progress.set_visible(false);
                            window.loaded(&path, *result);
                        }
                    }
                }
            }
        ));
    }

    fn loaded(&self, path: &Path, result: Result<RecordingIndex, IndexError>) {
        let imp = self.imp();
        let index = match result {
            Ok(index) => Arc::new(index),
            Err(e) if matches!(&e.error, gdkrecord_format::OpenError::Io(io) if io.kind() == std::io::ErrorKind::Interrupted) => {
                return
            }
            Err(e) => {
                self.show_banner(BannerKind::Error, &e.to_string());
                if imp.source.borrow().is_none() {
                    imp.empty_label.set_label(&format!(
                        "{} is not a recording this viewer can read",
                        display_name(path)
                    ));
                }
                return;
            }
        };
        self.set_title(Some(&format!("{} — gdkrecord viewer", display_name(path))));
        match index.issues_summary() {
            Some(summary) => self.show_banner(
                BannerKind::Warning,
                &format!("{}: {summary}", path.display()),
            ),
            None if index.records == 0 => self.show_banner(
                BannerKind::Warning,
                &format!("{} holds no records", path.display()),
            ),
            None if index.frames.is_empty() => self.show_banner(
                BannerKind::Warning,
                &format!("{} has no frames to replay", path.display()),
            ),
            None => imp.banner.set_reveal_child(false),
        }
        imp.side_panel.set_recording(&index);
        imp.pixels_toggle.set_sensitive(index.has_pixels);
        self.update_layers();
        imp.source.replace(Some(SceneSource::new(index.clone())));
        let surfaces: Vec<SurfaceId> = index.surfaces.iter().map(|s| s.id).collect();
        let labels: Vec<String> = index.surfaces.iter().map(|s| s.label()).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        imp.surfaces.replace(surfaces.clone());
        imp.surface.set(None);
        let default = index.default_surface();
        imp.filling_surfaces.set(true);
        imp.surface_dropdown
            .set_model(Some(&gtk::StringList::new(&labels)));
        if let Some(position) = default.and_then(|d| surfaces.iter().position(|s| *s == d)) {
            imp.surface_dropdown.set_selected(position as u32);
        }
        imp.filling_surfaces.set(false);
        imp.stack.set_visible_child_name("canvas");
        self.show_surface(default);
        self.go_home();
    }

    fn show_surface(&self, surface: Option<SurfaceId>) {
        let imp = self.imp();
        let Some(index) = self.index() else { return };
        imp.surface.set(surface);
        let frames: Arc<[FrameMark]> = match (surface, imp.source.borrow_mut().as_mut()) {
            (Some(surface), Some(source)) => source.frames_of(surface),
            _ => Arc::new([]),
        };
        imp.frames.replace(frames.clone());
        imp.timeline.set_recording(index, surface, frames);
        self.update();
    }

    /// The open recording's index.
    pub fn index(&self) -> Option<Arc<RecordingIndex>> {
        self.imp()
            .source
            .borrow()
            .as_ref()
            .map(|s| s.index().clone())
    }

    /// Whether a file is being indexed.
    pub fn is_loading(&self) -> bool {
        self.imp().loading.get()
    }

    /// The playhead, ns since the recording started.
    pub fn playhead_ns(&self) -> Nanos {
        self.imp().playhead.get()
    }

    /// The surface shown.
    pub fn surface(&self) -> Option<SurfaceId> {
        self.imp().surface.get()
    }

    /// The canvas.
    pub fn canvas(&self) -> GrvCanvas {
        self.imp().canvas.get()
    }

    /// The timeline.
    pub fn timeline(&self) -> GrvTimeline {
        self.imp().timeline.get()
    }

    /// The side panel.
    pub fn side_panel(&self) -> GrvSidePanel {
        self.imp().side_panel.get()
    }

    /// The banner's text while it is shown.
    pub fn banner_text(&self) -> Option<String> {
        let imp = self.imp();
        imp.banner
            .reveals_child()
            .then(|| imp.banner_label.label().to_string())
    }

    /// Shows `mode` (and selects it in the mode menu).
    pub fn set_mode(&self, mode: ViewMode) {
        let position = ViewMode::ALL.iter().position(|m| *m == mode).unwrap_or(0);
        self.imp().mode_dropdown.set_selected(position as u32);
    }

    /// Selects a playback speed from [`SPEEDS`].
    pub fn set_speed_index(&self, position: u32) {
        self.imp()
            .speed_dropdown
            .set_selected(position.min(SPEEDS.len() as u32 - 1));
    }

    /// Shows a banner above the canvas.
    pub fn show_banner(&self, kind: BannerKind, text: &str) {
        let imp = self.imp();
        imp.banner_label.set_label(text);
        imp.banner_box.remove_css_class("warning");
        imp.banner_box.remove_css_class("error");
        let (class, icon) = match kind {
            BannerKind::Warning => ("warning", "dialog-warning-symbolic"),
            BannerKind::Error => ("error", "dialog-error-symbolic"),
        };
        imp.banner_box.add_css_class(class);
        imp.banner_icon.set_icon_name(Some(icon));
        imp.banner.set_reveal_child(true);
    }

    /// Moves the playhead to `t_ns` and redraws.
    pub fn seek(&self, t_ns: Nanos) {
        let end = self.index().map_or(0, |i| i.duration_ns);
        self.imp().playhead.set(t_ns.min(end));
        self.update();
    }

    /// Steps `delta` frames of the shown surface (negative: back).
    pub fn step(&self, delta: i64) {
        self.set_playing(false);
        let target = {
            let frames = self.imp().frames.borrow();
            let after = frames.partition_point(|f| f.t_ns <= self.playhead_ns());
            // `after - 1` is the frame shown; a step moves from it.
            let shown = after as i64 - 1;
            let wanted = (shown + delta).clamp(0, frames.len() as i64 - 1);
            frames.get(wanted.max(0) as usize).map(|f| f.t_ns)
        };
        if let Some(t) = target {
            self.seek(t);
        }
    }

    /// Seeks to the shown surface's first frame with a size: a window realized at 1×1
    /// gets its size during its first frames' layout.
    fn go_home(&self) {
        self.set_playing(false);
        let frames = self.imp().frames.borrow().clone();
        let sized = |f: &&FrameMark| {
            let end = f.t_ns.saturating_add(u64::from(f.duration_ns));
            match (self.index(), self.surface()) {
                (Some(index), Some(surface)) => index
                    .size_at(surface, end)
                    .is_some_and(|(w, h)| w > 1 || h > 1),
                _ => true,
            }
        };
        let first = frames
            .iter()
            .find(sized)
            .or(frames.first())
            .map_or(0, |f| f.t_ns);
        self.seek(first);
    }

    /// Sets the Pixels and Damage toggles (what a click on them does).
    pub fn set_layers(&self, pixels: bool, damage: bool) {
        self.imp().pixels_toggle.set_active(pixels);
        self.imp().damage_toggle.set_active(damage);
    }

    /// Shows or hides the app's pixels and the damage, as the toggles say.
    fn update_layers(&self) {
        let imp = self.imp();
        imp.canvas.set_layers(
            imp.pixels_toggle.is_active() && imp.pixels_toggle.is_sensitive(),
            imp.damage_toggle.is_active(),
        );
    }

    fn go_end(&self) {
        self.set_playing(false);
        self.seek(self.index().map_or(0, |i| i.duration_ns));
    }

    fn is_playing(&self) -> bool {
        self.imp().tick.borrow().is_some()
    }

    /// Starts or stops playing at the recorded speed times the selected speed.
    pub fn set_playing(&self, play: bool) {
        let imp = self.imp();
        if play == self.is_playing() {
            return;
        }
        if play {
            let Some(index) = self.index() else { return };
            if self.playhead_ns() >= index.duration_ns {
                self.go_home();
            }
            imp.last_tick_us.set(None);
            let id = self.add_tick_callback(|window, clock| {
                window.tick(clock.frame_time());
                glib::ControlFlow::Continue
            });
            imp.tick.replace(Some(id));
            imp.play_button
                .set_icon_name("media-playback-pause-symbolic");
        } else {
            if let Some(id) = imp.tick.take() {
                id.remove();
            }
            imp.play_button
                .set_icon_name("media-playback-start-symbolic");
        }
    }

    fn tick(&self, frame_time_us: i64) {
        let imp = self.imp();
        let Some(last) = imp.last_tick_us.replace(Some(frame_time_us)) else {
            return;
        };
        let speed = SPEEDS
            .get(imp.speed_dropdown.selected() as usize)
            .copied()
            .unwrap_or(1.0);
        let advance = ((frame_time_us - last).max(0) as f64 * 1000.0 * speed) as u64;
        let end = self.index().map_or(0, |i| i.duration_ns);
        let t = (self.playhead_ns() + advance).min(end);
        self.seek(t);
        if t >= end {
            self.set_playing(false);
        }
    }

    fn update_actions(&self) {
        let loaded = self.imp().source.borrow().is_some();
        for action in [
            "win.play",
            "win.step-back",
            "win.step-forward",
            "win.home",
            "win.end",
        ] {
            self.action_set_enabled(action, loaded);
        }
    }

    /// Recomputes what the canvas and the side panel show at the playhead.
    fn update(&self) {
        let imp = self.imp();
        self.update_actions();
        let t = imp.playhead.get();
        imp.timeline.set_playhead(t);
        let Some(surface) = imp.surface.get() else {
            return;
        };
        let moment = {
            let mut source = imp.source.borrow_mut();
            let Some(source) = source.as_mut() else {
                return;
            };
            source.moment(surface, t, imp.mode.get())
        };
        match moment {
            Ok(moment) => {
                imp.side_panel.set_moment(&moment);
                imp.canvas.set_scene(moment.scene);
            }
            Err(e) => {
                let path = self
                    .index()
                    .map(|i| i.path.display().to_string())
                    .unwrap_or_default();
                self.show_banner(BannerKind::Error, &format!("cannot read {path}: {e}"));
            }
        }
    }

    #[allow(deprecated)] // GtkFileDialog needs GTK 4.10; this targets 4.8.
    fn choose_file(&self) {
        // A dialog of our own, not GtkFileChooserNative: that one must be kept alive by
        // the caller and may go through a portal that is not there (CI, Xvfb).
        let chooser = gtk::FileChooserDialog::new(
            Some("Open a recording"),
            Some(self),
            gtk::FileChooserAction::Open,
            &[
                ("_Cancel", gtk::ResponseType::Cancel),
                ("_Open", gtk::ResponseType::Accept),
            ],
        );
        chooser.set_modal(true);
        chooser.set_default_response(gtk::ResponseType::Accept);
        let recordings = gtk::FileFilter::new();
        recordings.set_name(Some("gdkrecord recordings"));
        recordings.add_pattern("*.gdkrecord");
        chooser.add_filter(&recordings);
        let all = gtk::FileFilter::new();
        all.set_name(Some("All files"));
        all.add_pattern("*");
        chooser.add_filter(&all);
        chooser.connect_response(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |chooser, response| {
                if response == gtk::ResponseType::Accept {
                    if let Some(path) = chooser.file().and_then(|f| f.path()) {
                        window.open_path(&path);
                    }
                }
                chooser.destroy();
            }
        ));
        chooser.present();
    }
}

/// The file name of `path`, for titles and messages.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Adds the viewer's style sheet to the display, once (GTK runs on one thread, with one
/// display in practice).
#[allow(deprecated)] // load_from_string needs GTK 4.12; this targets 4.8.
fn install_css(window: &GdkrecordViewerWindow) {
    thread_local!(static INSTALLED: Cell<bool> = const { Cell::new(false) });
    if INSTALLED.with(|installed| installed.replace(true)) {
        return;
    }
    let provider = gtk::CssProvider::new();
    provider.load_from_data(CSS);
    gtk::style_context_add_provider_for_display(
        &WidgetExt::display(window),
        &provider,
        gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
    );
}
