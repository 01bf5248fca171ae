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

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use gdkrecord_format::{
    Damage, Event, EventType, Frame, Modifiers, Phase, Record, Renderer, SurfaceId,
};

use crate::hot::HOT;
use crate::key_names::KeyName;
use crate::pixels::PixelPatch;
use crate::{writer, writer_wake};

/// Slots of the main thread's ring: as many 256-byte slots as fit one 2 MB huge page. At
/// the writer's pace this is seconds of input.
pub(crate) const RING_SLOTS: u32 = 8192;
/// The size of an x86-64 huge page.
const HUGE_PAGE: usize = 2 << 20;

/// Rectangles a region entry carries inline; larger regions go as a whole [`Record`].
pub(crate) const INLINE_RECTS: usize = 8;

/// What goes through the queue: a finished record, or the few fields of the most
/// frequent records, which the writer thread makes into records: pointer events (a
/// quarter of an Event's size to write), key events (the name copied by the writer),
/// Damage / Painted regions whose rectangles travel inline (no allocation on the main
/// thread for the usual small regions) and frame-clock cycles.
///
/// `repr(C, u8)` fixes the layout (a `u8` tag, then the variant), so a pointer event, a
/// region or a frame can be written into its slot as a [`Tagged`] variant: 64, 160 or
/// 120 bytes instead of a whole entry's 224.
#[derive(Debug)]
#[repr(C, u8)]
pub(crate) enum Entry {
    Record(Record) = 0,
    Pointer(PointerEvent) = 1,
    Region(InlineRegion) = 2,
    Key(KeyEvent) = 3,
    Frame(FrameEntry) = 4,
    /// A frame's pixels, drawn by the main thread, packed by the writer (`pixels.rs`).
    Pixels(Box<PixelPatch>) = 5,
}

/// An `Entry` variant's layout under `repr(C, u8)`: its tag, then its fields (at the
/// union's alignment, 8, for every variant). Writing this into a slot instead of a whole
/// [`Entry`] touches only the variant's cache lines (a whole entry is 224 bytes).
#[repr(C)]
struct Tagged<T> {
    tag: u8,
    value: T,
}

/// An `Entry` variant the main thread writes in place (see [`Tagged`]).
pub(crate) trait InPlace: Sized {
    /// The variant's discriminant in [`Entry`].
    const TAG: u8;
}

impl InPlace for PointerEvent {
    const TAG: u8 = 1;
}

impl InPlace for InlineRegion {
    const TAG: u8 = 2;
}

impl InPlace for FrameEntry {
    const TAG: u8 = 4;
}

/// A frame-clock cycle: its phases as the clock's state held them (see `frames.rs`); the
/// writer thread makes it a Frame record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FrameEntry {
    pub(crate) surface: SurfaceId,
    /// Bit `i`: `starts[i]` (`ends[i]`) holds phase `i`'s start (end).
    pub(crate) started: u8,
    pub(crate) ended: u8,
    pub(crate) counter: i64,
    /// When the cycle ended: after-paint's end, and the time of any phase with no end.
    pub(crate) end_ns: u64,
    pub(crate) starts: [u64; 5],
    pub(crate) ends: [u64; 5],
}

impl FrameEntry {
    /// The Frame record: each phase that started, ending no earlier than it started;
    /// the record's time is the earliest start.
    pub(crate) fn to_record(self) -> Record {
        let phase = |i: usize| {
            (self.started & 1 << i != 0).then(|| {
                let start_ns = self.starts[i];
                let end_ns = if self.ended & 1 << i != 0 {
                    self.ends[i]
                } else {
                    start_ns
                };
                Phase {
                    start_ns,
                    end_ns: end_ns.max(start_ns),
                }
            })
        };
        let [before_paint, update, layout, paint, after_paint] = std::array::from_fn(phase);
        let t_ns = (0..5)
            .filter_map(phase)
            .map(|p| p.start_ns)
            .min()
            .unwrap_or(self.end_ns);
        Record::Frame(Frame {
            t_ns,
            surface: self.surface,
            counter: self.counter,
            end_ns: self.end_ns,
            before_paint,
            update,
            layout,
            paint,
            after_paint,
        })
    }
}

