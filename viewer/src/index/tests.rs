//! Unit tests of the index: what it keeps, the marks read in place against the decoded
//! records, threads against one thread, decode windows, cut, corrupt and zero-filled files.

use std::sync::atomic::Ordering;

use gdkrecord_format::{Damage, Event, Frame, Renderer, Size, Surface, Writer, FILE_HEADER_LEN};

use super::scan::{clean_frame, Mark};
use super::*;

fn records(frames: i64) -> Vec<Record> {
    let mut records = vec![Record::Surface(Surface {
        t_ns: 10,
        surface: SurfaceId(1),
        surface_kind: SurfaceKind::TOPLEVEL,
        parent: None,
        type_name: "GdkX11Toplevel".into(),
        widget_type: Some("GtkWindow".into()),
        width: 300,
        height: 200,
        scale_factor: 1,
    })];
    for n in 1..=frames {
        let t = n as u64 * 1_000_000;
        let mut motion = Event::new(t, SurfaceId(1), EventType::MOTION_NOTIFY, 0);
        motion.x = Some(n as f64);
        motion.y = Some(2.0);
        records.push(Record::Event(motion));
        if n % 100 == 0 {
            records.push(Record::Size(Size {
                t_ns: t,
                surface: SurfaceId(1),
                width: 300 + n as i32,
                height: 200,
            }));
        }
        records.push(Record::Damage(Damage {
            t_ns: t + 300_000,
            surface: SurfaceId(1),
            frame: n,
            renderer: Renderer::CAIRO,
            rects: vec![[0, 0, 10, 10]],
        }));
        // Written at the end of the cycle, with the cycle's start time: not in time order.
        records.push(Record::Frame(Frame {
            t_ns: t + 100_000,
            surface: SurfaceId(1),
            counter: n,
            end_ns: t + 500_000,
            before_paint: None,
            update: None,
            layout: None,
            paint: None,
            after_paint: None,
        }));
    }
    records
}

fn write(records: &[Record]) -> Vec<u8> {
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap()
}

/// A file in the temp folder, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(bytes: &[u8]) -> TempFile {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("grv-index-{}-{n}.gdkrecord", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    TempFile(path)
}

fn index_of(file: &TempFile, threads: usize) -> RecordingIndex {
    RecordingIndex::build_with_threads(&file.0, threads, &mut |_, _| true).unwrap()
}

#[test]
fn keeps_frames_inputs_sizes_and_surfaces() {
    let index = index_of(&temp_file(&write(&records(1000))), 1);
    assert_eq!(index.records, 1 + 1000 * 3 + 10);
    assert_eq!(index.frames.len(), 1000);
    assert_eq!(index.frames[9].t_ns, 10_100_000);
    assert_eq!(index.frames[9].duration_ns, 400_000);
    assert_eq!(
        index.inputs.len(),
        250,
        "motion 1 ms apart: one marker per 4 ms"
    );
    assert_eq!(index.surfaces.len(), 1);
    assert_eq!(index.size_at(SurfaceId(1), 0), Some((300, 200)));
    assert_eq!(index.size_at(SurfaceId(1), 250_000_000), Some((500, 200)));
    assert!(index.issues.is_empty());
    assert_eq!(index.duration_ns, 1000 * 1_000_000 + 500_000 - 200_000);
}

#[test]
fn marks_read_in_place_match_the_decoded_records() {
    let records = records(50);
    let bytes = write(&records);
    let mut pos = FILE_HEADER_LEN;
    let mut checked = 0;
    while pos < bytes.len() {
        let (payload_at, len) = clean_frame(&bytes[pos..]).unwrap();
        let FrameAt::Record { record, .. } = decode_frame(&bytes[pos..]) else {
            panic!()
        };
        match (
            Mark::read(&bytes[pos + payload_at..pos + len], pos as u64),
            record,
        ) {
            (Some(Mark::Frame(mark)), Record::Frame(f)) => {
                assert_eq!(
                    (mark.t_ns, mark.surface, u64::from(mark.duration_ns)),
                    (f.t_ns, f.surface, f.duration_ns())
                );
                checked += 1;
            }
            (Some(Mark::Input(mark)), Record::Event(e)) => {
                assert_eq!(
                    (mark.t_ns, mark.surface, mark.event_type),
                    (e.t_ns, e.surface, e.event_type)
                );
                checked += 1;
            }
            (None, record) => assert!(!matches!(record, Record::Frame(_) | Record::Event(_))),
            (_, record) => panic!("mark of the wrong kind for {record:?}"),
        }
        pos += len;
    }
    assert_eq!(checked, 100);
}

