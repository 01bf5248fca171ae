//! Unit tests of the timeline, stepping, fading, accumulating and heatmaps.

use gdkrecord_format::*;

use crate::*;

const MS: u64 = 1_000_000;
const WINDOW: SurfaceId = SurfaceId(1);
const POPUP: SurfaceId = SurfaceId(2);

fn surface(
    t_ns: u64,
    id: SurfaceId,
    kind: SurfaceKind,
    parent: Option<SurfaceId>,
    w: i32,
    h: i32,
) -> Record {
    Record::Surface(Surface {
        t_ns,
        surface: id,
        surface_kind: kind,
        parent,
        type_name: "GdkX11Toplevel".into(),
        widget_type: Some("GtkWindow".into()),
        width: w,
        height: h,
        scale_factor: 1,
    })
}

fn frame(surface: SurfaceId, counter: i64, start_ms: u64) -> Record {
    let start = start_ms * MS;
    Record::Frame(Frame {
        t_ns: start,
        surface,
        counter,
        end_ns: start + 4 * MS,
        before_paint: None,
        update: None,
        layout: Some(Phase {
            start_ns: start + MS,
            end_ns: start + 2 * MS,
        }),
        paint: Some(Phase {
            start_ns: start + 2 * MS,
            end_ns: start + 4 * MS,
        }),
        after_paint: None,
    })
}

fn damage(surface: SurfaceId, counter: i64, t_ms: u64, rects: Vec<Rect>) -> Record {
    Record::Damage(Damage {
        t_ns: t_ms * MS + 3 * MS,
        surface,
        frame: counter,
        renderer: Renderer::CAIRO,
        rects,
    })
}

/// A window with frames every 16 ms, each damaging a 10×10 square moving right by 10 px;
/// damage is written before the frame record, as the recorder does.
fn moving_square(frames: i64) -> Vec<Record> {
    let mut records = vec![surface(0, WINDOW, SurfaceKind::TOPLEVEL, None, 200, 100)];
    for n in 0..frames {
        let start = 16 * n as u64;
        records.push(damage(WINDOW, n, start, vec![[10 * n as i32, 0, 10, 10]]));
        records.push(frame(WINDOW, n, start));
    }
    records
}

#[test]
fn damage_written_before_its_frame_record_belongs_to_that_frame() {
    let timeline = Timeline::from_records(&moving_square(3));
    assert_eq!(timeline.frames().len(), 3);
    let second = &timeline.frames()[1];
    assert_eq!(second.counter, 1);
    assert_eq!(second.start_ns, 16 * MS);
    assert_eq!(second.end_ns, 20 * MS);
    assert_eq!(second.damage, vec![[10, 0, 10, 10]]);
    assert!(second.has_frame_record);
    assert_eq!(
        second.phases[3],
        Some(Phase {
            start_ns: 18 * MS,
            end_ns: 20 * MS
        })
    );
}

