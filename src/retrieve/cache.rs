//! Small in-memory caches of embeddings: question vectors (LRU) and sentence vectors
//! (bounded map), so that repeated questions and the evidence of stories already seen
//! cost no model call.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::cache::Generations;

/// A least-recently-used map with a fixed capacity.
///
/// Lookups and inserts are O(1); evicting scans for the oldest entry, O(capacity), which
/// happens at most once per insert into a full cache (a few µs at 1,024 entries, far
/// below one model call).
#[derive(Debug)]
pub struct Lru<K, V> {
    capacity: usize,
    tick: u64,
    map: HashMap<K, (V, u64)>,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            tick: 0,
            map: HashMap::new(),
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|(v, used)| {
            *used = tick;
            v.clone()
        })
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.tick += 1;
        if !self.map.contains_key(&key) && self.map.len() >= self.capacity {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.map.remove(&oldest);
            }
        }
        self.map.insert(key, (value, self.tick));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// Vectors of texts keyed by a 64-bit hash of the text (a bank of 1,000 stories has
/// ~20,000 sentences, ~30 MB of vectors), bounded by [`Generations`]: a full cache
/// forgets what has gone unused longest, half at a time, not everything at once (the
/// sentences `serve` warmed included).
#[derive(Debug)]
pub struct VectorCache {
    vectors: Generations<u64, Arc<Vec<f32>>>,
}

impl VectorCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            vectors: Generations::new(capacity),
        }
    }

    pub fn key(text: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    }

    pub fn get(&mut self, text: &str) -> Option<Arc<Vec<f32>>> {
        self.vectors.get(&Self::key(text))
    }

    pub fn insert(&mut self, text: &str, vector: Arc<Vec<f32>>) {
        self.vectors.insert(Self::key(text), vector);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.vectors.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        assert_eq!(lru.get(&"a"), Some(1));
        lru.insert("c", 3);
        assert_eq!(lru.get(&"b"), None);
        assert_eq!(lru.get(&"a"), Some(1));
        assert_eq!(lru.get(&"c"), Some(3));
        assert_eq!(lru.len(), 2);
    }

    #[test]
    fn vector_cache_is_bounded() {
        let mut cache = VectorCache::new(2);
        for t in ["x", "y", "z"] {
            cache.insert(t, Arc::new(vec![1.0]));
        }
        assert!(cache.len() <= 2);
        assert!(cache.get("z").is_some());
    }
}
