//! The figures of a `stats` [`Report`] that `diff` compares and `check` holds to budgets,
//! each under a stable key (`frames.duration.p95_ms`), with its unit and which way is
//! better. The numbers are the report's own: nothing is measured again here.
//!
//! Surfaces are keyed by their role rather than their number, so that two runs of the same
//! app whose surfaces were numbered differently still line up: `toplevel GtkWindow #1` is
//! the first toplevel of that type, `toplevel GtkWindow #1 / popup GtkPopoverMenu #2` the
//! second popup of that type with that parent.

use std::collections::BTreeMap;

use gdkrecord_format::{SurfaceId, PHASE_NAMES};
use serde::Serialize;

use crate::stats::{Report, SurfaceReport};

/// What a figure counts or measures, for printing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// Milliseconds.
    Ms,
    /// Frames per second.
    Fps,
    /// Square pixels.
    Px,
    /// Pixels (a width or height).
    Pixels,
    /// A share, 0..1 (printed as a percentage).
    Share,
    /// A number of things.
    Count,
}

impl Unit {
    /// `value` with its unit, for people (`12.345 ms`, `25.00 %`); `—` when not measured.
    pub fn show(self, value: Option<f64>) -> String {
        let Some(v) = value else {
            return "—".into();
        };
        match self {
            Unit::Ms => format!("{v:.3} ms"),
            Unit::Fps => format!("{v:.2} fps"),
            Unit::Px => format!("{v:.0} px²"),
            Unit::Pixels => format!("{v:.0} px"),
            Unit::Share => format!("{:.2} %", v * 100.0),
            Unit::Count => format!("{v:.0}"),
        }
    }

    /// A change of `delta` with its sign and unit (`+2.500 ms`); a change of a share is in
    /// percentage points (`+1.50 pt`).
    pub fn show_change(self, delta: f64) -> String {
        match self {
            Unit::Ms => format!("{delta:+.3} ms"),
            Unit::Fps => format!("{delta:+.2} fps"),
            Unit::Px => format!("{delta:+.0} px²"),
            Unit::Pixels => format!("{delta:+.0} px"),
            Unit::Share => format!("{:+.2} pt", delta * 100.0),
            Unit::Count => format!("{delta:+.0}"),
        }
    }
}

/// Which way a figure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Better {
    Lower,
    Higher,
    /// Neither: a change is only a change (event counts, sizes).
    Neither,
}

/// The sections, in the order figures are listed.
pub const SECTIONS: [&str; 6] = [
    "frames",
    "input latency",
    "damage",
    "events",
    "main loop",
    "surfaces",
];

/// The position of `section` in [`SECTIONS`].
pub fn section_rank(section: &str) -> usize {
    SECTIONS
        .iter()
        .position(|s| *s == section)
        .unwrap_or(SECTIONS.len())
}

/// One figure of one recording.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Stable key, as documented in docs/formats.md (`frames.duration.p95_ms`).
    pub key: String,
    /// The group it is shown in (`frames`, `input latency`...).
    pub section: &'static str,
    /// For people (`frame duration p95`).
    pub label: String,
    pub unit: Unit,
    pub better: Better,
    /// `None` when the recording has nothing to measure it on (no frames, no inputs).
    pub value: Option<f64>,
    /// Whether a recording without this figure has it at zero (an event type that never
    /// came) rather than not measured (a latency of an event type that never came).
    pub absent_is_zero: bool,
}

/// Builds the list one figure at a time.
struct Figures {
    section: &'static str,
    list: Vec<Figure>,
}

impl Figures {
    fn add(&mut self, key: String, label: String, unit: Unit, better: Better, value: Option<f64>) {
        self.list.push(Figure {
            key,
            section: self.section,
            label,
            unit,
            better,
            value,
            absent_is_zero: false,
        });
    }

    /// A count that is zero when a recording does not have it.
    fn count(&mut self, key: String, label: String, better: Better, value: u64) {
        self.add(key, label, Unit::Count, better, Some(value as f64));
        if let Some(last) = self.list.last_mut() {
            last.absent_is_zero = true;
        }
    }
}

