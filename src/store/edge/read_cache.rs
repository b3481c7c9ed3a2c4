//! What searches read from the shard, kept in memory until the next write.

// Decoded payloads by point id: a search asks Qdrant for point ids and scores only,
// and takes each point's payload from here; the ids not held are read in one
// `retrieve` and decoded once. Reading and decoding payloads (lz4, then JSON) was half
// the CPU time of a match on a 1,000-story bank, for the 120 or so candidates of its
// two lists, most of them the same from one question to the next. And the counts
// behind per-scope BM25 weights (`store::term_stats`), by scope and term.
//
// Every write to the shard forgets the whole payload map and starts a new epoch. A
// search stores what it read only if no write has finished since it asked, so a value
// read before a write can never be kept after it. The counts of a scope can only change
// when its user's chunks do, so they are kept by user generation: a write of one user's
// chunks starts that user's next generation and leaves every other user's counts (on a
// shared server, one user's ingest no longer makes every other user count again).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use qdrant_edge::PointId;

use crate::store::ChunkPayload;
use quick_cache::unsync::Cache;

/// Payloads held: 16 times the chunks of a 1,000-story bank; at most ~60 MB.
pub const PAYLOADS: usize = 65_536;
/// Scope and term counts held (a few bytes each).
pub const COUNTS: usize = 65_536;

/// Decoded payloads by point id.
pub type PayloadCache = ReadCache<PointId, Arc<ChunkPayload>>;

#[derive(Debug)]
pub struct ReadCache<K, V> {
    state: Mutex<State<K, V>>,
}

#[derive(Debug)]
struct State<K, V> {
    /// Writes finished since the store was opened.
    epoch: u64,
    values: Cache<K, V>,
}

impl<K: Hash + Eq, V: Clone> ReadCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                epoch: 0,
                values: Cache::new(capacity),
            }),
        }
    }

    /// A panic while holding the lock leaves a map that is at worst incomplete, which
    /// only costs reads, so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value of each key, `None` where none is held; and the epoch to pass to
    /// [`ReadCache::keep`] with the values read for the missing ones.
    pub fn get(&self, ids: &[K]) -> (Vec<Option<V>>, u64) {
        let state = self.lock();
        let found = ids.iter().map(|id| state.values.get(id).cloned()).collect();
        (found, state.epoch)
    }

    /// Keep values read from the shard, unless a write finished after `epoch`.
    pub fn keep(&self, epoch: u64, read: impl IntoIterator<Item = (K, V)>) {
        let mut state = self.lock();
        if state.epoch != epoch {
            return;
        }
        for (id, payload) in read {
            state.values.insert(id, payload);
        }
    }

    /// After a write to the shard: forget everything, and refuse what searches that
    /// started before it read.
    pub fn written(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.values.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().values.len()
    }
}

/// Chunk counts of one scope: of the scope (`None`) or of those holding a term.
type CountKey = (Generation, String, Option<u32>);

/// A user's write generation: the writes of that user's chunks finished so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Generation(u64);

/// Term counts by scope, kept until the scope's user writes.
#[derive(Debug)]
pub struct CountCache {
    state: Mutex<CountState>,
}

#[derive(Debug)]
struct CountState {
    /// Writes finished per user (a user never written since the store opened: 0).
    users: HashMap<String, u64>,
    values: Cache<CountKey, usize>,
}

