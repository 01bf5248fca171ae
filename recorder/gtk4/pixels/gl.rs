//! Reading back what the GL renderer drew, from the back buffer of its `GdkGLContext`
//! before `end_frame` swaps it, when the GL driver rasterizes on the CPU (Mesa's llvmpipe,
//! softpipe, swrast; SwiftShader): the case of Xvfb, virtual machines, remote desktops
//! and CI. There the swap itself waits for the rasterizer to finish the frame (it must
//! have the pixels to send them to the X server or the compositor), so `glFinish()` first
//! only moves that wait before the swap; it is timed on its own
//! (`self_time::time_renderer_wait`), and the read that follows is a copy out of memory.
//! With a GPU, a synchronous read would stall the CPU until the GPU finished, a wait the
//! app does not otherwise make: those frames are still drawn from their render node
//! (an asynchronous read into a pixel-pack buffer, fetched a frame later, is the way there).
//!
//! GL is reached through libepoxy, which GTK 4 links and dispatches through (desktop GL
//! and GLES, GLX and EGL alike); its function pointers are looked up in the process, and
//! without them nothing is read. The GL state touched (framebuffer and pixel-pack buffer
//! bindings, pack alignment, row length, skips) is put back as it was.

use std::ffi::{c_int, c_uint, c_void, CStr};
use std::sync::OnceLock;

use gdk4_sys::GdkDrawContext;
use gdkrecord_core::clock;
use gdkrecord_core::pixels::Band;

type GlEnum = c_uint;

const GL_NO_ERROR: GlEnum = 0;
const GL_RENDERER: GlEnum = 0x1F01;
const GL_PACK_ROW_LENGTH: GlEnum = 0x0D02;
const GL_PACK_SKIP_ROWS: GlEnum = 0x0D03;
const GL_PACK_SKIP_PIXELS: GlEnum = 0x0D04;
const GL_PACK_ALIGNMENT: GlEnum = 0x0D05;
const GL_FRAMEBUFFER: GlEnum = 0x8D40;
const GL_FRAMEBUFFER_BINDING: GlEnum = 0x8CA6;
const GL_PIXEL_PACK_BUFFER: GlEnum = 0x88EB;
const GL_PIXEL_PACK_BUFFER_BINDING: GlEnum = 0x88ED;
const GL_BGRA: GlEnum = 0x80E1;
const GL_RGBA: GlEnum = 0x1908;
const GL_UNSIGNED_BYTE: GlEnum = 0x1401;
const GL_UNSIGNED_INT_8_8_8_8_REV: GlEnum = 0x8367;

/// The GL functions used, as libepoxy's dispatch pointers hold them.
struct Gl {
    get_error: unsafe extern "C" fn() -> GlEnum,
    get_string: unsafe extern "C" fn(GlEnum) -> *const u8,
    get_integerv: unsafe extern "C" fn(GlEnum, *mut c_int),
    pixel_storei: unsafe extern "C" fn(GlEnum, c_int),
    bind_framebuffer: unsafe extern "C" fn(GlEnum, c_uint),
    bind_buffer: unsafe extern "C" fn(GlEnum, c_uint),
    finish: unsafe extern "C" fn(),
    read_pixels: unsafe extern "C" fn(c_int, c_int, c_int, c_int, GlEnum, GlEnum, *mut c_void),
}

/// libepoxy's pointer to GL function `name` (`epoxy_glFoo`, a variable whose value is the
/// function, or epoxy's resolver until the first call).
unsafe fn epoxy<F: Copy>(name: &CStr) -> Option<F> {
    let variable = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    if variable.is_null() {
        return None;
    }
    // SAFETY: epoxy's `epoxy_glFoo` is a `PFNGLFOOPROC` variable; F is that pointer type.
    let function = unsafe { *variable.cast::<*const c_void>() };
    (!function.is_null())
        .then(|| unsafe { std::mem::transmute_copy::<*const c_void, F>(&function) })
}

fn gl() -> Option<&'static Gl> {
    static GL: OnceLock<Option<Gl>> = OnceLock::new();
    GL.get_or_init(|| unsafe {
        Some(Gl {
            get_error: epoxy(c"epoxy_glGetError")?,
            get_string: epoxy(c"epoxy_glGetString")?,
            get_integerv: epoxy(c"epoxy_glGetIntegerv")?,
            pixel_storei: epoxy(c"epoxy_glPixelStorei")?,
            bind_framebuffer: epoxy(c"epoxy_glBindFramebuffer")?,
            bind_buffer: epoxy(c"epoxy_glBindBuffer")?,
            finish: epoxy(c"epoxy_glFinish")?,
            read_pixels: epoxy(c"epoxy_glReadPixels")?,
        })
    })
    .as_ref()
}

