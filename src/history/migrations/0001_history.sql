-- Every critique recorded for its user, and the practice sessions (their state as JSON).
CREATE TABLE critiques (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    origin TEXT NOT NULL,
    session_id TEXT,
    question TEXT NOT NULL,
    competency TEXT,
    story_doc_id TEXT,
    overall REAL,
    entry TEXT NOT NULL
);
CREATE INDEX critiques_by_user ON critiques (user_id, id);

CREATE TABLE practice_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL
);
CREATE INDEX practice_sessions_by_user ON practice_sessions (user_id, created_at);
