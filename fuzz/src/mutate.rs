//! Mutations of a recording: byte-level (bit flips, cuts, garbage) and frame-aware (a
//! payload changed, then framed again with a correct CRC, so the change reaches the
//! decoder and the analyses instead of stopping at the checksum).

use gdkrecord_format::FILE_HEADER_LEN;

/// A small, fast, seedable generator (xorshift64*): runs are reproducible from `--seed`.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Largest input a repetition makes (larger ones only slow the run down).
const MAX_INPUT: usize = 4 << 20;

/// Values that find overflows and unbounded loops: limits, their neighbours, huge counts.
const INTERESTING: [u64; 16] = [
    0,
    1,
    127,
    128,
    4096,
    4097,
    65_535,
    1 << 24,
    16_000_000,
    (1 << 31) - 1,
    1 << 32,
    u32::MAX as u64,
    i64::MAX as u64,
    u64::MAX - 1_000_000_000,
    u64::MAX - 1,
    u64::MAX,
];

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The varint at `bytes[at..]` and its length.
fn get_varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, b) in bytes.get(at..)?.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f).checked_shl(7 * i as u32).unwrap_or(0);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The payloads of the well-formed frames at the start of a recording, and where the
/// rest (if any) starts.
pub fn split_frames(input: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let mut payloads = Vec::new();
    let mut at = FILE_HEADER_LEN.min(input.len());
    while let Some((len, n)) = get_varint(input, at) {
        let start = at + n + 4;
        let Some(end) = usize::try_from(len).ok().and_then(|l| start.checked_add(l)) else {
            break;
        };
        if len == 0 || end > input.len() {
            break;
        }
        payloads.push(input[start..end].to_vec());
        at = end;
    }
    (payloads, at)
}

/// Appends `payload` as a frame (varint length, CRC-32, payload).
pub fn put_frame(out: &mut Vec<u8>, payload: &[u8]) {
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Reassembles a recording from its header bytes, payloads and tail.
fn join(header: &[u8], payloads: &[Vec<u8>], tail: &[u8]) -> Vec<u8> {
    let mut out = header.to_vec();
    for payload in payloads {
        put_frame(&mut out, payload);
    }
    out.extend_from_slice(tail);
    out
}

/// Replaces the varint at `at` in `payload` (if one is there) by `value`.
fn replace_varint(payload: &mut Vec<u8>, at: usize, value: u64) {
    if let Some((_, n)) = get_varint(payload, at) {
        let mut bytes = Vec::new();
        put_varint(&mut bytes, value);
        payload.splice(at..at + n, bytes);
    }
}

/// A piece of a large seed to mutate: its file header and first frame (the Header
/// record), then the frames of a random stretch of at most `max_bytes`. Small inputs keep
/// each execution fast; every part of every seed still gets its turn.
pub fn excerpt(seed: &[u8], max_bytes: usize, rng: &mut Rng) -> Vec<u8> {
    if seed.len() <= max_bytes {
        return seed.to_vec();
    }
    let (payloads, _) = split_frames(seed);
    let Some((first, rest)) = payloads.split_first() else {
        return seed[..max_bytes].to_vec();
    };
    let mut out = seed[..FILE_HEADER_LEN].to_vec();
    put_frame(&mut out, first);
    let start = rng.below(rest.len().max(1));
    for payload in rest.iter().skip(start) {
        // A frame head is at most 9 bytes: a 5-byte length, the CRC-32.
        if out.len() + payload.len() + 9 > max_bytes {
            break;
        }
        put_frame(&mut out, payload);
    }
    out
}

/// One mutation of `input`, drawing on `other` (another seed) for splicing.
pub fn mutate(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        out = mutate_once(&out, other, rng);
    }
    out
}

