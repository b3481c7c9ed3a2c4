//! [`Selection`]s (see `store::select`) as Qdrant server filters.

use qdrant_client::qdrant::{Condition, Filter};

use crate::store::select::{self, Selection};

/// The filter selecting the points of `selection`.
pub fn of(selection: &Selection) -> Filter {
    Filter::must(selection.0.iter().map(condition))
}

fn condition(condition: &select::Condition) -> Condition {
    match condition {
        select::Condition::Is(name, value) => Condition::matches(*name, value.clone()),
        select::Condition::IsInteger(name, value) => Condition::matches(*name, *value),
        select::Condition::IsAnyOf(name, values) => Condition::matches(*name, values.clone()),
        select::Condition::IsMissing(name) => Condition::is_empty(*name),
    }
}
