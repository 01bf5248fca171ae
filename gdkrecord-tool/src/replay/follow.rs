//! Follows the recording the replayed app is writing, as it grows: its header, its
//! surfaces by role with their current sizes, the end of its first frame, and the input
//! it received. The recorder's file is memory-mapped and zero-filled past the last
//! record, so reading stops at the first zero byte (or an incomplete record) and goes on
//! from there at the next poll; a record that does not check out while the app runs may
//! be one the writer is still copying in, and is read again (for up to [`TORN_PATIENCE`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gdkrecord_format::{
    check_file_header, decode_frame, EventType, FrameAt, Header, Nanos, Record, SurfaceId,
    FILE_HEADER_LEN,
};

use super::script::{is_played, Role, SurfaceRoles};

/// Bytes read at a time.
const CHUNK: usize = 64 << 10;

/// What the new run's recording says so far.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    /// The next byte to decode; 0 until the file header was checked.
    offset: u64,
    roles: SurfaceRoles,
    surfaces: HashMap<Role, LiveSurface>,
    first_toplevel: Option<SurfaceId>,
    pub header: Option<Header>,
    /// The end of the first toplevel's first frame: the moment the replay starts from.
    pub first_frame_end_ns: Option<Nanos>,
    /// The played kinds of input received, in order: time and type.
    pub inputs: Vec<(Nanos, EventType)>,
    /// A record that did not check out at this offset, first seen then: maybe one the
    /// recorder's writer is still copying into the mapped file (its length already there,
    /// the rest not yet), so it is read again at the next polls before it counts as
    /// corrupt.
    torn: Option<(u64, Instant)>,
    /// The app has ended: the file is whole, a record that does not check out is corrupt.
    ended: bool,
}

/// How long a record that does not check out may stay so while the app runs (a writer
/// thread descheduled in the middle of a copy) before it counts as corrupt.
const TORN_PATIENCE: Duration = Duration::from_secs(2);

/// A surface of the new run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveSurface {
    pub id: SurfaceId,
    pub width: i32,
    pub height: i32,
    pub scale_factor: i32,
    pub destroyed: bool,
}

impl Follower {
    pub fn new(path: &Path) -> Follower {
        Follower {
            path: path.to_owned(),
            offset: 0,
            roles: SurfaceRoles::default(),
            surfaces: HashMap::new(),
            first_toplevel: None,
            header: None,
            first_frame_end_ns: None,
            inputs: Vec::new(),
            torn: None,
            ended: false,
        }
    }

    /// Reads the rest once the app has ended: the file is whole.
    pub fn poll_ended(&mut self) -> Result<()> {
        self.ended = true;
        self.poll()
    }

