//! Touch sequences: GDK names each touch by a pointer (`GdkEventSequence*`), valid while
//! the touch lasts and reused after; records carry a small number instead, stable within
//! one touch.

use std::collections::HashMap;

/// The numbers of the touches going on (a front's main-thread table).
#[derive(Debug)]
pub struct TouchSequences {
    live: HashMap<usize, u64>,
    next: u64,
}

impl Default for TouchSequences {
    fn default() -> TouchSequences {
        TouchSequences::new()
    }
}

impl TouchSequences {
    pub fn new() -> TouchSequences {
        TouchSequences {
            live: HashMap::new(),
            next: 1,
        }
    }

    /// The number of `sequence`; `end` forgets it after this event.
    pub fn number(&mut self, sequence: usize, end: bool) -> u64 {
        let number = match self.live.get(&sequence) {
            Some(n) => *n,
            None => {
                let n = self.next;
                self.next += 1;
                self.live.insert(sequence, n);
                n
            }
        };
        if end {
            self.live.remove(&sequence);
        }
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_keeps_its_number_until_it_ends_and_a_reused_pointer_gets_a_new_one() {
        let mut touches = TouchSequences::new();
        assert_eq!(touches.number(0xa0, false), 1);
        assert_eq!(touches.number(0xb0, false), 2);
        assert_eq!(touches.number(0xa0, true), 1);
        assert_eq!(touches.number(0xa0, false), 3);
        assert_eq!(touches.number(0xb0, true), 2);
    }
}
