//! Payload filters. Every filter built here but [`unscoped`] (a count at open) starts
//! with the user condition, so no read or write of [`super::EdgeStore`] can reach
//! another user's points.

use qdrant_edge::{Condition, FieldCondition, Filter, IsEmptyCondition, Match};

use super::payload::{key, CHUNK_INDEX, DOC_ID, KIND, SCOPE, USER};
use crate::corpus::DocumentKind;

/// All points of `user`.
pub fn user(user: &str) -> Filter {
    Filter::new_must(eq(USER, user))
}

/// Points of `user`, optionally of one document kind: the filter of a search.
pub fn search(user: &str, kind: Option<DocumentKind>) -> Filter {
    let mut conditions = vec![eq(USER, user)];
    conditions.extend(kind.map(|k| eq(KIND, k.as_str())));
    all(conditions)
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

/// Points written before chunks carried a scope (by an older starcoach), of any user:
/// the one filter without a user, used only to count them when the store opens.
pub fn unscoped() -> Filter {
    Filter::new_must(Condition::IsEmpty(IsEmptyCondition::from(key(SCOPE))))
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
