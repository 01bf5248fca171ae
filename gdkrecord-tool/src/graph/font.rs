//! The font every picture is drawn with: DejaVu Sans, bundled in `assets/` (its licence
//! is in `assets/DejaVuSans-LICENSE.txt`), so pictures look the same on every machine
//! and need no system fonts or fontconfig.

use std::sync::Once;

/// DejaVu Sans, compiled into the tool.
pub static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the bundled font as plotters' `sans-serif` family (once per process).
pub fn register() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is compiled in: it parses, or the unit test below fails.
        let _ = plotters::style::register_font(
            "sans-serif",
            plotters::style::FontStyle::Normal,
            DEJAVU_SANS,
        );
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_font_registers() {
        let parsed = plotters::style::register_font(
            "test-sans",
            plotters::style::FontStyle::Normal,
            super::DEJAVU_SANS,
        );
        assert!(parsed.is_ok());
    }
}
