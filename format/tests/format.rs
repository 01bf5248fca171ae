//! Round trips, cut and damaged files, and the golden file of every released version.

use gdkrecord_format::*;

/// One record of every kind, with every optional field exercised somewhere (format
/// version 2: version 1's records and a `loop-summary`).
fn sample_records() -> Vec<Record> {
    let mut records = sample_records_v1();
    if let Record::Header(header) = &mut records[0] {
        header.format_version = 2;
    }
    let end = records.len() - 1;
    records.insert(
        end,
        Record::LoopSummary(LoopSummary {
            t_ns: 6_050_000,
            iterations: 12,
            work_ns: 1_250_000,
            poll_ns: 2_700_000,
        }),
    );
    records
}

/// One record of every kind a version 1 file may hold.
fn sample_records_v1() -> Vec<Record> {
    let header = Header {
        t_ns: 0,
        format_version: 1,
        recorder_version: "0.1.0".into(),
        pid: 4242,
        program: "counter".into(),
        argv: vec!["./counter".into(), "--flag".into()],
        gtk_version: [4, 8, 3],
        start_unix_ns: 1_790_000_000_123_456_789,
        start_monotonic_ns: 987_654_321_000,
        display_backend: "x11".into(),
        display_name: ":99".into(),
        damage_capture: true,
        damage_note: String::new(),
        damage_layout: "gtk-4.8".to_owned(),
    };
    let mut click = Event::new(2_000_000, SurfaceId(1), EventType::BUTTON_PRESS, 1234);
    click.x = Some(200.0);
    click.y = Some(150.25);
    click.button = Some(1);
    click.modifiers = Some(Modifiers(Modifiers::SHIFT.0 | Modifiers::BUTTON1.0));
    let mut key = Event::new(3_000_000, SurfaceId(1), EventType::KEY_PRESS, 1300);
    key.keyval = Some(0xff0d);
    key.key = Some("Return".into());
    key.keycode = Some(36);
    key.modifiers = Some(Modifiers(0));
    let mut scroll = Event::new(3_500_000, SurfaceId(1), EventType::SCROLL, 1310);
    scroll.x = Some(10.0);
    scroll.y = Some(-3.5);
    scroll.scroll_direction = Some(ScrollDirection::SMOOTH);
    scroll.dx = Some(0.0);
    scroll.dy = Some(1.5);
    let mut enter = Event::new(3_600_000, SurfaceId(2), EventType::ENTER_NOTIFY, 1320);
    enter.crossing_mode = Some(CrossingMode::NORMAL);
    enter.crossing_detail = Some(NotifyType::NONLINEAR);
    let mut focus = Event::new(3_700_000, SurfaceId(1), EventType::FOCUS_CHANGE, 0);
    focus.focus_in = Some(true);
    let mut touch = Event::new(3_800_000, SurfaceId(1), EventType::TOUCH_BEGIN, 1400);
    touch.sequence = Some(7);
    vec![
        Record::Header(header),
        Record::Surface(Surface {
            t_ns: 1_000,
            surface: SurfaceId(1),
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkApplicationWindow".into()),
            width: 400,
            height: 300,
            scale_factor: 1,
        }),
        Record::Surface(Surface {
            t_ns: 1_500,
            surface: SurfaceId(2),
            surface_kind: SurfaceKind::POPUP,
            parent: Some(SurfaceId(1)),
            type_name: "GdkX11Popup".into(),
            widget_type: None,
            width: 120,
            height: 80,
            scale_factor: 2,
        }),
        Record::Size(Size {
            t_ns: 1_600,
            surface: SurfaceId(1),
            width: 900,
            height: 700,
        }),
        Record::Scale(Scale {
            t_ns: 1_700,
            surface: SurfaceId(1),
            scale_factor: 2,
        }),
        Record::State(State {
            t_ns: 1_800,
            surface: SurfaceId(1),
            state: ToplevelState(ToplevelState::FOCUSED.0 | ToplevelState::MAXIMIZED.0),
        }),
        Record::Event(click),
        Record::Event(key),
        Record::Event(scroll),
        Record::Event(enter),
        Record::Event(focus),
        Record::Event(touch),
        Record::Frame(Frame {
            t_ns: 4_000_000,
            surface: SurfaceId(1),
            counter: 17,
            end_ns: 4_900_000,
            before_paint: Some(Phase {
                start_ns: 4_000_000,
                end_ns: 4_010_000,
            }),
            update: None,
            layout: Some(Phase {
                start_ns: 4_100_000,
                end_ns: 4_300_000,
            }),
            paint: Some(Phase {
                start_ns: 4_300_000,
                end_ns: 4_800_000,
            }),
            after_paint: Some(Phase {
                start_ns: 4_800_000,
                end_ns: 4_900_000,
            }),
        }),
        Record::FrameTimings(FrameTimings {
            t_ns: 5_000_000,
            surface: SurfaceId(1),
            counter: 16,
            frame_time_ns: Some(3_000_000),
            presentation_time_ns: None,
            predicted_presentation_time_ns: Some(3_016_000),
            refresh_interval_ns: Some(16_666_667),
        }),
        Record::Damage(Damage {
            t_ns: 4_500_000,
            surface: SurfaceId(1),
            frame: 17,
            renderer: Renderer::CAIRO,
            rects: vec![[11, 57, 375, 42], [-5, 0, 20, 25]],
        }),
        Record::Painted(Damage {
            t_ns: 4_600_000,
            surface: SurfaceId(1),
            frame: 17,
            renderer: Renderer::GL,
            rects: vec![[0, 0, 900, 700]],
        }),
        Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns: 6_000_000,
            surface: SurfaceId(2),
        }),
        Record::LoopIteration(LoopIteration {
            t_ns: 6_100_000,
            poll_ns: 900_000,
            work_ns: 45_000,
        }),
        Record::Dispatch(Dispatch {
            t_ns: 6_200_000,
            duration_ns: 12_000_000,
            source: Some("[gtk] GtkWidget tick callback".into()),
            source_type: "timeout".into(),
            priority: 0,
            callback: Some(CodeAddress {
                addr: 0x5555_0000_1234,
                module: Some("/usr/bin/blocker".into()),
                offset: 0x1234,
                symbol: Some("burn_cpu".into()),
            }),
        }),
        Record::StallSample(StallSample {
            t_ns: 6_400_000,
            stall_start_ns: 6_300_000,
            stack: vec![
                CodeAddress {
                    addr: 0x7f00_0000_1000,
                    module: Some("/lib/libc.so.6".into()),
                    offset: 0x1000,
                    symbol: Some("nanosleep".into()),
                },
                CodeAddress {
                    addr: 0x5555_0000_2000,
                    module: None,
                    offset: 0,
                    symbol: None,
                },
            ],
        }),
        Record::Stall(Stall {
            t_ns: 6_300_000,
            duration_ns: 300_000_000,
            duration_ms: 300.0,
            source: None,
            samples: 3,
            stack: vec![CodeAddress {
                addr: 0x7f00_0000_1000,
                module: Some("/lib/libc.so.6".into()),
                offset: 0x1000,
                symbol: Some("nanosleep".into()),
            }],
        }),
        Record::End(End {
            t_ns: 7_000_000,
            reason: EndReason::EXIT,
            records: 23,
            dropped: 0,
        }),
        Record::DamageCapture(DamageCapture {
            t_ns: 4_700_000,
            class_name: "GskGLRenderer".into(),
            vfunc: DamageVfunc::RENDER,
            damage_layout: "gtk-4.14".into(),
            state: CaptureState::PROVEN,
            note: "16 calls checked".into(),
        }),
    ]
}

