//! How close the replay came to REC's pace: each button, key and scroll event the new run
//! received, against the one REC had at that place in the order, both timed from the end
//! of the first toplevel's first frame (REC's times divided by `--speed`).

use gdkrecord_format::EventType;

use super::follow::Follower;
use super::script::Script;
use crate::stats::summary::{ms, quantile};

/// One line: how many inputs arrived, and how far from REC's times.
pub fn summary(script: &Script, follower: &Follower, speed: f64) -> String {
    let sent: Vec<(u64, EventType)> = script
        .steps
        .iter()
        .filter_map(|s| s.event_type.map(|t| (s.at_ns, t)))
        .filter(|(_, t)| *t != EventType::MOTION_NOTIFY)
        .collect();
    let Some(origin) = follower.first_frame_end_ns else {
        return "no frame recorded".into();
    };
    let received = &follower.inputs;
    let matched = sent
        .iter()
        .zip(received.iter().filter(|(t, _)| *t >= origin))
        .filter(|((_, a), (_, b))| a == b);
    let mut distances: Vec<u64> = matched
        .map(|((at, _), (t, _))| {
            let replayed = t - origin;
            let due = (*at as f64 / speed) as u64;
            replayed.abs_diff(due)
        })
        .collect();
    if distances.is_empty() {
        return format!(
            "{} button, key and scroll events sent, none received in order",
            sent.len()
        );
    }
    distances.sort_unstable();
    let n = distances.len();
    format!(
        "{n} of {} button, key and scroll events arrived in REC's order, {} ms from REC's times at the median (p95 {} ms, max {} ms)",
        sent.len(),
        ms(quantile(&distances, 0.5)),
        ms(quantile(&distances, 0.95)),
        ms(distances[n - 1]),
    )
}
