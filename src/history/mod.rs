//! The practice history: every critique recorded for its user, and the state of
//! practice sessions, behind a small trait ([`History`]) whose one backend today is an
//! SQLite file beside the store ([`SqliteHistory`]).

mod entry;
mod sqlite;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use entry::{DeliveryMetrics, HistoryEntry, HistoryRecord, Origin, RecordedCap, ToldStory};
pub use sqlite::SqliteHistory;

/// Errors of the history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("history database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("history database {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored entry could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// Recording is switched off (`history.enabled = false` or `--no-history`).
    #[error(
        "the history is off (history.enabled = false or --no-history): nothing is recorded or kept"
    )]
    Disabled,
}

/// A stored practice session: its state is the practice module's, kept as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished: bool,
    pub state: serde_json::Value,
}

/// A page of a user's history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub user: String,
    /// Entries recorded for the user in all.
    pub total: usize,
    pub entries: Vec<HistoryEntry>,
}

/// Where critiques and sessions are kept. Every method is scoped to one user: no
/// call reads or changes another user's rows.
#[async_trait]
pub trait History: Send + Sync {
    /// Record a critique; its id.
    async fn record(&self, user: &str, record: &HistoryRecord) -> Result<i64, HistoryError>;
    /// The user's entries, newest first (`limit` of them after skipping `offset`), and
    /// how many there are in all.
    async fn entries(
        &self,
        user: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<HistoryEntry>, usize), HistoryError>;
    /// Every entry of the user, oldest first (for progress).
    async fn all_entries(&self, user: &str) -> Result<Vec<HistoryEntry>, HistoryError>;
    /// Delete one entry; whether it existed (for this user).
    async fn delete(&self, user: &str, id: i64) -> Result<bool, HistoryError>;
    /// Delete all of the user's entries and sessions; how many entries went.
    async fn delete_all(&self, user: &str) -> Result<usize, HistoryError>;
    /// Insert or replace a session of the user.
    async fn save_session(&self, user: &str, session: &StoredSession) -> Result<(), HistoryError>;
    /// One of the user's sessions.
    async fn session(&self, user: &str, id: &str) -> Result<Option<StoredSession>, HistoryError>;
    /// The user's sessions, newest first.
    async fn sessions(&self, user: &str) -> Result<Vec<StoredSession>, HistoryError>;
}

/// Serialises changes to one session within the process (two answers posted at once
/// to one session are taken one after the other).
#[derive(Debug, Default)]
pub struct SessionLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl SessionLocks {
    /// Wait for, then hold, session `id`'s lock.
    pub async fn lock(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.retain(|_, weak| weak.strong_count() > 0);
            match locks.get(id).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(id.to_string(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}
