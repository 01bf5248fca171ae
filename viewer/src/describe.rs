//! One-line descriptions of records, as the side panel lists them around the playhead.

use gdkrecord_format::Record;

/// A one-line description of a record for the side panel: `+1.234567 s  frame #12 …`.
pub fn describe(record: &Record) -> String {
    let what = match record {
        Record::Header(h) => format!("header {} pid {}", h.program, h.pid),
        Record::Surface(s) => format!(
            "surface {} {} {}×{}",
            s.surface, s.surface_kind, s.width, s.height
        ),
        Record::SurfaceDestroyed(s) => format!("surface {} destroyed", s.surface),
        Record::Size(s) => format!("size {} {}×{}", s.surface, s.width, s.height),
        Record::Scale(s) => format!("scale {} ×{}", s.surface, s.scale_factor),
        Record::State(s) => format!("state {} {:?}", s.surface, s.state.names()),
        Record::Event(e) => {
            let mut text = format!("{} on {}", e.event_type, e.surface);
            if let (Some(x), Some(y)) = (e.x, e.y) {
                text += &format!(" at {x:.0},{y:.0}");
            }
            if let Some(button) = e.button {
                text += &format!(" button {button}");
            }
            if let Some(key) = &e.key {
                text += &format!(" key {key}");
            }
            text
        }
        Record::Frame(f) => format!(
            "frame #{} of {}: {:.2} ms",
            f.counter,
            f.surface,
            f.duration_ns() as f64 / 1e6
        ),
        Record::FrameTimings(t) => format!("frame-timings #{} of {}", t.counter, t.surface),
        Record::Damage(d) => format!(
            "damage #{} of {}: {} rects, {} px²",
            d.frame,
            d.surface,
            d.rects.len(),
            d.area()
        ),
        Record::Painted(d) => format!(
            "painted #{} of {}: {} rects, {} px²",
            d.frame,
            d.surface,
            d.rects.len(),
            d.area()
        ),
        Record::End(e) => format!("end ({}), {} records", e.reason, e.records),
        Record::LoopIteration(l) => format!(
            "loop: {:.2} ms asleep, {:.2} ms working",
            l.poll_ns as f64 / 1e6,
            l.work_ns as f64 / 1e6
        ),
        Record::LoopSummary(l) => format!(
            "loop: {} iterations, {:.2} ms working, {:.2} ms asleep",
            l.iterations,
            l.work_ns as f64 / 1e6,
            l.poll_ns as f64 / 1e6
        ),
        Record::Dispatch(d) => format!(
            "dispatch {} {}: {:.2} ms",
            d.source_type,
            d.source.as_deref().unwrap_or(""),
            d.duration_ns as f64 / 1e6
        ),
        Record::Stall(s) => format!(
            "stall {:.1} ms {}",
            s.duration_ms,
            s.source.as_deref().unwrap_or("")
        ),
        Record::StallSample(s) => format!("stall sample, {} frames deep", s.stack.len()),
        Record::DamageCapture(c) => format!(
            "damage capture: {}.{} {} ({})",
            c.class_name, c.vfunc, c.state, c.damage_layout
        ),
        Record::Pixels(p) => format!(
            "pixels #{} of {}: {}×{} at {},{}{}, {} bytes",
            p.frame,
            p.surface,
            p.rect[2],
            p.rect[3],
            p.rect[0],
            p.rect[1],
            if p.full { " (full)" } else { "" },
            p.data.len()
        ),
        Record::PopupPosition(p) => {
            format!("popup {} at {},{} over its parent", p.surface, p.x, p.y)
        }
        Record::PixelsSkipped(p) => {
            format!("no pixels for #{} of {} ({})", p.frame, p.surface, p.reason)
        }
    };
    format!("{:>10.6} s  {what}", record.t_ns() as f64 / 1e9)
}