fn mutate_once(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let header_len = FILE_HEADER_LEN.min(input.len());
    let (mut payloads, rest_at) = split_frames(input);
    let tail = input[rest_at..].to_vec();
    let header = &input[..header_len];
    let mut out = input.to_vec();
    match rng.below(12) {
        // Bit flips anywhere (CRC failures, resynchronisation, header damage).
        0 => {
            for _ in 0..1 + rng.below(8) {
                if !out.is_empty() {
                    let i = rng.below(out.len());
                    out[i] ^= 1 << rng.below(8);
                }
            }
        }
        // A cut.
        1 => out.truncate(rng.below(out.len() + 1)),
        // A frame's length field changed, its bytes left as they are.
        2 => {
            if let Some(at) = frame_starts(input).get(rng.below(payloads.len().max(1))) {
                let mut bytes = input[..*at].to_vec();
                let (_, n) = get_varint(input, *at).unwrap_or((0, 0));
                let value = INTERESTING[rng.below(INTERESTING.len())];
                put_varint(&mut bytes, value);
                bytes.extend_from_slice(&input[at + n..]);
                out = bytes;
            }
        }
        // A varint inside a payload made interesting (huge counts, times near u64::MAX),
        // the frame re-checksummed.
        3..=5 => {
            if !payloads.is_empty() {
                let p = rng.below(payloads.len());
                let payload = &mut payloads[p];
                let at = 1 + rng.below(payload.len().saturating_sub(1).max(1));
                let value = INTERESTING[rng.below(INTERESTING.len())];
                replace_varint(payload, at, value);
                out = join(header, &payloads, &tail);
            }
        }
        // A payload's byte changed, re-checksummed (kind codes, presence masks, flags).
        6 => {
            if !payloads.is_empty() {
                let p = rng.below(payloads.len());
                let payload = &mut payloads[p];
                let i = rng.below(payload.len());
                payload[i] = match rng.below(3) {
                    0 => rng.next() as u8,
                    1 => payload[i] ^ (1 << rng.below(8)),
                    _ => [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
                };
                out = join(header, &payloads, &tail);
            }
        }
        // A payload cut or grown, re-checksummed (missing fields, appended fields).
        7 => {
            if !payloads.is_empty() {
                let p = rng.below(payloads.len());
                let payload = &mut payloads[p];
                if rng.chance(2) {
                    payload.truncate(1 + rng.below(payload.len()));
                } else {
                    let extra = 1 + rng.below(32);
                    payload.extend((0..extra).map(|_| rng.next() as u8));
                }
                out = join(header, &payloads, &tail);
            }
        }
        // Frames of another recording spliced in.
        8 => {
            let (theirs, _) = split_frames(other);
            if !theirs.is_empty() {
                let from = rng.below(theirs.len());
                let count = (1 + rng.below(64)).min(theirs.len() - from);
                let at = rng.below(payloads.len() + 1);
                payloads.splice(at..at, theirs[from..from + count].iter().cloned());
                out = join(header, &payloads, &tail);
            }
        }
        // A frame repeated many times (long runs: unknown kinds, stalls, surfaces).
        9 => {
            if !payloads.is_empty() {
                let p = rng.below(payloads.len());
                let copy = payloads[p].clone();
                // Up to 10,000 times, inputs staying under MAX_INPUT.
                let times = [2, 100, 10_000][rng.below(3)].min(MAX_INPUT / (copy.len() + 8));
                payloads.splice(p..p, std::iter::repeat_n(copy, times));
                out = join(header, &payloads, &tail);
            }
        }
        // Frames dropped or reordered (missing surfaces, out-of-order times).
        10 => {
            if payloads.len() > 1 {
                let a = rng.below(payloads.len());
                let b = rng.below(payloads.len());
                if rng.chance(2) {
                    payloads.swap(a, b);
                } else {
                    payloads.remove(a);
                }
                out = join(header, &payloads, &tail);
            }
        }
        // Garbage or zeros inserted.
        _ => {
            let at = rng.below(out.len() + 1);
            let len = 1 + rng.below(256);
            let zeros = rng.chance(2);
            let bytes: Vec<u8> = (0..len)
                .map(|_| if zeros { 0 } else { rng.next() as u8 })
                .collect();
            out.splice(at..at, bytes);
        }
    }
    out
}

/// Offsets of the well-formed frames' length fields.
fn frame_starts(input: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = FILE_HEADER_LEN.min(input.len());
    while let Some((len, n)) = get_varint(input, at) {
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|l| (at + n + 4).checked_add(l))
        else {
            break;
        };
        if len == 0 || end > input.len() {
            break;
        }
        starts.push(at);
        at = end;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Reader, Record, Scale, SurfaceId, Writer};

    fn recording(n: u64) -> Vec<u8> {
        let mut writer = Writer::new(Vec::new()).unwrap();
        for t_ns in 0..n {
            writer
                .write(&Record::Scale(Scale {
                    t_ns,
                    surface: SurfaceId(1),
                    scale_factor: 1,
                }))
                .unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn frames_split_and_join_back_to_the_same_bytes() {
        let bytes = recording(20);
        let (payloads, rest) = split_frames(&bytes);
        assert_eq!((payloads.len(), rest), (20, bytes.len()));
        assert_eq!(join(&bytes[..FILE_HEADER_LEN], &payloads, &[]), bytes);
        assert_eq!(frame_starts(&bytes).len(), 20);
    }

    #[test]
    fn mutations_change_the_input_and_reframed_ones_still_read() {
        let bytes = recording(50);
        let mut rng = Rng::new(7);
        let mut changed = 0;
        let mut reframed_reads = 0;
        for _ in 0..500 {
            let out = mutate(&bytes, &bytes, &mut rng);
            changed += usize::from(out != bytes);
            let (payloads, rest) = split_frames(&out);
            if rest == out.len() && !payloads.is_empty() {
                reframed_reads += usize::from(Reader::new(&out[..]).is_ok());
            }
        }
        assert!(
            changed > 400,
            "{changed} of 500 mutations changed the input"
        );
        assert!(reframed_reads > 100, "{reframed_reads}");
    }

    #[test]
    fn an_excerpt_keeps_the_header_frame_and_stays_small() {
        let bytes = recording(1000);
        let mut rng = Rng::new(3);
        for _ in 0..20 {
            let piece = excerpt(&bytes, 2000, &mut rng);
            assert!(piece.len() <= 2000);
            let (payloads, rest) = split_frames(&piece);
            assert_eq!(rest, piece.len());
            assert_eq!(payloads[0], split_frames(&bytes).0[0]);
            assert!(Reader::new(&piece[..]).unwrap().all(|r| r.is_ok()));
        }
    }
}
