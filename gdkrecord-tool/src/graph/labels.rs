//! How the dashboard writes times, durations, percentages and counts.

/// The time axis' description: seconds for short recordings, clock time for long ones.
pub(super) fn time_desc(span_s: f64) -> &'static str {
    if span_s >= 3600.0 {
        "time since start of recording (h:mm:ss)"
    } else if span_s >= 600.0 {
        "time since start of recording (m:ss)"
    } else {
        "time since start of recording (s)"
    }
}

/// A time-axis label in the unit [`time_desc`] announces for `span_s`.
pub(super) fn format_time(s: f64, span_s: f64) -> String {
    if span_s >= 600.0 {
        let total = s.round() as u64;
        let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
        if span_s >= 3600.0 {
            format!("{h}:{m:02}:{sec:02}")
        } else {
            format!("{}:{sec:02}", total / 60)
        }
    } else if s == 0.0 {
        "0".into()
    } else if s.abs() >= 100.0 {
        format!("{s:.0}")
    } else if s.abs() >= 10.0 {
        format!("{s:.1}")
    } else {
        format!("{s:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// `6.2 s`, `12 min 5 s`, `6 h 47 min`.
pub(super) fn human_duration(s: f64) -> String {
    let total = s.round() as u64;
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {} s", total / 60, total % 60)
    } else {
        format!("{} h {} min", total / 3600, total / 60 % 60)
    }
}

pub(super) fn format_percent(p: f64) -> String {
    if p >= 1.0 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// `12345678` -> `12,345,678`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(format_time(2.5, 6.0), "2.5");
        assert_eq!(format_time(12.25, 60.0), "12.2");
        assert_eq!(format_time(125.0, 900.0), "2:05");
        assert_eq!(format_time(3725.0, 9000.0), "1:02:05");
        assert_eq!(human_duration(6.24), "6.2 s");
        assert_eq!(human_duration(24424.9), "6 h 47 min");
        assert_eq!(format_percent(0.1), "0.1%");
        assert_eq!(format_percent(100.0), "100%");
    }
}
