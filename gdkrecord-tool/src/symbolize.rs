//! Naming the code addresses of a recording (stall stacks, dispatch callbacks).
//!
//! The recorder stores each address with its module's path, its offset from the
//! module's load address, and the symbol `dladdr` found (exported functions only). A
//! Rust or C program's own functions are not exported, so here the module's ELF file,
//! when it exists on this machine, is read with the `object` crate: `.symtab` (present
//! unless the file was stripped) and `.dynsym` give every function's address range.
//! Rust names are demangled (`rustc-demangle`, hash dropped). An address that no table
//! names is shown as `module+0xoffset`.
//!
//! The file on disk is assumed to be the one that was recorded: a module rebuilt since
//! gives wrong names (the recording stores no build id to check).

use std::collections::HashMap;
use std::path::Path;

use gdkrecord_format::CodeAddress;
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};

/// A named code address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedFrame {
    /// The function (demangled), when a symbol table or the recording names it.
    pub function: Option<String>,
    /// The module's file name (`libgtk-4.so.1`), when known.
    pub module: Option<String>,
    /// Offset in the module (as recorded).
    pub offset: u64,
}

impl NamedFrame {
    /// `module+0xoffset` (or the bare address when the module is unknown).
    pub fn location(&self) -> String {
        match &self.module {
            Some(module) => format!("{module}+{:#x}", self.offset),
            None => format!("{:#x}", self.offset),
        }
    }

    /// The function's name, else its location: what identifies the frame in a group.
    pub fn label(&self) -> String {
        self.function.clone().unwrap_or_else(|| self.location())
    }
}

/// The functions of one module, by address.
#[derive(Debug)]
struct ModuleSymbols {
    /// Address of the module's first byte as mapped (lowest PT_LOAD, page aligned):
    /// what `dladdr` calls the module's base, so `vaddr = base_vaddr + offset`.
    base_vaddr: u64,
    /// `(start, end, name)`, sorted by start; `end == start` when the size is unknown.
    functions: Vec<(u64, u64, String)>,
}

impl ModuleSymbols {
    fn read(path: &Path) -> Option<ModuleSymbols> {
        let data = MappedFile::open(path)?;
        let file = object::File::parse(data.bytes()).ok()?;
        let base_vaddr = file
            .segments()
            .map(|s| s.address() & !0xfff)
            .min()
            .unwrap_or(0);
        let mut functions: Vec<(u64, u64, String)> = file
            .symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.address() != 0)
            .filter_map(|s| {
                Some((
                    s.address(),
                    s.address() + s.size(),
                    s.name().ok()?.to_owned(),
                ))
            })
            .filter(|(_, _, name)| !name.is_empty())
            .collect();
        // Sized symbols first at equal addresses, then the longer (more precise) name.
        functions.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        functions.dedup_by(|later, first| later.0 == first.0);
        Some(ModuleSymbols {
            base_vaddr,
            functions,
        })
    }

    /// The function holding `vaddr`.
    fn lookup(&self, vaddr: u64) -> Option<&str> {
        let index = self
            .functions
            .partition_point(|f| f.0 <= vaddr)
            .checked_sub(1)?;
        let (start, end, name) = &self.functions[index];
        // A sized symbol must contain the address; an unsized one is taken when the next
        // symbol starts after it (assembly stubs).
        let inside = if end > start {
            vaddr < *end
        } else {
            self.functions
                .get(index + 1)
                .is_none_or(|next| next.0 > vaddr)
                && vaddr - start < 0x1000
        };
        inside.then_some(name.as_str())
    }
}

/// Module files larger than this are not read (the largest libraries are a few hundred MB).
const MAX_MODULE_FILE: u64 = 4 << 30;

/// Distinct module files a symbolizer reads; the symbols of further modules come from the
/// recording only (a crafted recording naming a million paths is not a million reads).
const MAX_MODULES_READ: usize = 1024;

/// A whole file mapped read-only: system libraries are large (libLLVM is over 100 MB)
/// and only their symbol tables are read, so they are not copied into memory.
struct MappedFile {
    ptr: *mut libc::c_void,
    len: usize,
}