/// Every figure of `report`, in the order `diff` shows them.
pub fn figures(report: &Report) -> Vec<Figure> {
    use Better::{Higher, Lower, Neither};
    let mut f = Figures {
        section: "frames",
        list: Vec::new(),
    };
    let frames = &report.frames;
    f.add(
        "frames.count".into(),
        "frames".into(),
        Unit::Count,
        Neither,
        Some(frames.count as f64),
    );
    f.add(
        "frames.fps".into(),
        "fps".into(),
        Unit::Fps,
        Higher,
        frames.fps,
    );
    let duration = frames.duration.as_ref();
    for (name, value) in [
        ("mean", duration.map(|d| d.mean_ms)),
        ("p50", duration.map(|d| d.p50_ms)),
        ("p95", duration.map(|d| d.p95_ms)),
        ("p99", duration.map(|d| d.p99_ms)),
        ("max", duration.map(|d| d.max_ms)),
    ] {
        f.add(
            format!("frames.duration.{name}_ms"),
            format!("frame duration {name}"),
            Unit::Ms,
            Lower,
            value,
        );
    }
    f.add(
        "frames.over_budget.count".into(),
        format!("frames over {} ms", frames.budget_ms),
        Unit::Count,
        Lower,
        Some(frames.over_budget.count as f64),
    );
    f.add(
        "frames.over_budget.share".into(),
        "share over budget".into(),
        Unit::Share,
        Lower,
        (frames.count > 0).then_some(frames.over_budget.share),
    );
    for (phase, mean) in PHASE_NAMES.iter().zip(frames.phase_mean_ms.0) {
        f.add(
            format!("frames.phase_mean_ms.{phase}"),
            format!("{phase} mean"),
            Unit::Ms,
            Lower,
            mean,
        );
    }

    f.section = "input latency";
    let latency = &report.input_latency;
    f.count(
        "input_latency.inputs".into(),
        "inputs".into(),
        Neither,
        latency.inputs,
    );
    f.count(
        "input_latency.unanswered".into(),
        "unanswered".into(),
        Lower,
        latency.unanswered,
    );
    let all = latency.latency.as_ref();
    for (name, value) in [
        ("p50", all.map(|d| d.p50_ms)),
        ("p95", all.map(|d| d.p95_ms)),
        ("p99", all.map(|d| d.p99_ms)),
        ("max", all.map(|d| d.max_ms)),
    ] {
        f.add(
            format!("input_latency.latency.{name}_ms"),
            format!("input latency {name}"),
            Unit::Ms,
            Lower,
            value,
        );
    }
    for (event_type, d) in &latency.by_type {
        for (name, value) in [("p50", d.p50_ms), ("p95", d.p95_ms), ("max", d.max_ms)] {
            f.add(
                format!("input_latency.by_type.{event_type}.{name}_ms"),
                format!("{event_type} {name}"),
                Unit::Ms,
                Lower,
                Some(value),
            );
        }
    }

    f.section = "damage";
    let damage = &report.damage;
    let measured = report.recording.as_ref().is_none_or(|r| r.damage_capture);
    f.add(
        "damage.records".into(),
        "damage records".into(),
        Unit::Count,
        Neither,
        measured.then_some(damage.records as f64),
    );
    let area = damage.area.as_ref();
    for (name, value) in [
        ("mean", area.map(|a| a.mean_px)),
        ("p50", area.map(|a| a.p50_px)),
        ("p95", area.map(|a| a.p95_px)),
        ("max", area.map(|a| a.max_px)),
    ] {
        f.add(
            format!("damage.area.{name}_px"),
            format!("area per frame {name}"),
            Unit::Px,
            Lower,
            value.map(|v| v as f64),
        );
    }
    f.add(
        "damage.full_window".into(),
        "full-window repaints".into(),
        Unit::Count,
        Lower,
        measured.then_some(damage.full_window as f64),
    );
    f.add(
        "damage.full_window_share".into(),
        "full-window share".into(),
        Unit::Share,
        Lower,
        (measured && damage.records > 0).then_some(damage.full_window_share),
    );

    f.section = "events";
    for (event_type, count) in &report.event_types {
        f.count(
            format!("event_types.{event_type}"),
            event_type.clone(),
            Neither,
            *count,
        );
    }

    f.section = "main loop";
    let main_loop = &report.main_loop;
    f.add(
        "main_loop.utilisation".into(),
        "main-loop busy share".into(),
        Unit::Share,
        Lower,
        main_loop.utilisation,
    );
    let stalls = &main_loop.stalls;
    f.count(
        "main_loop.stalls.count".into(),
        "stalls".into(),
        Lower,
        stalls.count,
    );
    f.add(
        "main_loop.stalls.total_ms".into(),
        "stalled in total".into(),
        Unit::Ms,
        Lower,
        Some(stalls.total_ms),
    );
    // No stall is a longest stall of zero, which a budget on it must accept.
    f.add(
        "main_loop.stalls.max_ms".into(),
        "longest stall".into(),
        Unit::Ms,
        Lower,
        Some(stalls.max_ms.unwrap_or(0.0)),
    );
    for group in &stalls.top_stacks {
        let key = format!("main_loop.stalls.by_place.{}", group.place);
        f.count(
            format!("{key}.count"),
            format!("stalls in {}", group.place),
            Lower,
            u64::from(group.count),
        );
        f.add(
            format!("{key}.total_ms"),
            format!("stalled in {}", group.place),
            Unit::Ms,
            Lower,
            Some(group.total_ms),
        );
        f.list.last_mut().expect("just added").absent_is_zero = true;
    }

    f.section = "surfaces";
    for (role, s) in surface_roles(&report.surfaces) {
        let key = format!("surfaces.{role}");
        f.add(
            format!("{key}.frames"),
            format!("{role}: frames"),
            Unit::Count,
            Neither,
            Some(s.frames as f64),
        );
        f.add(
            format!("{key}.fps"),
            format!("{role}: fps"),
            Unit::Fps,
            Higher,
            s.fps,
        );
        f.add(
            format!("{key}.size_changes"),
            format!("{role}: sizes"),
            Unit::Count,
            Neither,
            Some(s.size_changes as f64),
        );
        let size = s.final_size;
        f.add(
            format!("{key}.final_width"),
            format!("{role}: final width"),
            Unit::Pixels,
            Neither,
            size.map(|[w, _]| f64::from(w)),
        );
        f.add(
            format!("{key}.final_height"),
            format!("{role}: final height"),
            Unit::Pixels,
            Neither,
            size.map(|[_, h]| f64::from(h)),
        );
    }
    f.list
}