/// A key press or release: the fields it carries, its name still to be copied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KeyEvent {
    pub(crate) t_ns: u64,
    pub(crate) surface: SurfaceId,
    pub(crate) time_ms: u32,
    pub(crate) modifiers: u32,
    pub(crate) keycode: u32,
    pub(crate) keyval: u32,
    pub(crate) name: KeyName,
    pub(crate) event_type: EventType,
    /// What was typed is left out (`GDKRECORD_KEYS=redacted`, a text key).
    pub(crate) redacted: bool,
}

impl KeyEvent {
    /// Forgets which key it was (see `gdkrecord_format::Event::redact_typing`).
    pub(crate) fn redact(&mut self) {
        self.keycode = 0;
        self.keyval = 0;
        self.redacted = true;
    }

    /// The Event record, without the key's name (which takes an allocation:
    /// `self.name.text(self.keyval)`).
    pub(crate) fn to_event_unnamed(self) -> Event {
        let mut event = Event::new(self.t_ns, self.surface, self.event_type, self.time_ms);
        event.modifiers = Some(Modifiers(self.modifiers));
        if !self.redacted {
            event.keycode = Some(self.keycode);
            event.keyval = Some(self.keyval);
        }
        event
    }
}

/// A motion or button event: the fields it carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PointerEvent {
    pub(crate) t_ns: u64,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) surface: SurfaceId,
    pub(crate) time_ms: u32,
    pub(crate) modifiers: u32,
    /// The button of a button event (motion events have none).
    pub(crate) button: Option<u32>,
    pub(crate) event_type: EventType,
}

impl PointerEvent {
    /// The Event record.
    pub(crate) fn to_event(self) -> Event {
        let mut event = Event::new(self.t_ns, self.surface, self.event_type, self.time_ms);
        event.x = Some(self.x);
        event.y = Some(self.y);
        event.modifiers = Some(Modifiers(self.modifiers));
        event.button = self.button;
        event
    }
}

/// A Damage (or Painted) record with up to [`INLINE_RECTS`] rectangles, inline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InlineRegion {
    pub(crate) t_ns: u64,
    pub(crate) frame: i64,
    pub(crate) surface: SurfaceId,
    pub(crate) renderer: Renderer,
    pub(crate) painted: bool,
    pub(crate) len: u8,
    pub(crate) rects: [[i32; 4]; INLINE_RECTS],
}

impl InlineRegion {
    /// The record, its rectangles in `rects` (a buffer the caller reuses).
    pub(crate) fn to_record(self, mut rects: Vec<[i32; 4]>) -> Record {
        rects.clear();
        rects.extend_from_slice(&self.rects[..usize::from(self.len)]);
        let damage = Damage {
            t_ns: self.t_ns,
            surface: self.surface,
            frame: self.frame,
            renderer: self.renderer,
            rects,
        };
        if self.painted {
            Record::Painted(damage)
        } else {
            Record::Damage(damage)
        }
    }
}

/// One entry's room, on whole cache lines (256 bytes): a pointer event written at its
/// start fills exactly one line.
#[repr(C, align(64))]
struct Slot(UnsafeCell<MaybeUninit<Entry>>);

/// The producer's side of a ring: for the main thread's ring, part of the hot line
/// (`hot.rs`), with the flags every hook reads anyway.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Producer {
    /// The slots, or null before they are allocated.
    slots: AtomicPtr<Slot>,
    /// Records pushed so far, wrapping (only the producer writes it).
    head: AtomicU32,
    /// The consumer's `tail` as last read (producer only).
    tail_seen: AtomicU32,
    /// Set by the writer thread before it parks; cleared by whoever wakes it.
    pub(crate) writer_parked: AtomicBool,
}

impl Producer {
    pub(crate) const fn new() -> Producer {
        Producer {
            slots: AtomicPtr::new(std::ptr::null_mut()),
            head: AtomicU32::new(0),
            tail_seen: AtomicU32::new(0),
            writer_parked: AtomicBool::new(false),
        }
    }
}

/// The consumer's side, on a cache line of its own.
#[repr(C, align(128))]
#[derive(Debug)]
struct Consumer {
    /// Records popped so far, wrapping (only the consumer writes it).
    tail: AtomicU32,
}

/// A bounded single-producer, single-consumer queue of records: `capacity` (a power of
/// two) slots, a producer and a consumer side.
#[derive(Debug, Clone, Copy)]
struct Queue<'a> {
    producer: &'a Producer,
    consumer: &'a Consumer,
    capacity: u32,
}

