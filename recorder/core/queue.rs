//! The hand-off between the threads that make records and the writer thread that
//! encodes them into the file.
//!
//! Hooks run on the app's main thread between GTK's own work, with cold caches: there,
//! each extra cache line or page touched costs more than the instructions. So the main
//! thread only moves a record, or just its fields ([`Entry`]), into a slot of a
//! single-producer ring and leaves the encoding, the CRC and the copy into the mapping
//! to the writer thread. Records made on other threads (the stall
//! watchdog, main loops run by other threads) go through a small locked list instead.
//!
//! The writer drains every 10 ms while records come, then parks without a timeout. The
//! main thread's hooks never wake it: waking a thread is a system call, and on a virtual
//! machine an inter-processor interrupt, that measured 10–250 µs inside an input event's
//! hook. The main loop wakes it instead, when it is about to sleep in poll with records
//! waiting ([`wake_writer_if_records_wait`]), and the stall watchdog does when a handler
//! keeps the loop from polling. So an app whose main loop sleeps costs no wake-up at all,
//! and a busy one at most one per quiet spell, outside its handlers. The ring's size bounds what a lagging writer can leave behind; when
//! it is full, records are counted as dropped rather than blocking the app.
//!
//! What the producer touches per record is kept to a minimum: one cache line for its
//! index, its copy of the consumer's index and the writer's parked flag (the consumer's
//! index lives on another line, read only when the ring looks full), and the slot. There
//! is no fence on the producer's side (how parking stays race-free without one:
//! `writer_wake.rs`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use gdkrecord_format::{Damage, Record};

use crate::ffi::CairoRegion;
use crate::region;

use crate::hot::HOT;
use crate::ring::{Consumer, Queue, Slot};
pub use crate::ring::{
    Entry, FrameEntry, InPlace, InlineRegion, KeyEvent, PointerEvent, Ring, INLINE_RECTS,
};
use crate::writer_wake;

/// Slots of the main thread's ring: as many 256-byte slots as fit one 2 MB huge page. At
/// the writer's pace this is seconds of input.
pub const RING_SLOTS: u32 = 8192;
/// The size of an x86-64 huge page.
const HUGE_PAGE: usize = 2 << 20;

/// The consumer side of the main thread's queue (its producer side is in `HOT`).
static MAIN_CONSUMER: Consumer = Consumer {
    tail: AtomicU32::new(0),
};

/// The main thread's queue.
#[inline(always)]
fn main_queue() -> Queue<'static> {
    Queue {
        producer: &HOT.queue,
        consumer: &MAIN_CONSUMER,
        capacity: RING_SLOTS,
    }
}

const _: () = assert!(RING_SLOTS as usize * std::mem::size_of::<Slot>() <= HUGE_PAGE);

