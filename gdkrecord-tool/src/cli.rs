//! Command-line arguments (clap derive). Validation into typed configs happens in each
//! command's module; the flags shared by every reading command live in [`Filters`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Record the event loop of GTK 3 and GTK 4 programs, and read what was recorded.
#[derive(Debug, Parser)]
#[command(name = "gdkrecord-tool", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a GTK 3 or GTK 4 program with the recorder loaded (the one for its GTK).
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool record -- ./myprog --its-args\n  gdkrecord-tool record -o run.gdkrecord -- gtk4-widget-factory\n  gdkrecord-tool record -- mousepad   # GTK 3: through GTK_MODULES, kept with yours\n  GDKRECORD_SYNC=1 gdkrecord-tool record -- ./myprog   # nothing lost even to SIGKILL\n  GDKRECORD_KEYS=redacted gdkrecord-tool record -- ./myprog   # what was typed left out\n  gdkrecord-tool record --pixels -o run.gdkrecord -- ./myprog   # with what it drew (GTK 3: X11)\n\nThe recording is created 0600; a file already there is kept as NAME.old.\nThe recorder also reads GDKRECORD_SYNC, GDKRECORD_KEYS (all, redacted),\nGDKRECORD_DAMAGE, GDKRECORD_MAINLOOP, GDKRECORD_DISPATCH_US, GDKRECORD_STALL_MS,\nGDKRECORD_STALL_SAMPLE_MS and GDKRECORD_SELF_TIME: see docs/guide.md."
    )]
    Record(RecordArgs),
    /// Print the directory to put in GTK_PATH to record any GTK 4 program, or any GTK 3
    /// program with GTK_MODULES=gdkrecord.
    #[command(
        after_help = "EXAMPLES:\n  GTK_PATH=$(gdkrecord-tool module-dir) ./myprog\n  GDKRECORD_FILENAME=run.gdkrecord GTK_PATH=$(gdkrecord-tool module-dir) gtk4-demo\n  GTK_PATH=$(gdkrecord-tool module-dir) GTK_MODULES=gdkrecord gtk3-widget-factory"
    )]
    ModuleDir(ModuleDirArgs),
    /// Print the records of a recording as text, JSONL, JSON, CSV or XML.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool dump 12345-myprog.gdkrecord\n  gdkrecord-tool dump x.gdkrecord --format jsonl --kind event --type button-press,key-press\n  gdkrecord-tool dump x.gdkrecord --format csv -o x.csv --from 2.5s --to 4s"
    )]
    Dump(DumpArgs),
    /// Summarise a recording: counts, sizes, frame times, damage, input latency, main-loop
    /// utilisation and stalls, with slow frames and inputs blamed on a phase or a stall.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool stats x.gdkrecord\n  gdkrecord-tool stats x.gdkrecord --json | jq .frames\n  gdkrecord-tool stats x.gdkrecord --json | jq '.main_loop.stalls.top_stacks[].place'"
    )]
    Stats(StatsArgs),
    /// Write a Chrome trace-event JSON file that Perfetto UI and chrome://tracing open.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool export x.gdkrecord -o trace.json\n  gdkrecord-tool export x.gdkrecord -o - | gzip > trace.json.gz"
    )]
    Export(ExportArgs),
    /// Draw a dashboard picture of a recording (PNG or SVG).
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool graph x.gdkrecord            # writes x.gdkrecord.png\n  gdkrecord-tool graph x.gdkrecord -o x.svg --from 1s --to 3s"
    )]
    Graph(GraphArgs),
    /// Replay what was repainted as an animated GIF, or a repaint heatmap.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool exposures x.gdkrecord        # writes x.gdkrecord.gif\n  gdkrecord-tool exposures x.gdkrecord --surface 1 --speed 0.5 -o slow.gif\n  gdkrecord-tool exposures x.gdkrecord --heatmap -o heat.png"
    )]
    Exposures(ExposuresArgs),
    /// Write what a surface looked like after each frame that repainted it, as PNG files
    /// (recordings made with `record --pixels`).
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool record --pixels -o run.gdkrecord -- ./myprog\n  gdkrecord-tool frames run.gdkrecord -o frames/\n  gdkrecord-tool frames run.gdkrecord -o frames/ --from 2.5s --to 3s --surface 1\n\nFiles are named NNNNN-frameCOUNTER-TIMEs.png, in order; popups are drawn over their\nparent where they were. --kind and --type are ignored: every record is read."
    )]
    Frames(FramesArgs),
    /// List the stalls of the main loop: when, how long, which source, the blocking stack.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool stalls x.gdkrecord\n  gdkrecord-tool stalls x.gdkrecord --group          # identical stacks merged\n  gdkrecord-tool stalls x.gdkrecord --from 2s --type button-press,key-press\n  gdkrecord-tool stalls x.gdkrecord --json | jq '.stalls[] | select(.duration_ms > 200)'"
    )]
    Stalls(StallsArgs),
    /// Copy a recording without what was typed (keyvals, names and keycodes of keys that
    /// type text) and without the command line, to share it safely.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool redact x.gdkrecord -o shareable.gdkrecord\n  gdkrecord-tool redact x.gdkrecord -o bug.gdkrecord --from 10s --to 20s\n\nKept: every other record, and of each key event that a key was pressed or\nreleased, when, where and with which modifiers; keys that type nothing (Return,\nEscape, Tab, BackSpace, arrows, F-keys, modifiers) keep their names. To record keys\nthis way from the start: GDKRECORD_KEYS=redacted (docs/guide.md)."
    )]
    Redact(RedactArgs),
    /// Compare two recordings: frame times, fps, phases, input latency, damage, events,
    /// main-loop busy share, stalls and surfaces side by side, better or worse.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool diff before.gdkrecord after.gdkrecord\n  gdkrecord-tool diff before.gdkrecord after.gdkrecord --json | jq '.figures[] | select(.verdict == \"worse\")'\n\nExit status: 0 when compared, 2 on an error (a missing or unreadable recording)."
    )]
    Diff(DiffArgs),
    /// Hold a recording to budgets (frame times, stalls, input latency, full repaints) or
    /// to a baseline recording; exit 1 when one is exceeded.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool check run.gdkrecord --max-frame-p95 16.7ms --max-stall 200ms\n  gdkrecord-tool check run.gdkrecord --baseline base.gdkrecord --max-regression 10%\n  gdkrecord-tool check run.gdkrecord --budget budget.toml --json > check.json\n\nThe budget file (TOML) takes the same keys with underscores (max_frame_p95 = \"16.7ms\",\nmax_full_repaints = \"25%\", baseline = \"base.gdkrecord\", max_regression = 10); flags\noverride it. See docs/guide.md.\n\nExit status: 0 when every budget holds, 1 when one is exceeded (or cannot be measured),\n2 on an error (a missing or unreadable file, a bad budget)."
    )]
    Check(CheckArgs),
    /// Run a GTK 4 program with the recorder and play a recording's input into it
    /// (pointer, buttons, keys, scrolls, resizes) at the recording's pace: a new recording
    /// of the same session, to compare with `diff` or hold to budgets with `check`.
    #[command(
        after_help = "EXAMPLES:\n  gdkrecord-tool replay session.gdkrecord -o new.gdkrecord -- ./myprog\n  gdkrecord-tool replay session.gdkrecord --speed 2 --repeat 5 -o run.gdkrecord -- ./myprog   # run-1 ... run-5\n  gdkrecord-tool replay session.gdkrecord --wait-idle -o new.gdkrecord -- ./slow-build\n  xvfb-run -a gdkrecord-tool replay ci/session.gdkrecord -o new.gdkrecord -- ./build/myprog\n\nNeeds an X11 display with XTEST (Xvfb, Xorg, Xwayland with GDK_BACKEND=x11): under Wayland\nno client may inject input, except into a weston nested in the X display (kiosk shell). Input is placed at the recorded surface positions, on the\nsurface of the same role (the first toplevel, popups by order and parent), timed from\nthe end of the first window's first frame. See docs/ci.md.\n\nExit status: 0 when the input was replayed (whatever the app's own status), 2 on an error\n(no input in the recording, no display, a window that never appears); the partial\nrecording is kept."
    )]
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Where to write the recording (default: `<pid>-<prgname>.gdkrecord` in the working directory).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record the pixels of each repainted region (GDKRECORD_PIXELS=1): `frames`,
    /// `exposures` and the viewer then show what the app drew (GTK 4: read back from the
    /// cairo renderer, and from GL on a CPU rasterizer such as llvmpipe, else drawn again
    /// from the render node; GTK 3: read back from the window, under X11). Capped at
    /// GDKRECORD_PIXELS_MB_PER_S (32) MiB of pixels a second.
    #[arg(long)]
    pub pixels: bool,
    /// The program to record and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct ModuleDirArgs {}