/// The records a recording made with pixels on adds: a full picture in two bands (raw and
/// LZ4), a patch at scale 2, a popup's position, a frame without pixels.
fn sample_pixel_records() -> Vec<Record> {
    let gradient = |len: usize| (0..len).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>();
    let top = Pixels::raw(
        5_000_000,
        SurfaceId(1),
        7,
        1,
        true,
        [0, 0, 4, 2],
        gradient(32),
    );
    let mut bottom = Pixels::raw(
        5_000_000,
        SurfaceId(1),
        7,
        1,
        true,
        [0, 2, 4, 1],
        gradient(16),
    );
    bottom.compress();
    let mut label = Pixels::raw(
        5_400_000,
        SurfaceId(1),
        8,
        2,
        false,
        [1, 1, 3, 2],
        vec![0x80; 6 * 4 * 4],
    );
    label.compress();
    vec![
        Record::Pixels(top),
        Record::Pixels(bottom),
        Record::Pixels(label),
        Record::PopupPosition(PopupPosition {
            t_ns: 5_500_000,
            surface: SurfaceId(2),
            x: 120,
            y: -8,
        }),
        Record::PixelsSkipped(PixelsSkipped {
            t_ns: 5_600_000,
            surface: SurfaceId(1),
            frame: 9,
            reason: PixelsSkipReason::BUDGET,
        }),
    ]
}

