//! Where each GTK 4 release keeps the two private vfuncs the recorder wraps for damage,
//! and which layout fits the running GTK (shared/notes/gtk-versions.md has how each
//! entry was learnt: measured, disassembled, or read in GTK's sources).
//!
//! The layout is chosen from GTK's version, and must then match the class sizes GObject
//! reports; both are only a first filter — `proof.rs` proves it on the running process
//! before a region is trusted.

/// Which argument of `GdkDrawContextClass.end_frame` is the painted region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PaintedArg {
    /// `end_frame(context, painted)` (GTK 4.8 to 4.18).
    Second,
    /// `end_frame(context, context_data, painted)` (GTK 4.24).
    Third,
}

/// One release family's private class layout (x86_64, LP64: `GObjectClass` is 136 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Its name in the header and in damage-capture records.
    pub name: &'static str,
    /// `sizeof (GskRendererClass)`.
    pub renderer_class_size: usize,
    /// Offset of `GskRendererClass.render(renderer, root, clip)`.
    pub render_offset: usize,
    /// Offsets of the renderer's other vfuncs (realize, unrealize, render_texture): like
    /// `render`, each is GTK's code or empty, or the offsets are wrong.
    pub renderer_neighbours: &'static [usize],
    /// `sizeof (GdkDrawContextClass)`.
    pub draw_context_class_size: usize,
    /// Offset of `GdkDrawContextClass.end_frame`.
    pub end_frame_offset: usize,
    /// Offsets of the draw context's other vfuncs checked like `renderer_neighbours`.
    pub draw_context_neighbours: &'static [usize],
    /// Where `end_frame` takes the painted region.
    pub painted_arg: PaintedArg,
}

/// GTK 4.8, 4.10, 4.12 (4.12 changed begin_frame's arguments, not the sizes or offsets).
const GTK_4_8: Layout = Layout {
    name: "gtk-4.8",
    renderer_class_size: 168,
    render_offset: 160,
    renderer_neighbours: &[136, 144, 152],
    draw_context_class_size: 160,
    end_frame_offset: 144,
    draw_context_neighbours: &[136, 152],
    painted_arg: PaintedArg::Second,
};

/// GTK 4.14 to 4.18: `supports_offload` before realize; `empty_frame` in the draw context.
const GTK_4_14: Layout = Layout {
    name: "gtk-4.14",
    renderer_class_size: 176,
    render_offset: 168,
    renderer_neighbours: &[144, 152, 160],
    draw_context_class_size: 168,
    end_frame_offset: 144,
    draw_context_neighbours: &[136, 152, 160],
    painted_arg: PaintedArg::Second,
};

/// GTK 4.24: begin_frame and end_frame take `context_data`; surface_attach/detach appended.
const GTK_4_24: Layout = Layout {
    name: "gtk-4.24",
    renderer_class_size: 176,
    render_offset: 168,
    renderer_neighbours: &[144, 152, 160],
    draw_context_class_size: 184,
    end_frame_offset: 144,
    draw_context_neighbours: &[136, 152, 160, 168, 176],
    painted_arg: PaintedArg::Third,
};

/// Every known layout, oldest first.
pub(crate) const LAYOUTS: [Layout; 3] = [GTK_4_8, GTK_4_14, GTK_4_24];

/// The newest GTK minor version the table was made for.
pub(crate) const NEWEST_KNOWN_MINOR: u32 = 24;

/// The layout for a GTK version and the class sizes GObject reports, with a remark for
/// the header when the version is outside the table; or why there is none.
pub(crate) fn choose(
    version: [u32; 3],
    renderer_class_size: usize,
    draw_context_class_size: usize,
) -> Result<(Layout, String), String> {
    let [major, minor, micro] = version;
    let gtk = format!("GTK {major}.{minor}.{micro}");
    let fits = |l: &Layout| {
        l.renderer_class_size == renderer_class_size
            && l.draw_context_class_size == draw_context_class_size
    };
    let sizes = format!(
        "GskRendererClass {renderer_class_size} bytes, GdkDrawContextClass {draw_context_class_size} bytes"
    );
    if major != 4 {
        return Err(format!("{gtk} is not GTK 4: damage capture off"));
    }
    let expected: &[Layout] = match minor {
        8..=13 => &[GTK_4_8],
        14..=18 => &[GTK_4_14],
        // The context_data change landed between 4.18 and 4.24: the size tells which.
        19..=23 => &[GTK_4_14, GTK_4_24],
        24 => &[GTK_4_24],
        _ => &[],
    };
    if !expected.is_empty() {
        return match expected.iter().find(|l| fits(l)) {
            Some(layout) => Ok((*layout, String::new())),
            None => Err(format!(
                "{gtk} has {sizes}, not what layout {} expects ({} and {}): damage capture off; please report it",
                expected[0].name,
                expected[0].renderer_class_size,
                expected[0].draw_context_class_size
            )),
        };
    }
    let outside = if minor > NEWEST_KNOWN_MINOR {
        "newer than"
    } else {
        "older than"
    };
    match LAYOUTS.iter().rev().find(|l| fits(l)) {
        Some(layout) => Ok((
            *layout,
            format!(
                "{gtk} is {outside} the recorder's layout table (GTK 4.8 to 4.{NEWEST_KNOWN_MINOR}); its class sizes match layout {}, trusted only once proven on this process; please report how it went",
                layout.name
            ),
        )),
        None => Err(format!(
            "{gtk} is {outside} the recorder's layout table (GTK 4.8 to 4.{NEWEST_KNOWN_MINOR}) and has {sizes}, which no known layout has: damage capture off; please report it"
        )),
    }
}

