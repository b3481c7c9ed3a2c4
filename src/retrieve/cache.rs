//! Embeddings kept in memory (`quick_cache`, bounded, thread-safe): question vectors
//! by text, sentence vectors by a hash of the text.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::sync::Cache;

/// A vector of a text.
pub type Vector = Arc<Vec<f32>>;

/// Vectors of questions by their text.
pub type QuestionCache = Cache<String, Vector>;

/// Vectors of texts keyed by a 64-bit hash of the text (a bank of 1,000 stories has
/// ~20,000 sentences, ~30 MB of vectors); a full cache forgets what is used least
/// (the sentences `serve` warmed are kept while they are used).
#[derive(Debug)]
pub struct VectorCache {
    vectors: Cache<u64, Vector>,
}

impl VectorCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            vectors: Cache::new(capacity),
        }
    }

    fn key(text: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    }

    pub fn get(&self, text: &str) -> Option<Vector> {
        self.vectors.get(&Self::key(text))
    }

    pub fn insert(&self, text: &str, vector: Vector) {
        self.vectors.insert(Self::key(text), vector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_cache_is_bounded_and_keeps_what_it_can() {
        let cache = VectorCache::new(100);
        for i in 0..1_000 {
            cache.insert(&format!("sentence {i}"), Arc::new(vec![i as f32]));
        }
        assert!(cache.vectors.len() <= 100, "{}", cache.vectors.len());
        cache.insert("kept", Arc::new(vec![1.0]));
        assert_eq!(cache.get("kept").as_deref(), Some(&vec![1.0]));
        assert!(cache.get("never stored").is_none());
    }
}