#[test]
fn flashes_fade_over_the_following_frames() {
    let timeline = Timeline::from_records(&moving_square(10));
    let options = ReplayOptions {
        fade_frames: 4,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::new(&timeline, WINDOW).with_options(options);
    replay.seek_frame(5);
    let view = replay.view().unwrap();
    let seen: Vec<(Rect, u32, f32)> = view
        .damage
        .iter()
        .map(|d| (d.rect, d.age, d.alpha))
        .collect();
    assert_eq!(
        seen,
        [
            ([20, 0, 10, 10], 3, 0.25),
            ([30, 0, 10, 10], 2, 0.5),
            ([40, 0, 10, 10], 1, 0.75),
            ([50, 0, 10, 10], 0, 1.0),
        ],
        "oldest first, freshest at full strength"
    );
    assert_eq!(fade_alpha(4, 4), 0.0);
    assert_eq!(
        fade_alpha(0, 0),
        1.0,
        "fade 0 behaves as 1: only the current frame"
    );
}

#[test]
fn accumulate_shows_everything_so_far() {
    let timeline = Timeline::from_records(&moving_square(10));
    let options = ReplayOptions {
        mode: DamageMode::Accumulate,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::new(&timeline, WINDOW).with_options(options);
    replay.seek_frame(6);
    let view = replay.view().unwrap();
    assert_eq!(view.damage.len(), 7);
    assert!(view.damage.iter().all(|d| d.alpha == 1.0));
    assert_eq!(view.damage[0].rect, [0, 0, 10, 10]);
}

#[test]
fn stepping_and_seeking() {
    let timeline = Timeline::from_records(&moving_square(10));
    let mut replay = Replay::new(&timeline, WINDOW);
    assert_eq!(replay.frame_count(), 10);
    assert_eq!(replay.position(), None);
    assert!(replay.view().is_none());
    assert!(!replay.prev_frame());
    assert!(replay.next_frame());
    assert_eq!(replay.position(), Some(0));
    // Frames start at 0, 16, 32, ... ms: 40 ms is inside frame 2's interval.
    assert_eq!(replay.seek_time(40 * MS), Some(2));
    assert_eq!(
        replay.seek_time(48 * MS),
        Some(3),
        "a frame starting exactly at t is current"
    );
    assert_eq!(replay.seek_time(10_000 * MS), Some(9));
    assert!(!replay.next_frame());
    assert!(replay.prev_frame());
    assert_eq!(replay.position(), Some(8));
    assert!(replay.seek_frame(1000));
    assert_eq!(replay.position(), Some(9), "clamped to the last frame");

    let late = moving_square(10);
    let timeline_late = Timeline::from_records(late.iter());
    let mut ranged = Replay::new(&timeline_late, WINDOW).with_range(Some(32 * MS), Some(80 * MS));
    assert_eq!(
        ranged.frame_count(),
        4,
        "frames starting at 32, 48, 64 and 80 ms"
    );
    assert_eq!(ranged.seek_time(0), None, "before the range's first frame");
    ranged.seek_frame(0);
    assert_eq!(ranged.frame().unwrap().counter, 2);
}

#[test]
fn a_resize_between_frames_changes_the_size_of_the_next_frame() {
    let mut records = moving_square(4);
    // Resized during frame 2's layout phase (frame 2 starts at 32 ms).
    records.insert(
        5,
        Record::Size(Size {
            t_ns: 33 * MS,
            surface: WINDOW,
            width: 300,
            height: 150,
        }),
    );
    let timeline = Timeline::from_records(&records);
    let sizes: Vec<[i32; 2]> = timeline.frames().iter().map(|f| f.size).collect();
    assert_eq!(sizes, [[200, 100], [200, 100], [300, 150], [300, 150]]);
    let info = timeline.surface(WINDOW).unwrap();
    assert_eq!(info.max_size(), [300, 150]);
    assert_eq!(info.size_at(0), [200, 100]);
    assert_eq!(info.size_at(33 * MS), [300, 150]);
}

#[test]
fn heatmap_counts_repaints_per_pixel_and_per_cell() {
    let mut records = vec![surface(0, WINDOW, SurfaceKind::TOPLEVEL, None, 100, 50)];
    for n in 0..5 {
        let mut rects = vec![[0, 0, 10, 10]];
        if n % 2 == 0 {
            rects.push([50, 20, 20, 5]);
        }
        records.push(damage(WINDOW, n, 16 * n as u64, rects));
        records.push(frame(WINDOW, n, 16 * n as u64));
    }
    let timeline = Timeline::from_records(&records);
    let mut replay = Replay::new(&timeline, WINDOW);
    let heat = replay.heatmap(1, true);
    assert_eq!((heat.columns(), heat.rows()), (100, 50));
    assert_eq!(heat.frames(), 5);
    assert_eq!(heat.count_at_pixel(5, 5), 5);
    assert_eq!(heat.count_at_pixel(9, 9), 5);
    assert_eq!(heat.count_at_pixel(10, 9), 0, "right edge is exclusive");
    assert_eq!(heat.count_at_pixel(60, 22), 3);
    assert_eq!(heat.count_at_pixel(60, 25), 0);
    assert_eq!(heat.max(), 5);
    assert_eq!(
        heat.counts().iter().map(|&c| u64::from(c)).sum::<u64>(),
        5 * 100 + 3 * 100
    );

    replay.seek_frame(1);
    let so_far = replay.heatmap(1, false);
    assert_eq!(
        so_far.count_at_pixel(5, 5),
        2,
        "up to the current frame only"
    );

    let coarse = replay.heatmap(8, true);
    assert_eq!((coarse.columns(), coarse.rows()), (13, 7));
    assert_eq!(
        coarse.count_at_pixel(9, 9),
        5,
        "cell (1,1) covers 8..16 which [0,0,10,10] touches"
    );
    assert_eq!(coarse.count_at_pixel(20, 20), 0);

    assert_eq!(heat_color(0, 5), NEVER_REPAINTED_RGB);
    let (cold, hot) = (heat_color(1, 1000), heat_color(1000, 1000));
    assert!(
        hot.iter().map(|&c| u32::from(c)).sum::<u32>()
            > cold.iter().map(|&c| u32::from(c)).sum::<u32>()
    );
}

#[test]
fn heatmap_ignores_rectangles_outside_the_surface() {
    let mut heat = HeatmapBuilder::new(10, 10, 1);
    heat.add_rect([-5, -5, 8, 8]);
    heat.add_rect([20, 20, 5, 5]);
    heat.add_rect([5, 5, 0, 3]);
    let heat = heat.finish();
    assert_eq!(heat.count_at_pixel(0, 0), 1);
    assert_eq!(heat.count_at_pixel(2, 2), 1);
    assert_eq!(heat.count_at_pixel(3, 3), 0);
    assert_eq!(heat.counts().iter().sum::<u32>(), 9);
}

#[test]
fn a_scribbled_huge_surface_gets_coarser_cells_not_a_huge_grid() {
    let mut heat = HeatmapBuilder::new(100_000, 100_000, 1);
    heat.add_rect([0, 0, 10, 10]);
    let heat = heat.finish();
    assert!(u64::from(heat.columns()) * u64::from(heat.rows()) <= HeatmapBuilder::MAX_CELLS);
    assert!(heat.cell() > 1);
    assert_eq!(heat.count_at_pixel(5, 5), 1);
}

#[test]
fn popup_frames_take_their_parents_cycle_times() {
    let records = vec![
        surface(0, WINDOW, SurfaceKind::TOPLEVEL, None, 200, 100),
        surface(MS, POPUP, SurfaceKind::POPUP, Some(WINDOW), 50, 40),
        damage(POPUP, 7, 100, vec![[0, 0, 50, 40]]),
        frame(WINDOW, 7, 100),
    ];
    let timeline = Timeline::from_records(&records);
    assert_eq!(timeline.default_surface(), Some(WINDOW));
    let popup_frames = timeline.frame_indices(POPUP);
    assert_eq!(popup_frames.len(), 1);
    let popup_frame = &timeline.frames()[popup_frames[0] as usize];
    assert_eq!(popup_frame.start_ns, 100 * MS);
    assert_eq!(popup_frame.end_ns, 104 * MS);
    assert_eq!(popup_frame.size, [50, 40]);
    assert!(!popup_frame.has_frame_record);
}

#[test]
fn pointer_clicks_and_keys_show_up_for_a_while() {
    let mut records = moving_square(60);
    let mut motion = Event::new(20 * MS, WINDOW, EventType::MOTION_NOTIFY, 0);
    motion.x = Some(30.0);
    motion.y = Some(40.0);
    let mut press = Event::new(21 * MS, WINDOW, EventType::BUTTON_PRESS, 0);
    press.x = Some(30.0);
    press.y = Some(40.0);
    press.button = Some(1);
    let mut release = Event::new(90 * MS, WINDOW, EventType::BUTTON_RELEASE, 0);
    release.button = Some(1);
    let mut key = Event::new(22 * MS, WINDOW, EventType::KEY_PRESS, 0);
    key.key = Some("Return".into());
    // Before frame 2 (starts at 32 ms) in file order.
    for (i, e) in [motion, press, key, release].into_iter().enumerate() {
        records.insert(5 + i, Record::Event(e));
    }
    let timeline = Timeline::from_records(&records);
    assert_eq!(
        timeline.inputs().len(),
        3,
        "press, key, release; motion only moves the pointer"
    );
    let mut replay = Replay::new(&timeline, WINDOW);

    replay.seek_frame(2);
    let view = replay.view().unwrap();
    assert_eq!(view.pointer, Some([30.0, 40.0]));
    assert_eq!(view.clicks.len(), 1);
    assert_eq!(view.clicks[0].position, [30.0, 40.0]);
    assert!(view.clicks[0].pressed, "released only at 90 ms");
    assert!(view.clicks[0].alpha > 0.9);
    assert_eq!(view.keys, ["Return"]);

    replay.seek_frame(6); // ends at 100 ms, after the release
    assert!(!replay.view().unwrap().clicks[0].pressed);

    replay.seek_time(700 * MS); // the frame starting at 688 ms, ending at 692 ms
    let later = replay.view().unwrap();
    assert!(later.clicks.is_empty(), "the click mark fades after 600 ms");
    assert_eq!(later.keys, ["Return"], "keys stay in the caption for 1.5 s");
    replay.set_options(ReplayOptions {
        key_ns: 500 * MS,
        ..ReplayOptions::default()
    });
    assert!(replay.view().unwrap().keys.is_empty());
}

#[test]
fn idle_gaps_are_measured_between_frames() {
    let records = vec![
        surface(0, WINDOW, SurfaceKind::TOPLEVEL, None, 20, 20),
        frame(WINDOW, 1, 0),
        frame(WINDOW, 2, 3000),
    ];
    let timeline = Timeline::from_records(&records);
    let mut replay = Replay::new(&timeline, WINDOW);
    replay.seek_frame(1);
    let view = replay.view().unwrap();
    assert_eq!(view.idle_before_ns, 3000 * MS - 4 * MS);
    assert_eq!(view.caption(), "t=3.000s  frame 2/2 (#2)");
}

#[test]
fn a_frame_without_a_surface_record_gets_a_size_from_its_damage() {
    let records = vec![
        damage(SurfaceId(9), 1, 0, vec![[10, 10, 30, 20]]),
        frame(SurfaceId(9), 1, 0),
    ];
    let timeline = Timeline::from_records(&records);
    assert_eq!(timeline.default_surface(), Some(SurfaceId(9)));
    assert_eq!(timeline.frames()[0].size, [40, 30]);
}

/// Regression (found by the fuzzer): thousands of clicks at one instant made every view
/// compare each press with every other input, hanging `exposures` and the viewer.
#[test]
fn a_view_among_thousands_of_clicks_looks_at_the_latest_inputs_only() {
    let mut records = moving_square(10);
    for i in 0..20_000 {
        let kind = if i % 2 == 0 {
            EventType::BUTTON_PRESS
        } else {
            EventType::BUTTON_RELEASE
        };
        let mut e = Event::new(20 * MS, WINDOW, kind, 0);
        e.x = Some(5.0);
        e.y = Some(5.0);
        e.button = Some(1 + (i / 2) % 3);
        records.insert(5, Record::Event(e));
    }
    let timeline = Timeline::from_records(&records);
    let mut replay = Replay::new(&timeline, WINDOW);
    for n in 0..replay.frame_count() {
        replay.seek_frame(n);
        let view = replay.view().unwrap();
        assert!(
            view.clicks.len() <= crate::replay::MAX_INPUTS_SHOWN,
            "{} clicks shown",
            view.clicks.len()
        );
    }
}