/// Which records to keep; the same flags mean the same thing in every command.
#[derive(Debug, Args, Clone, Default)]
pub struct Filters {
    /// Only these record kinds (comma-separated: header, surface, size, state, event, frame, damage, ...).
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub kind: Vec<String>,
    /// Only events of these types (GDK nicks, comma-separated: button-press, key-press, motion-notify, ...).
    #[arg(long = "type", value_delimiter = ',', value_name = "TYPE,...")]
    pub event_type: Vec<String>,
    /// Only records about this surface (its number in the recording).
    #[arg(long, value_name = "N")]
    pub surface: Option<u32>,
    /// Only records at or after this time since the start (`2.5s`, `800ms`, `1500us`; plain numbers are seconds).
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// Only records at or before this time since the start.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The recording to read.
    pub file: PathBuf,
    /// Treat a cut or corrupted recording as an error instead of a warning.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub filters: Filters,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DumpFormat {
    Text,
    Jsonl,
    Json,
    Csv,
    Xml,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DumpFormat::Text)]
    pub format: DumpFormat,
    /// Write here instead of standard output (`-`: standard output too).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print stable, documented JSON instead of the human report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// The trace file to write (`-`: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// The picture to write: .png or .svg (default: FILE.png beside the recording).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Picture size in pixels.
    #[arg(long, default_value = "1600x1000", value_name = "WxH")]
    pub size: String,
}

