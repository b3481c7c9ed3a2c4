//! The reindex report: which model the store moved from and to, and how much was embedded.

use crate::reindex::{ReindexReport, ReindexStatus};

/// The report of `starcoach reindex` as plain text.
pub fn reindex(report: &ReindexReport) -> String {
    let scope = format!(
        "{} chunks of {} documents ({} users)",
        report.chunks, report.documents, report.users
    );
    match report.status {
        ReindexStatus::Current => format!(
            "The store is already embedded by {}: nothing to do ({scope}).\n",
            report.to_model
        ),
        ReindexStatus::Reindexed => {
            let from = report
                .from_model
                .as_deref()
                .unwrap_or("an unrecorded model");
            let mut out = format!(
                "Reindexed {scope} from {from} to {} in {:.1} s: {} chunks embedded",
                report.to_model, report.seconds, report.embedded
            );
            if report.resumed > 0 {
                out.push_str(&format!(
                    ", {} already embedded by an interrupted run",
                    report.resumed
                ));
            }
            out.push_str(".\n");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_reindex_says_how_much_the_earlier_run_did() {
        let report = ReindexReport {
            status: ReindexStatus::Reindexed,
            from_model: Some("all-MiniLM-L6-v2".into()),
            to_model: "embeddinggemma-300m".into(),
            users: 2,
            documents: 10,
            chunks: 40,
            embedded: 30,
            resumed: 10,
            seconds: 3.25,
        };
        let text = reindex(&report);
        assert!(text.starts_with("Reindexed 40 chunks of 10 documents (2 users) from all-MiniLM-L6-v2 to embeddinggemma-300m in 3.2 s: 30 chunks embedded, 10 already embedded"), "{text}");
    }
}
