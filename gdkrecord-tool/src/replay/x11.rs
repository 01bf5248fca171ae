//! The X11 side of `replay`: a plain client connection to the app's display, the app's
//! windows found by its pid (`_NET_WM_PID`), input sent with XTEST as if from the user's
//! devices, toplevels resized, and a polite close (`WM_DELETE_WINDOW`, as a window
//! manager's close button).

use anyhow::{bail, Context, Result};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    self, AtomEnum, ClientMessageEvent, ConfigureWindowAux, ConnectionExt as _, EventMask,
    InputFocus, MapState, Window,
};
use x11rb::protocol::xtest::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;

/// How deep below the root the app's windows are looked for: 1 without a window manager,
/// 2 or 3 under a reparenting one (frame, maybe a container).
const SEARCH_DEPTH: u32 = 3;

/// A connection to the display the app runs on.
pub struct Display {
    conn: RustConnection,
    root: Window,
    net_wm_pid: xproto::Atom,
    wm_protocols: xproto::Atom,
    wm_delete_window: xproto::Atom,
    /// Keysyms per keycode, from `min_keycode`, for keys recorded without a keycode.
    keymap: Option<(u8, u8, Vec<u32>)>,
    /// Keys and buttons pressed and not released yet: a recording often ends on a
    /// press (the key that quit the app), which must not stay held for the next app.
    held_keys: Vec<u8>,
    held_buttons: Vec<u8>,
    /// The server's key autorepeat, turned off while replaying (REC holds the repeats
    /// its keys made) and restored when this is dropped.
    autorepeat_was_on: bool,
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display").field("root", &self.root).finish()
    }
}

/// One of the app's X windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppWindow {
    pub id: Window,
    pub override_redirect: bool,
    pub width: u16,
    pub height: u16,
}

impl Display {
    /// Connects to `$DISPLAY` and checks that it takes XTEST input.
    pub fn open() -> Result<Display> {
        let name = std::env::var("DISPLAY").unwrap_or_default();
        if name.is_empty() {
            if std::env::var_os("WAYLAND_DISPLAY").is_some() {
                bail!("no X11 display (DISPLAY is not set): under Wayland no client may inject input; replay under Xvfb, Xwayland (GDK_BACKEND=x11) or weston in Xvfb (docs/ci.md)");
            }
            bail!("no display: DISPLAY is not set (replay needs an X11 display, such as Xvfb: docs/ci.md)");
        }
        let (conn, screen) = x11rb::connect(Some(&name))
            .with_context(|| format!("cannot open the X11 display {name}"))?;
        let root = conn.setup().roots[screen].root;
        if conn
            .extension_information(xtest::X11_EXTENSION_NAME)
            .context("X11 extension query")?
            .is_none()
        {
            bail!("the X11 display {name} has no XTEST extension: it cannot take replayed input");
        }
        let atom = |name: &str| -> Result<xproto::Atom> {
            Ok(conn
                .intern_atom(false, name.as_bytes())?
                .reply()
                .with_context(|| format!("X11 atom {name}"))?
                .atom)
        };
        let autorepeat_was_on = conn
            .get_keyboard_control()?
            .reply()
            .context("X11 keyboard control")?
            .global_auto_repeat
            == xproto::AutoRepeatMode::ON;
        set_autorepeat(&conn, false)?;
        Ok(Display {
            autorepeat_was_on,
            net_wm_pid: atom("_NET_WM_PID")?,
            wm_protocols: atom("WM_PROTOCOLS")?,
            wm_delete_window: atom("WM_DELETE_WINDOW")?,
            conn,
            root,
            keymap: None,
            held_keys: Vec::new(),
            held_buttons: Vec::new(),
        })
    }

    /// The viewable windows of process `pid`, in creation (XID) order.
    pub fn windows_of(&self, pid: u32) -> Result<Vec<AppWindow>> {
        let mut found = Vec::new();
        self.search(self.root, pid, SEARCH_DEPTH, &mut found)?;
        found.sort_by_key(|w| w.id);
        Ok(found)
    }

    fn search(
        &self,
        parent: Window,
        pid: u32,
        depth: u32,
        found: &mut Vec<AppWindow>,
    ) -> Result<()> {
        let Ok(tree) = self.conn.query_tree(parent)?.reply() else {
            return Ok(()); // gone meanwhile
        };
        for child in tree.children {
            let Ok(attributes) = self.conn.get_window_attributes(child)?.reply() else {
                continue;
            };
            if attributes.map_state != MapState::VIEWABLE {
                continue;
            }
            if self.pid_of(child)? == Some(pid) {
                if let Ok(geometry) = self.conn.get_geometry(child)?.reply() {
                    found.push(AppWindow {
                        id: child,
                        override_redirect: attributes.override_redirect,
                        width: geometry.width,
                        height: geometry.height,
                    });
                }
            } else if depth > 1 && !attributes.override_redirect {
                self.search(child, pid, depth - 1, found)?;
            }
        }
        Ok(())
    }

