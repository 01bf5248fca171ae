//! Reading recordings back in the GUI tests, and the checks every toolkit's tests share
//! (clicks, keys, frames, damage inside the surface).
// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use gdkrecord_format::{
    Damage, Event, EventType, Frame, ReadIssue, Reader, Record, Size, Surface, SurfaceId,
    SurfaceKind,
};

use crate::support::TestResult;

/// How long to wait for something a program should do quickly (a failure, not a measure).
/// Long enough for a first GL frame on a cold llvmpipe shader cache in a loaded Debian
/// root (seen over 20 s with the other suites building beside it).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Every record of a recording and what the reader skipped.
pub fn read_log(path: &Path) -> Result<(Vec<Record>, Vec<ReadIssue>), String> {
    let mut reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records: Result<Vec<Record>, _> = reader.by_ref().collect();
    let records = records.map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((records, reader.issues().to_vec()))
}

/// Reads the (still growing) log until `done` holds for its records.
pub fn wait_for_log(
    path: &Path,
    what: &str,
    done: impl Fn(&[Record]) -> bool,
) -> Result<Vec<Record>, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok((records, _)) = read_log(path) {
            if done(&records) {
                return Ok(records);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the log never showed {what} ({} records)",
                    records.len()
                ));
            }
        } else if Instant::now() > deadline {
            return Err(format!("no readable log at {} for {what}", path.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn events(records: &[Record]) -> impl Iterator<Item = &Event> {
    records.iter().filter_map(|r| {
        if let Record::Event(e) = r {
            Some(e)
        } else {
            None
        }
    })
}

pub fn damages(records: &[Record]) -> impl Iterator<Item = &Damage> {
    records.iter().filter_map(|r| {
        if let Record::Damage(d) = r {
            Some(d)
        } else {
            None
        }
    })
}

pub fn frames(records: &[Record]) -> impl Iterator<Item = &Frame> {
    records.iter().filter_map(|r| {
        if let Record::Frame(f) = r {
            Some(f)
        } else {
            None
        }
    })
}

pub fn count_type(records: &[Record], event_type: EventType) -> usize {
    events(records)
        .filter(|e| e.event_type == event_type)
        .count()
}

/// Whether `records` hold what [`crate::support::Ctx::click_key_and_resize`] sent: a
/// button release, a Shift_L key, and the window's Size at `resize` if any.
#[allow(dead_code)] // for the suites that run other programs
pub fn click_key_and_resize_recorded(records: &[Record], resize: Option<(i32, i32)>) -> bool {
    count_type(records, EventType::BUTTON_RELEASE) >= 1
        && events(records).any(|e| e.key.as_deref() == Some("Shift_L"))
        && resize.is_none_or(|(w, h)| {
            records
                .iter()
                .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (w, h)))
        })
}

pub fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1.0)
}

pub fn toplevel(records: &[Record]) -> Result<&Surface, String> {
    records
        .iter()
        .find_map(|r| match r {
            Record::Surface(s) if s.surface_kind == SurfaceKind::TOPLEVEL => Some(s),
            _ => None,
        })
        .ok_or_else(|| "no toplevel Surface record".to_owned())
}

/// A button press of `button` at `at` (±1 px) on `surface`, followed by its release.
pub fn check_click(
    records: &[Record],
    surface: SurfaceId,
    button: u32,
    at: (f64, f64),
) -> TestResult {
    let matches = |t: EventType| {
        events(records).any(|e| {
            e.event_type == t
                && e.surface == surface
                && e.button == Some(button)
                && near(e.x, at.0)
                && near(e.y, at.1)
        })
    };
    ensure!(
        matches(EventType::BUTTON_PRESS),
        "no button-press {button} at {at:?} on surface {surface}"
    );
    ensure!(
        matches(EventType::BUTTON_RELEASE),
        "no button-release {button} at {at:?} on surface {surface}"
    );
    Ok(())
}

/// Key presses named `keys`, in this order (other keys may come between).
pub fn check_keys(records: &[Record], keys: &[&str]) -> TestResult {
    let pressed: Vec<&str> = events(records)
        .filter(|e| e.event_type == EventType::KEY_PRESS)
        .filter_map(|e| e.key.as_deref())
        .collect();
    let mut want = keys.iter().peekable();
    for key in &pressed {
        if want.peek().is_some_and(|w| *w == key) {
            want.next();
        }
    }
    ensure!(
        want.peek().is_none(),
        "key presses {keys:?} not all recorded in order: {pressed:?}"
    );
    for e in events(records).filter(|e| e.event_type == EventType::KEY_PRESS) {
        ensure!(
            e.keyval.is_some() && e.keycode.is_some_and(|k| k > 0),
            "key-press without keyval/keycode: {e:?}"
        );
        ensure!(e.x.is_none(), "key events carry no position: {e:?}");
    }
    Ok(())
}

/// Every frame's phases are ordered and within the frame.
pub fn check_frames(records: &[Record]) -> TestResult {
    let mut n = 0;
    for frame in frames(records) {
        n += 1;
        let mut last_end = frame.t_ns;
        for (i, phase) in frame.phases().iter().enumerate() {
            let Some(phase) = phase else { continue };
            ensure!(
                phase.start_ns <= phase.end_ns,
                "phase {i} ends before it starts: {frame:?}"
            );
            ensure!(
                phase.start_ns >= last_end,
                "phase {i} starts before the previous one ended: {frame:?}"
            );
            last_end = phase.end_ns;
        }
        ensure!(
            frame.end_ns >= last_end,
            "frame ends before its last phase: {frame:?}"
        );
        ensure!(
            frame.after_paint.is_some(),
            "frame without after-paint: {frame:?}"
        );
    }
    ensure!(n > 0, "no Frame records");
    Ok(())
}

/// Every damage rectangle lies inside its surface (at the size it had then).
pub fn check_damage_inside(records: &[Record]) -> TestResult {
    let mut sizes = std::collections::HashMap::new();
    let mut n = 0;
    for record in records {
        match record {
            Record::Surface(s) => {
                sizes.insert(s.surface, (s.width, s.height));
            }
            Record::Size(Size {
                surface,
                width,
                height,
                ..
            }) => {
                sizes.insert(*surface, (*width, *height));
            }
            Record::Damage(d) | Record::Painted(d) => {
                let (w, h) = sizes
                    .get(&d.surface)
                    .copied()
                    .ok_or(format!("damage on unknown surface: {d:?}"))?;
                for r in &d.rects {
                    n += 1;
                    ensure!(
                        r[0] >= 0
                            && r[1] >= 0
                            && r[2] > 0
                            && r[3] > 0
                            && r[0] + r[2] <= w
                            && r[1] + r[3] <= h,
                        "damage rect {r:?} outside the {w}x{h} surface: {d:?}"
                    );
                }
            }
            _ => {}
        }
    }
    ensure!(n > 0, "no damage rectangles");
    Ok(())
}

pub fn covers(rects: &[[i32; 4]], target: [i32; 4]) -> bool {
    // The target is small: check each of its pixels.
    (target[1]..target[1] + target[3]).all(|y| {
        (target[0]..target[0] + target[2]).all(|x| {
            rects
                .iter()
                .any(|r| x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3])
        })
    })
}