/// Each surface with its role: kind and type, numbered among its siblings of that kind
/// and type in creation (surface number) order, under its parent's role.
pub fn surface_roles(surfaces: &[SurfaceReport]) -> Vec<(String, &SurfaceReport)> {
    let mut roles: BTreeMap<SurfaceId, String> = BTreeMap::new();
    let mut seen: BTreeMap<(Option<String>, String), u32> = BTreeMap::new();
    let mut list = Vec::with_capacity(surfaces.len());
    // Surfaces are reported by number, which is creation order: a parent comes first.
    for s in surfaces {
        let parent_role = s.parent.and_then(|p| roles.get(&p).cloned());
        let own = match (&s.surface_kind, &s.type_name) {
            (Some(kind), Some(type_name)) => {
                format!("{kind} {}", s.widget_type.as_deref().unwrap_or(type_name))
            }
            // Its surface record was not read: only its number names it.
            _ => format!("surface {}", s.surface),
        };
        let n = seen.entry((parent_role.clone(), own.clone())).or_insert(0);
        *n += 1;
        let role = match parent_role {
            Some(parent) => format!("{parent} / {own} #{n}"),
            None => format!("{own} #{n}"),
        };
        roles.insert(s.surface, role.clone());
        list.push((role, s));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(id: u32, kind: &str, parent: Option<u32>, widget: &str) -> SurfaceReport {
        SurfaceReport {
            surface: SurfaceId(id),
            surface_kind: Some(kind.into()),
            parent: parent.map(SurfaceId),
            type_name: Some("GdkX11Toplevel".into()),
            widget_type: Some(widget.into()),
            scale_factor: Some(1),
            created_ms: Some(0.0),
            destroyed_ms: None,
            size_changes: 1,
            sizes: Vec::new(),
            sizes_truncated: false,
            final_size: Some([10, 20]),
            frames: 3,
            fps: None,
        }
    }

    #[test]
    fn surfaces_are_named_by_role_not_number() {
        let surfaces = [
            surface(3, "toplevel", None, "GtkWindow"),
            surface(5, "popup", Some(3), "GtkPopover"),
            surface(8, "popup", Some(3), "GtkPopover"),
            surface(9, "toplevel", None, "GtkWindow"),
        ];
        let roles: Vec<String> = surface_roles(&surfaces)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(
            roles,
            [
                "toplevel GtkWindow #1",
                "toplevel GtkWindow #1 / popup GtkPopover #1",
                "toplevel GtkWindow #1 / popup GtkPopover #2",
                "toplevel GtkWindow #2",
            ]
        );
    }
}
