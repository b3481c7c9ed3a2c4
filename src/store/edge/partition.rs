//! The parts of a scope (`store::payload::PARTITION`): a dense scan of a large scope
//! split over threads.

// qdrant-edge 0.7.2 searches a shard's segments one after another on the calling
// thread, so a scan of a user's 400,000 story chunks runs on one core however many
// the machine has. The scan is bound by memory bandwidth, which a second core nearly
// doubles: each thread scans some of the scope's parts, one after another (each one
// indexed condition, like the scope alone), and the hits are merged (`store::ranked`). Exact (float) and
// int8 scans both split; a graph search does not, since the graphs are keyed by scope.
// A store holding chunks written before parts existed scans in one search.
//
// A scan splits only over cores that no other search is using (`Inner::searching`):
// under concurrent requests every core already runs a scan, and splitting would only
// add threads and merges.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{backend, filter, Inner};
use crate::store::dense::DenseSearch;
use crate::store::payload::PARTITIONS;
use crate::store::select;
use crate::store::{ranked, ChunkHit, SearchMode, SearchQuery, StoreError};

/// Chunks of one scope from which a dense scan of it is split over threads: below
/// this a scan takes about a millisecond, and the threads would cost more than they
/// save.
pub const PARALLEL_SCAN_MIN_POINTS: usize = 20_000;

/// Scans a search of a large scope runs at once: one per core, at most one per part.
pub fn scan_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(PARTITIONS)
}

/// The parts of a scope (their numbers) dealt into `threads` groups, round-robin.
pub fn groups(threads: usize) -> Vec<Vec<usize>> {
    let threads = threads.clamp(1, PARTITIONS);
    let mut groups = vec![Vec::new(); threads];
    for part in 0..PARTITIONS {
        groups[part % threads].push(part);
    }
    groups
}

/// Threads counted in a busy counter while this guard lives.
pub(super) struct Busy<'a> {
    counter: &'a AtomicUsize,
    threads: usize,
}

impl<'a> Busy<'a> {
    pub(super) fn add(counter: &'a AtomicUsize, threads: usize) -> Self {
        counter.fetch_add(threads, Ordering::Relaxed);
        Busy { counter, threads }
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(self.threads, Ordering::Relaxed);
    }
}

impl Inner {
    /// The groups of parts to scan in parallel for `query`, or `None` when it is one
    /// search: not a dense search of one kind, a graph search, a store with chunks
    /// from before parts or scopes, fewer than two cores free of other searches, or a
    /// scope smaller than the store's parallel-scan minimum.
    pub(super) fn scan_groups(
        &self,
        user: &str,
        query: &SearchQuery,
        dense_search: DenseSearch,
    ) -> Result<Option<Vec<Vec<usize>>>, StoreError> {
        let Some(kind) = query.kind else {
            return Ok(None);
        };
        // Cores free for this scan: its own, and those no other search is using.
        let others = self.searching.load(Ordering::Relaxed).saturating_sub(1);
        let threads = self.scan_threads.saturating_sub(others);
        if query.mode != SearchMode::Dense
            || dense_search == DenseSearch::Graph
            || !(self.scoped && self.partitioned)
            || threads < 2
        {
            return Ok(None);
        }
        // The index's estimate: exact for one keyword condition, and no scan.
        let request = qdrant_edge::CountRequest {
            filter: Some(filter::of(&select::search(user, Some(kind), true))),
            exact: false,
        };
        let points = self.shard.count(request).map_err(|e| backend("count", e))?;
        if points < self.parallel_scan_min {
            return Ok(None);
        }
        Ok(Some(groups(threads)))
    }

    /// `query` (of one kind) run once per group of parts, the groups on threads of
    /// their own (the first on this one), the hits merged.
    pub(super) fn scan_in_parallel(
        &self,
        user: &str,
        query: &SearchQuery,
        groups: &[Vec<usize>],
        dense_search: DenseSearch,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let (Some(kind), Some((first, rest))) = (query.kind, groups.split_first()) else {
            return Err(StoreError::Backend(
                "a parallel scan needs a kind and a group of parts".into(),
            ));
        };
        let _extra = Busy::add(&self.searching, rest.len());
        let span = tracing::Span::current();
        // A thread's parts one after another: each a single condition.
        let scan = |parts: &[usize]| {
            let mut hits = Vec::new();
            for &part in parts {
                let filter = filter::of(&select::part(user, kind, part));
                hits.extend(self.dense_query(query, &filter, dense_search)?);
            }
            Ok::<_, StoreError>(hits)
        };
        let lists = std::thread::scope(|threads| {
            let others: Vec<_> = rest
                .iter()
                .map(|parts| {
                    let span = span.clone();
                    threads.spawn(move || span.in_scope(|| scan(parts)))
                })
                .collect();
            let mut lists = vec![scan(first)?];
            for handle in others {
                let list = handle
                    .join()
                    .map_err(|_| StoreError::Backend("a scan thread panicked".into()))??;
                lists.push(list);
            }
            Ok::<_, StoreError>(lists)
        })?;
        tracing::debug!(
            groups = groups.len(),
            "scanned the scope's parts in parallel"
        );
        Ok(ranked::merge(lists, query.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_dealt_to_every_thread_and_none_is_left_out() {
        for threads in 0..=PARTITIONS + 2 {
            let groups = groups(threads);
            assert_eq!(groups.len(), threads.clamp(1, PARTITIONS));
            let mut all: Vec<usize> = groups.concat();
            all.sort();
            assert_eq!(all, (0..PARTITIONS).collect::<Vec<_>>());
            assert!(groups.iter().all(|g| !g.is_empty()));
        }
    }
}
