//! The history in an SQLite file (sqlx, bundled SQLite): WAL journal, migrations
//! embedded in the binary and run on open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{History, HistoryEntry, HistoryError, HistoryRecord, StoredSession};

/// How long a write waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_CONNECTIONS: u32 = 4;

/// The history in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteHistory {
    pool: SqlitePool,
}

impl SqliteHistory {
    /// Open (or create) the database at `path` and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/history/migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Close the pool (waits for connections in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn entry_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<HistoryEntry, HistoryError> {
    let id: i64 = row.try_get("id")?;
    let entry: String = row.try_get("entry")?;
    let record: HistoryRecord = serde_json::from_str(&entry)?;
    Ok(HistoryEntry { id, record })
}

fn session_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<StoredSession, HistoryError> {
    let state: String = row.try_get("state")?;
    let created: String = row.try_get("created_at")?;
    let updated: String = row.try_get("updated_at")?;
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| HistoryError::Database(sqlx::Error::Decode(Box::new(e))))
    };
    Ok(StoredSession {
        id: row.try_get("id")?,
        created_at: time(&created)?,
        updated_at: time(&updated)?,
        finished: row.try_get::<i64, _>("finished")? != 0,
        state: serde_json::from_str(&state)?,
    })
}

#[async_trait]
impl History for SqliteHistory {
    async fn record(&self, user: &str, record: &HistoryRecord) -> Result<i64, HistoryError> {
        let entry = serde_json::to_string(record)?;
        let result = sqlx::query(
            "INSERT INTO critiques (user_id, recorded_at, origin, session_id, question, competency, story_doc_id, overall, entry)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(record.recorded_at.to_rfc3339())
        .bind(record.origin.as_str())
        .bind(record.session_id.as_deref())
        .bind(&record.question)
        .bind(record.competency.as_deref())
        .bind(record.story.as_ref().map(|s| s.doc_id.as_str()))
        .bind(record.overall)
        .bind(entry)
        .execute(&self.pool)
        .await?;
        Ok(result.last_insert_rowid())
    }

    async fn entries(
        &self,
        user: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<HistoryEntry>, usize), HistoryError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM critiques WHERE user_id = ?")
            .bind(user)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT id, entry FROM critiques WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        )
        .bind(user)
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<_, _>>()?;
        Ok((entries, total as usize))
    }

    async fn all_entries(&self, user: &str) -> Result<Vec<HistoryEntry>, HistoryError> {
        let rows = sqlx::query("SELECT id, entry FROM critiques WHERE user_id = ? ORDER BY id")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn delete(&self, user: &str, id: i64) -> Result<bool, HistoryError> {
        let result = sqlx::query("DELETE FROM critiques WHERE user_id = ? AND id = ?")
            .bind(user)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn delete_all(&self, user: &str) -> Result<usize, HistoryError> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query("DELETE FROM critiques WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM practice_sessions WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected() as usize)
    }

    async fn save_session(&self, user: &str, session: &StoredSession) -> Result<(), HistoryError> {
        // The id is a random UUID, so another user's session cannot share it; the
        // update is still scoped to the user.
        let state = serde_json::to_string(&session.state)?;
        sqlx::query(
            "INSERT INTO practice_sessions (id, user_id, created_at, updated_at, finished, state)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
                 finished = excluded.finished, state = excluded.state
             WHERE practice_sessions.user_id = excluded.user_id",
        )
        .bind(&session.id)
        .bind(user)
        .bind(session.created_at.to_rfc3339())
        .bind(session.updated_at.to_rfc3339())
        .bind(session.finished as i64)
        .bind(state)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, user: &str, id: &str) -> Result<Option<StoredSession>, HistoryError> {
        let row = sqlx::query(
            "SELECT id, created_at, updated_at, finished, state FROM practice_sessions WHERE user_id = ? AND id = ?",
        )
        .bind(user)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn sessions(&self, user: &str) -> Result<Vec<StoredSession>, HistoryError> {
        let rows = sqlx::query(
            "SELECT id, created_at, updated_at, finished, state FROM practice_sessions WHERE user_id = ? ORDER BY created_at DESC, id",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }
}