/// Makes the main thread's queue (at the start of the recording), in one transparent
/// huge page where the system allows: every push writes a different slot, and with 4 KB
/// pages that would be a different page, each a TLB miss when it comes cold between
/// GTK's own work. (The mapping is never unmapped: the queue lives as long as the
/// process.) Falls back to the heap.
pub fn allocate() {
    let queue = main_queue();
    // SAFETY: an anonymous private mapping, trimmed to its 2 MB-aligned middle.
    unsafe {
        let len = 2 * HUGE_PAGE;
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if map == libc::MAP_FAILED {
            queue.allocate();
            return;
        }
        let start = map as usize;
        let aligned = start.next_multiple_of(HUGE_PAGE);
        if aligned > start {
            libc::munmap(map, aligned - start);
        }
        let end = aligned + HUGE_PAGE;
        if start + len > end {
            libc::munmap(end as *mut libc::c_void, start + len - end);
        }
        let slots = aligned as *mut Slot;
        libc::madvise(slots.cast(), HUGE_PAGE, libc::MADV_HUGEPAGE);
        // Fault it in now rather than in the first hook.
        std::ptr::write_bytes(slots.cast::<u8>(), 0, HUGE_PAGE);
        let installed = queue.producer.slots.compare_exchange(
            std::ptr::null_mut(),
            slots,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if installed.is_err() {
            libc::munmap(slots.cast(), HUGE_PAGE);
        }
    }
}

/// Records made on other threads, in the order they came.
static SIDE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
/// Records lost because the ring was full (the writer thread could not keep up).
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Sends `record` to the file, if recording (from any thread).
pub fn emit(record: Record) {
    if HOT.recording.load(Ordering::Relaxed) {
        send(record, crate::hot::on_main_thread());
    }
}

/// With `GDKRECORD_SYNC`: the writer's way to write an entry from the calling thread
/// (registered by the writer, which sits above the queue).
static WRITE_THROUGH: std::sync::OnceLock<fn(&Entry)> = std::sync::OnceLock::new();

/// Makes every send write through `write_now` at once (`GDKRECORD_SYNC`), before
/// `HOT.write_through` is set.
pub fn set_write_through(write_now: fn(&Entry)) {
    let _ = WRITE_THROUGH.set(write_now);
}

/// Writes `entry` now through the writer (see [`set_write_through`]).
#[inline(never)]
fn write_through(entry: &Entry) {
    if let Some(write_now) = WRITE_THROUGH.get() {
        write_now(entry);
    }
}

/// [`send_in_place`] with `GDKRECORD_SYNC`: out of line, so that the usual way through
/// the hooks that send in place stays on as few code lines as can be.
#[cold]
#[inline(never)]
fn write_through_in_place<T>(value: T, entry: fn(T) -> Entry) {
    write_through(&entry(value));
}

/// Sends `record` to the writer thread. `on_producer_thread` tells whether the caller
/// is the main thread, the ring's only producer.
#[inline(always)]
pub fn send(record: Record, on_producer_thread: bool) {
    send_entry(Entry::Record(record), on_producer_thread);
}

/// Sends a pointer event, a region or a frame from the main thread to the writer
/// thread, writing only its variant's bytes into the ring.
#[inline(always)]
pub fn send_in_place<T: InPlace>(value: T, entry: fn(T) -> Entry) {
    if HOT.write_through.load(Ordering::Relaxed) {
        write_through_in_place(value, entry);
        return;
    }
    // SAFETY: only the main thread sends these (the callers run on it).
    if !unsafe { main_queue().push_in_place(value) } {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends the Damage (or Painted, `head.painted`) record of `region` (null: none), each
/// rectangle moved by `offset`, with `head`'s other fields (from the main thread): in
/// place when it has at most [`INLINE_RECTS`] rectangles (the usual case), else read
/// again into a record. Returns `head` with the rectangles kept inline, and how many the
/// region has (more than [`INLINE_RECTS`]: not all are inline).
///
/// # Safety
/// `region` is null or a valid `cairo_region_t`.
#[inline(always)]
pub unsafe fn send_region(
    mut head: InlineRegion,
    region: *const CairoRegion,
    offset: (i32, i32),
) -> (InlineRegion, usize) {
    let moved = |[x, y, width, height]: [i32; 4]| [x + offset.0, y + offset.1, width, height];
    head.len = 0;
    let n = unsafe {
        region::for_each_rect(region, |rect| {
            if let Some(slot) = head.rects.get_mut(usize::from(head.len)) {
                *slot = moved(rect);
                head.len += 1;
            }
        })
    };
    if n <= INLINE_RECTS {
        send_in_place(head, Entry::Region);
    } else {
        unsafe { send_large_region(head, region, moved) };
    }
    (head, n)
}

/// [`send_region`] of more than [`INLINE_RECTS`] rectangles.
#[inline(never)]
unsafe fn send_large_region(
    head: InlineRegion,
    region: *const CairoRegion,
    moved: impl Fn([i32; 4]) -> [i32; 4],
) {
    let mut rects = Vec::new();
    unsafe { region::for_each_rect(region, |rect| rects.push(moved(rect))) };
    let damage = Damage {
        t_ns: head.t_ns,
        surface: head.surface,
        frame: head.frame,
        renderer: head.renderer,
        rects,
    };
    send(
        if head.painted {
            Record::Painted(damage)
        } else {
            Record::Damage(damage)
        },
        true,
    );
}

/// Sends `entry` to the writer thread (see [`send`]).
#[inline(always)]
pub fn send_entry(record: Entry, on_producer_thread: bool) {
    if HOT.write_through.load(Ordering::Relaxed) {
        write_through(&record);
        return;
    }
    if on_producer_thread {
        // SAFETY: only the main thread gets here.
        if !unsafe { main_queue().push(record) } {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        // The writer is woken when the main loop is about to sleep (see the module docs).
    } else {
        SIDE.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(record);
        writer_wake::wake(&HOT.queue.writer_parked);
    }
}

/// Wakes the parked writer thread when the main thread's ring holds records: called by
/// the poll wrapper before the main loop sleeps, and by the stall watchdog when the loop
/// has not polled for a threshold. Returns whether it woke the writer (a system call).
/// Any thread may call it: it only reads the ring's indexes.
#[inline(always)]
pub fn wake_writer_if_records_wait() -> bool {
    let parked = &HOT.queue.writer_parked;
    if !parked.load(Ordering::Relaxed) || main_queue().is_empty() {
        return false;
    }
    writer_wake::wake(parked)
}

/// Records dropped so far because the ring was full.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Parks the writer thread until a record comes (see `writer_wake.rs`).
pub fn park_writer() {
    writer_wake::park(&HOT.queue.writer_parked, || {
        main_queue().is_empty() && SIDE.try_lock().map(|side| side.is_empty()).unwrap_or(false)
    });
}

/// Hands every waiting record to `f`, oldest first per source (the ring, then the other
/// threads' list); returns how many. Callers serialize (the writer's lock).
///
/// `in_signal_handler`: the records are leaked rather than freed (the signal may have
/// come inside malloc), and the other threads' list is skipped if its lock is taken.
///
/// # Safety
/// One consumer at a time.
pub unsafe fn drain(mut f: impl FnMut(&Entry), in_signal_handler: bool) -> usize {
    let mut n = 0;
    // SAFETY: the caller is the only consumer.
    while let Some(record) = unsafe { main_queue().pop() } {
        f(&record);
        if in_signal_handler {
            std::mem::forget(record);
        }
        n += 1;
    }
    let side = if in_signal_handler {
        SIDE.try_lock().ok()
    } else {
        Some(SIDE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    };
    if let Some(mut side) = side {
        if in_signal_handler {
            for record in side.iter() {
                f(record);
            }
            n += side.len();
            // The records' memory stays allocated; only the list's length goes.
            unsafe { side.set_len(0) };
        } else {
            for record in side.drain(..) {
                f(&record);
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{End, EndReason, EventType, Phase, Renderer, SurfaceId};

    fn end(t_ns: u64) -> Entry {
        Entry::Record(Record::End(End {
            t_ns,
            reason: EndReason::EXIT,
            records: 0,
            dropped: 0,
        }))
    }

    fn t_ns(record: &Entry) -> u64 {
        match record {
            Entry::Record(Record::End(end)) => end.t_ns,
            _ => unreachable!(),
        }
    }

    #[test]
    fn ring_is_fifo_and_refuses_when_full() {
        let ring = Ring::new(4);
        for i in 0..4 {
            assert!(unsafe { ring.push(end(i)) });
        }
        assert!(!unsafe { ring.push(end(9)) });
        assert_eq!(unsafe { ring.pop() }.map(|r| t_ns(&r)), Some(0));
        assert!(unsafe { ring.push(end(4)) });
        let rest: Vec<u64> = std::iter::from_fn(|| unsafe { ring.pop() })
            .map(|r| t_ns(&r))
            .collect();
        assert_eq!(rest, [1, 2, 3, 4]);
        assert!(ring.queue().is_empty());
    }

    #[test]
    fn a_pointer_entry_written_in_place_reads_back_whole() {
        let ring = Ring::new(4);
        let pointer = PointerEvent {
            t_ns: 7,
            x: 1.5,
            y: -2.25,
            surface: SurfaceId(3),
            time_ms: 99,
            modifiers: 0x10,
            button: Some(1),
            event_type: EventType::BUTTON_PRESS,
        };
        assert!(unsafe { ring.queue().push_in_place(pointer) });
        match unsafe { ring.pop() } {
            Some(Entry::Pointer(back)) => assert_eq!(back, pointer),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn region_and_frame_entries_written_in_place_read_back_whole() {
        let ring = Ring::new(4);
        let region = InlineRegion {
            t_ns: 5,
            frame: 12,
            surface: SurfaceId(2),
            renderer: Renderer::CAIRO,
            painted: true,
            len: 2,
            rects: [[1, 2, 3, 4]; INLINE_RECTS],
        };
        let frame = FrameEntry {
            surface: SurfaceId(1),
            started: 0b10101,
            ended: 0b00101,
            counter: 41,
            end_ns: 900,
            starts: [100, 0, 300, 0, 500],
            ends: [200, 0, 400, 0, 0],
        };
        assert!(unsafe { ring.queue().push_in_place(region) });
        assert!(unsafe { ring.queue().push_in_place(frame) });
        match unsafe { ring.pop() } {
            Some(Entry::Region(back)) => {
                assert_eq!((back.t_ns, back.frame, back.len), (5, 12, 2));
                assert_eq!((back.surface, back.painted), (SurfaceId(2), true));
                assert_eq!(back.rects[1], [1, 2, 3, 4]);
            }
            other => panic!("{other:?}"),
        }
        match unsafe { ring.pop() } {
            Some(Entry::Frame(back)) => assert_eq!(back, frame),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_frame_entry_becomes_its_frame_record() {
        let frame = FrameEntry {
            surface: SurfaceId(1),
            started: 0b10101,
            ended: 0b00101,
            counter: 41,
            end_ns: 900,
            starts: [100, 0, 300, 0, 500],
            ends: [200, 0, 250, 0, 0],
        };
        let Record::Frame(record) = frame.to_record() else {
            panic!("not a frame");
        };
        let phase = |start_ns, end_ns| Some(Phase { start_ns, end_ns });
        assert_eq!((record.t_ns, record.counter, record.end_ns), (100, 41, 900));
        assert_eq!(record.before_paint, phase(100, 200));
        assert_eq!(record.update, None);
        // An end before the start is clamped; a phase without an end ends as it starts.
        assert_eq!(record.layout, phase(300, 300));
        assert_eq!(record.after_paint, phase(500, 500));
    }

    #[test]
    fn ring_hands_records_across_threads_in_order() {
        let ring = std::sync::Arc::new(Ring::new(64));
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for i in 0..100_000 {
                    while !unsafe { ring.push(end(i)) } {
                        std::thread::yield_now();
                    }
                }
            })
        };
        let mut next = 0;
        while next < 100_000 {
            match unsafe { ring.pop() } {
                Some(record) => {
                    assert_eq!(t_ns(&record), next);
                    next += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
    }
}
