//! Opening a recording for any command: clear errors naming the file, the shared
//! filters (`--kind`, `--type`, `--surface`, `--from`, `--to`), warnings about what a cut
//! or damaged file lost (errors with `--strict`), and an optional progress bar.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use gdkrecord_format::{
    End, EndReason, EventType, Header, Nanos, OpenError, Reader, Record, RecordKind, SurfaceId,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Filters, ReadArgs};

/// Which records a command looks at, validated from [`Filters`].
#[derive(Debug, Clone, Default)]
pub struct Filter {
    kinds: Option<HashSet<RecordKind>>,
    event_types: Option<HashSet<EventType>>,
    surface: Option<SurfaceId>,
    from_ns: Option<Nanos>,
    to_ns: Option<Nanos>,
}

impl Filter {
    /// Validates the command-line filters. `--type` alone implies `--kind event`.
    pub fn from_args(args: &Filters) -> Result<Filter> {
        let kinds = if args.kind.is_empty() {
            (!args.event_type.is_empty()).then(|| HashSet::from([RecordKind::Event]))
        } else {
            let mut kinds = HashSet::new();
            for name in &args.kind {
                let kind = RecordKind::from_name(name.trim()).with_context(|| {
                    let known: Vec<_> = RecordKind::ALL.iter().map(|k| k.name()).collect();
                    format!(
                        "--kind: unknown record kind `{name}` (known: {})",
                        known.join(", ")
                    )
                })?;
                kinds.insert(kind);
            }
            Some(kinds)
        };
        let event_types = if args.event_type.is_empty() {
            None
        } else {
            let mut types = HashSet::new();
            for nick in &args.event_type {
                let t = EventType::from_nick(nick.trim()).with_context(|| {
                    format!("--type: unknown event type `{nick}` (GDK nicks such as button-press, key-press, motion-notify, scroll)")
                })?;
                types.insert(t);
            }
            Some(types)
        };
        let from_ns = args
            .from
            .as_deref()
            .map(|t| parse_time(t).context("--from"))
            .transpose()?;
        let to_ns = args
            .to
            .as_deref()
            .map(|t| parse_time(t).context("--to"))
            .transpose()?;
        if let (Some(from), Some(to)) = (from_ns, to_ns) {
            if from > to {
                bail!(
                    "--from ({}) is after --to ({})",
                    args.from.as_deref().unwrap_or_default(),
                    args.to.as_deref().unwrap_or_default()
                );
            }
        }
        Ok(Filter {
            kinds,
            event_types,
            surface: args.surface.map(SurfaceId),
            from_ns,
            to_ns,
        })
    }

    /// Whether `record` passes every filter.
    pub fn matches(&self, record: &Record) -> bool {
        if let Some(kinds) = &self.kinds {
            if !kinds.contains(&record.kind()) {
                return false;
            }
        }
        if let (Some(types), Record::Event(e)) = (&self.event_types, record) {
            if !types.contains(&e.event_type) {
                return false;
            }
        }
        if let Some(surface) = self.surface {
            if record.surface() != Some(surface) {
                return false;
            }
        }
        let t = record.t_ns();
        self.from_ns.is_none_or(|from| t >= from) && self.to_ns.is_none_or(|to| t <= to)
    }

    /// Whether records of `kind` can pass (`--kind`, or `--type` implying events).
    pub fn allows_kind(&self, kind: RecordKind) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&kind))
    }

    /// The `--from` time, if any.
    #[allow(clippy::wrong_self_convention)] // named after the flag, not a conversion
    pub fn from_ns(&self) -> Option<Nanos> {
        self.from_ns
    }

    /// The `--to` time, if any.
    pub fn to_ns(&self) -> Option<Nanos> {
        self.to_ns
    }

    /// The `--surface`, if any.
    pub fn surface(&self) -> Option<SurfaceId> {
        self.surface
    }
}

