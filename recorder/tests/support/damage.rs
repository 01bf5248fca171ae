//! Damage capture in the GTK 4 GUI tests: whether a recording must have damage on the GTK
//! it was made with, and whether the header and damage-capture records say it was patched
//! (and proven) as it should be.

use gdkrecord_format::{CaptureState, DamageCapture, DamageVfunc, Record};

use crate::support::TestResult;

/// The newest GTK 4 minor version in the recorder's layout table
/// (recorder/gtk4/damage/layouts.rs, `NEWEST_KNOWN_MINOR`).
pub const NEWEST_KNOWN_GTK_MINOR: u32 = 24;

/// Whether the recording must have damage. Everywhere the layout table knows GTK it
/// must; on a GTK newer than the table (Debian sid moves), damage off is the designed
/// behaviour when the proof refuses it: the header or a damage-capture record must then
/// say why naming the GTK version, and the test says that the table needs it.
pub fn damage_expected(records: &[Record]) -> Result<bool, String> {
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    let [major, minor, micro] = header.gtk_version;
    let refused = records.iter().find_map(|r| match r {
        Record::DamageCapture(c) if c.state == CaptureState::REFUSED => Some(c.note.clone()),
        _ => None,
    });
    let off_because = match (header.damage_capture, refused) {
        (true, None) => return Ok(true),
        (false, _) => header.damage_note.clone(),
        (true, Some(note)) => note,
    };
    if minor > NEWEST_KNOWN_GTK_MINOR {
        eprintln!(
            "warning: GTK {major}.{minor}.{micro} is newer than the recorder's layout table and damage capture is off ({off_because}): add it to recorder/gtk4/damage/layouts.rs"
        );
        ensure!(
            header
                .damage_note
                .contains(&format!("GTK {major}.{minor}.{micro}")),
            "the header's damage note does not name the GTK version: {:?}",
            header.damage_note
        );
        return Ok(false);
    }
    Err(format!(
        "damage capture off on GTK {major}.{minor}.{micro}: {off_because}"
    ))
}

/// The header names the layout, and both vfuncs were patched by it, and proven when
/// `proven` (after enough frames), with no class refused.
pub fn check_damage_capture(records: &[Record], proven: bool) -> TestResult {
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(
        header.damage_layout.starts_with("gtk-4."),
        "header names no layout: {header:?}"
    );
    let captures: Vec<&DamageCapture> = records
        .iter()
        .filter_map(|r| match r {
            Record::DamageCapture(c) => Some(c),
            _ => None,
        })
        .collect();
    for vfunc in [DamageVfunc::RENDER, DamageVfunc::END_FRAME] {
        let state = if proven {
            CaptureState::PROVEN
        } else {
            CaptureState::PATCHED
        };
        ensure!(
            captures.iter().any(|c| c.vfunc == vfunc
                && c.state == state
                && c.damage_layout == header.damage_layout),
            "no {vfunc} {state} record with layout {}: {captures:?}",
            header.damage_layout
        );
    }
    ensure!(
        !captures.iter().any(|c| c.state == CaptureState::REFUSED),
        "a class was refused: {captures:?}"
    );
    Ok(())
}