fn encode(records: &[Record]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new()).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> (Vec<Record>, Vec<ReadIssue>) {
    let mut reader = Reader::new(bytes).unwrap();
    let records = reader.by_ref().map(Result::unwrap).collect();
    (records, reader.issues().to_vec())
}

#[test]
fn every_record_kind_round_trips() {
    let mut records = sample_records();
    records.extend(sample_pixel_records());
    let kinds: std::collections::BTreeSet<_> = records.iter().map(Record::kind).collect();
    assert_eq!(
        kinds.len(),
        RecordKind::ALL.len(),
        "the sample must cover every kind"
    );
    let (back, issues) = read_all(&encode(&records));
    assert_eq!(back, records);
    assert!(issues.is_empty());
}

#[test]
fn json_round_trips_and_keeps_the_contract_names() {
    for record in sample_records() {
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["kind"], record.kind().name());
        assert_eq!(json["t_ns"], record.t_ns());
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
    let click = &sample_records()[6];
    let json = serde_json::to_value(click).unwrap();
    assert_eq!(json["type"], "button-press");
    assert_eq!(json["x"], 200.0);
    assert_eq!(json["modifiers"], serde_json::json!(["shift", "button1"]));
    assert_eq!(json["key"], serde_json::Value::Null);
    let damage = serde_json::to_value(&sample_records()[14]).unwrap();
    let stall = serde_json::to_value(&sample_records()[20]).unwrap();
    assert_eq!(stall["kind"], "stall");
    assert_eq!(stall["duration_ms"], 300.0);
    assert_eq!(stall["stack"][0]["symbol"], "nanosleep");
    assert_eq!(
        damage["rects"],
        serde_json::json!([[11, 57, 375, 42], [-5, 0, 20, 25]])
    );
}

#[test]
fn pixels_json_gives_the_data_size_not_the_data() {
    let records = sample_pixel_records();
    let json = serde_json::to_value(&records[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "pixels", "t_ns": 5_000_000, "surface": 1, "frame": 7,
            "scale": 1, "full": true, "rect": [0, 0, 4, 2], "codec": "raw", "data_bytes": 32})
    );
    let label = serde_json::to_value(&records[2]).unwrap();
    assert_eq!(label["codec"], "lz4");
    assert_eq!(
        serde_json::to_value(&records[4]).unwrap()["reason"],
        "budget"
    );
    assert_eq!(serde_json::to_value(&records[3]).unwrap()["x"], 120);
    for record in records {
        let back: Record = serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
        match (back, record) {
            (Record::Pixels(back), Record::Pixels(mut record)) => {
                assert!(back.data.is_empty());
                record.data.clear();
                assert_eq!(back, record);
            }
            (back, record) => assert_eq!(back, record),
        }
    }
}

#[test]
fn a_motion_event_is_small() {
    let mut motion = Event::new(
        12_345_678_901,
        SurfaceId(1),
        EventType::MOTION_NOTIFY,
        4_000_000_000,
    );
    motion.x = Some(812.53);
    motion.y = Some(433.5);
    motion.modifiers = Some(Modifiers(0));
    let mut frame = Vec::new();
    encode_record(&Record::Event(motion), &mut frame);
    assert!(
        frame.len() <= 30,
        "motion event takes {} bytes",
        frame.len()
    );
}