impl CountCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(CountState {
                users: HashMap::new(),
                values: Cache::new(capacity),
            }),
        }
    }

    /// As for [`ReadCache::lock`].
    fn lock(&self) -> MutexGuard<'_, CountState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The count of each of `keys` in `scope` of `user`, `None` where none is held; and
    /// the generation to pass to [`CountCache::keep`].
    pub fn get(
        &self,
        user: &str,
        scope: &str,
        keys: &[Option<u32>],
    ) -> (Vec<Option<usize>>, Generation) {
        let state = self.lock();
        let generation = Generation(state.users.get(user).copied().unwrap_or(0));
        let found = keys
            .iter()
            .map(|&key| {
                state
                    .values
                    .get(&(generation, scope.to_owned(), key))
                    .copied()
            })
            .collect();
        (found, generation)
    }

    /// Keep counts read from the shard under the generation they were read in: once
    /// the user has written since, nothing asks for that generation again.
    pub fn keep(
        &self,
        generation: Generation,
        scope: &str,
        read: impl IntoIterator<Item = (Option<u32>, usize)>,
    ) {
        let mut state = self.lock();
        for (key, count) in read {
            state
                .values
                .insert((generation, scope.to_owned(), key), count);
        }
    }

    /// After a write that changed the chunks of `users`.
    pub fn written_by<'a>(&self, users: impl IntoIterator<Item = &'a str>) {
        let mut state = self.lock();
        for user in users {
            *state.users.entry(user.to_owned()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::payload::sample_payload;

    fn id(n: u64) -> PointId {
        PointId::NumId(n)
    }

    #[test]
    fn returns_what_it_kept_and_none_for_the_rest() {
        let cache = PayloadCache::new(8);
        let (found, epoch) = cache.get(&[id(1), id(2)]);
        assert!(found.iter().all(Option::is_none));
        cache.keep(epoch, [(id(1), Arc::new(sample_payload()))]);
        let (found, _) = cache.get(&[id(1), id(2)]);
        assert_eq!(found[0].as_deref(), Some(&sample_payload()));
        assert!(found[1].is_none());
    }

    #[test]
    fn a_write_forgets_everything() {
        let cache = PayloadCache::new(8);
        let (_, epoch) = cache.get(&[]);
        cache.keep(epoch, [(id(1), Arc::new(sample_payload()))]);
        cache.written();
        assert_eq!(cache.len(), 0);
        assert!(cache.get(&[id(1)]).0[0].is_none());
    }

    #[test]
    fn a_payload_read_before_a_write_is_not_kept_after_it() {
        let cache = PayloadCache::new(8);
        let (_, epoch) = cache.get(&[id(1)]);
        // The search reads the old payload; a write finishes; the search then keeps.
        cache.written();
        cache.keep(epoch, [(id(1), Arc::new(sample_payload()))]);
        assert_eq!(cache.len(), 0);
        // A search that starts after the write keeps what it reads.
        let (_, epoch) = cache.get(&[id(1)]);
        cache.keep(epoch, [(id(1), Arc::new(sample_payload()))]);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_users_write_forgets_that_users_counts_and_no_one_elses() {
        let cache = CountCache::new(64);
        for user in ["alice", "bob"] {
            let (found, generation) = cache.get(user, &format!("{user}:story"), &[None, Some(7)]);
            assert_eq!(found, [None, None]);
            cache.keep(
                generation,
                &format!("{user}:story"),
                [(None, 10), (Some(7), 3)],
            );
        }
        assert_eq!(
            cache.get("bob", "bob:story", &[None, Some(7)]).0,
            [Some(10), Some(3)]
        );
        cache.written_by(["alice"]);
        assert_eq!(cache.get("alice", "alice:story", &[None]).0, [None]);
        assert_eq!(cache.get("bob", "bob:story", &[Some(7)]).0, [Some(3)]);
        cache.written_by(["bob", "carol"]);
        assert_eq!(cache.get("bob", "bob:story", &[Some(7)]).0, [None]);
    }

    #[test]
    fn counts_read_before_their_users_write_are_never_read_after_it() {
        let cache = CountCache::new(64);
        let (_, before) = cache.get("alice", "alice:story", &[None]);
        // The search counts the old chunks; alice's write finishes; the search keeps.
        cache.written_by(["alice"]);
        cache.keep(before, "alice:story", [(None, 10)]);
        assert_eq!(cache.get("alice", "alice:story", &[None]).0, [None]);
    }
}
