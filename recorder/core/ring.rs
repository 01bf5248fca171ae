//! The single-producer, single-consumer ring that carries records from the main thread
//! to the writer thread, and what it carries ([`Entry`]): the data structure alone.
//! Which ring is the main thread's, and who may push, is `queue.rs`'s business.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};

use gdkrecord_format::{
    Damage, Event, EventType, Frame, Modifiers, Phase, Record, Renderer, SurfaceId,
};

use crate::key_names::KeyName;
use crate::pixels::PixelPatch;

/// Rectangles a region entry carries inline; larger regions go as a whole [`Record`].
pub const INLINE_RECTS: usize = 8;

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
pub enum Entry {
    Record(Record) = 0,
    Pointer(PointerEvent) = 1,
    Region(InlineRegion) = 2,
    Key(KeyEvent) = 3,
    Frame(FrameEntry) = 4,
    /// A frame's pixels, drawn by the main thread, packed by the writer (`pixels`).
    Pixels(Box<PixelPatch>) = 5,
}

/// An `Entry` variant's layout under `repr(C, u8)`: its tag, then its fields (at the
/// union's alignment, 8, for every variant). Writing this into a slot instead of a whole
/// [`Entry`] touches only the variant's cache lines (a whole entry is 224 bytes).
#[repr(C)]
pub(crate) struct Tagged<T> {
    tag: u8,
    value: T,
}

/// An `Entry` variant the main thread writes in place (see [`Tagged`]).
pub trait InPlace: Sized {
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

/// A frame-clock cycle: its phases as the clock's state held them; the writer thread
/// makes it a Frame record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameEntry {
    pub surface: SurfaceId,
    /// Bit `i`: `starts[i]` (`ends[i]`) holds phase `i`'s start (end).
    pub started: u8,
    pub ended: u8,
    pub counter: i64,
    /// When the cycle ended: after-paint's end, and the time of any phase with no end.
    pub end_ns: u64,
    pub starts: [u64; 5],
    pub ends: [u64; 5],
}

impl FrameEntry {
    /// The Frame record: each phase that started, ending no earlier than it started;
    /// the record's time is the earliest start.
    pub fn to_record(self) -> Record {
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
pub struct KeyEvent {
    pub t_ns: u64,
    pub surface: SurfaceId,
    pub time_ms: u32,
    pub modifiers: u32,
    pub keycode: u32,
    pub keyval: u32,
    pub name: KeyName,
    pub event_type: EventType,
    /// What was typed is left out (`GDKRECORD_KEYS=redacted`, a text key).
    pub redacted: bool,
}

impl KeyEvent {
    /// Forgets which key it was (see `gdkrecord_format::Event::redact_typing`).
    pub fn redact(&mut self) {
        self.keycode = 0;
        self.keyval = 0;
        self.redacted = true;
    }

    /// The Event record, without the key's name (which takes an allocation:
    /// `self.name.text(self.keyval)`).
    pub fn to_event_unnamed(self) -> Event {
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
pub struct PointerEvent {
    pub t_ns: u64,
    pub x: f64,
    pub y: f64,
    pub surface: SurfaceId,
    pub time_ms: u32,
    pub modifiers: u32,
    /// The button of a button event (motion events have none).
    pub button: Option<u32>,
    pub event_type: EventType,
}

impl PointerEvent {
    /// The Event record.
    pub fn to_event(self) -> Event {
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
pub struct InlineRegion {
    pub t_ns: u64,
    pub frame: i64,
    pub surface: SurfaceId,
    pub renderer: Renderer,
    pub painted: bool,
    pub len: u8,
    pub rects: [[i32; 4]; INLINE_RECTS],
}

impl InlineRegion {
    /// The record, its rectangles in `rects` (a buffer the caller reuses).
    pub fn to_record(self, mut rects: Vec<[i32; 4]>) -> Record {
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
pub(crate) struct Slot(UnsafeCell<MaybeUninit<Entry>>);

/// The producer's side of a ring: for the main thread's ring, part of the hot line
/// (`hot.rs`), with the flags every hook reads anyway.
#[repr(C)]
#[derive(Debug)]
pub struct Producer {
    /// The slots, or null before they are allocated.
    pub(crate) slots: AtomicPtr<Slot>,
    /// Records pushed so far, wrapping (only the producer writes it).
    pub(crate) head: AtomicU32,
    /// The consumer's `tail` as last read (producer only).
    pub(crate) tail_seen: AtomicU32,
    /// Set by the writer thread before it parks; cleared by whoever wakes it.
    pub(crate) writer_parked: AtomicBool,
}

impl Default for Producer {
    fn default() -> Producer {
        Producer::new()
    }
}

impl Producer {
    pub const fn new() -> Producer {
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
pub(crate) struct Consumer {
    /// Records popped so far, wrapping (only the consumer writes it).
    pub(crate) tail: AtomicU32,
}

/// A bounded single-producer, single-consumer queue of records: `capacity` (a power of
/// two) slots, a producer and a consumer side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queue<'a> {
    pub(crate) producer: &'a Producer,
    pub(crate) consumer: &'a Consumer,
    pub(crate) capacity: u32,
}

impl Queue<'_> {
    /// Gives the queue its slots, once, before any push.
    pub(crate) fn allocate(&self) {
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

    pub(crate) fn slots_slice(&self, slots: *mut Slot) -> *mut [Slot] {
        std::ptr::slice_from_raw_parts_mut(slots, self.capacity as usize)
    }

    /// The free slot to write next and the head to publish after, or `None` when the
    /// queue is full (or has no slots).
    ///
    /// # Safety
    /// Only one thread pushes (at a time, with a happens-before between pushers).
    #[inline(always)]
    pub(crate) unsafe fn reserve(&self) -> Option<(*mut Slot, u32)> {
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
    pub(crate) fn publish(&self, head: u32) {
        self.producer.head.store(head, Ordering::Release);
        let slots = self.producer.slots.load(Ordering::Relaxed);
        prefetch_slot(slots.wrapping_add((head & (self.capacity - 1)) as usize));
    }

    /// Appends `entry`; false (dropping it) when the queue is full.
    ///
    /// # Safety
    /// As [`Queue::reserve`].
    #[inline(always)]
    pub(crate) unsafe fn push(&self, entry: Entry) -> bool {
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
    pub(crate) unsafe fn push_in_place<T: InPlace>(&self, value: T) -> bool {
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
    pub(crate) unsafe fn pop(&self) -> Option<Entry> {
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
    pub(crate) fn is_empty(&self) -> bool {
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
pub struct Ring {
    producer: Producer,
    consumer: Consumer,
    capacity: u32,
}

impl Ring {
    /// An empty ring of `capacity` slots (a power of two).
    pub fn new(capacity: u32) -> Ring {
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

    pub(crate) fn queue(&self) -> Queue<'_> {
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
    pub unsafe fn push(&self, entry: Entry) -> bool {
        unsafe { self.queue().push(entry) }
    }

    /// Takes the oldest record.
    ///
    /// # Safety
    /// Only one thread pops (at a time, with a happens-before between poppers).
    pub unsafe fn pop(&self) -> Option<Entry> {
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