#[test]
fn a_file_cut_at_any_byte_yields_every_complete_record() {
    let records = sample_records();
    let bytes = encode(&records);
    // Offsets where each record's frame ends.
    let mut ends = Vec::new();
    let mut offset = FILE_HEADER_LEN;
    for r in &records {
        let mut frame = Vec::new();
        encode_record(r, &mut frame);
        offset += frame.len();
        ends.push(offset);
    }
    for cut in FILE_HEADER_LEN..bytes.len() {
        let (back, issues) = read_all(&bytes[..cut]);
        let complete = ends.iter().filter(|end| **end <= cut).count();
        assert_eq!(back, records[..complete], "cut at {cut}");
        let at_boundary = cut == FILE_HEADER_LEN || ends.contains(&cut);
        if at_boundary {
            assert!(issues.is_empty(), "cut at {cut}: {issues:?}");
        } else {
            assert_eq!(issues.len(), 1, "cut at {cut}: {issues:?}");
            assert_eq!(issues[0].problem, Problem::Truncated);
            assert_eq!(
                issues[0].offset as usize,
                ends.iter()
                    .rev()
                    .find(|e| **e <= cut)
                    .copied()
                    .unwrap_or(FILE_HEADER_LEN)
            );
            assert_eq!((issues[0].offset + issues[0].len) as usize, cut);
        }
    }
}

#[test]
fn a_zero_padded_tail_is_a_clean_end() {
    let records = sample_records();
    let mut bytes = encode(&records[..5]);
    bytes.resize(bytes.len() + 100_000, 0);
    let (back, issues) = read_all(&bytes);
    assert_eq!(back, records[..5]);
    assert!(issues.is_empty());
}

#[test]
fn a_record_half_written_before_the_zero_padding_is_reported_truncated() {
    let records = sample_records();
    let mut bytes = encode(&records[..5]);
    let whole = bytes.len();
    let mut frame = Vec::new();
    encode_record(&records[5], &mut frame);
    bytes.extend_from_slice(&frame[..frame.len() / 2]);
    bytes.resize(bytes.len() + 4096, 0);
    let (back, issues) = read_all(&bytes);
    assert_eq!(back, records[..5]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].problem, Problem::Truncated);
    assert_eq!(issues[0].offset as usize, whole);
}

#[test]
fn corruption_in_the_middle_skips_only_the_damaged_record() {
    let records = sample_records();
    let clean = encode(&records);
    let mut first = Vec::new();
    encode_record(&records[0], &mut first);
    let damaged_at = FILE_HEADER_LEN + first.len() + 6; // inside record 1's payload
    for garbage in [0x00u8, 0xff, 0x5a] {
        let mut bytes = clean.clone();
        bytes[damaged_at] ^= garbage | 1;
        let (back, issues) = read_all(&bytes);
        let mut expected = records.clone();
        expected.remove(1);
        assert_eq!(back, expected);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].problem, Problem::Corrupt);
        assert_eq!(issues[0].offset as usize, FILE_HEADER_LEN + first.len());
    }
}

#[test]
fn random_bytes_after_the_header_never_panic() {
    let mut state = 0x1234_5678_u64;
    for len in [1usize, 7, 100, 5_000, 70_000] {
        let mut bytes = file_header().to_vec();
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        let mut reader = Reader::new(&bytes[..]).unwrap();
        for r in reader.by_ref() {
            r.unwrap();
        }
        assert!(reader.offset() as usize <= bytes.len());
    }
}

#[test]
fn bad_file_headers_are_named() {
    assert!(matches!(Reader::new(&b""[..]), Err(OpenError::Empty)));
    assert!(matches!(
        Reader::new(&b"hello world, not a log"[..]),
        Err(OpenError::NotARecording)
    ));
    assert!(matches!(
        Reader::new(&MAGIC[..5]),
        Err(OpenError::ShortHeader)
    ));
    let mut newer = file_header();
    newer[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(
        matches!(Reader::new(&newer[..]), Err(OpenError::NewerVersion { found }) if found == FORMAT_VERSION + 1)
    );
}

#[test]
fn unknown_record_kinds_are_skipped_and_reported() {
    let records = sample_records();
    let mut bytes = encode(&records[..2]);
    let payload = [99u8, 5, 1, 2, 3];
    bytes.push(payload.len() as u8);
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let mut tail = Vec::new();
    encode_record(&records[2], &mut tail);
    bytes.extend_from_slice(&tail);
    let (back, issues) = read_all(&bytes);
    assert_eq!(back, records[..3]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].problem, Problem::UnknownKind(99));
}

