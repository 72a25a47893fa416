//! Errors split the way meilisearch's milli does: a [`UserError`] is something the person running
//! sori can fix (a bad file, a bad query, a missing index) and always carries a hint written for a
//! CX analyst; an [`InternalError`] is our fault or the machine's, and is reported as a bug.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::User(e) => Some(e.hint()),
            Error::Internal(_) => None,
        }
    }

    /// Exit codes: 2 for things the user can fix, 1 for internal failures, as `grep` does.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::User(_) => 2,
            Error::Internal(_) => 1,
        }
    }
}

/// Where in an input file a problem sits. `line` is 1-based and counts physical lines, so it
/// matches what an editor shows even when a CSV field spans several lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("cannot read {path}: {reason}")]
    UnreadableFile { path: PathBuf, reason: String },
    #[error("{path} is {kind}, not a text table")]
    NotText { path: PathBuf, kind: &'static str },
    #[error("mapping {path}: {message}")]
    BadMapping { path: String, message: String },
    #[error("{file}: column `{column}` named by {named_by} is not in the header")]
    MissingColumn {
        file: String,
        column: String,
        /// Where the name came from (`the mapping`, `--by`), so the hint says what to fix.
        named_by: String,
        available: Vec<String>,
    },
    #[error("{location}: {reason}")]
    BadRecord { location: Location, reason: String },
    #[error("bad query: {message}\n{rendered}")]
    BadQuery {
        message: String,
        rendered: String,
        hint: String,
    },
    #[error("no index in {data_dir}")]
    NoIndex { data_dir: PathBuf },
    #[error("model not found or unreadable at {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("{message}")]
    BadArgument { message: String, hint: String },
}

impl UserError {
    pub fn hint(&self) -> String {
        match self {
            UserError::UnreadableFile { .. } => {
                "check the path and that the file is readable; use `-` to read from stdin".into()
            }
            UserError::NotText { .. } => {
                "sori reads CSV, TSV, JSONL and one-text-per-line files (UTF-8, CP949 or UTF-16, \
                 plain or .gz); from Excel, save as \"CSV UTF-8\" (File > Save As)"
                    .into()
            }
            UserError::BadMapping { .. } => {
                "see the mapping format in README.md (section 'Mapping files')".into()
            }
            UserError::MissingColumn {
                available,
                named_by,
                ..
            } => format!(
                "the file's columns are: {}; fix the name in {named_by}",
                available.join(", ")
            ),
            UserError::BadRecord { .. } => {
                "fix the record, or run without --strict to quarantine bad records and go on"
                    .into()
            }
            UserError::BadQuery { hint, .. } => hint.clone(),
            UserError::NoIndex { .. } => {
                "run `sori ingest FILE` (or `sori demo`) first, or point --data-dir / SORI_DATA_DIR at an existing data dir".into()
            }
            UserError::Model { .. } => {
                "models ship in the repository under models/; set SORI_MODELS_DIR if you moved them".into()
            }
            UserError::BadArgument { hint, .. } => hint.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("morphology error: {0}")]
    Morphology(String),
    #[error("model error: {0}")]
    Model(String),
    #[error("{0}")]
    Other(String),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(e.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(e.into())
    }
}

impl From<tantivy::query::QueryParserError> for Error {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        Error::Internal(InternalError::Other(format!("query construction: {e}")))
    }
}

pub fn internal(msg: impl Into<String>) -> Error {
    Error::Internal(InternalError::Other(msg.into()))
}

pub fn bad_argument(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::User(UserError::BadArgument {
        message: message.into(),
        hint: hint.into(),
    })
}
