//! `GrvCanvas`: draws the selected surface at its recorded size (scaled to fit, or
//! zoomed): what the app drew there (recordings with pixels), its damage on top
//! (flashing, accumulated or as a heatmap; each layer can be hidden), the pointer, clicks
//! and a caption of the keys pressed. A pure drawing widget: it has no template, and what it
//! draws is a [`Scene`] handed to it by the window.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use gdkrecord_format::Rect;
use gdkrecord_replay::{heat_color, heat_scale, Composition, CLICK_RGB, DAMAGE_RGB};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{cairo, glib, graphene};

use crate::scene::Scene;

/// Space around the surface when it is scaled to fit, in widget pixels.
const MARGIN: f64 = 24.0;

mod imp {
    use super::*;

    #[derive(Debug, Default)]
    pub struct GrvCanvas {
        pub scene: RefCell<Scene>,
        /// `None`: scale to fit; else widget pixels per surface pixel.
        pub zoom: Cell<Option<f64>>,
        /// The rectangle selected in the side panel.
        pub highlight: Cell<Option<Rect>>,
        /// Layers hidden by the window's toggles (shown by default).
        pub hide_pixels: Cell<bool>,
        pub hide_damage: Cell<bool>,
        /// The scene's picture as a cairo image, made once per picture.
        pub image: RefCell<Option<(Arc<Composition>, cairo::ImageSurface)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for GrvCanvas {
        const NAME: &'static str = "GrvCanvas";
        type Type = super::GrvCanvas;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("grv-canvas");
        }
    }

    impl ObjectImpl for GrvCanvas {
        fn constructed(&self) {
            self.parent_constructed();
            let canvas = self.obj();
            canvas.set_hexpand(true);
            canvas.set_vexpand(true);
            canvas.set_overflow(gtk::Overflow::Hidden);
            // Ctrl+scroll zooms; a double click goes back to "fit".
            let scroll = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::VERTICAL);
            scroll.connect_scroll(glib::clone!(
                #[weak]
                canvas,
                #[upgrade_or]
                glib::Propagation::Proceed,
                move |controller, _, dy| {
                    if !controller
                        .current_event_state()
                        .contains(gtk::gdk::ModifierType::CONTROL_MASK)
                    {
                        return glib::Propagation::Proceed;
                    }
                    let current = canvas.zoom_factor();
                    canvas.set_zoom(Some(
                        (current * if dy < 0.0 { 1.25 } else { 0.8 }).clamp(0.05, 16.0),
                    ));
                    glib::Propagation::Stop
                }
            ));
            canvas.add_controller(scroll);
            let click = gtk::GestureClick::new();
            click.connect_pressed(glib::clone!(
                #[weak]
                canvas,
                move |_, n_press, _, _| {
                    if n_press == 2 {
                        canvas.set_zoom(None);
                    }
                }
            ));
            canvas.add_controller(click);
        }
    }

    impl WidgetImpl for GrvCanvas {
        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let [_, _, width, height] = self.scene.borrow().extent();
            let natural = match self.zoom.get() {
                Some(zoom) => {
                    let extent = if orientation == gtk::Orientation::Horizontal {
                        width
                    } else {
                        height
                    };
                    (extent * zoom + 2.0 * MARGIN) as i32
                }
                None => 200,
            };
            let minimum = if self.zoom.get().is_some() {
                natural
            } else {
                120
            };
            (minimum, natural, -1, -1)
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let canvas = self.obj();
            let (width, height) = (canvas.width() as f32, canvas.height() as f32);
            let cr = snapshot.append_cairo(&graphene::Rect::new(0.0, 0.0, width, height));
            // Cairo errors only mean nothing gets drawn; there is nothing better to do here.
            let _ = canvas.draw(&cr, f64::from(width), f64::from(height));
        }
    }
}