/// The file of every released format version stays readable forever.
/// Regenerate only when adding a new version: `GDKRECORD_BLESS=1 cargo test -p gdkrecord-format`.
#[test]
fn golden_v1_reads_forever() {
    // Written by the first release: its header ends before `damage_layout`, and it has
    // no damage-capture record. Never rewritten (this crate writes version 2 now).
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v1.gdkrecord");
    let first_release: Vec<Record> = sample_records_v1()
        .into_iter()
        .filter(|r| !matches!(r, Record::DamageCapture(_)))
        .map(|mut r| {
            if let Record::Header(h) = &mut r {
                h.damage_layout.clear();
            }
            r
        })
        .collect();
    let bytes = std::fs::read(path).unwrap();
    let mut reader = Reader::new(&bytes[..]).unwrap();
    assert_eq!(reader.version(), 1);
    let back: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(back, first_release);
    assert!(reader.issues().is_empty());
}

#[test]
fn golden_v2_reads_forever() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v2.gdkrecord");
    if std::env::var_os("GDKRECORD_BLESS").is_some() {
        std::fs::write(path, encode(&sample_records())).unwrap();
    }
    let bytes = std::fs::read(path).unwrap();
    let mut reader = Reader::new(&bytes[..]).unwrap();
    assert_eq!(reader.version(), 2);
    let back: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(back, sample_records());
    assert!(reader.issues().is_empty());
}

/// The pixel records of every format version that has them, read forever (kinds 22-24
/// came within version 2: a reader that does not know them skips them).
#[test]
fn golden_v2_pixels_reads_forever() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/v2-pixels.gdkrecord"
    );
    let mut records = sample_records();
    let end = records.pop();
    records.extend(sample_pixel_records());
    records.extend(end);
    if std::env::var_os("GDKRECORD_BLESS").is_some() && !std::path::Path::new(path).exists() {
        std::fs::write(path, encode(&records)).unwrap();
    }
    let bytes = std::fs::read(path).unwrap();
    let mut reader = Reader::new(&bytes[..]).unwrap();
    let back: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(back, records);
    assert!(reader.issues().is_empty());
    let Record::Pixels(label) = &back[back.len() - 4] else {
        panic!("not the label patch: {:?}", back[back.len() - 4]);
    };
    assert_eq!(label.decode().unwrap(), vec![0x80; 96]);
}

/// Hostile pixel records: the reader allocates for what the payload holds and the caps
/// allow, never for what a field claims.
#[test]
fn pixel_records_beyond_the_caps_are_corrupt() {
    let good = sample_records()[1].clone();
    let Record::Pixels(patch) = sample_pixel_records()[0].clone() else {
        panic!("the first pixel sample is not pixels");
    };
    let over: Vec<Pixels> = vec![
        Pixels {
            scale: MAX_PIXEL_SCALE + 1,
            ..patch.clone()
        },
        Pixels {
            scale: 0,
            ..patch.clone()
        },
        Pixels {
            rect: [0, 0, 2049, 2048],
            ..patch.clone()
        },
        Pixels {
            rect: [0, 0, 0, 2],
            ..patch.clone()
        },
        // Raw data must be exactly the rectangle's.
        Pixels {
            rect: [0, 0, 4, 3],
            ..patch.clone()
        },
    ];
    for record in over {
        let (back, issues) = read_all(&encode(&[Record::Pixels(record.clone()), good.clone()]));
        assert_eq!(back, std::slice::from_ref(&good), "{record:?} read");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].problem, Problem::Corrupt);
    }
    // A data length claiming more than the payload holds.
    let mut payload = Vec::new();
    encode_payload(&Record::Pixels(patch), &mut payload);
    let data_len_at = payload.len() - 33;
    assert_eq!(payload[data_len_at], 32);
    payload[data_len_at] = 0xff;
    payload.splice(data_len_at + 1..data_len_at + 1, [0xff, 0xff, 0x07]);
    let mut bytes = file_header().to_vec();
    bytes.push(payload.len() as u8);
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    encode_record(&good, &mut bytes);
    let (back, issues) = read_all(&bytes);
    assert_eq!(back, std::slice::from_ref(&good));
    assert_eq!(issues[0].problem, Problem::Corrupt, "{issues:?}");
    // LZ4 data claiming the largest rectangle decodes to an error, with one allocation.
    let mut huge = Pixels::raw(1, SurfaceId(1), 1, 1, false, [0, 0, 2, 2], vec![0; 16]);
    huge.compress();
    huge.rect = [0, 0, 2048, 2048];
    let (back, _) = read_all(&encode(&[Record::Pixels(huge)]));
    let Record::Pixels(huge) = &back[0] else {
        panic!("{back:?}");
    };
    assert_eq!(huge.decode(), Err(PixelError::BadData(MAX_PIXEL_BYTES)));
}

