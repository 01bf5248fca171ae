//! Trust in a private struct layout, earned on the running process.
//!
//! Where the recorder reads GTK's or cairo's private structs instead of calling their
//! getters (pointer and key events, cairo regions), it first reads each of the first
//! [`CHECKS_BEFORE_TRUST`] instances both ways: all must agree for the direct read to be
//! used; one disagreement and the getters are used for the rest of the run.

use std::sync::atomic::{AtomicU32, Ordering};

/// Agreeing reads needed before a layout is trusted.
pub const CHECKS_BEFORE_TRUST: u32 = 16;
/// A layout that failed a check.
const REFUSED: u32 = u32::MAX;

/// Agreeing checks so far, [`CHECKS_BEFORE_TRUST`] once trusted, or refused.
#[derive(Debug)]
pub struct LayoutCheck(AtomicU32);

impl Default for LayoutCheck {
    fn default() -> LayoutCheck {
        LayoutCheck::new()
    }
}

impl LayoutCheck {
    pub const fn new() -> LayoutCheck {
        LayoutCheck(AtomicU32::new(0))
    }

    /// Whether direct reads may be used.
    #[inline(always)]
    pub fn trusted(&self) -> bool {
        self.0.load(Ordering::Relaxed) == CHECKS_BEFORE_TRUST
    }

    /// Whether the layout is still being checked (neither trusted nor refused).
    #[inline(always)]
    pub fn checking(&self) -> bool {
        self.0.load(Ordering::Relaxed) < CHECKS_BEFORE_TRUST
    }

    /// Counts one comparison while checking: `agrees`, or the layout is refused.
    pub fn record(&self, agrees: bool) {
        let checks = self.0.load(Ordering::Relaxed);
        if checks < CHECKS_BEFORE_TRUST {
            let next = if agrees { checks + 1 } else { REFUSED };
            self.0.store(next, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_takes_every_check_and_one_disagreement_refuses_for_good() {
        let check = LayoutCheck::new();
        for _ in 0..CHECKS_BEFORE_TRUST - 1 {
            check.record(true);
        }
        assert!(check.checking() && !check.trusted());
        check.record(true);
        assert!(check.trusted() && !check.checking());
        // Once trusted, later comparisons are not made; a stray one changes nothing.
        check.record(false);
        assert!(check.trusted());

        let refused = LayoutCheck::new();
        refused.record(true);
        refused.record(false);
        for _ in 0..CHECKS_BEFORE_TRUST * 2 {
            refused.record(true);
        }
        assert!(!refused.trusted() && !refused.checking());
    }
}