#[test]
fn threads_agree_with_one_thread() {
    let file = temp_file(&write(&records(20_000)));
    let one = index_of(&file, 1);
    for threads in [2, 3, 4] {
        let many = index_of(&file, threads);
        assert_eq!(many.records, one.records, "{threads} threads");
        assert_eq!(many.frames, one.frames);
        assert_eq!(many.sizes, one.sizes);
        assert_eq!(many.surfaces, one.surfaces);
        assert_eq!(many.data_end, one.data_end);
        assert_eq!(many.duration_ns, one.duration_ns);
        let span = (7_000_000_000, 7_050_000_000);
        assert_eq!(
            many.decode_window(span.0, span.1).unwrap(),
            one.decode_window(span.0, span.1).unwrap()
        );
    }
}

#[test]
fn decode_window_returns_exactly_the_span() {
    let records = records(5_000);
    let file = temp_file(&write(&records));
    let index = index_of(&file, 2);
    for (from, to) in [
        (0, 3_000_000),
        (1_234_567, 1_334_567),
        (4_990_000_000, u64::MAX),
        (7_000_000_000, u64::MAX),
    ] {
        let window: Vec<Record> = index
            .decode_window(from, to)
            .unwrap()
            .into_iter()
            .map(|l| l.record)
            .collect();
        let expected: Vec<Record> = records
            .iter()
            .filter(|r| (from..=to).contains(&r.t_ns()))
            .cloned()
            .collect();
        assert_eq!(window, expected, "{from}..={to}");
    }
}

#[test]
fn a_cut_file_keeps_its_complete_records() {
    let bytes = write(&records(100));
    let index = index_of(&temp_file(&bytes[..bytes.len() - 3]), 1);
    assert_eq!(index.frames.len(), 99);
    assert_eq!(index.issues.len(), 1);
    assert_eq!(
        index.issues[0].problem,
        gdkrecord_format::Problem::Truncated
    );
    assert!(index.issues_summary().unwrap().contains("cut"));
}

#[test]
fn corruption_is_skipped_and_reading_goes_on() {
    let mut bytes = write(&records(2_000));
    let middle = bytes.len() / 2;
    bytes[middle..middle + 40].fill(0xa5);
    for threads in [1, 2] {
        let index = index_of(&temp_file(&bytes), threads);
        assert_eq!(index.issues.len(), 1, "{:?}", index.issues);
        assert_eq!(index.issues[0].problem, gdkrecord_format::Problem::Corrupt);
        assert!(
            index.frames.len() >= 1_995 && index.frames.len() < 2_000,
            "{}",
            index.frames.len()
        );
        assert_eq!(
            index.frames.last().unwrap().t_ns,
            2_000_100_000,
            "records after the damage are read"
        );
    }
}

#[test]
fn a_zero_filled_tail_is_a_clean_end() {
    let mut bytes = write(&records(50));
    bytes.extend(std::iter::repeat_n(0u8, 10_000));
    let index = index_of(&temp_file(&bytes), 1);
    assert!(index.issues.is_empty());
    assert_eq!(index.frames.len(), 50);
}

#[test]
fn not_a_recording_is_an_error_naming_the_file() {
    let path = std::env::temp_dir().join(format!("grv-not-{}.gdkrecord", std::process::id()));
    std::fs::write(&path, b"hello, world, this is not a recording").unwrap();
    let error = RecordingIndex::build(&path, &mut |_, _| true).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    let message = error.to_string();
    assert!(
        message.contains("not a gdkrecord recording") && message.contains("grv-not-"),
        "{message}"
    );
}
