//! Payload filters. Every filter built here but [`unscoped`] and [`unpartitioned`]
//! (counts when the store opens) starts with the user condition or is the user's scope
//! or parts of it (which name the user), so no read or write of [`super::EdgeStore`]
//! can reach another user's points.

use qdrant_edge::{Condition, FieldCondition, Filter, IsEmptyCondition, Match};

use super::payload::{key, CHUNK_INDEX, DOC_ID, KIND, PARTITION, SCOPE, USER};
use crate::corpus::DocumentKind;
use crate::store::payload::{part_of, scope};
use crate::store::term_stats::TERMS;

/// All points of `user`.
pub fn user(user: &str) -> Filter {
    Filter::new_must(eq(USER, user))
}

/// Points of `user`, optionally of one document kind: the filter of a search.
///
/// With `scoped` (no chunk of the store predates scopes), one kind is selected by the
/// user's scope alone: a single condition, which Qdrant answers from the scope index
/// without checking each point (the user and kind conditions cost a check of every
/// point a search scans).
pub fn search(user: &str, kind: Option<DocumentKind>, scoped: bool) -> Filter {
    match kind {
        Some(kind) if scoped => all(vec![eq(SCOPE, &scope(user, kind))]),
        Some(kind) => all(vec![eq(USER, user), eq(KIND, kind.as_str())]),
        None => all(vec![eq(USER, user)]),
    }
}

/// Points of `user` belonging to any of `doc_ids`.
pub fn documents(user: &str, doc_ids: &[String]) -> Filter {
    let any = FieldCondition::new_match(key(DOC_ID), Match::from(doc_ids.to_vec()));
    all(vec![eq(USER, user), Condition::Field(any)])
}

/// Points of one document of `user`.
pub fn document(user: &str, doc_id: &str) -> Filter {
    all(vec![eq(USER, user), eq(DOC_ID, doc_id)])
}

/// The chunk at `chunk_index` of one document of `user`.
pub fn chunk(user: &str, doc_id: &str, chunk_index: usize) -> Filter {
    let index = i64::try_from(chunk_index).unwrap_or(i64::MAX);
    let at = FieldCondition::new_match(key(CHUNK_INDEX), Match::from(index));
    all(vec![
        eq(USER, user),
        eq(DOC_ID, doc_id),
        Condition::Field(at),
    ])
}

/// The points of `filter` (a user's search filter) whose BM25 terms include `term`.
pub fn holding_term(filter: &Filter, term: u32) -> Filter {
    let holding = FieldCondition::new_match(key(TERMS), Match::from(i64::from(term)));
    let mut filter = filter.clone();
    filter
        .must
        .get_or_insert_with(Vec::new)
        .push(Condition::Field(holding));
    filter
}

/// Points written before chunks carried a scope (by an older starcoach), of any user:
/// one of the two filters without a user, used only to count them when the store opens.
pub fn unscoped() -> Filter {
    Filter::new_must(missing(SCOPE))
}

/// Points written before chunks carried a part (by an older starcoach), of any user:
/// the other filter without a user, used only to count them when the store opens.
pub fn unpartitioned() -> Filter {
    Filter::new_must(missing(PARTITION))
}

/// Points of `user` of one kind in one part of the scope (see [`PARTITION`]): one
/// indexed condition, like the scope alone. (A match of several parts would cost
/// Qdrant a set of every point id to remove duplicates.)
pub fn part(user: &str, kind: DocumentKind, part: usize) -> Filter {
    all(vec![eq(PARTITION, &part_of(&scope(user, kind), part))])
}

fn missing(field: &str) -> Condition {
    Condition::IsEmpty(IsEmptyCondition::from(key(field)))
}

fn eq(field: &str, value: &str) -> Condition {
    let value = Match::from(value.to_owned());
    Condition::Field(FieldCondition::new_match(key(field), value))
}

fn all(conditions: Vec<Condition>) -> Filter {
    Filter {
        must: Some(conditions),
        ..Filter::default()
    }
}
