//! Reading a large rectangle of a GTK 3 window through the X server's shared memory
//! (MIT-SHM `XShmGetImage`): the server copies the pixels into a segment both map, where
//! cairo's route through the window's surface (`pixels.rs`) has them sent over the socket
//! (`XGetImage`): a whole 1400×1000 window in about 1 ms instead of about 12. Xlib and
//! libXext are GDK 3's own on X11; their functions are looked up in the process, and any
//! doubt (no MIT-SHM, a visual other than 24- or 32-bit true colour, a failed call) leaves
//! the rectangle to cairo's route.
//!
//! One segment is kept for the process (grown when a larger rectangle comes), attached to
//! the X server once and marked for removal at once, so nothing outlives the process.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use gdkrecord_format::Rect;

use crate::ffi::GdkWindow;

type Display = c_void;
type Visual = c_void;

/// Xlib's `XImage` (X11/Xlib.h), of which the fields read here and its destroy function.
#[repr(C)]
struct XImage {
    width: c_int,
    height: c_int,
    xoffset: c_int,
    format: c_int,
    data: *mut c_char,
    byte_order: c_int,
    bitmap_unit: c_int,
    bitmap_bit_order: c_int,
    bitmap_pad: c_int,
    depth: c_int,
    bytes_per_line: c_int,
    bits_per_pixel: c_int,
    red_mask: c_ulong,
    green_mask: c_ulong,
    blue_mask: c_ulong,
    obdata: *mut c_char,
    create_image: *mut c_void,
    destroy_image: Option<unsafe extern "C" fn(*mut XImage) -> c_int>,
    get_pixel: *mut c_void,
    put_pixel: *mut c_void,
    sub_image: *mut c_void,
    add_pixel: *mut c_void,
}

/// `XShmSegmentInfo` (X11/extensions/XShm.h).
#[repr(C)]
struct SegmentInfo {
    shmseg: c_ulong,
    shmid: c_int,
    shmaddr: *mut c_char,
    read_only: c_int,
}

const Z_PIXMAP: c_int = 2;
const LSB_FIRST: c_int = 0;
const ALL_PLANES: c_ulong = !0;

extern "C" {
    fn gdk_error_trap_push();
    fn gdk_error_trap_pop() -> c_int;
    fn gdk_window_get_display(window: *mut GdkWindow) -> *mut c_void;
    fn gdk_window_get_visual(window: *mut GdkWindow) -> *mut c_void;
    fn gdk_visual_get_depth(visual: *mut c_void) -> c_int;
    fn gdk_x11_display_get_xdisplay(display: *mut c_void) -> *mut Display;
    fn gdk_x11_window_get_xid(window: *mut GdkWindow) -> c_ulong;
    fn gdk_x11_visual_get_xvisual(visual: *mut c_void) -> *mut Visual;
}

type QueryFn = unsafe extern "C" fn(*mut Display) -> c_int;
type CreateImageFn = unsafe extern "C" fn(
    *mut Display,
    *mut Visual,
    c_uint,
    c_int,
    *mut c_char,
    *mut SegmentInfo,
    c_uint,
    c_uint,
) -> *mut XImage;
type AttachFn = unsafe extern "C" fn(*mut Display, *mut SegmentInfo) -> c_int;
type GetImageFn =
    unsafe extern "C" fn(*mut Display, c_ulong, *mut XImage, c_int, c_int, c_ulong) -> c_int;
type SyncFn = unsafe extern "C" fn(*mut Display, c_int) -> c_int;

/// The MIT-SHM functions of libXext, and Xlib's `XSync`.
struct Shm {
    query: QueryFn,
    create_image: CreateImageFn,
    attach: AttachFn,
    detach: AttachFn,
    get_image: GetImageFn,
    sync: SyncFn,
}

/// The functions, if the process has them.
fn shm() -> Option<&'static Shm> {
    static SHM: OnceLock<Option<Shm>> = OnceLock::new();
    SHM.get_or_init(|| {
        let find = |name: &CStr| {
            let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            (!f.is_null()).then_some(f)
        };
        // SAFETY: these symbols are libXext's and Xlib's functions of these signatures.
        unsafe {
            Some(Shm {
                query: std::mem::transmute::<*mut c_void, QueryFn>(find(c"XShmQueryExtension")?),
                create_image: std::mem::transmute::<*mut c_void, CreateImageFn>(find(
                    c"XShmCreateImage",
                )?),
                attach: std::mem::transmute::<*mut c_void, AttachFn>(find(c"XShmAttach")?),
                detach: std::mem::transmute::<*mut c_void, AttachFn>(find(c"XShmDetach")?),
                get_image: std::mem::transmute::<*mut c_void, GetImageFn>(find(c"XShmGetImage")?),
                sync: std::mem::transmute::<*mut c_void, SyncFn>(find(c"XSync")?),
            })
        }
    })
    .as_ref()
}

/// The process's segment, attached to the X server of `display`.
struct Segment {
    info: Box<SegmentInfo>,
    bytes: usize,
    display: usize,
}

thread_local! {
    static SEGMENT: RefCell<Option<Segment>> = const { RefCell::new(None) };
}

/// The X server refused to attach a segment.
static REFUSED: AtomicBool = AtomicBool::new(false);

/// Whether the display supports MIT-SHM (asked once) and has not refused a segment.
fn supported(shm: &Shm, display: *mut Display) -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    !REFUSED.load(Ordering::Relaxed)
        && *SUPPORTED.get_or_init(|| unsafe { (shm.query)(display) } != 0)
}

