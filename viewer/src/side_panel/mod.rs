//! `GrvSidePanel`: what the recording is, the current frame's phase timings, its damage
//! rectangles (selecting one emits `rect-selected` so the canvas outlines it), and the
//! records around the playhead. Layout in `side_panel.ui`.

use std::cell::RefCell;
use std::sync::OnceLock;

use gdkrecord_format::{CaptureState, DamageCapture, Header, Rect, PHASE_NAMES};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{glib, CompositeTemplate};

use crate::describe::describe;
use crate::index::RecordingIndex;
use crate::scene::Moment;
use crate::timeline::FRAME_BUDGET_NS;

mod imp {
    use super::*;

    #[derive(Debug, Default, CompositeTemplate)]
    #[template(file = "side_panel.ui")]
    pub struct GrvSidePanel {
        #[template_child]
        pub recording_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub frame_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub phases_grid: TemplateChild<gtk::Grid>,
        #[template_child]
        pub damage_heading: TemplateChild<gtk::Label>,
        #[template_child]
        pub damage_list: TemplateChild<gtk::ListBox>,
        #[template_child]
        pub records_list: TemplateChild<gtk::ListBox>,
        /// One (duration label, level bar) per phase.
        pub phase_rows: RefCell<Vec<(gtk::Label, gtk::LevelBar)>>,
        /// The damage rectangles listed, in row order.
        pub rects: RefCell<Vec<Rect>>,
        /// The times of the records listed, in row order.
        pub record_times: RefCell<Vec<u64>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for GrvSidePanel {
        const NAME: &'static str = "GrvSidePanel";
        type Type = super::GrvSidePanel;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.set_layout_manager_type::<gtk::BinLayout>();
            klass.set_css_name("grv-side-panel");
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for GrvSidePanel {
        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: OnceLock<Vec<glib::subclass::Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                // The selected rectangle as [x, y, w, h], or an empty array for none.
                vec![
                    glib::subclass::Signal::builder("rect-selected")
                        .param_types([glib::Variant::static_type()])
                        .build(),
                    // A record of the list was activated (clicked): its time, to seek to.
                    glib::subclass::Signal::builder("record-activated")
                        .param_types([u64::static_type()])
                        .build(),
                ]
            })
        }

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build_phase_rows();
            let panel = self.obj().downgrade();
            self.damage_list.connect_row_selected(move |_, row| {
                let Some(panel) = panel.upgrade() else { return };
                let rect = row.and_then(|row| {
                    panel
                        .imp()
                        .rects
                        .borrow()
                        .get(row.index() as usize)
                        .copied()
                });
                let value = rect.map_or_else(
                    || Vec::<i32>::new().to_variant(),
                    |r| r.to_vec().to_variant(),
                );
                panel.emit_by_name::<()>("rect-selected", &[&value]);
            });
            let panel = self.obj().downgrade();
            self.records_list.connect_row_activated(move |_, row| {
                let Some(panel) = panel.upgrade() else { return };
                let t = panel
                    .imp()
                    .record_times
                    .borrow()
                    .get(row.index() as usize)
                    .copied();
                if let Some(t) = t {
                    panel.emit_by_name::<()>("record-activated", &[&t]);
                }
            });
        }

        fn dispose(&self) {
            // The template's top box is not a template child field: unparent it too.
            while let Some(child) = self.obj().first_child() {
                child.unparent();
            }
        }
    }

    impl WidgetImpl for GrvSidePanel {}
}

