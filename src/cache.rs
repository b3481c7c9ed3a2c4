//! A bounded map that forgets what has gone unused longest, half at a time: the
//! retriever's sentence vectors and the embedded store's decoded payloads.
//!
//! Entries live in two generations of at most half the capacity each. When the current
//! generation is full it becomes the previous one and the old previous one is dropped;
//! an entry found in the previous generation moves back to the current one. So a full
//! map keeps what is in use and every operation is O(1), with no per-entry bookkeeping.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug)]
pub struct Generations<K, V> {
    generation: usize,
    current: HashMap<K, V>,
    previous: HashMap<K, V>,
}

impl<K: Hash + Eq, V: Clone> Generations<K, V> {
    /// A map of at most `capacity` entries (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            generation: (capacity / 2).max(1),
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        if let Some(v) = self.current.get(key) {
            return Some(v.clone());
        }
        let (key, v) = self.previous.remove_entry(key)?;
        self.insert(key, v.clone());
        Some(v)
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.current.len() >= self.generation && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, value);
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.current.clear();
        self.previous.clear();
    }

    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keeps_the_newest() {
        let mut map = Generations::new(2);
        for (k, v) in [("x", 1), ("y", 2), ("z", 3)] {
            map.insert(k, v);
        }
        assert!(map.len() <= 2);
        assert_eq!(map.get(&"z"), Some(3));
    }

    #[test]
    fn forgets_the_unused_half_and_keeps_what_is_used() {
        let mut map = Generations::new(6);
        for i in 0..6 {
            map.insert(i, i * 10);
        }
        assert_eq!(map.len(), 6, "a full map keeps everything");
        // Used again: moves to the current generation.
        assert_eq!(map.get(&1), Some(10));
        for i in 6..9 {
            map.insert(i, i * 10);
        }
        assert!(map.len() <= 6);
        assert_eq!(map.get(&1), Some(10), "recently used survives");
        assert_eq!(map.get(&8), Some(80), "newest survives");
        assert_eq!(map.get(&0), None, "oldest unused is gone");
        assert_eq!(map.get(&2), None);
    }

    #[test]
    fn clear_forgets_both_generations() {
        let mut map = Generations::new(4);
        for i in 0..4 {
            map.insert(i, i);
        }
        map.clear();
        assert!(map.is_empty());
        assert_eq!(map.get(&3), None);
    }
}
