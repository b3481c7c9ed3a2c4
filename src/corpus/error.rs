//! Errors that stop reading a corpus (a missing path, an unreadable directory).

// Problems with one file's content (empty, binary, not UTF-8) are not errors: they
// are reported as [`super::Skipped`] entries so that the rest of the bank is ingested.

use std::path::PathBuf;

/// Reading story files failed.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A path given to ingest does not exist.
    #[error("{} does not exist: give a story file or a folder of .md/.txt files", .path.display())]
    NotFound { path: PathBuf },
    /// Reading a file or walking a directory failed.
    #[error("could not read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CorpusError {
    /// An I/O error at `path`, with "not found" turned into [`CorpusError::NotFound`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            CorpusError::NotFound { path }
        } else {
            CorpusError::Io { path, source }
        }
    }
}