/// The layout named `name` (`GDKRECORD_DAMAGE_LAYOUT`, to try one on a GTK the table
/// does not place), if the class sizes fit it; the proof still runs.
pub(crate) fn forced(
    name: &str,
    version: [u32; 3],
    renderer_class_size: usize,
    draw_context_class_size: usize,
) -> Result<(Layout, String), String> {
    let [major, minor, micro] = version;
    let names: Vec<&str> = LAYOUTS.iter().map(|l| l.name).collect();
    let Some(layout) = LAYOUTS.iter().find(|l| l.name == name) else {
        return Err(format!(
            "GDKRECORD_DAMAGE_LAYOUT={name} names no layout (known: {}): damage capture off",
            names.join(", ")
        ));
    };
    if layout.renderer_class_size != renderer_class_size
        || layout.draw_context_class_size != draw_context_class_size
    {
        return Err(format!(
            "layout {name}, forced by GDKRECORD_DAMAGE_LAYOUT, does not fit GTK {major}.{minor}.{micro} (GskRendererClass {renderer_class_size} bytes, GdkDrawContextClass {draw_context_class_size} bytes; the layout has {} and {}): damage capture off",
            layout.renderer_class_size, layout.draw_context_class_size
        ));
    }
    Ok((
        *layout,
        format!("layout {name} forced by GDKRECORD_DAMAGE_LAYOUT on GTK {major}.{minor}.{micro}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_release_gets_its_measured_or_read_layout() {
        for (version, sizes, name) in [
            ([4, 8, 3], (168, 160), "gtk-4.8"),
            ([4, 12, 5], (168, 160), "gtk-4.8"),
            ([4, 14, 2], (176, 168), "gtk-4.14"),
            ([4, 18, 6], (176, 168), "gtk-4.14"),
            ([4, 20, 0], (176, 168), "gtk-4.14"),
            ([4, 22, 1], (176, 184), "gtk-4.24"),
            ([4, 24, 1], (176, 184), "gtk-4.24"),
        ] {
            let (layout, remark) = choose(version, sizes.0, sizes.1).unwrap();
            assert_eq!(layout.name, name, "{version:?}");
            assert!(remark.is_empty(), "{version:?}: {remark}");
        }
    }

    #[test]
    fn a_known_version_with_other_sizes_is_refused_naming_it() {
        // GTK 4.8's sizes from a GTK that says it is 4.18: a patched build, say.
        let note = choose([4, 18, 6], 168, 160).unwrap_err();
        assert!(
            note.contains("GTK 4.18.6") && note.contains("gtk-4.14"),
            "{note}"
        );
        // 4.24's renderer with a size no layout has.
        assert!(choose([4, 24, 0], 176, 192).is_err());
    }

    #[test]
    fn a_newer_gtk_is_judged_by_its_sizes_and_named() {
        let (layout, remark) = choose([4, 26, 0], 176, 184).unwrap();
        assert_eq!(layout.name, "gtk-4.24");
        assert!(remark.contains("GTK 4.26.0 is newer"), "{remark}");
        let note = choose([4, 26, 0], 184, 200).unwrap_err();
        assert!(
            note.contains("GTK 4.26.0") && note.contains("newer"),
            "{note}"
        );
        assert!(choose([3, 24, 38], 168, 160).is_err());
    }

    #[test]
    fn a_forced_layout_must_exist_and_fit() {
        let (layout, remark) = forced("gtk-4.24", [4, 30, 0], 176, 184).unwrap();
        assert_eq!(layout.name, "gtk-4.24");
        assert!(remark.contains("forced"), "{remark}");
        let note = forced("gtk-4.24", [4, 8, 3], 168, 160).unwrap_err();
        assert!(
            note.contains("GTK 4.8.3") && note.contains("does not fit"),
            "{note}"
        );
        let note = forced("gtk-5", [4, 8, 3], 168, 160).unwrap_err();
        assert!(note.contains("gtk-4.8, gtk-4.14, gtk-4.24"), "{note}");
    }

    #[test]
    fn offsets_lie_inside_their_classes() {
        for l in LAYOUTS {
            for o in l.renderer_neighbours.iter().chain([&l.render_offset]) {
                assert!(*o >= 136 && o + 8 <= l.renderer_class_size, "{}", l.name);
            }
            for o in l
                .draw_context_neighbours
                .iter()
                .chain([&l.end_frame_offset])
            {
                assert!(
                    *o >= 136 && o + 8 <= l.draw_context_class_size,
                    "{}",
                    l.name
                );
            }
        }
    }
}
