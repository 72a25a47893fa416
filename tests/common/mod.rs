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
            map,
            strict,
            ..request(file)
        },
    )
}

/// Runs an ingest that must succeed, e.g. `run(&c, IngestRequest { prune: true, ..request(&f) })`.
pub fn run(ctx: &Context, req: IngestRequest) -> jobs::ingest::IngestSummary {
    jobs::run_ingest(ctx, &req).expect("ingest")
}

/// Ingest of one file as source `t`, without the model, pruning or a mapping; tests change
/// what they exercise with `IngestRequest { sentiment: true, ..request(&path) }`.
pub fn request(file: &Path) -> IngestRequest {
    IngestRequest {
        files: vec![file.display().to_string()],
        kind: None,
        map: None,
        format: None,
        source: Some("t".into()),
        strict: false,
        sentiment: false,
        prune: false,
    }
}

/// Runs `sori ARGS` with `input` on stdin and returns its output.
pub fn piped(args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sori"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Ids of the hits for `q`, sorted.
pub fn ids(ctx: &Context, q: &str) -> Vec<String> {
    let r = jobs::run_search(ctx, q, 100, vec![]).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}