glib::wrapper! {
    /// The replay canvas.
    pub struct GrvCanvas(ObjectSubclass<imp::GrvCanvas>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for GrvCanvas {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl GrvCanvas {
    /// Shows `scene`.
    pub fn set_scene(&self, scene: Scene) {
        let resized = self.imp().scene.borrow().size != scene.size;
        self.imp().scene.replace(scene);
        if resized && self.imp().zoom.get().is_some() {
            self.queue_resize();
        }
        self.queue_draw();
    }

    /// The scene shown.
    pub fn scene(&self) -> std::cell::Ref<'_, Scene> {
        self.imp().scene.borrow()
    }

    /// Shows or hides the app's pixels and the damage drawn over them.
    pub fn set_layers(&self, pixels: bool, damage: bool) {
        self.imp().hide_pixels.set(!pixels);
        self.imp().hide_damage.set(!damage);
        self.queue_draw();
    }

    /// The scene's picture as a cairo image (ARGB32 is the picture's premultiplied
    /// B, G, R, A on a little-endian machine), made again only for a new picture.
    fn picture_image(
        &self,
        composition: &Arc<Composition>,
    ) -> Result<cairo::ImageSurface, cairo::Error> {
        if let Some((shown, image)) = &*self.imp().image.borrow() {
            if Arc::ptr_eq(shown, composition) {
                return Ok(image.clone());
            }
        }
        let picture = &composition.picture;
        let (w, h) = (picture.width as i32, picture.height as i32);
        let mut image = cairo::ImageSurface::create(cairo::Format::ARgb32, w, h)?;
        let stride = image.stride() as usize;
        {
            let mut data = image.data().map_err(|_| cairo::Error::SurfaceFinished)?;
            let row = picture.width as usize * 4;
            for (y, line) in picture.bgra.chunks_exact(row).enumerate() {
                let at = y * stride;
                for (to, from) in data[at..at + row]
                    .chunks_exact_mut(4)
                    .zip(line.chunks_exact(4))
                {
                    let pixel = u32::from_le_bytes([from[0], from[1], from[2], from[3]]);
                    to.copy_from_slice(&pixel.to_ne_bytes());
                }
            }
        }
        self.imp()
            .image
            .replace(Some((composition.clone(), image.clone())));
        Ok(image)
    }

    /// Outlines `rect` (surface pixels) on top of everything, or nothing.
    pub fn set_highlight(&self, rect: Option<Rect>) {
        self.imp().highlight.set(rect);
        self.queue_draw();
    }

    /// Zoom: `None` scales the surface to fit the widget.
    pub fn set_zoom(&self, zoom: Option<f64>) {
        self.imp().zoom.set(zoom);
        self.queue_resize();
        self.queue_draw();
    }

    /// Widget pixels per surface pixel at the current size.
    pub fn zoom_factor(&self) -> f64 {
        self.placement(f64::from(self.width()), f64::from(self.height()))
            .2
    }

    /// Where surface pixel (0, 0) goes in the widget, and the scale: `(x, y, scale)`. What
    /// is drawn (the surface, and popups reaching past it) is centred, or fit to the
    /// widget.
    fn placement(&self, width: f64, height: f64) -> (f64, f64, f64) {
        let [ex, ey, ew, eh] = self.imp().scene.borrow().extent();
        let scale = self.imp().zoom.get().unwrap_or_else(|| {
            ((width - 2.0 * MARGIN) / ew)
                .min((height - 2.0 * MARGIN) / eh)
                .clamp(0.01, 4.0)
        });
        (
            (((width - ew * scale) / 2.0).max(MARGIN) - ex * scale).round(),
            (((height - eh * scale) / 2.0).max(MARGIN) - ey * scale).round(),
            scale,
        )
    }

    /// Where the surface point (`x`, `y`) is drawn, in widget coordinates.
    pub fn surface_to_widget(&self, x: f64, y: f64) -> (f64, f64) {
        let (ox, oy, scale) = self.placement(f64::from(self.width()), f64::from(self.height()));
        (ox + x * scale, oy + y * scale)
    }

    fn draw(&self, cr: &cairo::Context, width: f64, height: f64) -> Result<(), cairo::Error> {
        let scene = self.imp().scene.borrow();
        // The backdrop: a neutral dark grey, so both light surfaces and red damage stand out.
        cr.set_source_rgb(0.17, 0.17, 0.19);
        cr.paint()?;
        if scene.size == [0, 0] && scene.caption.is_empty() {
            return Ok(());
        }
        let (ox, oy, scale) = self.placement(width, height);
        let (sw, sh) = (f64::from(scene.size[0]), f64::from(scene.size[1]));
        cr.save()?;
        cr.translate(ox, oy);
        cr.scale(scale, scale);
        // The surface.
        cr.rectangle(0.0, 0.0, sw, sh);
        cr.set_source_rgb(0.98, 0.98, 0.98);
        cr.fill()?;
        let picture = scene
            .picture
            .as_ref()
            .filter(|_| !self.imp().hide_pixels.get());
        if let Some(composition) = picture {
            // Not clipped to the surface: popups may reach past its edges.
            let image = self.picture_image(composition)?;
            cr.save()?;
            let device = f64::from(composition.picture.scale.max(1));
            let [ox, oy] = composition.origin.map(f64::from);
            cr.scale(1.0 / device, 1.0 / device);
            cr.set_source_surface(&image, -ox * device, -oy * device)?;
            cr.source().set_filter(if scale * device >= 1.0 {
                cairo::Filter::Nearest
            } else {
                cairo::Filter::Good
            });
            cr.paint()?;
            cr.restore()?;
        }
        cr.rectangle(0.0, 0.0, sw, sh);
        cr.clip();
        let hide_damage = self.imp().hide_damage.get();
        if let Some(heatmap) = scene.heatmap.as_ref().filter(|_| !hide_damage) {
            if picture.is_some() {
                // The heat over the app's pixels, which stay readable under it.
                cr.push_group();
                draw_heatmap(cr, heatmap)?;
                cr.pop_group_to_source()?;
                cr.paint_with_alpha(0.6)?;
            } else {
                draw_heatmap(cr, heatmap)?;
            }
        }
        // Over the app's pixels the damage is filled lightly, so what was drawn shows.
        let fill_alpha = if picture.is_some() { 0.2 } else { 0.45 };
        let [r, g, b] = DAMAGE_RGB.map(|c| f64::from(c) / 255.0);
        // One path per opacity (a handful: one per fading age), filled and stroked once:
        // an accumulated replay can hold tens of thousands of rectangles, and overlapping
        // ones of the same age are shown as their union instead of darkening.
        let mut start = if hide_damage { scene.damage.len() } else { 0 };
        while start < scene.damage.len() {
            let alpha = scene.damage[start].alpha;
            let same = scene.damage[start..]
                .iter()
                .take_while(|f| f.alpha == alpha)
                .count();
            for fading in &scene.damage[start..start + same] {
                let [x, y, w, h] = fading.rect.map(f64::from);
                cr.rectangle(x, y, w, h);
            }
            let alpha = f64::from(alpha);
            cr.set_source_rgba(r, g, b, fill_alpha * alpha);
            cr.fill_preserve()?;
            cr.set_source_rgba(r, g, b, alpha);
            cr.set_line_width(1.5 / scale);
            cr.stroke()?;
            start += same;
        }
        let [cr_, cg, cb] = CLICK_RGB.map(|c| f64::from(c) / 255.0);
        for click in &scene.clicks {
            let [x, y] = click.position.map(f64::from);
            cr.set_source_rgba(cr_, cg, cb, f64::from(click.alpha));
            cr.set_line_width(2.5 / scale);
            cr.arc(
                x,
                y,
                (if click.pressed { 10.0 } else { 16.0 }) / scale.sqrt(),
                0.0,
                std::f64::consts::TAU,
            );
            if click.pressed {
                cr.fill()?;
            } else {
                cr.stroke()?;
            }
        }
        if let Some([x, y]) = scene.pointer.map(|p| p.map(f64::from)) {
            draw_pointer(cr, x, y, 1.0 / scale)?;
        }
        if let Some([x, y, w, h]) = self.imp().highlight.get().map(|r| r.map(f64::from)) {
            cr.rectangle(x, y, w, h);
            cr.set_source_rgb(1.0, 0.75, 0.0);
            cr.set_line_width(3.0 / scale);
            cr.set_dash(&[6.0 / scale, 4.0 / scale], 0.0);
            cr.stroke()?;
            cr.set_dash(&[], 0.0);
        }
        cr.restore()?;
        // The surface's outline, crisp at any scale.
        cr.rectangle(ox - 0.5, oy - 0.5, sw * scale + 1.0, sh * scale + 1.0);
        cr.set_source_rgb(0.55, 0.55, 0.6);
        cr.set_line_width(1.0);
        cr.stroke()?;
        cr.select_font_face("Sans", cairo::FontSlant::Normal, cairo::FontWeight::Normal);
        cr.set_font_size(12.0);
        let info = format!(
            "{}   {}×{} px   {:.0}%",
            scene.caption,
            scene.size[0],
            scene.size[1],
            scale * 100.0
        );
        cr.set_source_rgb(0.85, 0.85, 0.88);
        cr.move_to(MARGIN, 16.0);
        cr.show_text(&info)?;
        if !scene.keys.is_empty() {
            draw_key_caption(cr, &scene.keys.join(" "), width, height)?;
        }
        if let Some(heatmap) = &scene.heatmap {
            draw_heat_legend(cr, heatmap.max(), width, height)?;
        }
        Ok(())
    }
}

fn draw_heatmap(
    cr: &cairo::Context,
    heatmap: &gdkrecord_replay::Heatmap,
) -> Result<(), cairo::Error> {
    let (columns, rows) = (heatmap.columns() as i32, heatmap.rows() as i32);
    let mut image = cairo::ImageSurface::create(cairo::Format::Rgb24, columns, rows)?;
    let stride = image.stride() as usize;
    {
        let mut data = image.data().map_err(|_| cairo::Error::SurfaceFinished)?;
        for (i, &count) in heatmap.counts().iter().enumerate() {
            let (column, row) = (i % columns as usize, i / columns as usize);
            let [r, g, b] = heat_color(count, heatmap.max());
            let at = row * stride + column * 4;
            // Rgb24 is native-endian 0x00RRGGBB.
            data[at..at + 4].copy_from_slice(&u32::from_be_bytes([0, r, g, b]).to_ne_bytes());
        }
    }
    cr.save()?;
    let cell = f64::from(heatmap.cell());
    cr.scale(cell, cell);
    cr.set_source_surface(&image, 0.0, 0.0)?;
    cr.source().set_filter(cairo::Filter::Nearest);
    cr.paint()?;
    cr.restore()
}

fn draw_heat_legend(
    cr: &cairo::Context,
    max: u32,
    width: f64,
    height: f64,
) -> Result<(), cairo::Error> {
    let (w, h) = (160.0, 10.0);
    let (x, y) = (width - w - MARGIN, height - 22.0);
    for i in 0..w as i32 {
        let [r, g, b] = heat_scale(i as f32 / w as f32).map(|c| f64::from(c) / 255.0);
        cr.set_source_rgb(r, g, b);
        cr.rectangle(x + f64::from(i), y, 1.0, h);
        cr.fill()?;
    }
    cr.set_source_rgb(0.85, 0.85, 0.88);
    cr.set_font_size(11.0);
    cr.move_to(x - 60.0, y + 9.0);
    cr.show_text("repaints: 1")?;
    cr.move_to(x + w + 4.0, y + 9.0);
    cr.show_text(&max.to_string())
}

fn draw_pointer(cr: &cairo::Context, x: f64, y: f64, unit: f64) -> Result<(), cairo::Error> {
    // An arrow cursor, 18 widget pixels tall whatever the zoom.
    let points = [
        (0.0, 0.0),
        (0.0, 17.0),
        (4.5, 13.0),
        (7.5, 19.5),
        (10.0, 18.5),
        (7.0, 12.0),
        (12.5, 12.0),
    ];
    cr.move_to(x, y);
    for (px, py) in points.iter().skip(1) {
        cr.line_to(x + px * unit, y + py * unit);
    }
    cr.close_path();
    cr.set_source_rgb(0.08, 0.08, 0.08);
    cr.fill_preserve()?;
    cr.set_source_rgb(1.0, 1.0, 1.0);
    cr.set_line_width(1.2 * unit);
    cr.stroke()
}

fn draw_key_caption(
    cr: &cairo::Context,
    text: &str,
    width: f64,
    height: f64,
) -> Result<(), cairo::Error> {
    cr.set_font_size(18.0);
    let extents = cr.text_extents(text)?;
    let (w, h) = (extents.x_advance() + 24.0, 32.0);
    let (x, y) = ((width - w) / 2.0, height - h - 12.0);
    cr.new_sub_path();
    let radius = 8.0;
    cr.arc(
        x + w - radius,
        y + radius,
        radius,
        -std::f64::consts::FRAC_PI_2,
        0.0,
    );
    cr.arc(
        x + w - radius,
        y + h - radius,
        radius,
        0.0,
        std::f64::consts::FRAC_PI_2,
    );
    cr.arc(
        x + radius,
        y + h - radius,
        radius,
        std::f64::consts::FRAC_PI_2,
        std::f64::consts::PI,
    );
    cr.arc(
        x + radius,
        y + radius,
        radius,
        std::f64::consts::PI,
        1.5 * std::f64::consts::PI,
    );
    cr.close_path();
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.75);
    cr.fill()?;
    cr.set_source_rgb(1.0, 1.0, 1.0);
    cr.move_to(x + 12.0, y + 22.0);
    cr.show_text(text)
}
