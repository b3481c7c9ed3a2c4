//! [`Selection`]s (see `store::select`) as embedded Qdrant filters.

use qdrant_edge::{Condition, FieldCondition, Filter, IsEmptyCondition, Match};

use super::payload::key;
use crate::store::select::{self, Selection};

/// The filter selecting the points of `selection`.
pub fn of(selection: &Selection) -> Filter {
    let conditions = selection.0.iter().map(condition).collect();
    Filter {
        must: Some(conditions),
        ..Filter::default()
    }
}

fn condition(condition: &select::Condition) -> Condition {
    let field =
        |name: &str, value: Match| Condition::Field(FieldCondition::new_match(key(name), value));
    match condition {
        select::Condition::Is(name, value) => field(name, Match::from(value.clone())),
        select::Condition::IsInteger(name, value) => field(name, Match::from(*value)),
        select::Condition::IsAnyOf(name, values) => field(name, Match::from(values.clone())),
        select::Condition::IsMissing(name) => Condition::IsEmpty(IsEmptyCondition::from(key(name))),
    }
}
