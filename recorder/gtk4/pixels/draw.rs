//! Drawing a frame's render node again, into a cairo image of one rectangle.
//!
//! `gsk_render_node_draw()` of the root walks and draws the whole tree, clipped only at
//! the end by cairo: a 22×22 spinner would cost as much as the whole window (measured:
//! about 1.5 ms a rectangle on gtk4-widget-factory's first page). So the walk skips what
//! lies outside the rectangle itself: through container, 2-D transform, clip and debug
//! nodes (which GSK draws exactly so: children in order, `cairo_transform`, a rectangle
//! clip) it follows only the children whose bounds meet the rectangle; every other node
//! meeting it is drawn by GSK as a whole. Only GSK's public API is used, on the node
//! the proven `render` call was given.

use std::ffi::c_uint;

use gdkrecord_core::pixels::capture_band;
use gdkrecord_format::Rect;
use gsk4_sys::GskRenderNode;

use super::cairo::{
    cairo_clip, cairo_rectangle, cairo_restore, cairo_save, cairo_scale, cairo_translate, Cairo,
};

/// `graphene_rect_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bounds {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

impl Bounds {
    fn meets(&self, other: &Bounds) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    fn intersection(&self, other: &Bounds) -> Bounds {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        Bounds {
            x,
            y,
            width: ((self.x + self.width).min(other.x + other.width) - x).max(0.0),
            height: ((self.y + self.height).min(other.y + other.height) - y).max(0.0),
        }
    }

    /// The rectangle in the coordinates of a child drawn through `x' = x * sx + dx`.
    fn seen_by_child(&self, sx: f32, sy: f32, dx: f32, dy: f32) -> Bounds {
        let (x0, x1) = ((self.x - dx) / sx, (self.x + self.width - dx) / sx);
        let (y0, y1) = ((self.y - dy) / sy, (self.y + self.height - dy) / sy);
        Bounds {
            x: x0.min(x1),
            y: y0.min(y1),
            width: (x1 - x0).abs(),
            height: (y1 - y0).abs(),
        }
    }
}

extern "C" {
    // GSK's, with graphene rectangles as `Bounds`.
    fn gsk_render_node_get_bounds(node: *mut GskRenderNode, bounds: *mut Bounds);
    fn gsk_clip_node_get_clip(node: *const GskRenderNode) -> *const Bounds;
    fn gsk_container_node_get_n_children(node: *const GskRenderNode) -> c_uint;
    fn gsk_container_node_get_child(node: *const GskRenderNode, idx: c_uint) -> *mut GskRenderNode;
    fn gsk_transform_node_get_child(node: *const GskRenderNode) -> *mut GskRenderNode;
    fn gsk_transform_node_get_transform(node: *const GskRenderNode) -> *mut gsk4_sys::GskTransform;
    fn gsk_clip_node_get_child(node: *const GskRenderNode) -> *mut GskRenderNode;
    fn gsk_debug_node_get_child(node: *const GskRenderNode) -> *mut GskRenderNode;
}

/// Deepest node nesting followed (GTK's widget trees are a few dozen deep); deeper
/// subtrees are drawn whole.
const MAX_DEPTH: u32 = 256;

/// Draws `root` clipped to `rect` (application pixels) at `scale` into a new buffer of
/// premultiplied B, G, R, A; `None` when cairo fails.
///
/// # Safety
/// `root` is a valid render node.
pub(super) unsafe fn draw(root: *mut GskRenderNode, rect: Rect, scale: u32) -> Option<Vec<u8>> {
    let area = Bounds {
        x: rect[0] as f32,
        y: rect[1] as f32,
        width: rect[2] as f32,
        height: rect[3] as f32,
    };
    unsafe { capture_band(rect, scale, |cr| draw_within(root, cr, &area, 0)) }
}