#[derive(Debug, Args)]
pub struct ExposuresArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Where to write (default: FILE.gif, or FILE.heatmap.png with --heatmap).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Playback speed relative to the recording.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,
    /// Write one picture of how often each pixel was repainted instead of an animation.
    #[arg(long)]
    pub heatmap: bool,
    /// Over how many frames a repaint's flash fades out.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub fade: u32,
    /// Scale pictures of wider surfaces down to this width (pixels).
    #[arg(long, default_value_t = 1024, value_name = "PX")]
    pub max_width: u32,
    /// Animate at most this many frames (the first ones of the range), so GIFs stay small.
    #[arg(long, default_value_t = 3000, value_name = "N")]
    pub max_frames: usize,
}

#[derive(Debug, Args)]
pub struct FramesArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// The directory to write the PNG files into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Write at most this many frames (the first ones of the range).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_frames: u64,
}

#[derive(Debug, Args)]
pub struct StallsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Merge stalls with identical (symbolised) stacks: count, total and longest time.
    #[arg(long)]
    pub group: bool,
    /// Print JSON (documented in docs/stalls.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// The redacted recording to write.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first recording (the reference: "before").
    pub a: PathBuf,
    /// The second recording, compared with the first ("after").
    pub b: PathBuf,
    /// Print stable, documented JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The recording to check.
    pub file: PathBuf,
    /// A recording whose figures become budgets, with --max-regression.
    #[arg(long, value_name = "BASE")]
    pub baseline: Option<PathBuf>,
    /// A TOML file of budgets (the flags' names with underscores); flags override it.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// The 95th percentile of frame durations may not exceed T (`16.7ms`).
    #[arg(long, value_name = "T")]
    pub max_frame_p95: Option<String>,
    /// No frame may take longer than T.
    #[arg(long, value_name = "T")]
    pub max_frame_max: Option<String>,
    /// No main-loop stall may last longer than T.
    #[arg(long, value_name = "T")]
    pub max_stall: Option<String>,
    /// The 95th percentile of input latency may not exceed T.
    #[arg(long, value_name = "T")]
    pub max_input_latency_p95: Option<String>,
    /// At most P % of the repaints may cover the whole window.
    #[arg(long, value_name = "P%")]
    pub max_full_repaints: Option<String>,
    /// With --baseline: no figure may be more than P % worse than the baseline's.
    #[arg(long, value_name = "P%")]
    pub max_regression: Option<String>,
    /// Print stable, documented JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording whose input is played.
    pub recording: PathBuf,
    /// The new recording (default: `<REC's name>-replay.gdkrecord`); with --repeat N,
    /// OUT-1 … OUT-N.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Play this many times faster than recorded (0.5: twice slower).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,
    /// Replay N times into N recordings, for statistics.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u32,
    /// Before each input, wait until the app is idle (main loop asleep, no frame
    /// pending), so that a slower build receives each input in the same state; the gaps
    /// between inputs stay the recording's.
    #[arg(long)]
    pub wait_idle: bool,
    /// How long to wait for the app's first frame, a window the input needs, or the app
    /// to be idle.
    #[arg(long, default_value = "30s", value_name = "T")]
    pub timeout: String,
    /// The program to replay into and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}