/// A stack, an argv or a region one past what the recorder produces.
fn over_the_caps() -> Vec<Record> {
    let code = CodeAddress {
        addr: 1,
        module: None,
        offset: 1,
        symbol: None,
    };
    let mut header = match &sample_records()[0] {
        Record::Header(h) => h.clone(),
        other => panic!("the first sample is not a header: {other:?}"),
    };
    header.argv = vec![String::new(); MAX_ARGS + 1];
    vec![
        Record::Header(header),
        Record::Stall(Stall {
            t_ns: 1,
            duration_ns: 1,
            duration_ms: 1e-6,
            source: None,
            samples: 1,
            stack: vec![code.clone(); MAX_STACK_FRAMES + 1],
        }),
        Record::StallSample(StallSample {
            t_ns: 2,
            stall_start_ns: 1,
            stack: vec![code; MAX_STACK_FRAMES + 1],
        }),
        Record::Damage(Damage {
            t_ns: 3,
            surface: SurfaceId(1),
            frame: 1,
            renderer: Renderer::CAIRO,
            rects: vec![[0, 0, 1, 1]; MAX_RECTS + 1],
        }),
    ]
}

/// Regression: a 16 MB recording whose stall held millions of stack entries, or whose
/// header held 16 M arguments, made every command take gigabytes.
#[test]
fn records_over_the_caps_are_corrupt_and_at_the_caps_are_read() {
    let good = sample_records()[1].clone();
    for record in over_the_caps() {
        let (back, issues) = read_all(&encode(&[record.clone(), good.clone()]));
        assert_eq!(
            back,
            std::slice::from_ref(&good),
            "{:?} read",
            record.kind()
        );
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].problem, Problem::Corrupt);
    }
    let at_the_caps: Vec<Record> = over_the_caps()
        .into_iter()
        .map(|mut record| {
            match &mut record {
                Record::Header(h) => h.argv.pop().map(drop).unwrap_or(()),
                Record::Stall(Stall { stack, .. })
                | Record::StallSample(StallSample { stack, .. }) => {
                    stack.pop().map(drop).unwrap_or(())
                }
                Record::Damage(d) => d.rects.pop().map(drop).unwrap_or(()),
                _ => {}
            }
            record
        })
        .collect();
    let (back, issues) = read_all(&encode(&at_the_caps));
    assert_eq!(back, at_the_caps);
    assert!(issues.is_empty());
}

/// Regression: a long run of skipped records kept every skipped stretch in memory.
#[test]
fn a_long_run_of_skipped_stretches_is_counted_not_kept() {
    let records = sample_records();
    let mut bytes = encode(&records[..1]);
    for t in 0..10_000u32 {
        let payload = [99u8, t as u8];
        bytes.push(payload.len() as u8);
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        encode_record(&records[1], &mut bytes);
    }
    let mut reader = Reader::new(&bytes[..]).unwrap();
    assert_eq!(reader.by_ref().count(), 10_001);
    assert_eq!(reader.issues().len(), ISSUES_LISTED);
    assert_eq!(
        reader.skipped(),
        Skipped {
            stretches: 10_000,
            bytes: 70_000
        }
    );
}

/// Regression: format version 0 was reported as "bad magic bytes".
#[test]
fn format_version_0_is_named() {
    let mut header = file_header();
    header[8] = 0;
    let error = Reader::new(&header[..]).unwrap_err();
    assert!(matches!(error, OpenError::VersionZero), "{error:?}");
    assert!(error.to_string().contains("format version 0"));
}
