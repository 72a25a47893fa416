//! Shared test helpers: a real data dir in a temp folder, the real dictionary and models.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sori::jobs::{self, Context, IngestRequest};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn ctx(dir: &Path) -> Context {
    Context {
        data_dir: dir.to_path_buf(),
        tz: chrono_tz::Asia::Seoul,
        progress: false,
    }
}

pub fn ingest(ctx: &Context, file: &Path) -> jobs::ingest::IngestSummary {
    ingest_with(ctx, file, None, false).expect("ingest")
}

pub fn ingest_with(
    ctx: &Context,
    file: &Path,
    map: Option<PathBuf>,
    strict: bool,
) -> Result<jobs::ingest::IngestSummary, sori::error::Error> {
    jobs::run_ingest(
        ctx,
        &IngestRequest {
            files: vec![file.display().to_string()],
            kind: None,
            map,
            format: None,
            source: Some("t".into()),
            strict,
            sentiment: false,
            prune: false,
        },
    )
}

/// Ids of the hits for `q`, sorted.
pub fn ids(ctx: &Context, q: &str) -> Vec<String> {
    let r = jobs::run_search(ctx, q, 100, vec![]).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}
