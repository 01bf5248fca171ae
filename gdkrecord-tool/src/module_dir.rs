//! `gdkrecord-tool module-dir`: finds the recorder's libraries and makes a directory each
//! GTK loads its own from, for `GTK_PATH=<dir>`: GTK 4 scans
//! `<dir>/4.0.0/media/libgdkrecord.so` (-> libgdkrecord.so); GTK 3 loads
//! `<dir>/3.0.0/modules/libgdkrecord.so` (-> libgdkrecord_gtk3.so) when `GTK_MODULES`
//! names `gdkrecord`. Symlinks, kept pointing at the libraries: installed with them
//! (`scripts/install`, the Debian package), or made at run time next to a cargo build's
//! libraries or in the user's cache, never in a system directory.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cli::ModuleDirArgs;

/// The module's file name; unique, so GIO never confuses it with a module GTK ships.
const MODULE_NAME: &str = "libgdkrecord.so";
/// Where GTK 4 looks for GIO modules under each GTK_PATH entry.
const MEDIA_SUBDIR: &str = "4.0.0/media";
/// The GTK 3 front's file name, beside [`MODULE_NAME`].
const GTK3_LIBRARY: &str = "libgdkrecord_gtk3.so";
/// Where GTK 3 looks for `GTK_MODULES` under each GTK_PATH entry.
const GTK3_MODULES_SUBDIR: &str = "3.0.0/modules";
/// The GTK_PATH directory next to the module (`scripts/install` ships it ready-made).
const GTK_PATH_DIR_NAME: &str = "gdkrecord-gtk-path";
/// The name to put in `GTK_MODULES` (GTK 3 loads `lib<name>.so`).
pub const GTK3_MODULE: &str = "gdkrecord";

pub fn run(_args: &ModuleDirArgs) -> Result<ExitCode> {
    println!("{}", ensure_module_dir()?.display());
    Ok(ExitCode::SUCCESS)
}

/// Where the recorder module was found, which decides where its GTK_PATH directory may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundModule {
    /// `$GDKRECORD_MODULE`, or beside this executable (a cargo build): the user's own
    /// directory, where a GTK_PATH directory may be made next to the module.
    Own(PathBuf),
    /// `<exe_dir>/../lib/gdkrecord/` (`scripts/install`, the Debian package): its GTK_PATH
    /// directory is installed with it; nothing there is ever written at run time, whoever
    /// runs the tool (root too).
    Installed(PathBuf),
}

impl FoundModule {
    /// The module's path.
    pub fn path(&self) -> &Path {
        match self {
            FoundModule::Own(path) | FoundModule::Installed(path) => path,
        }
    }
}

/// The recorder module: `$GDKRECORD_MODULE`, else beside this executable (a cargo build),
/// else `<exe_dir>/../lib/gdkrecord/` (an installed layout).
pub fn find_module() -> Result<FoundModule> {
    if let Some(path) = std::env::var_os("GDKRECORD_MODULE").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "GDKRECORD_MODULE is {}, which is not a file",
                path.display()
            );
        }
        return Ok(FoundModule::Own(path));
    }
    let exe = std::env::current_exe().context("cannot find the gdkrecord-tool executable")?;
    let exe_dir = exe.parent().context("the executable has no directory")?;
    let beside = exe_dir.join(MODULE_NAME);
    let installed = exe_dir.join("../lib/gdkrecord").join(MODULE_NAME);
    if beside.is_file() {
        Ok(FoundModule::Own(beside))
    } else if installed.is_file() {
        Ok(FoundModule::Installed(installed))
    } else {
        bail!(
            "the recorder module {MODULE_NAME} is not in {} nor {}; build it with `cargo build -p gdkrecord-recorder` \
             (same profile as the tool) or set GDKRECORD_MODULE to its path",
            beside.display(),
            installed.display()
        )
    }
}

/// Makes sure a GTK_PATH directory holding the module exists and returns it: the one next to
/// the module when it already holds it (as installed), else one made next to the module when
/// that is the user's own build and writable, else one under `$XDG_CACHE_HOME/gdkrecord`.
pub fn ensure_module_dir() -> Result<PathBuf> {
    let found = find_module()?;
    let module = found
        .path()
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", found.path().display()))?;
    let beside = module.parent().map(|dir| dir.join(GTK_PATH_DIR_NAME));
    if let Some(beside) = beside.as_ref().filter(|dir| holds_libraries(dir, &module)) {
        return Ok(beside.clone());
    }
    let writable_beside = match found {
        FoundModule::Own(_) => beside,
        FoundModule::Installed(_) => None,
    };
    let mut errors = Vec::new();
    for base in writable_beside.into_iter().chain(cache_dir(&module)) {
        match install(&base, &module) {
            Ok(()) => return Ok(base),
            Err(error) => errors.push(format!("{}: {error:#}", base.display())),
        }
    }
    bail!(
        "cannot make a GTK_PATH directory for {}: {}",
        module.display(),
        errors.join("; ")
    )
}

/// Whether `base` is a GTK_PATH directory whose links lead to `module` (canonical) and to the
/// GTK 3 library beside it (no GTK 3 link at all when there is none, not even a dangling
/// one); an installed one links relatively (`../../../libgdkrecord.so`), so it survives a
/// DESTDIR.
fn holds_libraries(base: &Path, module: &Path) -> bool {
    let gtk4_link = base.join(MEDIA_SUBDIR).join(MODULE_NAME);
    let gtk3_link = base.join(GTK3_MODULES_SUBDIR).join(MODULE_NAME);
    let gtk3 = module.with_file_name(GTK3_LIBRARY);
    let gtk3_ok = if gtk3.is_file() {
        gtk3_link.canonicalize().ok() == gtk3.canonicalize().ok()
    } else {
        std::fs::symlink_metadata(&gtk3_link).is_err()
    };
    gtk4_link.canonicalize().ok().as_deref() == Some(module) && gtk3_ok
}