/// A segment of at least `bytes` attached to `display`: the kept one, or a new one.
unsafe fn segment(
    shm: &Shm,
    display: *mut Display,
    bytes: usize,
    kept: &mut Option<Segment>,
) -> Option<*mut SegmentInfo> {
    if let Some(segment) = kept.as_mut() {
        if segment.bytes >= bytes && segment.display == display as usize {
            return Some(&mut *segment.info as *mut SegmentInfo);
        }
        // Too small (or another display): let it go.
        unsafe {
            (shm.detach)(segment.display as *mut Display, &mut *segment.info);
            (shm.sync)(segment.display as *mut Display, 0);
            libc::shmdt(segment.info.shmaddr.cast());
        }
        *kept = None;
    }
    let shmid = unsafe { libc::shmget(libc::IPC_PRIVATE, bytes, libc::IPC_CREAT | 0o600) };
    if shmid < 0 {
        return None;
    }
    let address = unsafe { libc::shmat(shmid, std::ptr::null(), 0) };
    if address as isize == -1 {
        unsafe { libc::shmctl(shmid, libc::IPC_RMID, std::ptr::null_mut()) };
        return None;
    }
    let mut info = Box::new(SegmentInfo {
        shmseg: 0,
        shmid,
        shmaddr: address.cast(),
        read_only: 0,
    });
    // A server that cannot map our memory (another machine, another IPC namespace)
    // refuses: never tried again in this process.
    let attached = unsafe {
        gdk_error_trap_push();
        let attached = (shm.attach)(display, &mut *info) != 0;
        (shm.sync)(display, 0);
        gdk_error_trap_pop() == 0 && attached
    };
    // Removed now, the segment goes when the last of us and the server lets go of it.
    unsafe { libc::shmctl(shmid, libc::IPC_RMID, std::ptr::null_mut()) };
    if !attached {
        REFUSED.store(true, Ordering::Relaxed);
        unsafe { libc::shmdt(address) };
        return None;
    }
    let segment = kept.insert(Segment {
        info,
        bytes,
        display: display as usize,
    });
    Some(&mut *segment.info as *mut SegmentInfo)
}

/// `rect` (application pixels) of `window` at `scale` through shared memory, as
/// premultiplied B, G, R, A; `None` to leave it to cairo's route.
///
/// # Safety
/// `window` is a live, viewable X11 surface window; X errors are trapped by the caller.
pub(crate) unsafe fn read(window: *mut GdkWindow, rect: Rect, scale: u32) -> Option<Vec<u8>> {
    let shm = shm()?;
    let scale = i32::try_from(scale).ok()?;
    let (x, y) = (rect[0].checked_mul(scale)?, rect[1].checked_mul(scale)?);
    let (width, height) = (rect[2].checked_mul(scale)?, rect[3].checked_mul(scale)?);
    if x < 0 || y < 0 || width <= 0 || height <= 0 {
        return None;
    }
    let (display, xid, visual, depth) = unsafe {
        let visual = gdk_window_get_visual(window);
        (
            gdk_x11_display_get_xdisplay(gdk_window_get_display(window)),
            gdk_x11_window_get_xid(window),
            gdk_x11_visual_get_xvisual(visual),
            gdk_visual_get_depth(visual),
        )
    };
    if display.is_null() || visual.is_null() || !(depth == 24 || depth == 32) {
        return None;
    }
    if !supported(shm, display) {
        return None;
    }
    SEGMENT.with(|kept| {
        let mut kept = kept.try_borrow_mut().ok()?;
        let bytes = width as usize * height as usize * 4;
        let info = unsafe { segment(shm, display, bytes, &mut kept)? };
        let image = unsafe {
            (shm.create_image)(
                display,
                visual,
                depth as c_uint,
                Z_PIXMAP,
                std::ptr::null_mut(),
                info,
                width as c_uint,
                height as c_uint,
            )
        };
        if image.is_null() {
            return None;
        }
        unsafe {
            (*image).data = (*info).shmaddr;
            let read = (shm.get_image)(display, xid, image, x, y, ALL_PLANES) != 0;
            let data = read.then(|| copy_out(&*image, depth)).flatten();
            // The data is the segment's: not Xlib's to free.
            (*image).data = std::ptr::null_mut();
            if let Some(destroy) = (*image).destroy_image {
                destroy(image);
            }
            data
        }
    })
}

/// The image's rows as B, G, R, A (opaque for a 24-bit visual, whose fourth byte means
/// nothing); `None` for a layout other than 32 bits a pixel, least significant byte first.
unsafe fn copy_out(image: &XImage, depth: c_int) -> Option<Vec<u8>> {
    if image.bits_per_pixel != 32 || image.byte_order != LSB_FIRST {
        return None;
    }
    let row = image.width as usize * 4;
    let stride = usize::try_from(image.bytes_per_line).ok()?;
    if stride < row {
        return None;
    }
    let mut out = Vec::with_capacity(row * image.height as usize);
    for y in 0..image.height as usize {
        // SAFETY: the segment holds `height` rows of `bytes_per_line` bytes.
        let line =
            unsafe { std::slice::from_raw_parts(image.data.add(y * stride).cast::<u8>(), row) };
        out.extend_from_slice(line);
    }
    if depth == 24 {
        for pixel in out.chunks_exact_mut(4) {
            pixel[3] = 255;
        }
    }
    Some(out)
}
