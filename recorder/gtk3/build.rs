//! Link flags of the GTK 3 module.

fn main() {
    // GTK 3 keeps its modules loaded, but our GObject hooks and the event handler point
    // into this library: make sure it is never unmapped, whoever closes it.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,keep-text-section-prefix");
}
