//! Link flags the recorder needs to survive being a GIO module.

fn main() {
    // GIO dlclose()s a module right after g_io_module_unload(); our emission hooks and
    // patched vfuncs point into this library, so it must never be unmapped.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    // The hooks are in `.text.hot.*` sections: keep them together (a few code pages that
    // stay in the TLB) instead of spread over the library.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,keep-text-section-prefix");
}
