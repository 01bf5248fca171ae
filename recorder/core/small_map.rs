//! A map from pointers to small values that keeps its first entries inline.
//!
//! The session lives in a static; a program has a few surfaces and one frame clock per
//! toplevel, so with the first entries inline a per-frame lookup reads memory next to
//! the session's other state instead of a heap page of its own (on a VM, a cold page
//! costs a TLB walk of several hundred nanoseconds). More entries spill to a Vec.

/// Pointer-keyed map with `N` inline slots; key 0 marks a free slot.
#[derive(Debug)]
pub struct SmallMap<V, const N: usize> {
    inline: [(usize, V); N],
    spilled: Vec<(usize, V)>,
}

impl<V: Copy + Default, const N: usize> Default for SmallMap<V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Copy + Default, const N: usize> SmallMap<V, N> {
    pub fn new() -> Self {
        SmallMap {
            inline: [(0, V::default()); N],
            spilled: Vec::new(),
        }
    }

    /// The value of `key` (not 0).
    #[inline(always)]
    pub fn get_mut(&mut self, key: usize) -> Option<&mut V> {
        match self.inline.iter().position(|(k, _)| *k == key) {
            Some(index) => Some(&mut self.inline[index].1),
            None => self.spilled_mut(key),
        }
    }

    #[inline(never)]
    fn spilled_mut(&mut self, key: usize) -> Option<&mut V> {
        self.spilled
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| value)
    }

    /// The value of `key`, read-only.
    pub fn get(&self, key: usize) -> Option<&V> {
        self.inline
            .iter()
            .chain(self.spilled.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, value)| value)
    }

    /// Adds `key` (not 0, not present) and returns its value.
    pub fn insert(&mut self, key: usize, value: V) -> &mut V {
        match self.inline.iter().position(|(k, _)| *k == 0) {
            Some(index) => {
                self.inline[index] = (key, value);
                &mut self.inline[index].1
            }
            None => {
                self.spilled.push((key, value));
                let last = self.spilled.len() - 1;
                &mut self.spilled[last].1
            }
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.inline = [(0, V::default()); N];
        self.spilled.clear();
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: usize) -> Option<V> {
        if let Some(slot) = self.inline.iter_mut().find(|(k, _)| *k == key) {
            let value = slot.1;
            *slot = (0, V::default());
            return Some(value);
        }
        let index = self.spilled.iter().position(|(k, _)| *k == key)?;
        Some(self.spilled.swap_remove(index).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_then_spilled_entries_are_found_and_removed() {
        let mut map: SmallMap<u32, 2> = SmallMap::new();
        for key in 1..=5 {
            *map.insert(key * 8, 0) = key as u32;
        }
        for key in 1..=5 {
            assert_eq!(map.get(key * 8), Some(&(key as u32)));
            assert_eq!(map.get_mut(key * 8).copied(), Some(key as u32));
        }
        assert_eq!(map.remove(8), Some(1));
        assert_eq!(map.remove(32), Some(4));
        assert_eq!(map.get(8), None);
        assert_eq!(map.remove(32), None);
        // A freed inline slot is reused.
        map.insert(48, 6);
        assert_eq!(map.get(48), Some(&6));
        assert_eq!(map.get(40), Some(&5));
    }
}
