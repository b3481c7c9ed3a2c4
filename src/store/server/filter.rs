//! Payload filters. Every filter built here but [`unscoped`] (a count at connect)
//! starts with the user condition or is the user's scope (which names the user), so
//! no read or write of [`super::ServerStore`] can reach another user's points.

use qdrant_client::qdrant::{Condition, Filter};

use super::payload::{CHUNK_INDEX, DOC_ID, KIND, SCOPE, USER};
use crate::corpus::DocumentKind;
use crate::store::payload::scope;
use crate::store::term_stats::TERMS;

/// All points of `user`.
pub fn user(user: &str) -> Filter {
    Filter::must([eq(USER, user)])
}

/// Points of `user`, optionally of one document kind: the filter of a search, as in
/// the embedded store (`edge/filter.rs`): with `scoped`, one kind is the user's scope.
pub fn search(user: &str, kind: Option<DocumentKind>, scoped: bool) -> Filter {
    match kind {
        Some(kind) if scoped => Filter::must([eq(SCOPE, &scope(user, kind))]),
        Some(kind) => Filter::must([eq(USER, user), eq(KIND, kind.as_str())]),
        None => Filter::must([eq(USER, user)]),
    }
}

/// The points of `filter` (a user's search filter) whose BM25 terms include `term`.
pub fn holding_term(filter: &Filter, term: u32) -> Filter {
    let mut filter = filter.clone();
    filter.must.push(Condition::matches(TERMS, i64::from(term)));
    filter
}

/// Points written before chunks carried a scope (by an older starcoach), of any user.
pub fn unscoped() -> Filter {
    Filter::must([Condition::is_empty(SCOPE)])
}

/// Points of `user` belonging to any of `doc_ids`.
pub fn documents(user: &str, doc_ids: &[String]) -> Filter {
    Filter::must([eq(USER, user), Condition::matches(DOC_ID, doc_ids.to_vec())])
}

/// Points of one document of `user`.
pub fn document(user: &str, doc_id: &str) -> Filter {
    Filter::must([eq(USER, user), eq(DOC_ID, doc_id)])
}

/// The chunk at `chunk_index` of one document of `user`.
pub fn chunk(user: &str, doc_id: &str, chunk_index: usize) -> Filter {
    let index = i64::try_from(chunk_index).unwrap_or(i64::MAX);
    Filter::must([
        eq(USER, user),
        eq(DOC_ID, doc_id),
        Condition::matches(CHUNK_INDEX, index),
    ])
}

fn eq(field: &str, value: &str) -> Condition {
    Condition::matches(field, value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first condition of every filter is the user's, or the user's scope alone.
    #[test]
    fn every_filter_starts_with_the_user() {
        let scoped = search("alice", Some(DocumentKind::Note), true);
        assert_eq!(scoped.must, [eq(SCOPE, "note:alice")]);
        let filters = [
            user("alice"),
            search("alice", Some(DocumentKind::Note), false),
            search("alice", None, true),
            documents("alice", &["d".into()]),
            document("alice", "d"),
            chunk("alice", "d", 2),
        ];
        for filter in filters {
            assert_eq!(filter.must.first(), Some(&eq(USER, "alice")), "{filter:?}");
            assert!(filter.should.is_empty() && filter.must_not.is_empty());
        }
    }
}
