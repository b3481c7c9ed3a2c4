//! Which points a read or write reaches, described once for both backends (each only
//! translates a [`Selection`] to its client's filter); all but two counts at open name the user.

use serde_json::{Map, Value};

use super::payload::{
    encode_error, part_of, scope, CHUNK_INDEX, DOC_ID, DOC_LINES, KIND, LINES, PARTITION, SCOPE,
    TERMS, USER,
};
use super::StoreError;
use crate::corpus::{DocumentKind, LineSpan};

/// One condition on a payload field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The keyword field equals the value.
    Is(&'static str, String),
    /// The integer field (or one of its values) equals the value.
    IsInteger(&'static str, i64),
    /// The keyword field equals one of the values.
    IsAnyOf(&'static str, Vec<String>),
    /// The field is missing or empty.
    IsMissing(&'static str),
}

/// Points passing every condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(pub Vec<Condition>);

/// All points of `user`.
pub fn user(user: &str) -> Selection {
    Selection(vec![is(USER, user)])
}

/// Every point of every user: what a reindex re-embeds, the one read without a user.
pub fn everything() -> Selection {
    Selection(Vec::new())
}

/// Points of `user`, optionally of one document kind: the selection of a search.
///
/// With `scoped` (no chunk of the store predates scopes), one kind is selected by the
/// user's scope alone: a single condition, which Qdrant answers from the scope index
/// without checking each point (the user and kind conditions cost a check of every
/// point a search scans).
pub fn search(user: &str, kind: Option<DocumentKind>, scoped: bool) -> Selection {
    Selection(match kind {
        Some(kind) if scoped => vec![is(SCOPE, &scope(user, kind))],
        Some(kind) => vec![is(USER, user), is(KIND, kind.as_str())],
        None => vec![is(USER, user)],
    })
}

/// Points of `user` belonging to any of `doc_ids`.
pub fn documents(user: &str, doc_ids: &[String]) -> Selection {
    Selection(vec![
        is(USER, user),
        Condition::IsAnyOf(DOC_ID, doc_ids.to_vec()),
    ])
}

/// Points of one document of `user`.
pub fn document(user: &str, doc_id: &str) -> Selection {
    Selection(vec![is(USER, user), is(DOC_ID, doc_id)])
}

/// The chunk at `chunk_index` of one document of `user`.
pub fn chunk(user: &str, doc_id: &str, chunk_index: usize) -> Selection {
    let index = i64::try_from(chunk_index).unwrap_or(i64::MAX);
    Selection(vec![
        is(USER, user),
        is(DOC_ID, doc_id),
        Condition::IsInteger(CHUNK_INDEX, index),
    ])
}

/// The points of `selection` (a user's search) whose BM25 terms include `term`.
pub fn holding_term(selection: &Selection, term: u32) -> Selection {
    let mut conditions = selection.0.clone();
    conditions.push(Condition::IsInteger(TERMS, i64::from(term)));
    Selection(conditions)
}

/// Points of `user` of one kind in one part of the scope (see [`PARTITION`]): one
/// indexed condition, like the scope alone. (A match of several parts would cost
/// Qdrant a set of every point id to remove duplicates.)
pub fn part(user: &str, kind: DocumentKind, part: usize) -> Selection {
    Selection(vec![is(PARTITION, &part_of(&scope(user, kind), part))])
}

/// Points written before chunks carried a scope (by an older starcoach), of any user:
/// one of the two selections without a user, used only to count them when a store
/// opens.
pub fn unscoped() -> Selection {
    Selection(vec![Condition::IsMissing(SCOPE)])
}

/// Points written before chunks carried a part (by an older starcoach), of any user:
/// the other selection without a user, used only to count them when a store opens.
pub fn unpartitioned() -> Selection {
    Selection(vec![Condition::IsMissing(PARTITION)])
}

/// A payload write: these fields set on the selected points.
pub type PayloadUpdate = (Selection, Map<String, Value>);

/// The payload writes that give a document new line numbers: its span on all its
/// chunks, then each chunk's own span, as `(points, payload)`.
pub fn line_updates(
    user: &str,
    doc_id: &str,
    doc_lines: LineSpan,
    chunk_lines: &[LineSpan],
) -> Result<Vec<PayloadUpdate>, StoreError> {
    let set = |field: &str, lines: LineSpan| {
        let value = serde_json::to_value(lines).map_err(encode_error)?;
        Ok(Map::from_iter([(field.to_owned(), value)]))
    };
    let mut updates = vec![(document(user, doc_id), set(DOC_LINES, doc_lines)?)];
    for (index, lines) in chunk_lines.iter().enumerate() {
        updates.push((chunk(user, doc_id, index), set(LINES, *lines)?));
    }
    Ok(updates)
}

fn is(field: &'static str, value: &str) -> Condition {
    Condition::Is(field, value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first condition of every selection is the user's, or the user's scope or
    /// part of it alone.
    #[test]
    fn every_selection_starts_with_the_user() {
        let scoped = search("alice", Some(DocumentKind::Note), true);
        assert_eq!(scoped.0, [is(SCOPE, "note:alice")]);
        let part = part("alice", DocumentKind::Story, 2);
        assert_eq!(part.0.len(), 1);
        assert!(matches!(&part.0[0], Condition::Is(PARTITION, p) if p.contains("alice")));
        let selections = [
            user("alice"),
            search("alice", Some(DocumentKind::Note), false),
            search("alice", None, true),
            documents("alice", &["d".into()]),
            document("alice", "d"),
            chunk("alice", "d", 2),
            holding_term(&search("alice", None, true), 7),
        ];
        for selection in selections {
            assert_eq!(
                selection.0.first(),
                Some(&is(USER, "alice")),
                "{selection:?}"
            );
        }
    }

    #[test]
    fn a_move_sets_the_document_span_then_each_chunk_span() {
        let chunks = [LineSpan::new(3, 5), LineSpan::new(6, 9)];
        let updates = line_updates("alice", "d", LineSpan::new(1, 9), &chunks).unwrap();
        let json = |field: &str, lines: LineSpan| {
            Map::from_iter([(field.to_owned(), serde_json::to_value(lines).unwrap())])
        };
        assert_eq!(
            updates,
            vec![
                (document("alice", "d"), json(DOC_LINES, LineSpan::new(1, 9))),
                (chunk("alice", "d", 0), json(LINES, LineSpan::new(3, 5))),
                (chunk("alice", "d", 1), json(LINES, LineSpan::new(6, 9))),
            ]
        );
    }
}
