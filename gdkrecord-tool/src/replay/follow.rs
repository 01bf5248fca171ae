//! Follows the recording the replayed app is writing, as it grows: its header, its
//! surfaces by role with their current sizes, the end of its first frame, and the input
//! it received. The recorder's file is memory-mapped and zero-filled past the last
//! record, so reading stops at the first zero byte (or an incomplete record) and goes on
//! from there at the next poll.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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
}

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
        }
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
                    self.observe(&record);
                    at += len;
                }
                FrameAt::Unknown { len, .. } => at += len,
                // Not written yet.
                FrameAt::Padding => return Ok((at, false)),
                // Cut by the end of what was read: the rest is to be read.
                FrameAt::Incomplete => return Ok((at, true)),
                FrameAt::Corrupt => bail!(
                    "{}: corrupt data at offset {}",
                    self.path.display(),
                    self.offset + at as u64
                ),
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