/// Parses a time since the start of the recording: `2.5s`, `800ms`, `1500us`, `10ns`,
/// or a plain number of seconds.
pub fn parse_time(text: &str) -> Result<Nanos> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = text.strip_suffix("us").or_else(|| text.strip_suffix("µs")) {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e9)
    } else {
        (text, 1e9)
    };
    let value: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .with_context(|| format!("`{text}` is not a time (examples: 2.5s, 800ms, 1500us, 3)"))?;
    Ok((value * scale).round() as Nanos)
}

/// Skipped stretches warned about one by one; the others are counted in one line.
const WARNINGS_LISTED: usize = 5;

/// An open recording, yielding its filtered records.
#[derive(Debug)]
pub struct Recording {
    path: PathBuf,
    reader: Reader<BufReader<File>>,
    filter: Filter,
    strict: bool,
    header: Option<Header>,
    /// The first record, read at open time to learn the header, not yet handed out.
    pending: Option<Record>,
    /// The end record, once read.
    end: Option<End>,
    issues_reported: usize,
    file_len: u64,
    progress: Option<ProgressBar>,
}

/// Opens the recording named by the command's arguments, with its filters.
pub fn open(args: &ReadArgs) -> Result<Recording> {
    let filter = Filter::from_args(&args.filters)?;
    Recording::open(&args.file, filter, args.strict)
}