impl Queue<'_> {
    /// Gives the queue its slots, once, before any push.
    fn allocate(&self) {
        let slots: Box<[Slot]> = (0..self.capacity)
            .map(|_| Slot(UnsafeCell::new(MaybeUninit::uninit())))
            .collect();
        let slots = Box::into_raw(slots).cast::<Slot>();
        let installed = self.producer.slots.compare_exchange(
            std::ptr::null_mut(),
            slots,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if installed.is_err() {
            // SAFETY: made just above, never shared.
            drop(unsafe { Box::from_raw(self.slots_slice(slots)) });
        }
    }

    fn slots_slice(&self, slots: *mut Slot) -> *mut [Slot] {
        std::ptr::slice_from_raw_parts_mut(slots, self.capacity as usize)
    }

    /// The free slot to write next and the head to publish after, or `None` when the
    /// queue is full (or has no slots).
    ///
    /// # Safety
    /// Only one thread pushes (at a time, with a happens-before between pushers).
    #[inline(always)]
    unsafe fn reserve(&self) -> Option<(*mut Slot, u32)> {
        let producer = self.producer;
        let head = producer.head.load(Ordering::Relaxed);
        if head.wrapping_sub(producer.tail_seen.load(Ordering::Relaxed)) >= self.capacity {
            // Looks full: look at the consumer's real progress.
            let tail = self.consumer.tail.load(Ordering::Acquire);
            producer.tail_seen.store(tail, Ordering::Relaxed);
            if head.wrapping_sub(tail) >= self.capacity {
                return None;
            }
        }
        let slots = producer.slots.load(Ordering::Acquire);
        if slots.is_null() {
            return None;
        }
        // SAFETY: `capacity` slots exist; the consumer is done with this one (tail has
        // passed it) and does not read it until `head` is published.
        let slot = unsafe { slots.add((head & (self.capacity - 1)) as usize) };
        Some((slot, head.wrapping_add(1)))
    }

    /// Hands the slot written after [`Queue::reserve`] to the consumer (`head` as
    /// `reserve` gave it), and warms the next one.
    #[inline(always)]
    fn publish(&self, head: u32) {
        self.producer.head.store(head, Ordering::Release);
        let slots = self.producer.slots.load(Ordering::Relaxed);
        prefetch_slot(slots.wrapping_add((head & (self.capacity - 1)) as usize));
    }

    /// Appends `entry`; false (dropping it) when the queue is full.
    ///
    /// # Safety
    /// As [`Queue::reserve`].
    #[inline(always)]
    unsafe fn push(&self, entry: Entry) -> bool {
        let Some((slot, head)) = (unsafe { self.reserve() }) else {
            return false;
        };
        // SAFETY: reserved for us.
        unsafe { (*slot).0.get().write(MaybeUninit::new(entry)) };
        self.publish(head);
        true
    }

    /// Appends the entry of variant `value`, writing only that variant's bytes; false
    /// when the queue is full.
    ///
    /// # Safety
    /// As [`Queue::reserve`].
    #[inline(always)]
    unsafe fn push_in_place<T: InPlace>(&self, value: T) -> bool {
        let Some((slot, head)) = (unsafe { self.reserve() }) else {
            return false;
        };
        // SAFETY: reserved for us; `Tagged<T>` is the variant's layout (repr(C, u8)).
        unsafe {
            (*slot)
                .0
                .get()
                .cast::<Tagged<T>>()
                .write(Tagged { tag: T::TAG, value })
        };
        self.publish(head);
        true
    }

    /// Takes the oldest record.
    ///
    /// # Safety
    /// Only one thread pops (at a time, with a happens-before between poppers).
    unsafe fn pop(&self) -> Option<Entry> {
        let tail = self.consumer.tail.load(Ordering::Relaxed);
        let head = self.producer.head.load(Ordering::Acquire);
        if tail == head {
            return None;
        }
        let slots = self.producer.slots.load(Ordering::Acquire);
        // SAFETY: published by the producer (Acquire on head), not yet taken.
        let record = unsafe {
            (*(*slots.add((tail & (self.capacity - 1)) as usize)).0.get()).assume_init_read()
        };
        self.consumer
            .tail
            .store(tail.wrapping_add(1), Ordering::Release);
        Some(record)
    }

    /// Whether nothing is waiting.
    fn is_empty(&self) -> bool {
        self.producer.head.load(Ordering::Acquire) == self.consumer.tail.load(Ordering::Acquire)
    }
}