impl MappedFile {
    /// Maps the regular file at `path`, a module path read from a recording: untrusted.
    /// Nothing else is opened (a FIFO would block, a device would never end), and the
    /// open itself does not block.
    fn open(path: &Path) -> Option<MappedFile> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .ok()?;
        let metadata = file.metadata().ok()?;
        if !metadata.is_file() || metadata.len() > MAX_MODULE_FILE {
            return None;
        }
        let len = usize::try_from(metadata.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a private read-only mapping of an open file; unmapped in Drop. A file
        // truncated while mapped would fault on access: module files are not rewritten
        // in place (installers and linkers replace them).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then_some(MappedFile { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `len` bytes are mapped readable at `ptr` for the life of `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// Demangles a Rust symbol (without its hash); other names are returned as they are.
pub fn demangle(name: &str) -> String {
    match rustc_demangle::try_demangle(name) {
        Ok(demangled) => format!("{demangled:#}"),
        Err(_) => name.to_owned(),
    }
}

/// Names addresses, reading each module's symbol table once.
#[derive(Debug, Default)]
pub struct Symbolizer {
    modules: HashMap<String, Option<ModuleSymbols>>,
    /// Use only the symbols stored in the recording, never the module files.
    recorded_only: bool,
}

impl Symbolizer {
    /// A symbolizer that has read nothing yet. With `GDKRECORD_SYMBOLS=recorded` in the
    /// environment it reads no module file and names only what the recorder stored: for
    /// modules rebuilt since the recording (which would give wrong names), and for output
    /// that must not depend on the files of this machine (snapshot tests).
    pub fn new() -> Symbolizer {
        Symbolizer {
            modules: HashMap::new(),
            recorded_only: std::env::var_os("GDKRECORD_SYMBOLS").is_some_and(|v| v == "recorded"),
        }
    }

    /// Names `code`. `return_address` says the address was read from a stack as the
    /// address after a call: the call instruction (`offset - 1`) is looked up.
    pub fn name(&mut self, code: &CodeAddress, return_address: bool) -> NamedFrame {
        let module_name = code.module.as_deref().map(|m| {
            Path::new(m)
                .file_name()
                .map_or_else(|| m.to_owned(), |f| f.to_string_lossy().into_owned())
        });
        let lookup_offset = if return_address {
            code.offset.saturating_sub(1)
        } else {
            code.offset
        };
        let from_elf = code
            .module
            .as_deref()
            .filter(|_| !self.recorded_only)
            .and_then(|path| {
                if !self.modules.contains_key(path) && self.modules.len() >= MAX_MODULES_READ {
                    return None;
                }
                let symbols = self
                    .modules
                    .entry(path.to_owned())
                    .or_insert_with(|| ModuleSymbols::read(Path::new(path)))
                    .as_ref()?;
                symbols
                    .lookup(symbols.base_vaddr.wrapping_add(lookup_offset))
                    .map(demangle)
            });
        NamedFrame {
            function: from_elf.or_else(|| code.symbol.as_deref().map(demangle)),
            module: module_name,
            offset: code.offset,
        }
    }

    /// Names a stack stored innermost first: its first frame is the interrupted
    /// instruction itself, the others are return addresses.
    pub fn name_stack(&mut self, stack: &[CodeAddress]) -> Vec<NamedFrame> {
        stack
            .iter()
            .enumerate()
            .map(|(i, code)| self.name(code, i > 0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn a_function_only_the_symbol_table_knows() -> u64 {
        std::hint::black_box(42)
    }

    /// The address of a function of this very test binary, as the recorder would store it.
    fn recorded(addr: usize) -> CodeAddress {
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        // The load address: where /proc/self/maps maps offset 0 of the executable.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let base = maps
            .lines()
            .find(|l| {
                l.ends_with(exe.to_str().unwrap())
                    && l.split_whitespace().nth(2) == Some("00000000")
            })
            .and_then(|l| usize::from_str_radix(l.split('-').next().unwrap(), 16).ok())
            .unwrap();
        CodeAddress {
            addr: addr as u64,
            module: Some(exe.to_string_lossy().into_owned()),
            offset: (addr - base) as u64,
            symbol: None,
        }
    }

    #[test]
    fn names_a_non_exported_rust_function_from_the_symbol_table() {
        assert_eq!(a_function_only_the_symbol_table_knows(), 42);
        let addr = a_function_only_the_symbol_table_knows as *const () as usize;
        let mut symbolizer = Symbolizer::new();
        let frame = symbolizer.name(&recorded(addr + 1), true);
        let function = frame.function.expect("named from .symtab");
        assert!(
            function.ends_with("a_function_only_the_symbol_table_knows"),
            "{function}"
        );
        assert!(frame.module.is_some_and(|m| !m.contains('/')));
    }

    #[test]
    fn missing_module_falls_back_to_the_recorded_symbol_or_location() {
        let mut symbolizer = Symbolizer::new();
        let code = CodeAddress {
            addr: 0x1234,
            module: Some("/no/such/libx.so.1".into()),
            offset: 0x234,
            symbol: None,
        };
        let frame = symbolizer.name(&code, true);
        assert_eq!(frame.function, None);
        assert_eq!(frame.label(), "libx.so.1+0x234");
        let exported = CodeAddress {
            symbol: Some("g_main_context_iteration".into()),
            ..code
        };
        assert_eq!(
            symbolizer.name(&exported, true).label(),
            "g_main_context_iteration"
        );
        let nowhere = CodeAddress {
            addr: 16,
            module: None,
            offset: 16,
            symbol: None,
        };
        assert_eq!(symbolizer.name(&nowhere, false).label(), "0x10");
    }

    /// Regression: a recorded stack naming a FIFO as its module hung `stats`, `stalls`
    /// and `export` forever in `open`.
    #[test]
    fn fifo_or_device_named_as_module_is_not_opened() {
        let dir = std::env::temp_dir().join(format!("gdkrecord-symbolize-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("libfifo.so");
        let _ = std::fs::remove_file(&fifo);
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let mut symbolizer = Symbolizer::new();
        for module in [
            fifo.to_str().unwrap(),
            "/dev/zero",
            "/dev/null",
            "/proc/self/mem",
        ] {
            let code = CodeAddress {
                addr: 0x1000,
                module: Some(module.into()),
                offset: 0x10,
                symbol: None,
            };
            assert_eq!(symbolizer.name(&code, true).function, None, "{module}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rust_names_are_demangled_without_hash() {
        assert_eq!(
            demangle("_ZN7blocker25block_main_loop_for_300ms17h0123456789abcdefE"),
            "blocker::block_main_loop_for_300ms"
        );
        assert_eq!(demangle("g_usleep"), "g_usleep");
    }
}