impl Recording {
    /// Opens `path`; errors name the file and say what is wrong with it.
    pub fn open(path: &Path, filter: Filter, strict: bool) -> Result<Recording> {
        let shown = path.display();
        let mut reader = match Reader::open(path) {
            Ok(reader) => reader,
            Err(OpenError::Io(e)) => bail!("{shown}: cannot read: {e}"),
            Err(e) => bail!("{shown}: {e}"),
        };
        let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let pending = match reader.next() {
            Some(Ok(record)) => Some(record),
            Some(Err(e)) => bail!("{shown}: read error: {e}"),
            None => None,
        };
        let header = match &pending {
            Some(Record::Header(h)) => Some(h.clone()),
            _ => None,
        };
        let mut recording = Recording {
            path: path.to_owned(),
            reader,
            filter,
            strict,
            header,
            pending,
            end: None,
            issues_reported: 0,
            file_len,
            progress: None,
        };
        recording.check_issues()?;
        if recording.header.is_none() {
            recording.problem(format_args!(
                "no header record at the start of the recording"
            ))?;
        }
        Ok(recording)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates (or truncates) the output file `path`, refusing when it is the recording
    /// itself: truncating it while reading would destroy it.
    pub fn create_output(&self, path: &Path) -> Result<File> {
        crate::output::create(&self.path, path)
    }

    /// The recording's header (first record), when the file has one.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Shows a progress bar on stderr while reading, when stderr is a terminal and the
    /// file is big enough for it to matter.
    pub fn show_progress(&mut self, message: &'static str) {
        if std::io::stderr().is_terminal() && self.file_len > (8 << 20) {
            let bar = ProgressBar::new(self.file_len).with_message(message);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.progress = Some(bar);
        }
    }

    /// The next record passing the filter, or `None` at the end.
    #[inline] // the hot loop of every command: lets the record be moved less
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            let record = match self.pending.take() {
                Some(record) => record,
                None => match self.reader.next() {
                    Some(Ok(record)) => record,
                    Some(Err(e)) => bail!("{}: read error: {e}", self.path.display()),
                    None => return Ok(None),
                },
            };
            self.check_issues()?;
            if let Some(bar) = &self.progress {
                if self.reader.records_read().is_multiple_of(65_536) {
                    bar.set_position(self.reader.offset());
                }
            }
            if let Record::End(end) = &record {
                self.end = Some(end.clone());
            }
            if self.filter.matches(&record) {
                return Ok(Some(record));
            }
        }
    }

    /// Calls `each` for every record passing the filter, then [`Recording::finish`]es.
    pub fn for_each(mut self, mut each: impl FnMut(Record) -> Result<()>) -> Result<()> {
        while let Some(record) = self.next_record()? {
            each(record)?;
        }
        self.finish()
    }

    /// Reports what the reader skipped since the last call: a warning (the first
    /// [`WARNINGS_LISTED`]; [`Recording::finish`] counts the others), or with `--strict`
    /// an error.
    fn check_issues(&mut self) -> Result<()> {
        let listed = self.reader.issues().len().min(WARNINGS_LISTED);
        while self.issues_reported < listed {
            let issue = self.reader.issues()[self.issues_reported];
            self.issues_reported += 1;
            self.problem(format_args!("{issue}"))?;
        }
        Ok(())
    }

    fn problem(&self, what: std::fmt::Arguments<'_>) -> Result<()> {
        if self.strict {
            bail!("{}: {what}", self.path.display());
        }
        self.warn(what);
        Ok(())
    }

    fn warn(&self, what: std::fmt::Arguments<'_>) {
        let line = format!("gdkrecord-tool: warning: {}: {what}", self.path.display());
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Finishes reading (to the end, so every problem is reported even when the filter
    /// stopped early) and warns when the recording has no end record.
    pub fn finish(mut self) -> Result<()> {
        while let Some(record) = self.reader.next() {
            let record = record.with_context(|| format!("{}: read error", self.path.display()))?;
            if let Record::End(end) = record {
                self.end = Some(end);
            }
            // Listed while reading: the reader keeps no more than the first few.
            self.check_issues()?;
        }
        self.check_issues()?;
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        let skipped = self.reader.skipped();
        let unlisted = skipped.stretches - self.issues_reported as u64;
        if unlisted > 0 {
            self.warn(format_args!(
                "and {unlisted} more unreadable stretches not listed ({} stretches, {} bytes skipped in all)",
                skipped.stretches, skipped.bytes
            ));
        }
        match self.end.take() {
            Some(end) if end.reason == EndReason::DISK_FULL => self.warn(format_args!(
                "the recording was cut at {:.3} s because the disk was full (the program went on unrecorded); the {} records before are all there",
                end.t_ns as f64 / 1e9,
                self.reader.records_read()
            )),
            Some(_) => {}
            None if self.reader.records_read() > 0 => self.warn(format_args!(
                "no end record: the program did not exit normally (killed or crashed?); the {} records it wrote before are all there",
                self.reader.records_read()
            )),
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_take_units() {
        assert_eq!(parse_time("2.5s").unwrap(), 2_500_000_000);
        assert_eq!(parse_time("800ms").unwrap(), 800_000_000);
        assert_eq!(parse_time("1500us").unwrap(), 1_500_000);
        assert_eq!(parse_time("3").unwrap(), 3_000_000_000);
        assert_eq!(parse_time(" 10ns ").unwrap(), 10);
        assert!(parse_time("-1s").is_err());
        assert!(parse_time("soon").is_err());
        assert!(parse_time("").is_err());
    }

    #[test]
    fn type_alone_implies_events_only() {
        let args = Filters {
            event_type: vec!["button-press".into()],
            ..Filters::default()
        };
        let filter = Filter::from_args(&args).unwrap();
        let press = Record::Event(gdkrecord_format::Event::new(
            5,
            SurfaceId(1),
            EventType::BUTTON_PRESS,
            0,
        ));
        let motion = Record::Event(gdkrecord_format::Event::new(
            5,
            SurfaceId(1),
            EventType::MOTION_NOTIFY,
            0,
        ));
        let size = Record::Size(gdkrecord_format::Size {
            t_ns: 5,
            surface: SurfaceId(1),
            width: 1,
            height: 1,
        });
        assert!(filter.matches(&press));
        assert!(!filter.matches(&motion));
        assert!(!filter.matches(&size));
    }

    #[test]
    fn bad_filters_are_refused_with_the_flag_named() {
        let bad_kind = Filters {
            kind: vec!["nope".into()],
            ..Filters::default()
        };
        assert!(format!("{:#}", Filter::from_args(&bad_kind).unwrap_err()).contains("--kind"));
        let backwards = Filters {
            from: Some("2s".into()),
            to: Some("1s".into()),
            ..Filters::default()
        };
        assert!(Filter::from_args(&backwards).is_err());
    }
}