/// The surface's scale as GDK renders it (`gdk_surface_get_scale()`, GTK 4.12 and later,
/// looked up in the process; `None` before, where the scale is the integer factor).
///
/// # Safety
/// `surface` is a valid GdkSurface.
unsafe fn fractional_scale(surface: *mut gdk4_sys::GdkSurface) -> Option<f64> {
    type GetScale = unsafe extern "C" fn(*mut gdk4_sys::GdkSurface) -> f64;
    static GET_SCALE: OnceLock<Option<GetScale>> = OnceLock::new();
    let get_scale = GET_SCALE.get_or_init(|| unsafe {
        let symbol = libc::dlsym(libc::RTLD_DEFAULT, c"gdk_surface_get_scale".as_ptr());
        // SAFETY: GDK's `double gdk_surface_get_scale (GdkSurface *surface)`.
        (!symbol.is_null()).then(|| std::mem::transmute::<*mut c_void, GetScale>(symbol))
    });
    if surface.is_null() {
        return None;
    }
    get_scale.map(|get_scale| unsafe { get_scale(surface) })
}

/// Whether a `GL_RENDERER` string names a driver that rasterizes on the CPU.
fn rasterizes_on_cpu(renderer: &[u8]) -> bool {
    let renderer = String::from_utf8_lossy(renderer).to_ascii_lowercase();
    [
        "llvmpipe",
        "softpipe",
        "swrast",
        "swiftshader",
        "software rasterizer",
    ]
    .iter()
    .any(|name| renderer.contains(name))
}

/// What a read-back did (of a GL back buffer, or of a cairo paint surface): bands read,
/// and the time spent waiting for the rasterizer, which the swap would otherwise have
/// spent (GL only).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct BandsRead {
    pub(super) read: usize,
    pub(super) waited_ns: u64,
}

/// Reads `bands` (surface coordinates, `height` the surface's) at `scale` from the back
/// buffer of `context`, a GL context in its frame, if its driver rasterizes on the CPU.
///
/// # Safety
/// Called from the `end_frame` wrapper before the original, on the main thread: `context`
/// is a `GdkGLContext` in its frame.
pub(super) unsafe fn read_back_buffer(
    context: *mut GdkDrawContext,
    height: i32,
    scale: u32,
    bands: &mut [&mut Band],
) -> BandsRead {
    let Some(gl) = gl() else {
        return BandsRead::default();
    };
    // A fractional scale (GTK 4.12 and later, on Wayland) sizes the back buffer by that
    // scale, not by the integer one the bands are planned at: draw those frames instead.
    let surface = unsafe { gdk4_sys::gdk_draw_context_get_surface(context) };
    if unsafe { fractional_scale(surface) }.is_some_and(|s| s != f64::from(scale)) {
        return BandsRead::default();
    }
    unsafe {
        gdk4_sys::gdk_gl_context_make_current(context.cast());
        let renderer = (gl.get_string)(GL_RENDERER);
        if renderer.is_null() || !rasterizes_on_cpu(CStr::from_ptr(renderer.cast()).to_bytes()) {
            return BandsRead::default();
        }
        let gles = gdk4_sys::gdk_gl_context_get_use_es(context.cast()) != 0;
        // Errors left by others are not ours to report, nor to mistake for ours.
        for _ in 0..16 {
            if (gl.get_error)() == GL_NO_ERROR {
                break;
            }
        }
        let saved = SavedState::take(gl);
        (gl.bind_framebuffer)(GL_FRAMEBUFFER, 0);
        if saved.pack_buffer != 0 {
            (gl.bind_buffer)(GL_PIXEL_PACK_BUFFER, 0);
        }
        (gl.pixel_storei)(GL_PACK_ALIGNMENT, 4);
        (gl.pixel_storei)(GL_PACK_ROW_LENGTH, 0);
        (gl.pixel_storei)(GL_PACK_SKIP_ROWS, 0);
        (gl.pixel_storei)(GL_PACK_SKIP_PIXELS, 0);
        let wait_started = clock::monotonic_ns();
        (gl.finish)();
        let waited_ns = clock::monotonic_ns().saturating_sub(wait_started);
        let mut read = 0;
        for band in bands.iter_mut() {
            match read_band(gl, band.rect, height, scale, gles) {
                Some(data) => {
                    band.data = Some(data);
                    read += 1;
                }
                None => break,
            }
        }
        saved.restore(gl);
        BandsRead { read, waited_ns }
    }
}

