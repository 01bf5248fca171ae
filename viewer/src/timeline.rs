//! `GrvTimeline`: the recording over time under the canvas. Frames are ticks whose
//! height and colour say how long they took (over the frame budget stands out in red),
//! input events and main-loop stalls are markers, resizes are marked, and a playhead
//! shows where the canvas is. Click or drag to seek (the `seek` signal); scroll to zoom
//! around the pointer, Shift+scroll to pan. A pure drawing widget without a template.
//!
//! With millions of frames, drawing one tick per frame would be slow and unreadable:
//! frames and inputs are binned per pixel column (the slowest frame of a column wins),
//! and the bins are kept until the view, the size or the surface change.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, OnceLock};

use gdkrecord_format::{EventType, Nanos, SurfaceId};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{cairo, glib, graphene};

use crate::index::{FrameMark, RecordingIndex};

/// The frame budget at 60 Hz; frames longer than this missed their vblank.
pub const FRAME_BUDGET_NS: u64 = 16_666_667;

const AXIS_H: f64 = 18.0;
const FRAMES_H: f64 = 52.0;
const INPUT_H: f64 = 16.0;
const STALL_H: f64 = 12.0;
const LABEL_W: f64 = 58.0;

/// What one pixel column of the timeline holds.
#[derive(Clone, Copy, Debug, Default)]
struct Column {
    /// Longest frame in the column, ns (0: no frame).
    longest_frame: u64,
    motion: bool,
    click: bool,
    key: bool,
    scroll: bool,
    other_input: bool,
    stall: bool,
    resize: bool,
}

/// Columns binned for a (view, plot width); `None` until computed.
type BinCache = (Option<((Nanos, Nanos), i32)>, Vec<Column>);

mod imp {
    use super::*;

    #[derive(Debug, Default)]
    pub struct GrvTimeline {
        pub index: RefCell<Option<Arc<RecordingIndex>>>,
        pub surface: Cell<Option<SurfaceId>>,
        /// The surface's frames in time order.
        pub frames: RefCell<Arc<[FrameMark]>>,
        pub playhead: Cell<Nanos>,
        /// Visible span.
        pub view: Cell<(Nanos, Nanos)>,
        /// Bins for (view, width, surface); recomputed when any changes.
        pub(super) columns: RefCell<BinCache>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for GrvTimeline {
        const NAME: &'static str = "GrvTimeline";
        type Type = super::GrvTimeline;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("grv-timeline");
        }
    }

    impl ObjectImpl for GrvTimeline {
        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: OnceLock<Vec<glib::subclass::Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![glib::subclass::Signal::builder("seek")
                    .param_types([u64::static_type()])
                    .build()]
            })
        }

        fn constructed(&self) {
            self.parent_constructed();
            let timeline = self.obj();
            timeline.set_hexpand(true);
            timeline.set_focusable(false);
            let drag = gtk::GestureDrag::new();
            drag.connect_drag_begin(glib::clone!(
                #[weak]
                timeline,
                move |_, x, _| timeline.seek_to_x(x)
            ));
            drag.connect_drag_update(glib::clone!(
                #[weak]
                timeline,
                move |gesture, dx, _| {
                    if let Some((x, _)) = gesture.start_point() {
                        timeline.seek_to_x(x + dx);
                    }
                }
            ));
            timeline.add_controller(drag);
            let scroll = gtk::EventControllerScroll::new(
                gtk::EventControllerScrollFlags::BOTH_AXES
                    | gtk::EventControllerScrollFlags::DISCRETE,
            );
            let motion = gtk::EventControllerMotion::new();
            let pointer_x = std::rc::Rc::new(Cell::new(0.0));
            motion.connect_motion(glib::clone!(
                #[strong]
                pointer_x,
                move |_, x, _| pointer_x.set(x)
            ));
            timeline.add_controller(motion);
            scroll.connect_scroll(glib::clone!(
                #[weak]
                timeline,
                #[upgrade_or]
                glib::Propagation::Proceed,
                move |controller, dx, dy| {
                    let shift = controller
                        .current_event_state()
                        .contains(gtk::gdk::ModifierType::SHIFT_MASK);
                    if shift || dx != 0.0 {
                        timeline.pan(if dx != 0.0 { dx } else { dy });
                    } else {
                        timeline.zoom_at(pointer_x.get(), if dy < 0.0 { 0.8 } else { 1.25 });
                    }
                    glib::Propagation::Stop
                }
            ));
            timeline.add_controller(scroll);
        }
    }

    impl WidgetImpl for GrvTimeline {
        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let height = (AXIS_H + FRAMES_H + 2.0 * INPUT_H + STALL_H + 10.0) as i32;
            match orientation {
                gtk::Orientation::Horizontal => (200, 800, -1, -1),
                _ => (height, height, -1, -1),
            }
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let timeline = self.obj();
            let (width, height) = (timeline.width() as f32, timeline.height() as f32);
            let cr = snapshot.append_cairo(&graphene::Rect::new(0.0, 0.0, width, height));
            // Cairo errors only mean nothing gets drawn; there is nothing better to do here.
            let _ = timeline.draw(&cr, f64::from(width), f64::from(height));
        }
    }
}