/// Draws what of `node` meets `area` (in the node's coordinates).
///
/// # Safety
/// `node` is a valid render node, `cr` a valid cairo context.
unsafe fn draw_within(node: *mut GskRenderNode, cr: *mut Cairo, area: &Bounds, depth: u32) {
    let mut bounds = Bounds::default();
    unsafe { gsk_render_node_get_bounds(node, &mut bounds) };
    if !bounds.meets(area) {
        return;
    }
    let kind = unsafe { gsk4_sys::gsk_render_node_get_node_type(node) };
    if depth >= MAX_DEPTH {
        unsafe { gsk4_sys::gsk_render_node_draw(node, cr.cast()) };
        return;
    }
    match kind {
        gsk4_sys::GSK_CONTAINER_NODE => unsafe {
            for i in 0..gsk_container_node_get_n_children(node) {
                draw_within(gsk_container_node_get_child(node, i), cr, area, depth + 1);
            }
        },
        gsk4_sys::GSK_DEBUG_NODE => unsafe {
            draw_within(gsk_debug_node_get_child(node), cr, area, depth + 1);
        },
        gsk4_sys::GSK_CLIP_NODE => unsafe {
            let clip = *gsk_clip_node_get_clip(node);
            cairo_save(cr);
            cairo_rectangle(
                cr,
                f64::from(clip.x),
                f64::from(clip.y),
                f64::from(clip.width),
                f64::from(clip.height),
            );
            cairo_clip(cr);
            draw_within(
                gsk_clip_node_get_child(node),
                cr,
                &area.intersection(&clip),
                depth + 1,
            );
            cairo_restore(cr);
        },
        gsk4_sys::GSK_TRANSFORM_NODE => unsafe {
            let transform = gsk_transform_node_get_transform(node);
            let (mut sx, mut sy, mut dx, mut dy) = (1.0f32, 1.0f32, 0.0f32, 0.0f32);
            let affine = gsk4_sys::gsk_transform_get_category(transform)
                >= gsk4_sys::GSK_TRANSFORM_CATEGORY_2D_AFFINE;
            if affine {
                gsk4_sys::gsk_transform_to_affine(transform, &mut sx, &mut sy, &mut dx, &mut dy);
            }
            if !affine || sx == 0.0 || sy == 0.0 {
                // Rotations, 3-D, or a degenerate scale (which GSK draws as nothing).
                gsk4_sys::gsk_render_node_draw(node, cr.cast());
                return;
            }
            cairo_save(cr);
            cairo_translate(cr, f64::from(dx), f64::from(dy));
            cairo_scale(cr, f64::from(sx), f64::from(sy));
            draw_within(
                gsk_transform_node_get_child(node),
                cr,
                &area.seen_by_child(sx, sy, dx, dy),
                depth + 1,
            );
            cairo_restore(cr);
        },
        _ => unsafe { gsk4_sys::gsk_render_node_draw(node, cr.cast()) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_follow_a_child_through_its_transform() {
        let area = Bounds {
            x: 10.0,
            y: 20.0,
            width: 30.0,
            height: 40.0,
        };
        // Child drawn translated by (5, 10) and scaled 2×: its (x, y) lands at 2x+5, 2y+10.
        let child = area.seen_by_child(2.0, 2.0, 5.0, 10.0);
        assert_eq!(
            child,
            Bounds {
                x: 2.5,
                y: 5.0,
                width: 15.0,
                height: 20.0
            }
        );
        // A mirrored axis keeps a positive size.
        let flipped = area.seen_by_child(-1.0, 1.0, 0.0, 0.0);
        assert_eq!((flipped.x, flipped.width), (-40.0, 30.0));
        assert!(area.meets(&Bounds {
            x: 39.0,
            y: 59.0,
            width: 5.0,
            height: 5.0
        }));
        assert!(!area.meets(&Bounds {
            x: 40.0,
            y: 20.0,
            width: 5.0,
            height: 5.0
        }));
        assert_eq!(
            area.intersection(&Bounds {
                x: 0.0,
                y: 0.0,
                width: 20.0,
                height: 30.0
            }),
            Bounds {
                x: 10.0,
                y: 20.0,
                width: 10.0,
                height: 10.0
            }
        );
    }
}