/// `$XDG_CACHE_HOME/gdkrecord/gtk-path-<hash of the module path>` (one per build).
fn cache_dir(module: &Path) -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    module.hash(&mut hasher);
    Some(
        cache
            .join("gdkrecord")
            .join(format!("gtk-path-{:016x}", hasher.finish())),
    )
}

/// Creates `<base>/4.0.0/media/libgdkrecord.so` -> `module` and, when the GTK 3 library
/// is beside `module`, `<base>/3.0.0/modules/libgdkrecord.so` -> it (replacing stale
/// links; removing a GTK 3 link whose library is gone, so GTK 3 warns instead of
/// loading an old build).
fn install(base: &Path, module: &Path) -> Result<()> {
    link(&base.join(MEDIA_SUBDIR), module)?;
    let gtk3 = module.with_file_name(GTK3_LIBRARY);
    let gtk3_dir = base.join(GTK3_MODULES_SUBDIR);
    if gtk3.is_file() {
        link(&gtk3_dir, &gtk3)?;
    } else {
        let _ = std::fs::remove_file(gtk3_dir.join(MODULE_NAME));
    }
    Ok(())
}

/// Creates `<dir>/libgdkrecord.so` -> `library`.
fn link(dir: &Path, library: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let link = dir.join(MODULE_NAME);
    if std::fs::read_link(&link).is_ok_and(|target| target == library) {
        return Ok(());
    }
    // Replace atomically: a program starting now sees the old link or the new one.
    let temp = dir.join(format!(".{MODULE_NAME}.{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    std::os::unix::fs::symlink(library, &temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    std::fs::rename(&temp, &link).with_context(|| format!("cannot create {}", link.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_creates_and_refreshes_the_link() {
        let dir =
            std::env::temp_dir().join(format!("gdkrecord-module-dir-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (old, new) = (dir.join("old.so"), dir.join("new.so"));
        std::fs::write(&old, b"").unwrap();
        std::fs::write(&new, b"").unwrap();
        let base = dir.join("gtk-path");
        install(&base, &old).unwrap();
        let link = base.join("4.0.0/media/libgdkrecord.so");
        assert_eq!(std::fs::read_link(&link).unwrap(), old);
        install(&base, &new).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), new);
        assert_eq!(
            std::fs::read_dir(base.join("4.0.0/media")).unwrap().count(),
            1,
            "no temp link left"
        );
        assert!(
            !base.join("3.0.0/modules/libgdkrecord.so").exists(),
            "no GTK 3 library beside: no GTK 3 link"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_gtk3_library_beside_gets_its_own_link() {
        let dir = std::env::temp_dir().join(format!(
            "gdkrecord-module-dir-gtk3-test-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (gtk4, gtk3) = (dir.join(MODULE_NAME), dir.join(GTK3_LIBRARY));
        std::fs::write(&gtk4, b"").unwrap();
        std::fs::write(&gtk3, b"").unwrap();
        let base = dir.join("gtk-path");
        install(&base, &gtk4).unwrap();
        assert_eq!(
            std::fs::read_link(base.join("4.0.0/media/libgdkrecord.so")).unwrap(),
            gtk4
        );
        assert_eq!(
            std::fs::read_link(base.join("3.0.0/modules/libgdkrecord.so")).unwrap(),
            gtk3
        );
        std::fs::remove_file(&gtk3).unwrap();
        install(&base, &gtk4).unwrap();
        assert!(std::fs::symlink_metadata(base.join("3.0.0/modules/libgdkrecord.so")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_installed_directory_with_relative_links_is_used_as_it_is() {
        let dir = std::env::temp_dir().join(format!(
            "gdkrecord-module-dir-installed-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let base = dir.join(GTK_PATH_DIR_NAME);
        let (media, modules) = (base.join(MEDIA_SUBDIR), base.join(GTK3_MODULES_SUBDIR));
        std::fs::create_dir_all(&media).unwrap();
        std::fs::create_dir_all(&modules).unwrap();
        let module = dir.join(MODULE_NAME);
        std::fs::write(&module, b"").unwrap();
        let module = module.canonicalize().unwrap();
        assert!(!holds_libraries(&base, &module), "no link yet");
        std::os::unix::fs::symlink("../../../libgdkrecord.so", media.join(MODULE_NAME)).unwrap();
        assert!(holds_libraries(&base, &module));
        assert!(!holds_libraries(&base, &dir.join("other.so")));
        // A GTK 3 library installed beside needs its link too.
        std::fs::write(dir.join(GTK3_LIBRARY), b"").unwrap();
        assert!(!holds_libraries(&base, &module), "GTK 3 link missing");
        std::os::unix::fs::symlink("../../../libgdkrecord_gtk3.so", modules.join(MODULE_NAME))
            .unwrap();
        assert!(holds_libraries(&base, &module));
        // Its library gone, a dangling GTK 3 link is not taken as it is.
        std::fs::remove_file(dir.join(GTK3_LIBRARY)).unwrap();
        assert!(!holds_libraries(&base, &module), "dangling GTK 3 link");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cache_dirs_differ_per_module() {
        std::env::set_var("XDG_CACHE_HOME", "/nonexistent-cache");
        let a = cache_dir(Path::new("/a/libgdkrecord.so")).unwrap();
        let b = cache_dir(Path::new("/b/libgdkrecord.so")).unwrap();
        assert!(a.starts_with("/nonexistent-cache/gdkrecord"));
        assert_ne!(a, b);
    }
}