    /// Reads what was added since the last poll (nothing when the file is not there yet).
    pub fn poll(&mut self) -> Result<()> {
        let path = self.path.clone();
        let shown = path.display();
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("{shown}: cannot read")),
        };
        if self.offset == 0 {
            let mut header = [0u8; FILE_HEADER_LEN];
            // The recorder sizes the file before it writes the header into it.
            if file.read_exact(&mut header).is_err() || header.iter().all(|b| *b == 0) {
                return Ok(()); // not written yet
            }
            if let Err(e) = check_file_header(&header) {
                bail!("{shown}: {e}");
            }
            self.offset = FILE_HEADER_LEN as u64;
        }
        file.seek(SeekFrom::Start(self.offset))
            .with_context(|| format!("{shown}: cannot read"))?;
        // Past the records the file is zeros (it grows by large steps): read a little
        // at a time, and on only while records keep coming.
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            (&mut file)
                .take(CHUNK as u64)
                .read_to_end(&mut chunk)
                .with_context(|| format!("{shown}: cannot read"))?;
            if chunk.is_empty() {
                break;
            }
            pending.extend_from_slice(&chunk);
            let (used, more) = self.decode(&pending)?;
            self.offset += used as u64;
            pending.drain(..used);
            if !more {
                break;
            }
        }
        Ok(())
    }

    /// Decodes the records at the start of `bytes` (read from `self.offset`): the bytes
    /// used, and whether more records may follow in the rest of the file.
    fn decode(&mut self, bytes: &[u8]) -> Result<(usize, bool)> {
        let mut at = 0;
        while at < bytes.len() {
            match decode_frame(&bytes[at..]) {
                FrameAt::Record { record, len } => {
                    self.torn = None;
                    self.observe(&record);
                    at += len;
                }
                FrameAt::Unknown { len, .. } => at += len,
                // Not written yet.
                FrameAt::Padding => return Ok((at, false)),
                // Cut by the end of what was read: the rest is to be read.
                FrameAt::Incomplete => return Ok((at, true)),
                FrameAt::Corrupt => {
                    let offset = self.offset + at as u64;
                    let since = match self.torn {
                        Some((torn_at, since)) if torn_at == offset => since,
                        _ => self.torn.insert((offset, Instant::now())).1,
                    };
                    if self.ended || since.elapsed() > TORN_PATIENCE {
                        bail!("{}: corrupt data at offset {offset}", self.path.display());
                    }
                    // Maybe still being written: read it again at the next poll.
                    return Ok((at, false));
                }
            }
        }
        Ok((at, true))
    }

    fn observe(&mut self, record: &Record) {
        if let Some((id, role)) = self.roles.observe(record) {
            if let Record::Surface(s) = record {
                if self.first_toplevel.is_none() && self.roles.is_toplevel(id) {
                    self.first_toplevel = Some(id);
                }
                self.surfaces.insert(
                    role,
                    LiveSurface {
                        id,
                        width: s.width,
                        height: s.height,
                        scale_factor: s.scale_factor,
                        destroyed: false,
                    },
                );
            }
            return;
        }
        match record {
            Record::Header(h) => self.header = Some(h.clone()),
            Record::Size(s) => self.update(s.surface, |live| {
                live.width = s.width;
                live.height = s.height;
            }),
            Record::Scale(s) => self.update(s.surface, |live| live.scale_factor = s.scale_factor),
            Record::SurfaceDestroyed(s) => self.update(s.surface, |live| live.destroyed = true),
            Record::Frame(f)
                if self.first_frame_end_ns.is_none() && Some(f.surface) == self.first_toplevel =>
            {
                self.first_frame_end_ns = Some(f.end_ns);
            }
            Record::Event(e)
                if is_played(e.event_type) && e.event_type != EventType::MOTION_NOTIFY =>
            {
                self.inputs.push((e.t_ns, e.event_type));
            }
            _ => {}
        }
    }

    fn update(&mut self, id: SurfaceId, change: impl FnOnce(&mut LiveSurface)) {
        if let Some(role) = self.roles.role(id) {
            if let Some(live) = self.surfaces.get_mut(role) {
                change(live);
            }
        }
    }

    /// The surface of `role`, when the new run has created it.
    pub fn surface(&self, role: &Role) -> Option<LiveSurface> {
        self.surfaces.get(role).copied()
    }

    /// The role of the first toplevel, once created.
    pub fn first_toplevel(&self) -> Option<(Role, LiveSurface)> {
        let id = self.first_toplevel?;
        let role = self.roles.role(id)?.clone();
        let live = self.surfaces.get(&role).copied()?;
        Some((role, live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Header, Writer};

    fn header() -> Record {
        Record::Header(Header {
            start_unix_ns: 0,
            start_monotonic_ns: 0,
            display_name: ":0".into(),
            damage_layout: String::new(),
            ..Header::synthetic("app", 1)
        })
    }

    #[test]
    fn a_record_still_being_written_is_read_again_and_a_corrupt_one_fails_once_ended() {
        let mut writer = Writer::new(Vec::new()).unwrap();
        writer.write(&header()).unwrap();
        let bytes = writer.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("gdkrecord-follow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("torn.gdkrecord");
        // The header record's length is there, the rest of it not yet (zeros).
        let record_start = FILE_HEADER_LEN + 4;
        let mut torn = bytes.clone();
        torn[record_start..].fill(0);
        torn.extend_from_slice(&[0; 64]);
        std::fs::write(&path, &torn).unwrap();
        let mut follower = Follower::new(&path);
        follower
            .poll()
            .expect("a record being written is not an error while the app runs");
        assert!(follower.header.is_none());
        // Written now: read at the next poll.
        let mut whole = bytes.clone();
        whole.extend_from_slice(&[0; 64]);
        std::fs::write(&path, &whole).unwrap();
        follower.poll().unwrap();
        assert!(follower.header.is_some(), "the record is read once whole");
        // Once the app ended, a record that does not check out is corrupt.
        let mut follower = Follower::new(&path);
        std::fs::write(&path, &torn).unwrap();
        let error = follower.poll_ended().unwrap_err().to_string();
        assert!(error.contains("corrupt data"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
