//! Naming code addresses in this process with `dladdr`: the module (executable or
//! library) holding an address, the address's offset from the module's load address,
//! and the exported symbol around it when there is one.
//!
//! Not async-signal-safe (dladdr takes the loader's lock): called from the stall
//! watchdog thread and, for slow dispatches only, from the main thread. The tool later
//! names what `dladdr` could not (non-exported functions) from the module's symbol table.

use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::Mutex;

use gdkrecord_format::CodeAddress;

/// Addresses already resolved (a stalled program is sampled at the same few places);
/// bounded so a long recording cannot grow it without end.
static CACHE: Mutex<Option<HashMap<(usize, bool), CodeAddress>>> = Mutex::new(None);
const CACHE_LIMIT: usize = 16_384;

/// The executable's real path: `dladdr` reports the main program under the name it was
/// started with (`./blocker`, or even `""`), useless from another directory.
fn main_executable() -> Option<String> {
    std::fs::read_link("/proc/self/exe")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Where the main program is mapped (`dli_fbase` of its program headers), to tell it
/// from the vDSO and libraries that `dladdr` also names without a directory.
fn main_program_base() -> usize {
    static BASE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        // SAFETY: getauxval has no preconditions; dladdr only reads the loader's tables.
        let phdr = unsafe { libc::getauxval(libc::AT_PHDR) } as usize;
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        if phdr == 0 || unsafe { libc::dladdr(phdr as *const libc::c_void, &mut info) } == 0 {
            return usize::MAX;
        }
        info.dli_fbase as usize
    })
}

/// Resolves `addr`. `return_address` says it was read from a stack as the address after
/// a call instruction: the call itself (`addr - 1`) is looked up, so a call that is the
/// last instruction of a function is not named after the next function.
pub(crate) fn resolve(addr: usize, return_address: bool) -> CodeAddress {
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(known) = cache.get(&(addr, return_address)) {
        return known.clone();
    }
    let resolved = resolve_uncached(addr, return_address);
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert((addr, return_address), resolved.clone());
    resolved
}

fn resolve_uncached(addr: usize, return_address: bool) -> CodeAddress {
    let lookup = if return_address {
        addr.saturating_sub(1)
    } else {
        addr
    };
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the loader's tables; `info` is a valid out-pointer.
    let found = unsafe { libc::dladdr(lookup as *const libc::c_void, &mut info) } != 0;
    if !found {
        return CodeAddress {
            addr: addr as u64,
            module: None,
            offset: addr as u64,
            symbol: None,
        };
    }
    let fname = if info.dli_fname.is_null() {
        String::new()
    } else {
        // SAFETY: dladdr returns NUL-terminated strings owned by the loader.
        unsafe { CStr::from_ptr(info.dli_fname) }
            .to_string_lossy()
            .into_owned()
    };
    let module = if info.dli_fbase as usize == main_program_base() {
        main_executable().or((!fname.is_empty()).then_some(fname))
    } else {
        (!fname.is_empty()).then_some(fname)
    };
    let symbol = (!info.dli_sname.is_null()).then(|| {
        unsafe { CStr::from_ptr(info.dli_sname) }
            .to_string_lossy()
            .into_owned()
    });
    CodeAddress {
        addr: addr as u64,
        module,
        offset: (addr as u64).wrapping_sub(info.dli_fbase as u64),
        symbol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_libc_function_is_named_with_its_module() {
        let addr = libc::getpid as *const () as usize;
        let code = resolve(addr, false);
        assert_eq!(code.addr, addr as u64);
        // glibc exports it as getpid and __getpid at one address: either name is right.
        assert!(
            code.symbol
                .as_deref()
                .is_some_and(|s| s.ends_with("getpid")),
            "{code:?}"
        );
        assert!(
            code.module.as_deref().is_some_and(|m| m.contains("libc")),
            "{code:?}"
        );
        assert!(code.offset > 0 && code.offset < addr as u64);
        // A return address just past the function's first byte names the same function.
        assert_eq!(resolve(addr + 1, true).symbol, code.symbol);
    }

    #[test]
    fn main_program_gets_an_absolute_path() {
        #[inline(never)]
        fn local_function() -> usize {
            local_function as *const () as usize
        }
        let code = resolve(local_function(), false);
        let module = code.module.expect("the test binary is a module");
        assert!(module.starts_with('/'), "{module}");
    }

    #[test]
    fn unmapped_address_has_no_module() {
        let code = resolve(16, false);
        assert_eq!(code.module, None);
        assert_eq!(code.symbol, None);
    }
}