glib::wrapper! {
    /// The timeline under the canvas.
    pub struct GrvTimeline(ObjectSubclass<imp::GrvTimeline>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for GrvTimeline {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl GrvTimeline {
    /// Shows `surface` of the recording `index` (`frames`: its frames in time order), the
    /// whole recording in view.
    pub fn set_recording(
        &self,
        index: Arc<RecordingIndex>,
        surface: Option<SurfaceId>,
        frames: Arc<[FrameMark]>,
    ) {
        let imp = self.imp();
        imp.view.set((0, index.duration_ns.max(1)));
        imp.frames.replace(frames);
        imp.surface.set(surface);
        imp.index.replace(Some(index));
        imp.columns.borrow_mut().0 = None;
        self.queue_draw();
    }

    /// Moves the playhead (and the view, when the playhead leaves it).
    pub fn set_playhead(&self, t_ns: Nanos) {
        let imp = self.imp();
        imp.playhead.set(t_ns);
        let (from, to) = imp.view.get();
        if t_ns < from || t_ns > to {
            let span = to - from;
            let from = t_ns.saturating_sub(span / 10);
            self.set_view(from, from + span);
        }
        self.queue_draw();
    }

    /// The visible span, ns.
    pub fn view(&self) -> (Nanos, Nanos) {
        self.imp().view.get()
    }

    /// Shows `from..to`.
    pub fn set_view(&self, from: Nanos, to: Nanos) {
        let end = self
            .imp()
            .index
            .borrow()
            .as_ref()
            .map_or(1, |i| i.duration_ns.max(1));
        let span = to.saturating_sub(from).clamp(1_000_000, end.max(1_000_000));
        let from = from.min(end.saturating_sub(span));
        self.imp().view.set((from, from + span));
        self.queue_draw();
    }

    fn zoom_at(&self, x: f64, factor: f64) {
        let (from, to) = self.view();
        let t = self.x_to_time(x);
        let new_span = ((to - from) as f64 * factor) as u64;
        let ratio = (t - from) as f64 / (to - from).max(1) as f64;
        let new_from = t.saturating_sub((new_span as f64 * ratio) as u64);
        self.set_view(new_from, new_from + new_span);
    }

    fn pan(&self, steps: f64) {
        let (from, to) = self.view();
        let shift = ((to - from) as f64 * 0.1 * steps) as i64;
        let new_from = from.saturating_add_signed(shift);
        self.set_view(new_from, new_from + (to - from));
    }

    /// The time under widget x coordinate `x`.
    pub fn x_to_time(&self, x: f64) -> Nanos {
        let (from, to) = self.view();
        let plot_w = (f64::from(self.width()) - LABEL_W).max(1.0);
        let ratio = ((x - LABEL_W) / plot_w).clamp(0.0, 1.0);
        from + ((to - from) as f64 * ratio) as u64
    }

    /// The widget x coordinate of time `t_ns`.
    pub fn time_to_x(&self, t_ns: Nanos) -> f64 {
        let (from, to) = self.view();
        let plot_w = (f64::from(self.width()) - LABEL_W).max(1.0);
        LABEL_W + (t_ns as f64 - from as f64) / (to - from).max(1) as f64 * plot_w
    }

    fn seek_to_x(&self, x: f64) {
        if self.imp().index.borrow().is_some() {
            self.emit_by_name::<()>("seek", &[&self.x_to_time(x)]);
        }
    }

    /// Connects to `seek`, emitted with the time the user clicked or dragged to.
    pub fn connect_seek<F: Fn(&Self, Nanos) + 'static>(&self, f: F) -> glib::SignalHandlerId {
        self.connect_local("seek", false, move |values| {
            let timeline = values[0].get::<Self>().expect("seek signal emitter");
            let t = values[1].get::<u64>().expect("seek time");
            f(&timeline, t);
            None
        })
    }

    /// Bins the frames and inputs of the view into `width` columns.
    fn bin(&self, width: i32) -> Vec<Column> {
        let imp = self.imp();
        let mut columns = vec![Column::default(); width.max(1) as usize];
        let Some(index) = imp.index.borrow().clone() else {
            return columns;
        };
        let (from, to) = self.view();
        let column_of = |t: Nanos| -> Option<usize> {
            (from..=to).contains(&t).then(|| {
                (((t - from) as f64 / (to - from).max(1) as f64) * f64::from(width - 1).max(0.0))
                    as usize
            })
        };
        let frames = imp.frames.borrow();
        let first = frames.partition_point(|f| f.t_ns < from);
        for frame in frames[first..].iter().take_while(|f| f.t_ns <= to) {
            if let Some(c) = column_of(frame.t_ns) {
                columns[c].longest_frame =
                    columns[c].longest_frame.max(u64::from(frame.duration_ns));
            }
        }
        let surface = imp.surface.get();
        let on_surface = |s: SurfaceId| {
            surface.is_none_or(|shown| {
                s == shown || index.surface(s).and_then(|i| i.parent) == Some(shown)
            })
        };
        let first_input = index.inputs.partition_point(|m| m.t_ns < from);
        for mark in index.inputs[first_input..]
            .iter()
            .take_while(|m| m.t_ns <= to.saturating_add(1_000_000_000))
        {
            let Some(c) = column_of(mark.t_ns) else {
                continue;
            };
            if !on_surface(mark.surface) {
                continue;
            }
            let column = &mut columns[c];
            match mark.event_type {
                EventType::MOTION_NOTIFY => column.motion = true,
                EventType::BUTTON_PRESS
                | EventType::BUTTON_RELEASE
                | EventType::TOUCH_BEGIN
                | EventType::TOUCH_END => column.click = true,
                EventType::KEY_PRESS | EventType::KEY_RELEASE => column.key = true,
                EventType::SCROLL => column.scroll = true,
                _ => column.other_input = true,
            }
        }
        for stall in &index.stalls {
            let end = stall.t_ns + stall.duration_ns;
            if end < from || stall.t_ns > to {
                continue;
            }
            let (a, b) = (
                column_of(stall.t_ns.max(from)).unwrap_or(0),
                column_of(end.min(to)).unwrap_or(0),
            );
            for column in &mut columns[a..=b.max(a)] {
                column.stall = true;
            }
        }
        for size in index
            .sizes
            .iter()
            .filter(|s| surface.is_none_or(|shown| s.surface == shown))
        {
            if let Some(c) = column_of(size.t_ns) {
                columns[c].resize = true;
            }
        }
        columns
    }

    fn draw(&self, cr: &cairo::Context, width: f64, height: f64) -> Result<(), cairo::Error> {
        cr.set_source_rgb(0.12, 0.12, 0.14);
        cr.paint()?;
        cr.select_font_face("Sans", cairo::FontSlant::Normal, cairo::FontWeight::Normal);
        cr.set_font_size(10.0);
        let imp = self.imp();
        if imp.index.borrow().is_none() {
            return Ok(());
        }
        let plot_w = (width - LABEL_W).max(1.0) as i32;
        let key = (self.view(), plot_w);
        {
            let mut cache = imp.columns.borrow_mut();
            if cache.0 != Some(key) {
                *cache = (Some(key), self.bin(plot_w));
            }
        }
        let cache = imp.columns.borrow();
        let columns = &cache.1;
        // Row labels.
        let frames_top = AXIS_H;
        let input_top = frames_top + FRAMES_H + 4.0;
        let stall_top = input_top + 2.0 * INPUT_H + 2.0;
        cr.set_source_rgb(0.7, 0.7, 0.75);
        for (label, y) in [
            ("frames", frames_top + 12.0),
            ("input", input_top + 12.0),
            ("stalls", stall_top + 10.0),
        ] {
            cr.move_to(6.0, y);
            cr.show_text(label)?;
        }
        // The time axis: a tick at every round step that leaves ~90 px between labels.
        let (from, to) = self.view();
        let span_s = (to - from) as f64 / 1e9;
        let step = nice_step(span_s * 90.0 / f64::from(plot_w));
        let mut tick = (from as f64 / 1e9 / step).ceil() * step;
        while tick <= to as f64 / 1e9 {
            let x = self.time_to_x((tick * 1e9) as u64).round() + 0.5;
            cr.set_source_rgba(1.0, 1.0, 1.0, 0.12);
            cr.move_to(x, AXIS_H - 4.0);
            cr.line_to(x, height);
            cr.set_line_width(1.0);
            cr.stroke()?;
            cr.set_source_rgb(0.7, 0.7, 0.75);
            cr.move_to(x + 3.0, 12.0);
            cr.show_text(&format_seconds(tick, step))?;
            tick += step;
        }
        // The budget line: frame height is log-scaled so 1 ms and 100 ms frames both read.
        let frame_h = |ns: u64| -> f64 {
            let ms = ns as f64 / 1e6;
            ((1.0 + ms).ln() / (1.0 + 200.0f64).ln()).clamp(0.05, 1.0) * FRAMES_H
        };
        let budget_y = frames_top + FRAMES_H - frame_h(FRAME_BUDGET_NS);
        cr.set_source_rgba(1.0, 0.3, 0.3, 0.5);
        cr.set_dash(&[3.0, 3.0], 0.0);
        cr.move_to(LABEL_W, budget_y + 0.5);
        cr.line_to(width, budget_y + 0.5);
        cr.stroke()?;
        cr.set_dash(&[], 0.0);
        cr.move_to(6.0, budget_y + 3.0);
        cr.show_text("16.7 ms")?;
        for (i, column) in columns.iter().enumerate() {
            let x = LABEL_W + i as f64;
            if column.longest_frame > 0 {
                let (r, g, b) = frame_color(column.longest_frame);
                cr.set_source_rgb(r, g, b);
                let h = frame_h(column.longest_frame);
                cr.rectangle(x, frames_top + FRAMES_H - h, 1.0, h);
                cr.fill()?;
            }
            let marks = [
                (column.motion, input_top + 12.0, 4.0, (0.45, 0.45, 0.5)),
                (column.scroll, input_top + 8.0, 8.0, (0.2, 0.75, 0.7)),
                (column.other_input, input_top + 8.0, 8.0, (0.6, 0.6, 0.3)),
                (column.click, input_top + 2.0, 12.0, (0.25, 0.55, 1.0)),
                (
                    column.key,
                    input_top + INPUT_H + 2.0,
                    12.0,
                    (0.75, 0.45, 1.0),
                ),
                (column.stall, stall_top, STALL_H, (0.95, 0.25, 0.2)),
            ];
            for (shown, y, h, (r, g, b)) in marks {
                if shown {
                    cr.set_source_rgb(r, g, b);
                    cr.rectangle(x, y, 1.0, h);
                    cr.fill()?;
                }
            }
            if column.resize {
                cr.set_source_rgba(1.0, 0.65, 0.1, 0.9);
                cr.move_to(x - 3.0, AXIS_H);
                cr.line_to(x + 3.0, AXIS_H);
                cr.line_to(x, AXIS_H + 5.0);
                cr.close_path();
                cr.fill()?;
            }
        }
        // The playhead.
        let x = self.time_to_x(imp.playhead.get()).round() + 0.5;
        if x >= LABEL_W {
            cr.set_source_rgb(1.0, 1.0, 1.0);
            cr.set_line_width(1.5);
            cr.move_to(x, 0.0);
            cr.line_to(x, height);
            cr.stroke()?;
            cr.move_to(x - 5.0, 0.0);
            cr.line_to(x + 5.0, 0.0);
            cr.line_to(x, 6.0);
            cr.close_path();
            cr.fill()?;
        }
        Ok(())
    }
}

/// Green within the frame budget, amber up to two budgets, red beyond.
fn frame_color(ns: u64) -> (f64, f64, f64) {
    if ns <= FRAME_BUDGET_NS {
        (0.35, 0.75, 0.4)
    } else if ns <= 2 * FRAME_BUDGET_NS {
        (0.95, 0.7, 0.2)
    } else {
        (0.95, 0.25, 0.2)
    }
}

/// The smallest of 1, 2, 5 × 10ⁿ seconds at least `min`.
fn nice_step(min: f64) -> f64 {
    let mut step = 1e-6;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if step * m >= min {
                return step * m;
            }
        }
        step *= 10.0;
    }
}

/// `12 s`, `1.25 s`, `3 min 20 s`, with as many decimals as the tick step needs.
fn format_seconds(t: f64, step: f64) -> String {
    if t >= 120.0 && step >= 1.0 {
        let minutes = (t / 60.0).floor();
        return format!("{minutes:.0} min {:.0} s", t - minutes * 60.0);
    }
    let decimals = (-step.log10()).ceil().max(0.0) as usize;
    format!("{t:.decimals$} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_round() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert!((nice_step(0.004) - 0.005).abs() < 1e-12);
    }

    #[test]
    fn frame_colours_follow_the_budget() {
        assert_eq!(frame_color(10_000_000), (0.35, 0.75, 0.4));
        assert_eq!(frame_color(20_000_000), (0.95, 0.7, 0.2));
        assert_eq!(frame_color(80_000_000), (0.95, 0.25, 0.2));
    }

    #[test]
    fn seconds_are_formatted_for_their_step() {
        assert_eq!(format_seconds(1.25, 0.05), "1.25 s");
        assert_eq!(format_seconds(12.0, 2.0), "12 s");
        assert_eq!(format_seconds(200.0, 10.0), "3 min 20 s");
    }
}
