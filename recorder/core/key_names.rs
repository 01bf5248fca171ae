//! Key names for key events without a GDK call or an allocation per event on the main
//! thread.
//!
//! `gdk_keyval_name()` returns a pointer into GDK's static name table for the keyvals it
//! knows, and formats the others into one static buffer (`U+0041` for Unicode keyvals,
//! `0x1234` for the rest). A name from the table stays valid forever: the main thread
//! looks each keyval up once (the session keeps the answer) and passes the pointer on;
//! the writer thread copies the name. Names that GDK would format into its buffer are
//! formatted by the writer thread itself, the way GDK does, so the buffer is never read
//! after the fact. Whether this GDK behaves so is probed once ([`probe`]); if not, key
//! events keep going through GDK's getters and a copy of the name.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::small_map::SmallMap;

/// Where a key's name comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyName(
    /// The address of the name in GDK's static table; 0: format it from the keyval.
    usize,
);

/// `gdk_keyval_name()` of the GDK the process runs (given to [`probe`] by the front).
pub type KeyvalNameFn = unsafe extern "C" fn(keyval: u32) -> *const c_char;

/// The front's `gdk_keyval_name` (None before [`probe`]).
static LOOKUP: std::sync::OnceLock<KeyvalNameFn> = std::sync::OnceLock::new();
/// GDK's static buffer for formatted names (0 before [`probe`]).
static BUFFER: AtomicUsize = AtomicUsize::new(0);
/// The probe found GDK behaving as described above.
static USABLE: AtomicBool = AtomicBool::new(false);

/// `GDKRECORD_KEYS=redacted`: text keys are recorded without what was typed.
static REDACTED: AtomicBool = AtomicBool::new(false);

/// Reads `GDKRECORD_KEYS`: `all` (the default) or `redacted` (text keys lose their
/// keyval, name and keycode: the rule of `gdkrecord_format::Event::redact_typing`). An
/// unknown value is taken as `redacted`, with a warning: when unsure, keep less.
pub fn init_from_env() {
    let redacted = match std::env::var("GDKRECORD_KEYS").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "all") => false,
        Ok("redacted") => true,
        Ok(other) => {
            eprintln!("gdkrecord: GDKRECORD_KEYS={other}: unknown (all, redacted); recording keys redacted");
            true
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            eprintln!(
                "gdkrecord: GDKRECORD_KEYS is not UTF-8 (all, redacted); recording keys redacted"
            );
            true
        }
    };
    REDACTED.store(redacted, Ordering::Relaxed);
}

/// Whether key events are recorded redacted (`GDKRECORD_KEYS=redacted`).
#[inline]
pub fn redacting() -> bool {
    REDACTED.load(Ordering::Relaxed)
}

/// Probes `gdk_keyval_name()` (main thread, once GTK is initialized).
///
/// # Safety
/// `gdk_keyval_name` is GDK's, of the GDK this process runs.
pub unsafe fn probe(gdk_keyval_name: KeyvalNameFn) {
    let _ = LOOKUP.set(gdk_keyval_name);
    // SAFETY: gdk_keyval_name takes any keyval; names are NUL-terminated.
    unsafe {
        let name = |keyval: u32| gdk_keyval_name(keyval);
        let text = |p: *const c_char| (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes().to_vec());
        let unicode_a = name(0x0100_0041);
        let unicode_a_text = text(unicode_a);
        let unicode_b = name(0x0100_0042);
        // Read each formatted name before the next call overwrites the buffer.
        let unicode_b_text = text(unicode_b);
        let unknown = name(0x00ff_fffe);
        let unknown_text = text(unknown);
        let table_a = name(u32::from(b'a'));
        let table_a_again = name(u32::from(b'a'));
        let usable = unicode_a_text.as_deref() == Some(b"U+0041".as_slice())
            && unicode_b == unicode_a
            && unicode_b_text.as_deref() == Some(b"U+0042".as_slice())
            && unknown == unicode_a
            && unknown_text.as_deref() == Some(b"0xfffffe".as_slice())
            && !table_a.is_null()
            && table_a != unicode_a
            && table_a == table_a_again
            && text(table_a).as_deref() == Some(b"a".as_slice());
        BUFFER.store(unicode_a as usize, Ordering::Relaxed);
        USABLE.store(usable, Ordering::Relaxed);
    }
}

/// Whether key names can be passed on as [`KeyName`]s.
pub fn usable() -> bool {
    USABLE.load(Ordering::Relaxed)
}

/// Looks `keyval` up in GDK (once per keyval: the caller keeps the answer).
///
/// # Safety
/// [`usable`] is true.
pub unsafe fn look_up(keyval: u32) -> KeyName {
    let Some(gdk_keyval_name) = LOOKUP.get() else {
        return KeyName(0);
    };
    let name = unsafe { gdk_keyval_name(keyval) } as usize;
    if name == BUFFER.load(Ordering::Relaxed) {
        KeyName(0)
    } else {
        KeyName(name)
    }
}

impl KeyName {
    /// The name of `keyval` (None for keyval 0, which has none).
    pub fn text(self, keyval: u32) -> Option<String> {
        if self.0 != 0 {
            // SAFETY: an address from GDK's static name table (checked by `look_up`).
            return Some(
                unsafe { CStr::from_ptr(self.0 as *const c_char) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        // What `gdk_keyval_name()` formats into its buffer.
        if keyval & 0xff00_0000 == 0x0100_0000 {
            Some(format!("U+{:04X}", keyval & 0x00ff_ffff))
        } else if keyval != 0 {
            Some(format!("{keyval:#x}"))
        } else {
            None
        }
    }
}

/// The names a front looked up, by keyval (its main thread's table).
#[derive(Debug, Default)]
pub struct KeyNameCache(SmallMap<KeyName, 32>);

impl KeyNameCache {
    pub fn new() -> KeyNameCache {
        KeyNameCache(SmallMap::new())
    }

    /// The name of `keyval` (not 0), looked up in GDK the first time.
    ///
    /// # Safety
    /// [`usable`] is true.
    pub unsafe fn name(&mut self, keyval: u32) -> KeyName {
        let key = keyval as usize;
        if let Some(name) = self.0.get_mut(key) {
            return *name;
        }
        let name = unsafe { look_up(keyval) };
        *self.0.insert(key, name)
    }
}