    /// The X window of a weston nested in this display (its X11 backend, WM_CLASS
    /// "Weston Compositor"), whose kiosk shell shows its Wayland client fullscreen at the
    /// window's origin; `None` when there is none.
    pub fn nested_weston(&self) -> Result<Option<Window>> {
        let tree = self.conn.query_tree(self.root)?.reply()?;
        for child in tree.children {
            let Ok(attributes) = self.conn.get_window_attributes(child)?.reply() else {
                continue;
            };
            if attributes.map_state != MapState::VIEWABLE {
                continue;
            }
            let Ok(class) = self
                .conn
                .get_property(false, child, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)?
                .reply()
            else {
                continue;
            };
            // Instance and class, each NUL-terminated.
            if class
                .value
                .split(|b| *b == 0)
                .any(|part| part == b"Weston Compositor")
            {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }

    fn pid_of(&self, window: Window) -> Result<Option<u32>> {
        let reply = self
            .conn
            .get_property(false, window, self.net_wm_pid, AtomEnum::CARDINAL, 0, 1)?
            .reply();
        Ok(reply
            .ok()
            .and_then(|r| r.value32().and_then(|mut v| v.next())))
    }

    /// Where the window's origin is on the screen.
    pub fn origin(&self, window: Window) -> Result<(i32, i32)> {
        let reply = self
            .conn
            .translate_coordinates(window, self.root, 0, 0)?
            .reply()
            .context("the app's window went away")?;
        Ok((i32::from(reply.dst_x), i32::from(reply.dst_y)))
    }

    /// Gives the keyboard focus to `window`, as a window manager does for a new window.
    pub fn focus(&self, window: Window) -> Result<()> {
        self.conn
            .set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)?;
        self.sync()
    }

    pub fn motion(&self, x: i32, y: i32) -> Result<()> {
        self.fake(xproto::MOTION_NOTIFY_EVENT, 0, x, y)
    }

    pub fn button(&mut self, button: u8, press: bool) -> Result<()> {
        hold(&mut self.held_buttons, button, press);
        let kind = if press {
            xproto::BUTTON_PRESS_EVENT
        } else {
            xproto::BUTTON_RELEASE_EVENT
        };
        self.fake(kind, button, 0, 0)
    }

    pub fn key(&mut self, keycode: u8, press: bool) -> Result<()> {
        hold(&mut self.held_keys, keycode, press);
        let kind = if press {
            xproto::KEY_PRESS_EVENT
        } else {
            xproto::KEY_RELEASE_EVENT
        };
        self.fake(kind, keycode, 0, 0)
    }

    fn fake(&self, kind: u8, detail: u8, x: i32, y: i32) -> Result<()> {
        let clamp = |v: i32| v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        self.conn.xtest_fake_input(
            kind,
            detail,
            x11rb::CURRENT_TIME,
            self.root,
            clamp(x),
            clamp(y),
            0,
        )?;
        self.sync()
    }

    /// The keycode producing keysym `keyval` (GDK keyvals are X keysyms), for keys
    /// recorded without a hardware keycode.
    pub fn keycode_of(&mut self, keyval: u32) -> Result<Option<u8>> {
        if self.keymap.is_none() {
            let setup = self.conn.setup();
            let (min, max) = (setup.min_keycode, setup.max_keycode);
            let reply = self
                .conn
                .get_keyboard_mapping(min, max - min + 1)?
                .reply()
                .context("X11 keyboard mapping")?;
            self.keymap = Some((min, reply.keysyms_per_keycode, reply.keysyms));
        }
        let Some((min, per_keycode, keysyms)) = &self.keymap else {
            return Ok(None);
        };
        let per = usize::from((*per_keycode).max(1));
        Ok(keysyms
            .iter()
            .position(|k| *k == keyval)
            .and_then(|i| u8::try_from(i / per + usize::from(*min)).ok()))
    }

    pub fn resize(&self, window: Window, width: u32, height: u32) -> Result<()> {
        self.conn.configure_window(
            window,
            &ConfigureWindowAux::new().width(width).height(height),
        )?;
        self.sync()
    }

    /// Asks `window` to close, as a window manager's close button does.
    pub fn close(&self, window: Window) -> Result<()> {
        let event = ClientMessageEvent::new(
            32,
            window,
            self.wm_protocols,
            [self.wm_delete_window, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        self.conn
            .send_event(false, window, EventMask::NO_EVENT, event)?;
        self.sync()
    }

    /// Releases the keys and buttons still held.
    pub fn release_all(&mut self) -> Result<()> {
        for keycode in std::mem::take(&mut self.held_keys) {
            self.fake(xproto::KEY_RELEASE_EVENT, keycode, 0, 0)?;
        }
        for button in std::mem::take(&mut self.held_buttons) {
            self.fake(xproto::BUTTON_RELEASE_EVENT, button, 0, 0)?;
        }
        Ok(())
    }

    /// Waits until the server has handled every request sent (and reports its errors).
    fn sync(&self) -> Result<()> {
        self.conn
            .get_input_focus()?
            .reply()
            .context("the X11 display went away")?;
        Ok(())
    }
}

/// Turns the server's key autorepeat on or off.
fn set_autorepeat(conn: &RustConnection, on: bool) -> Result<()> {
    let mode = if on {
        xproto::AutoRepeatMode::ON
    } else {
        xproto::AutoRepeatMode::OFF
    };
    conn.change_keyboard_control(&xproto::ChangeKeyboardControlAux::new().auto_repeat_mode(mode))?;
    conn.flush()?;
    Ok(())
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.release_all();
        if self.autorepeat_was_on {
            let _ = set_autorepeat(&self.conn, true);
            let _ = self.sync();
        }
    }
}

/// Notes `code` as held after a press, not after a release.
fn hold(held: &mut Vec<u8>, code: u8, press: bool) {
    held.retain(|c| *c != code);
    if press {
        held.push(code);
    }
}