/// `rect` of the bound framebuffer (`height` surface pixels high at `scale`), top row
/// first, as premultiplied B, G, R, A bytes (the GL renderer draws premultiplied).
unsafe fn read_band(
    gl: &Gl,
    rect: [i32; 4],
    height: i32,
    scale: u32,
    gles: bool,
) -> Option<Vec<u8>> {
    let scale = scale as i32;
    let [x, y, width, rows] = rect.map(|v| v.checked_mul(scale));
    let (x, y, width, rows) = (x?, y?, width?, rows?);
    // GL counts rows from the bottom.
    let gl_y = height
        .checked_mul(scale)?
        .checked_sub(y.checked_add(rows)?)?;
    if x < 0 || gl_y < 0 || width <= 0 || rows <= 0 {
        return None;
    }
    let stride = width as usize * 4;
    let mut data = vec![0u8; stride * rows as usize];
    let (format, kind) = if gles {
        (GL_RGBA, GL_UNSIGNED_BYTE)
    } else {
        (GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV)
    };
    unsafe {
        (gl.read_pixels)(x, gl_y, width, rows, format, kind, data.as_mut_ptr().cast());
        if (gl.get_error)() != GL_NO_ERROR {
            return None;
        }
    }
    flip_rows(&mut data, stride);
    if gles {
        for pixel in data.chunks_exact_mut(4) {
            pixel.swap(0, 2);
        }
    }
    // The format's byte order is little-endian ARGB32's (GL_BGRA + 8_8_8_8_REV is it in
    // native order).
    #[cfg(target_endian = "big")]
    for pixel in data.chunks_exact_mut(4) {
        pixel.reverse();
    }
    Some(data)
}

/// Turns bottom-up rows of `stride` bytes into top-down ones.
fn flip_rows(data: &mut [u8], stride: usize) {
    let rows = data.len() / stride;
    for top in 0..rows / 2 {
        let (upper, lower) = data.split_at_mut((rows - 1 - top) * stride);
        upper[top * stride..(top + 1) * stride].swap_with_slice(&mut lower[..stride]);
    }
}

/// The GL state a read changes, as the renderer had it.
struct SavedState {
    framebuffer: c_int,
    pack_buffer: c_int,
    alignment: c_int,
    row_length: c_int,
    skip_rows: c_int,
    skip_pixels: c_int,
}

impl SavedState {
    unsafe fn take(gl: &Gl) -> SavedState {
        let get = |name| {
            let mut value = 0;
            unsafe { (gl.get_integerv)(name, &mut value) };
            value
        };
        let state = SavedState {
            framebuffer: get(GL_FRAMEBUFFER_BINDING),
            pack_buffer: get(GL_PIXEL_PACK_BUFFER_BINDING),
            alignment: get(GL_PACK_ALIGNMENT),
            row_length: get(GL_PACK_ROW_LENGTH),
            skip_rows: get(GL_PACK_SKIP_ROWS),
            skip_pixels: get(GL_PACK_SKIP_PIXELS),
        };
        // A GL without pixel-pack buffers (GLES 2) answers GL_INVALID_ENUM: not an error
        // of the read.
        unsafe { (gl.get_error)() };
        state
    }

    unsafe fn restore(&self, gl: &Gl) {
        unsafe {
            (gl.bind_framebuffer)(GL_FRAMEBUFFER, self.framebuffer as c_uint);
            if self.pack_buffer != 0 {
                (gl.bind_buffer)(GL_PIXEL_PACK_BUFFER, self.pack_buffer as c_uint);
            }
            (gl.pixel_storei)(GL_PACK_ALIGNMENT, self.alignment.max(1));
            (gl.pixel_storei)(GL_PACK_ROW_LENGTH, self.row_length);
            (gl.pixel_storei)(GL_PACK_SKIP_ROWS, self.skip_rows);
            (gl.pixel_storei)(GL_PACK_SKIP_PIXELS, self.skip_pixels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_rasterizers_are_told_from_gpus() {
        assert!(rasterizes_on_cpu(b"llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(rasterizes_on_cpu(b"Software Rasterizer"));
        assert!(rasterizes_on_cpu(b"SwiftShader Device (Subzero)"));
        assert!(!rasterizes_on_cpu(
            b"AMD Radeon Graphics (renoir, LLVM 15.0.6, DRM 3.49)"
        ));
        assert!(!rasterizes_on_cpu(
            b"Mesa Intel(R) UHD Graphics 620 (KBL GT2)"
        ));
    }

    #[test]
    fn rows_are_turned_top_down() {
        let mut data = vec![1, 1, 2, 2, 3, 3];
        flip_rows(&mut data, 2);
        assert_eq!(data, [3, 3, 2, 2, 1, 1]);
        let mut even = vec![1, 2, 3, 4];
        flip_rows(&mut even, 1);
        assert_eq!(even, [4, 3, 2, 1]);
    }
}