/// Asks the CPU to bring the next slot's first line in now, while the main thread is
/// here anyway: the next hook then finds it in cache instead of waiting for it.
#[inline(always)]
fn prefetch_slot(slot: *const Slot) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
}

/// A queue that owns both its sides (tests, the warm self-measurement).
#[derive(Debug)]
pub(crate) struct Ring {
    producer: Producer,
    consumer: Consumer,
    capacity: u32,
}

impl Ring {
    /// An empty ring of `capacity` slots (a power of two).
    pub(crate) fn new(capacity: u32) -> Ring {
        assert!(capacity.is_power_of_two());
        let ring = Ring {
            producer: Producer::new(),
            consumer: Consumer {
                tail: AtomicU32::new(0),
            },
            capacity,
        };
        ring.queue().allocate();
        ring
    }

    fn queue(&self) -> Queue<'_> {
        Queue {
            producer: &self.producer,
            consumer: &self.consumer,
            capacity: self.capacity,
        }
    }

    /// Appends `entry`; false (dropping it) when the ring is full.
    ///
    /// # Safety
    /// Only one thread pushes (at a time, with a happens-before between pushers).
    pub(crate) unsafe fn push(&self, entry: Entry) -> bool {
        unsafe { self.queue().push(entry) }
    }

    /// Takes the oldest record.
    ///
    /// # Safety
    /// Only one thread pops (at a time, with a happens-before between poppers).
    pub(crate) unsafe fn pop(&self) -> Option<Entry> {
        unsafe { self.queue().pop() }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread pushes or pops.
        while unsafe { self.pop() }.is_some() {}
        let queue = self.queue();
        let slots = self.producer.slots.load(Ordering::Acquire);
        // SAFETY: allocated by `allocate` with this capacity.
        drop(unsafe { Box::from_raw(queue.slots_slice(slots)) });
    }
}

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
pub(crate) fn allocate() {
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

/// Sends `record` to the writer thread. `on_producer_thread` tells whether the caller
/// is the main thread, the ring's only producer.
#[inline(always)]
pub(crate) fn send(record: Record, on_producer_thread: bool) {
    send_entry(Entry::Record(record), on_producer_thread);
}

/// Sends a pointer event, a region or a frame from the main thread to the writer
/// thread, writing only its variant's bytes into the ring.
#[inline(always)]
pub(crate) fn send_in_place<T: InPlace>(value: T, entry: fn(T) -> Entry) {
    if HOT.write_through.load(Ordering::Relaxed) {
        writer::write_now(&entry(value));
        return;
    }
    // SAFETY: only the main thread sends these (the callers run on it).
    if !unsafe { main_queue().push_in_place(value) } {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends `entry` to the writer thread (see [`send`]).
#[inline(always)]
pub(crate) fn send_entry(record: Entry, on_producer_thread: bool) {
    if HOT.write_through.load(Ordering::Relaxed) {
        writer::write_now(&record);
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
pub(crate) fn wake_writer_if_records_wait() -> bool {
    let parked = &HOT.queue.writer_parked;
    if !parked.load(Ordering::Relaxed) || main_queue().is_empty() {
        return false;
    }
    writer_wake::wake(parked)
}

/// Records dropped so far because the ring was full.
pub(crate) fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Parks the writer thread until a record comes (see `writer_wake.rs`).
pub(crate) fn park_writer() {
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
pub(crate) unsafe fn drain(mut f: impl FnMut(&Entry), in_signal_handler: bool) -> usize {
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
    use gdkrecord_format::{End, EndReason};

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
        assert_eq!((record.t_ns, record.counter, record.end_ns), (100, 41, 900));
        assert_eq!(
            record.before_paint,
            Some(Phase {
                start_ns: 100,
                end_ns: 200
            })
        );
        assert_eq!(record.update, None);
        // An end before the start is clamped; a phase without an end ends as it starts.
        assert_eq!(
            record.layout,
            Some(Phase {
                start_ns: 300,
                end_ns: 300
            })
        );
        assert_eq!(
            record.after_paint,
            Some(Phase {
                start_ns: 500,
                end_ns: 500
            })
        );
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