glib::wrapper! {
    /// The panel beside the canvas.
    pub struct GrvSidePanel(ObjectSubclass<imp::GrvSidePanel>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for GrvSidePanel {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl GrvSidePanel {
    fn build_phase_rows(&self) {
        let grid = &self.imp().phases_grid;
        let mut rows = Vec::new();
        for (i, name) in PHASE_NAMES.iter().enumerate() {
            let label = gtk::Label::builder()
                .label(name.replace('_', "-"))
                .xalign(0.0)
                .build();
            let value = gtk::Label::builder()
                .label("–")
                .xalign(1.0)
                .width_chars(9)
                .build();
            value.add_css_class("numeric");
            let bar = gtk::LevelBar::builder()
                .min_value(0.0)
                .max_value(1.0)
                .hexpand(true)
                .valign(gtk::Align::Center)
                .build();
            // No offsets: the bar's colour is set by the value's share of the budget below.
            bar.remove_offset_value(Some(gtk::LEVEL_BAR_OFFSET_LOW));
            bar.remove_offset_value(Some(gtk::LEVEL_BAR_OFFSET_HIGH));
            bar.remove_offset_value(Some(gtk::LEVEL_BAR_OFFSET_FULL));
            grid.attach(&label, 0, i as i32, 1, 1);
            grid.attach(&value, 1, i as i32, 1, 1);
            grid.attach(&bar, 2, i as i32, 1, 1);
            rows.push((value, bar));
        }
        self.imp().phase_rows.replace(rows);
    }

    /// Describes the recording at the top of the panel.
    pub fn set_recording(&self, index: &RecordingIndex) {
        let mut text = match &index.header {
            Some(h) => format!(
                "{} (pid {}), GTK {}.{}.{} on {} {}",
                h.program,
                h.pid,
                h.gtk_version[0],
                h.gtk_version[1],
                h.gtk_version[2],
                h.display_backend,
                h.display_name
            ),
            None => "No header record".to_owned(),
        };
        text += &format!(
            "\n{:.1} s, {} records, {} frames, {} surfaces",
            index.duration_ns as f64 / 1e9,
            index.records,
            index.frames.len(),
            index.surfaces.len()
        );
        if let Some(header) = &index.header {
            text += &damage_capture_text(header, &index.damage_captures);
        }
        self.imp().recording_label.set_label(&text);
    }

    /// Shows the frame and records of `moment`.
    pub fn set_moment(&self, moment: &Moment) {
        let imp = self.imp();
        match &moment.frame {
            Some(frame) => {
                imp.frame_label.set_label(&format!(
                    "#{} at {:.6} s, {:.2} ms",
                    frame.counter,
                    frame.start_ns as f64 / 1e9,
                    frame.end_ns.saturating_sub(frame.start_ns) as f64 / 1e6
                ));
                for ((value, bar), (_, phase)) in imp.phase_rows.borrow().iter().zip(&frame.phases)
                {
                    match phase {
                        Some(phase) => {
                            let ns = phase.duration_ns();
                            value.set_label(&format!("{:.3} ms", ns as f64 / 1e6));
                            bar.set_value((ns as f64 / FRAME_BUDGET_NS as f64).min(1.0));
                        }
                        None => {
                            value.set_label("–");
                            bar.set_value(0.0);
                        }
                    }
                }
            }
            None => {
                imp.frame_label.set_label("No frame at the playhead");
                for (value, bar) in imp.phase_rows.borrow().iter() {
                    value.set_label("–");
                    bar.set_value(0.0);
                }
            }
        }
        let rects = moment
            .frame
            .as_ref()
            .map(|f| f.damage.clone())
            .unwrap_or_default();
        if *imp.rects.borrow() != rects {
            clear_list(&imp.damage_list);
            let area: i64 = rects
                .iter()
                .map(|r| i64::from(r[2].max(0)) * i64::from(r[3].max(0)))
                .sum();
            imp.damage_heading
                .set_label(&format!("Damage: {} rectangles, {area} px²", rects.len()));
            for [x, y, w, h] in &rects {
                let label = gtk::Label::builder()
                    .label(format!("{x}, {y}   {w} × {h}"))
                    .xalign(0.0)
                    .margin_start(8)
                    .margin_top(3)
                    .margin_bottom(3)
                    .build();
                label.add_css_class("monospace");
                imp.damage_list.append(&label);
            }
            imp.rects.replace(rects);
        }
        clear_list(&imp.records_list);
        imp.record_times
            .replace(moment.nearby.iter().map(|l| l.record.t_ns()).collect());
        for (i, located) in moment.nearby.iter().enumerate() {
            let label = gtk::Label::builder()
                .label(describe(&located.record))
                .xalign(0.0)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .margin_start(6)
                .build();
            label.add_css_class("monospace");
            label.set_tooltip_text(Some(&format!("offset {}", located.offset)));
            imp.records_list.append(&label);
            if Some(i) == moment.current {
                imp.records_list
                    .select_row(imp.records_list.row_at_index(i as i32).as_ref());
            }
        }
    }

    /// The damage rectangles listed.
    pub fn rects(&self) -> Vec<Rect> {
        self.imp().rects.borrow().clone()
    }

    /// Activates row `n` of the records list, as a click on it does.
    pub fn activate_record(&self, n: i32) {
        if let Some(row) = self.imp().records_list.row_at_index(n) {
            row.activate();
        }
    }

    /// Connects to `record-activated`, emitted with the time of the record clicked.
    pub fn connect_record_activated<F: Fn(&Self, u64) + 'static>(
        &self,
        f: F,
    ) -> glib::SignalHandlerId {
        self.connect_local("record-activated", false, move |values| {
            let panel = values[0].get::<Self>().expect("record-activated emitter");
            let t = values[1].get::<u64>().expect("record time");
            f(&panel, t);
            None
        })
    }

    /// Connects to `rect-selected`.
    pub fn connect_rect_selected<F: Fn(&Self, Option<Rect>) + 'static>(
        &self,
        f: F,
    ) -> glib::SignalHandlerId {
        self.connect_local("rect-selected", false, move |values| {
            let panel = values[0].get::<Self>().expect("rect-selected emitter");
            let rect = values[1]
                .get::<glib::Variant>()
                .ok()
                .and_then(|v| v.get::<Vec<i32>>())
                .and_then(|v| <[i32; 4]>::try_from(v).ok());
            f(&panel, rect);
            None
        })
    }
}

/// Removes every row of `list` (`gtk_list_box_remove_all` needs GTK 4.12).
fn clear_list(list: &gtk::ListBox) {
    while let Some(row) = list.row_at_index(0) {
        list.remove(&row);
    }
}

/// Where the recording's damage came from (the GTK layout and the classes whose vfuncs
/// the recorder wrapped, with their proofs), or why there is none: a line each.
fn damage_capture_text(header: &Header, captures: &[DamageCapture]) -> String {
    let refused = captures.iter().find(|c| c.state == CaptureState::REFUSED);
    let mut text = match (header.damage_capture, refused) {
        (false, _) => format!("\nDamage was not recorded: {}", header.damage_note),
        (true, Some(c)) => format!(
            "\nDamage recorded until {:.3} s, then refused: {}.{}: {}",
            c.t_ns as f64 / 1e9,
            c.class_name,
            c.vfunc,
            c.note
        ),
        (true, None) if header.damage_layout.is_empty() => "\nDamage recorded".to_owned(),
        (true, None) => format!("\nDamage recorded with GTK layout {}", header.damage_layout),
    };
    // Each class once, in its latest state.
    let mut classes: Vec<(&str, String, String)> = Vec::new();
    for c in captures {
        let vfunc = c.vfunc.to_string();
        match classes
            .iter_mut()
            .find(|(name, v, _)| *name == c.class_name && *v == vfunc)
        {
            Some(known) => known.2 = c.state.to_string(),
            None => classes.push((&c.class_name, vfunc, c.state.to_string())),
        }
    }
    for (class, vfunc, state) in classes {
        text += &format!("\n  {class}.{vfunc}: {state}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::DamageVfunc;

    fn header(damage_capture: bool, note: &str, layout: &str) -> Header {
        Header {
            format_version: 1,
            argv: Vec::new(),
            gtk_version: [4, 18, 6],
            start_unix_ns: 0,
            start_monotonic_ns: 0,
            display_name: ":1".into(),
            damage_capture,
            damage_note: note.into(),
            damage_layout: layout.into(),
            ..Header::synthetic("app", 1)
        }
    }

    fn capture(t_ns: u64, class: &str, vfunc: DamageVfunc, state: CaptureState) -> DamageCapture {
        DamageCapture {
            t_ns,
            class_name: class.into(),
            vfunc,
            damage_layout: "gtk-4.14".into(),
            state,
            note: "why".into(),
        }
    }

    #[test]
    fn damage_capture_names_the_layout_and_each_class_in_its_latest_state() {
        let captures = [
            capture(
                1,
                "GskGLRenderer",
                DamageVfunc::RENDER,
                CaptureState::PATCHED,
            ),
            capture(
                2,
                "GdkX11GLContextEGL",
                DamageVfunc::END_FRAME,
                CaptureState::PATCHED,
            ),
            capture(
                3,
                "GskGLRenderer",
                DamageVfunc::RENDER,
                CaptureState::PROVEN,
            ),
        ];
        let text = damage_capture_text(&header(true, "", "gtk-4.14"), &captures);
        assert_eq!(
            text,
            "\nDamage recorded with GTK layout gtk-4.14\n  GskGLRenderer.render: proven\n  GdkX11GLContextEGL.end-frame: patched"
        );
    }

    #[test]
    fn damage_capture_says_why_it_is_off_or_when_it_was_refused() {
        let off = damage_capture_text(&header(false, "GTK 4.30.0 is newer", ""), &[]);
        assert_eq!(off, "\nDamage was not recorded: GTK 4.30.0 is newer");
        let refused = [capture(
            2_500_000_000,
            "GskGLRenderer",
            DamageVfunc::RENDER,
            CaptureState::REFUSED,
        )];
        let text = damage_capture_text(&header(true, "", "gtk-4.14"), &refused);
        assert!(
            text.starts_with(
                "\nDamage recorded until 2.500 s, then refused: GskGLRenderer.render: why"
            ),
            "{text}"
        );
    }
}
