//! User-level jobs: each command composes the stages (ingest -> normalize -> analyze -> index ->
//! query/report) without any stage knowing about the others.

pub mod bench;
pub mod demo;
pub mod ingest;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use serde::Serialize;

use crate::analyze::components::{
    DedupStage, KeywordStage, MorphologyStage, NormalizeStage, SentimentStage,
};
use crate::analyze::morph::KoreanMorphology;
use crate::analyze::sentiment::SentimentModel;
use crate::analyze::Pipeline;
use crate::error::{Error, UserError};
use crate::index::FeedbackIndex;
use crate::ingest::mapping::{Format, Mapping};
use crate::ingest::InputFile;
use crate::record::Kind;
use crate::segments::SegmentStore;

pub struct Context {
    pub data_dir: PathBuf,
    pub tz: Tz,
    pub progress: bool,
}

/// Where the committed models live: `SORI_MODELS_DIR`, else `models/` beside the executable's
/// checkout, else the source tree this binary was built from.
pub fn models_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SORI_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(4) {
            let candidate = up.join("models");
            if candidate.join("sentiment").is_dir() {
                return candidate;
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// `default` (alias `accurate`: the 6-layer model) is built into the binary (a
/// `SORI_MODELS_DIR` overrides it); `fast` (the 4-layer model) and paths are read from disk.
pub fn load_model(name: &str) -> Result<SentimentModel, Error> {
    let name = if name == "accurate" { "default" } else { name };
    if name == "default" && std::env::var_os("SORI_MODELS_DIR").is_none() {
        return SentimentModel::embedded()
            .map_err(|e| crate::error::InternalError::Model(e.to_string()).into());
    }
    let dir = match name {
        "default" => models_dir().join("sentiment"),
        "fast" => models_dir().join("sentiment-fast"),
        path => PathBuf::from(path),
    };
    SentimentModel::load(&dir).map_err(|e| {
        UserError::Model {
            path: dir.clone(),
            reason: e.to_string(),
        }
        .into()
    })
}

/// The name `load_model("default")` would report, read without loading the weights.
pub fn default_model_name() -> Option<String> {
    if std::env::var_os("SORI_MODELS_DIR").is_none() {
        SentimentModel::name_of(None)
    } else {
        SentimentModel::name_of(Some(&models_dir().join("sentiment")))
    }
}

/// The Korean analyzer with the data dir's user dictionary (`user-dict.csv`) when there is one.
pub fn morphology(data_dir: &Path, user_dict: Option<&Path>) -> Result<KoreanMorphology, Error> {
    let default_dict = data_dir.join("user-dict.csv");
    let dict = user_dict
        .map(Path::to_path_buf)
        .or_else(|| default_dict.is_file().then_some(default_dict));
    let morph = match dict {
        Some(path) => {
            KoreanMorphology::with_user_dictionary(&path).map_err(|e| UserError::BadArgument {
                message: format!("user dictionary {}: {e}", path.display()),
                hint: "one entry a line: surface,pos[,reading], e.g. `소리버즈,NNP`".into(),
            })?
        }
        None => KoreanMorphology::embedded()
            .map_err(|e| crate::error::InternalError::Morphology(e.to_string()))?,
    };
    Ok(morph)
}

pub fn open_index(ctx: &Context, create: bool) -> Result<(FeedbackIndex, KoreanMorphology), Error> {
    let morph = morphology(&ctx.data_dir, None)?;
    let analyzer: Arc<dyn crate::analyze::TermAnalyzer> = Arc::new(morph.clone());
    let index = if create {
        FeedbackIndex::open_or_create(&ctx.data_dir, analyzer)?
    } else {
        FeedbackIndex::open(&ctx.data_dir, analyzer)?
    };
    Ok((index, morph))
}

/// The standard analysis pipeline, in order.
pub fn standard_pipeline(
    index: &FeedbackIndex,
    morph: &KoreanMorphology,
    sentiment: Option<SentimentModel>,
) -> Result<Pipeline, Error> {
    let mut p = Pipeline::new()
        .with(NormalizeStage::new())
        .with(MorphologyStage::new(morph.clone()))
        .with(DedupStage::seeded(&index.existing()?))
        .with(KeywordStage);
    if let Some(model) = sentiment {
        p = p.with(SentimentStage::new(model));
    }
    Ok(p)
}

pub struct IngestRequest {
    pub files: Vec<String>,
    pub kind: Option<Kind>,
    pub map: Option<PathBuf>,
    pub format: Option<Format>,
    pub source: Option<String>,
    pub strict: bool,
    pub sentiment: bool,
    /// The files are full snapshots: documents of their sources that they no longer hold are
    /// removed.
    pub prune: bool,
}

pub fn run_ingest(ctx: &Context, req: &IngestRequest) -> Result<ingest::IngestSummary, Error> {
    let mapping = match &req.map {
        Some(p) => Mapping::load(p)?,
        None => Mapping::default(),
    };
    let tz = match &mapping.timezone {
        Some(name) => {
            crate::ingest::dates::parse_tz(name).ok_or_else(|| UserError::BadMapping {
                path: req
                    .map
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                message: format!("unknown time zone `{name}`"),
            })?
        }
        None => ctx.tz,
    };
    let files = req
        .files
        .iter()
        .map(|f| InputFile::new(f, req.format.or(mapping.format)))
        .collect::<Result<Vec<_>, _>>()?;
    let model = if req.sentiment {
        Some(load_model("default")?)
    } else {
        None
    };
    let (index, morph) = open_index(ctx, true)?;
    let segments = SegmentStore::load(&ctx.data_dir)?;
    let mut pipeline = standard_pipeline(&index, &morph, model)?;
    let summary = ingest::ingest(
        &index,
        &mut pipeline,
        &segments,
        &files,
        &ingest::IngestOptions {
            kind: req.kind,
            mapping: mapping.clone(),
            format: req.format,
            source: req.source.clone(),
            strict: req.strict,
            tz,
            progress: ctx.progress,
            data_dir: &ctx.data_dir,
            commit_every: 50_000,
            prune: req.prune,
            skipped_model: if req.sentiment {
                None
            } else {
                default_model_name()
            },
        },
    )?;
    // Best effort: the note it feeds is advice, and the index is already committed.
    let _ = record_dictionary(&ctx.data_dir, &index, &morph.dictionary_version(), &summary);
    Ok(summary)
}

/// Where ingest records the dictionaries it analyzed with (inside the index folder, which
/// tantivy leaves alone for files it does not manage).
fn dictionary_record(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("sori-dictionary.txt")
}

/// The ids of documents analyzed with an earlier user dictionary than the recorded one.
fn stale_dictionary_ids(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("sori-dictionary-stale.txt")
}

/// Records the dictionary this ingest analyzed with, and which documents still carry an
/// earlier one's analysis: those the index held when the dictionary changed, less every one
/// analyzed again since. Ingesting only a new file after a change must not clear the note,
/// and ingesting every old file again must.
fn record_dictionary(
    data_dir: &Path,
    index: &FeedbackIndex,
    version: &str,
    summary: &ingest::IngestSummary,
) -> Result<(), Error> {
    let recorded = std::fs::read_to_string(dictionary_record(data_dir)).ok();
    let live = index.existing()?;
    let earlier: Vec<String> = match recorded {
        Some(r) if r.trim() != version => live.keys().cloned().collect(),
        _ => std::fs::read_to_string(stale_dictionary_ids(data_dir))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect(),
    };
    let mut stale: Vec<String> = earlier
        .into_iter()
        .filter(|id| live.contains_key(id) && !summary.analyzed.contains(id))
        .collect();
    stale.sort();
    if stale.is_empty() {
        let _ = std::fs::remove_file(stale_dictionary_ids(data_dir));
    } else {
        std::fs::write(stale_dictionary_ids(data_dir), stale.join("\n") + "\n")?;
    }
    std::fs::write(dictionary_record(data_dir), version)?;
    Ok(())
}

pub fn run_search(
    ctx: &Context,
    query: &str,
    limit: usize,
    facets: Vec<String>,
) -> Result<crate::query::SearchResult, Error> {
    let (index, morph) = open_index(ctx, false)?;
    let mut result = crate::query::search(
        &index,
        &crate::query::SearchRequest {
            query: query.to_owned(),
            limit,
            facets,
            tz: ctx.tz,
        },
    )?;
    // The query is analyzed with today's user dictionary, the documents with their ingest's:
    // a brand added since (`소리버즈,NNP`) splits differently in the two and finds nothing.
    // Re-ingesting re-analyzes them (the dictionary is part of each fingerprint).
    let recorded = std::fs::read_to_string(dictionary_record(&ctx.data_dir)).ok();
    let stale = std::fs::read_to_string(stale_dictionary_ids(&ctx.data_dir))
        .map(|ids| ids.lines().count())
        .unwrap_or(0);
    if recorded.is_some_and(|r| r.trim() != morph.dictionary_version()) {
        result.warnings.push(
            "user-dict.csv changed after the last ingest: documents ingested before may not \
             match its words; run `sori ingest` on the same files again to re-analyze them"
                .to_owned(),
        );
    } else if stale > 0 {
        result.warnings.push(format!(
            "user-dict.csv changed, and {stale} document(s) ingested before were not analyzed \
             again and may not match its words; run `sori ingest` on their files again (ids in \
             {})",
            stale_dictionary_ids(&ctx.data_dir).display()
        ));
    }
    Ok(result)
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentsSummary {
    pub file: String,
    pub loaded: usize,
    pub rejected: Vec<crate::ingest::Rejection>,
    pub segment_counts: Vec<(String, usize)>,
    pub documents_rejoined: usize,
    pub as_of: Option<String>,
    /// What was read but not scored, and why (refund-only customers, rows after the as-of
    /// date, an as-of date in the future).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn count_segments<'a>(it: impl Iterator<Item = &'a String>) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for s in it {
        *counts.entry(s.clone()).or_insert(0usize) += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

pub fn segments_load(ctx: &Context, file: &Path) -> Result<SegmentsSummary, Error> {
    let loaded = crate::segments::customers::load_customers(file).map_err(segments_error)?;
    let mut store = SegmentStore::load(&ctx.data_dir)?;
    store.customers = loaded
        .customers
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                crate::segments::CustomerEntry {
                    segments: c.segments.clone(),
                    attributes: c.attributes.clone(),
                },
            )
        })
        .collect();
    store.save(&ctx.data_dir)?;
    let rejoined = rejoin(ctx, &store)?;
    Ok(SegmentsSummary {
        file: file.display().to_string(),
        loaded: loaded.customers.len(),
        rejected: rejections(file, &loaded.rejected),
        segment_counts: count_segments(loaded.customers.iter().flat_map(|c| c.segments.iter())),
        documents_rejoined: rejoined,
        as_of: None,
        notes: Vec::new(),
    })
}

pub fn segments_rfm(
    ctx: &Context,
    file: &Path,
    as_of: Option<&str>,
) -> Result<SegmentsSummary, Error> {
    let as_of = match as_of {
        Some(s) => Some(crate::ingest::dates::parse_date(s).ok_or_else(|| {
            crate::error::bad_argument(format!("cannot read date `{s}`"), "use YYYY-MM-DD")
        })?),
        None => None,
    };
    let orders = crate::segments::rfm::load_orders(file).map_err(segments_error)?;
    let result = crate::segments::rfm::rfm(&orders.orders, as_of);
    let mut store = SegmentStore::load(&ctx.data_dir)?;
    store.rfm = result
        .scores
        .iter()
        .map(|s| {
            (
                s.customer_id.clone(),
                crate::segments::RfmEntry {
                    segment: s.segment.to_string(),
                    r: s.r,
                    f: s.f,
                    m: s.m,
                    recency_days: s.recency_days,
                    frequency: s.frequency,
                    monetary: s.monetary,
                },
            )
        })
        .collect();
    store.rfm_as_of = Some(result.as_of.to_string());
    store.save(&ctx.data_dir)?;
    let rejoined = rejoin(ctx, &store)?;
    let names: Vec<String> = result
        .scores
        .iter()
        .map(|s| s.segment.to_string())
        .collect();
    Ok(SegmentsSummary {
        file: file.display().to_string(),
        loaded: result.scores.len(),
        rejected: rejections(file, &orders.rejected),
        segment_counts: count_segments(names.iter()),
        documents_rejoined: rejoined,
        as_of: Some(result.as_of.to_string()),
        notes: rfm_notes(&result, as_of.is_some()),
    })
}

/// What the scores leave out, said rather than dropped silently.
fn rfm_notes(result: &crate::segments::rfm::RfmResult, as_of_given: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if !result.refund_only.is_empty() {
        let shown: Vec<&str> = result
            .refund_only
            .iter()
            .take(5)
            .map(String::as_str)
            .collect();
        notes.push(format!(
            "{} customer(s) with only refunds are not scored: {}{}",
            result.refund_only.len(),
            shown.join(", "),
            if result.refund_only.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    if result.after_as_of > 0 {
        notes.push(format!(
            "{} order row(s) dated after {} are left out",
            result.after_as_of, result.as_of
        ));
    }
    let today = chrono::Local::now().date_naive();
    if !as_of_given && result.as_of > today.succ_opt().unwrap_or(today) {
        notes.push(format!(
            "the latest order date ({}) is in the future, and recency is counted from it; \
             pass --as-of YYYY-MM-DD, or fix the date",
            result.as_of.pred_opt().unwrap_or(result.as_of)
        ));
    }
    notes
}

fn segments_error(e: impl std::fmt::Display) -> Error {
    crate::error::bad_argument(
        e.to_string(),
        "see README 'Customer segments' for the expected columns",
    )
}

fn rejections(
    file: &Path,
    rejected: &[crate::segments::customers::Rejected],
) -> Vec<crate::ingest::Rejection> {
    rejected
        .iter()
        .map(|r| {
            crate::ingest::Rejection::new(
                &file.display().to_string(),
                r.line,
                r.field.clone(),
                r.reason.clone(),
                None,
            )
        })
        .collect()
}

/// Re-joins every indexed document to the current segments; only documents whose segments or
/// customer attributes changed are rewritten, and no text is re-analyzed.
pub fn rejoin(ctx: &Context, store: &SegmentStore) -> Result<usize, Error> {
    if !FeedbackIndex::index_dir(&ctx.data_dir)
        .join("meta.json")
        .exists()
    {
        return Ok(0);
    }
    let (index, _) = open_index(ctx, false)?;
    let mut writer = index.writer()?;
    let mut changed = 0;
    for mut doc in index.all_documents()? {
        let before = (doc.segments.clone(), doc.customer_attributes.clone());
        store.join(&mut doc);
        if (doc.segments.clone(), doc.customer_attributes.clone()) != before {
            index.upsert(&writer, &doc)?;
            changed += 1;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(changed)
}

pub fn tokenize(
    ctx: &Context,
    user_dict: Option<&Path>,
    content_only: bool,
    out: &mut impl Write,
) -> Result<(), Error> {
    let morph = morphology(&ctx.data_dir, user_dict)?;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        let morphemes = if content_only {
            morph.content_terms(&line)
        } else {
            morph.analyze(&line)
        };
        let rendered: Vec<String> = morphemes
            .iter()
            .map(|m| format!("{}/{}", m.surface, m.tag))
            .collect();
        writeln!(out, "{}", rendered.join(" "))?;
    }
    Ok(())
}

pub struct AnalyzeRequest {
    pub files: Vec<String>,
    pub model: String,
    pub format: Option<Format>,
    /// None: the first of the usual text column names in each file.
    pub text_col: Option<String>,
    /// None: `id` where the file has one, else the line number.
    pub id_col: Option<String>,
}

pub fn analyze(ctx: &Context, req: &AnalyzeRequest, out: &mut impl Write) -> Result<(), Error> {
    crate::analyze::components::analyze_files(ctx, req, out)
}

pub struct EvalRequest {
    pub data: PathBuf,
    /// None: by the file's extension, else by its first lines.
    pub format: Option<crate::ingest::mapping::Format>,
    /// None: found by the usual names (`text`, `document`, `review`, `내용`, ...).
    pub text_col: Option<String>,
    /// None: `label`, `sentiment`, ...; under a stars scheme `rating`, `stars`, `별점`, ... first.
    pub label_col: Option<String>,
    pub scheme: String,
    pub model: String,
    /// A column to break the scores down by (channel, domain, product).
    pub by: Option<String>,
    /// Where to write the misread rows (JSONL).
    pub errors: Option<PathBuf>,
}

pub fn eval_sentiment(req: &EvalRequest, progress: bool) -> Result<crate::eval::EvalReport, Error> {
    crate::eval::eval_sentiment(req, progress)
}
