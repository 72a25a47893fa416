//! `sori ingest`: files in, documents in the index out. Accounting is exact for every input:
//! records read = ingested + unchanged + quarantined.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono_tz::Tz;
use serde::Serialize;

use crate::analyze::components::DedupStage;
use crate::analyze::{Component, Pipeline};
use crate::error::Error;
use crate::index::{Existing, FeedbackIndex};
use crate::ingest::encoding::TextEncoding;
use crate::ingest::layout;
use crate::ingest::mapping::{aliases, find, Format, Mapping, OneOrMany};
use crate::ingest::quarantine::Quarantine;
use crate::ingest::{reader, resolve_for, InputFile, Rejection, RowMapper};
use crate::record::{Analysis, Document, Kind, RatingScale, Record};
use crate::segments::SegmentStore;

pub struct IngestOptions<'a> {
    pub kind: Option<Kind>,
    pub mapping: Mapping,
    pub format: Option<Format>,
    pub source: Option<String>,
    pub strict: bool,
    pub tz: Tz,
    pub progress: bool,
    pub data_dir: &'a Path,
    /// Commit after this many changed documents, bounding what a crash can lose.
    pub commit_every: usize,
    /// When the sentiment stage is skipped (`--no-sentiment`): the name of the model a
    /// scored run would use. A document that run left with the same content keeps its scores
    /// instead of being rewritten without them.
    pub skipped_model: Option<String>,
    /// See `IngestRequest::prune`.
    pub prune: bool,
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct FileSummary {
    pub file: String,
    pub source: String,
    pub rows: u64,
    /// Text records produced plus rows rejected: what `read = ingested + unchanged + quarantined` counts.
    pub records_read: u64,
    pub ingested_new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub quarantined: u64,
    /// Optional text columns left empty (an unanswered survey question); not records.
    pub empty_answers: u64,
    pub quarantine_file: Option<String>,
    /// What the file was decoded from; absent for UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// How a file whose name or first row did not say was read: its format, and its text
    /// column when the file has no header row; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// With `--prune`: documents of the source the file no longer holds, removed; or why
    /// nothing was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pruned: Option<String>,
}

impl FileSummary {
    pub fn ingested(&self) -> u64 {
        self.ingested_new + self.updated
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestSummary {
    pub files: Vec<FileSummary>,
    pub docs_in_index: u64,
    pub seconds: f64,
    pub docs_per_second: f64,
    pub pipeline: Vec<&'static str>,
    /// Documents flagged as copies of a record this run changed or removed, whose flags were
    /// checked again (and rewritten where they changed).
    pub copies_rechecked: u64,
    /// Ids of the documents this run analyzed (new or changed), for the dictionary record.
    #[serde(skip)]
    pub analyzed: HashSet<String>,
}

/// What a run did to which ids, beyond the counts.
#[derive(Default)]
struct Ledger {
    /// Ids whose text this run changed or whose document it removed: copies flagged against
    /// them are checked again at the end.
    changed: HashSet<String>,
    /// Ids this run analyzed and wrote.
    analyzed: HashSet<String>,
}

impl IngestSummary {
    pub fn total(&self, f: impl Fn(&FileSummary) -> u64) -> u64 {
        self.files.iter().map(f).sum()
    }
}

/// Hash of what was read plus the pipeline that analyzed it: equal means nothing to do.
pub fn fingerprint(record: &Record, pipeline_signature: &str) -> u64 {
    let mut r = record.clone();
    // Where a record was read from is not part of what it says.
    r.file.clear();
    r.line = 0;
    let mut bytes = serde_json::to_vec(&r).unwrap_or_default();
    bytes.extend_from_slice(pipeline_signature.as_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Two files of one run that would share a source (`jan/reviews.csv` and `feb/reviews.csv`,
/// `x.csv` and `x.txt`) are refused before anything is written: record ids are per source, so
/// the second file's records would silently replace the first's.
fn check_sources_apart(files: &[InputFile], opts: &IngestOptions) -> Result<(), Error> {
    if opts.source.is_some() || opts.mapping.source.is_some() {
        if opts.prune && files.len() > 1 {
            return Err(crate::error::bad_argument(
                "--prune with one source for several files would remove each file's documents \
                 while the next is read",
                "prune one snapshot file at a time, or leave out --prune",
            ));
        }
        // Named by the user: files meant to be one source (daily exports of one channel).
        return Ok(());
    }
    let mut seen: HashMap<String, &InputFile> = HashMap::new();
    for input in files {
        if let Some(first) = seen.insert(input.default_source(), input) {
            if first.path != input.path {
                return Err(crate::error::bad_argument(
                    format!(
                        "{} and {} would both be source `{}`, and the records of one would replace the other's",
                        display_path(first),
                        display_path(input),
                        input.default_source()
                    ),
                    "ingest them in separate runs with --source NAME for each, or rename one of the files",
                ));
            }
        }
    }
    Ok(())
}

fn display_path(input: &InputFile) -> String {
    input
        .path
        .as_ref()
        .map_or_else(|| input.name.clone(), |p| p.display().to_string())
}

pub fn ingest(
    index: &FeedbackIndex,
    pipeline: &mut Pipeline,
    segments: &SegmentStore,
    files: &[InputFile],
    opts: &IngestOptions,
) -> Result<IngestSummary, Error> {
    check_sources_apart(files, opts)?;
    let started = Instant::now();
    let signature = pipeline.signature();
    let scored_signature = opts
        .skipped_model
        .as_ref()
        .map(|model| format!("{signature},sentiment@{model}"));
    let mut existing: HashMap<String, Existing> = index.existing()?;
    let mut writer = index.writer()?;
    let mut summary = IngestSummary {
        pipeline: pipeline.names(),
        ..Default::default()
    };
    let mut since_commit = 0usize;
    let mut processed = 0u64;
    let mut ledger = Ledger::default();

    for input in files {
        let mut fs = FileSummary {
            file: input.name.clone(),
            ..Default::default()
        };
        let mut rows = reader::read(input.open()?, input.format, &input.name)?;
        fs.encoding = Some(rows.encoding.name()).filter(|_| rows.encoding != TextEncoding::Utf8);
        let kind = opts.kind.or(opts.mapping.kind).unwrap_or(Kind::Review);
        let (mapping, guessed_scale, text_by_values) =
            with_guessed_columns(&opts.mapping, &mut rows, kind);
        let resolved = resolve_for(
            input,
            &rows.header,
            &mapping,
            opts.kind,
            opts.source.as_deref(),
        )?;
        fs.source = resolved.source.clone();
        fs.layout = layout_note(input, &rows, &resolved, guessed_scale, text_by_values);
        let mapper = RowMapper {
            resolved: &resolved,
            tz: opts.tz,
            file: &input.name,
        };
        let mut quarantine = Quarantine::for_input(opts.data_dir, &input.name);
        let bar = progress_bar(opts.progress, &input.name);
        let mut seen_in_run: HashMap<String, u64> = HashMap::new();
        let mut content_copies: HashMap<String, u32> = HashMap::new();
        let mut batch: Vec<Document> = Vec::with_capacity(BATCH);

        let mut reject = |rej: Rejection, fs: &mut FileSummary| -> Result<(), Error> {
            if opts.strict {
                return Err(rej.to_user_error());
            }
            quarantine.write(&redacted(rej))?;
            fs.quarantined += 1;
            fs.records_read += 1;
            Ok(())
        };

        for row in rows.rows {
            fs.rows += 1;
            bar.inc(1);
            let row = match row {
                Ok(r) => r,
                Err(rej) => {
                    reject(rej, &mut fs)?;
                    continue;
                }
            };
            let mapped = match mapper.map(&row) {
                Ok(m) => m,
                Err(rej) => {
                    reject(rej, &mut fs)?;
                    continue;
                }
            };
            fs.empty_answers += mapped.empty_answers as u64;
            for mut record in mapped.records {
                if resolved.id.is_none() {
                    // Without an id column the id is the row's content hash, so the same short
                    // review twice ("좋아요") is two customers, not a repeated id: the k-th copy
                    // gets `~k`, stable when the file is re-ingested or appended to. The dedup
                    // stage still flags it as a duplicate.
                    let copies = content_copies.entry(record.id.clone()).or_insert(0u32);
                    *copies += 1;
                    if *copies > 1 {
                        record.id = format!("{}~{copies}", record.id);
                    }
                }
                if let Some(first) = seen_in_run.get(&record.id) {
                    let rej = Rejection::new(
                        &input.name,
                        record.line,
                        Some(record.field.clone()),
                        format!(
                            "duplicate id `{}`: first seen at line {first} of this run",
                            record.id
                        ),
                        Some(record.text.clone()),
                    );
                    reject(rej, &mut fs)?;
                    continue;
                }
                seen_in_run.insert(record.id.clone(), record.line);
                fs.records_read += 1;
                let fp = fingerprint(&record, &signature);
                match existing.get(&record.id) {
                    Some(e) if e.fingerprint == fp => {
                        fs.unchanged += 1;
                        continue;
                    }
                    Some(e)
                        if scored_signature
                            .as_ref()
                            .is_some_and(|sig| e.fingerprint == fingerprint(&record, sig)) =>
                    {
                        fs.unchanged += 1;
                        continue;
                    }
                    Some(_) => fs.updated += 1,
                    None => fs.ingested_new += 1,
                }
                batch.push(Document {
                    record,
                    analysis: Analysis::default(),
                    segments: Vec::new(),
                    customer_attributes: Default::default(),
                    fingerprint: fp,
                    terms: Vec::new(),
                });
                if batch.len() >= BATCH {
                    since_commit += flush(
                        index,
                        &writer,
                        pipeline,
                        segments,
                        &mut batch,
                        &mut existing,
                        &mut ledger,
                    )?;
                }
            }
            if since_commit >= opts.commit_every {
                writer.commit()?;
                since_commit = 0;
            }
        }
        since_commit += flush(
            index,
            &writer,
            pipeline,
            segments,
            &mut batch,
            &mut existing,
            &mut ledger,
        )?;
        processed += fs.ingested();
        if opts.prune {
            fs.pruned = Some(prune_source(
                index,
                &writer,
                &mut existing,
                &mut ledger.changed,
                &fs,
                &seen_in_run,
            ));
        }
        bar.finish_and_clear();
        fs.quarantine_file = quarantine.finish()?.map(|p| p.display().to_string());
        summary.files.push(fs);
    }
    let _ = since_commit;
    writer.commit()?;
    writer.wait_merging_threads()?;
    index.reader.reload()?;
    if !ledger.changed.is_empty() {
        summary.copies_rechecked = recheck_copies_of(index, &ledger.changed)?;
    }
    summary.analyzed = ledger.analyzed;
    summary.docs_in_index = index.num_docs();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.docs_per_second = processed as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// Deletes the documents of `fs.source` that this run did not see in its file. Skipped for a
/// file with quarantined rows: a row malformed this time is not a row that left the export.
fn prune_source(
    index: &FeedbackIndex,
    writer: &tantivy::IndexWriter,
    existing: &mut HashMap<String, Existing>,
    changed: &mut HashSet<String>,
    fs: &FileSummary,
    seen: &HashMap<String, u64>,
) -> String {
    if fs.quarantined > 0 {
        return format!(
            "not pruned: {} rows were quarantined, and their documents are kept",
            fs.quarantined
        );
    }
    let prefix = format!("{}:", fs.source);
    let gone: Vec<String> = existing
        .keys()
        .filter(|id| id.starts_with(&prefix) && !seen.contains_key(*id))
        .cloned()
        .collect();
    for id in &gone {
        index.delete(writer, id);
        existing.remove(id);
        changed.insert(id.clone());
    }
    format!(
        "{} document(s) of source `{}` no longer in the file removed",
        gone.len(),
        fs.source
    )
}

const BATCH: usize = 256;

fn flush(
    index: &FeedbackIndex,
    writer: &tantivy::IndexWriter,
    pipeline: &mut Pipeline,
    segments: &SegmentStore,
    batch: &mut Vec<Document>,
    existing: &mut HashMap<String, Existing>,
    ledger: &mut Ledger,
) -> Result<usize, Error> {
    if batch.is_empty() {
        return Ok(0);
    }
    pipeline.process(batch)?;
    for doc in batch.iter_mut() {
        segments.join(doc);
        index.upsert(writer, doc)?;
        let before = existing.insert(
            doc.record.id.clone(),
            Existing {
                fingerprint: doc.fingerprint,
                content_hash: doc.analysis.content_hash,
                simhash: doc.analysis.simhash,
            },
        );
        if before.is_some_and(|b| {
            (b.content_hash, b.simhash) != (doc.analysis.content_hash, doc.analysis.simhash)
        }) {
            ledger.changed.insert(doc.record.id.clone());
        }
        ledger.analyzed.insert(doc.record.id.clone());
    }
    let n = batch.len();
    batch.clear();
    Ok(n)
}

/// Checks again, against the committed index, every document flagged as a copy of a record in
/// `changed`: a copy of a review that was since edited or removed is no longer a copy of it.
/// Such a document is not in this run's input (or was unchanged in it), so nothing else would
/// revisit its flag. Only the flags are rewritten; the text is not analyzed again. Returns how
/// many documents were checked.
fn recheck_copies_of(index: &FeedbackIndex, changed: &HashSet<String>) -> Result<u64, Error> {
    fn original(d: &Document) -> Option<&str> {
        let a = &d.analysis;
        a.duplicate_of.as_deref().or(a.near_duplicate_of.as_deref())
    }
    let copies = index.flagged_copies()?;
    let mut stale: Vec<Document> = copies
        .iter()
        .filter(|d| original(d).is_some_and(|of| changed.contains(of)))
        .cloned()
        .collect();
    if stale.is_empty() {
        return Ok(0);
    }
    let stale_ids: HashSet<String> = stale.iter().map(|d| d.record.id.clone()).collect();
    // A document flagged as a copy of a stale one stays its copy; letting it seed the check
    // would flag the two as copies of each other.
    let copies_of_stale: HashSet<&str> = copies
        .iter()
        .filter(|d| original(d).is_some_and(|of| stale_ids.contains(of)))
        .map(|d| d.record.id.as_str())
        .collect();
    let mut seed = index.existing()?;
    seed.retain(|id, _| !stale_ids.contains(id) && !copies_of_stale.contains(id.as_str()));
    stale.sort_by(|a, b| a.record.id.cmp(&b.record.id));
    let before: Vec<(Option<String>, Option<String>)> = stale
        .iter()
        .map(|d| {
            (
                d.analysis.duplicate_of.clone(),
                d.analysis.near_duplicate_of.clone(),
            )
        })
        .collect();
    DedupStage::seeded(&seed).process(&mut stale)?;
    let mut writer = index.writer()?;
    for (doc, (dup, near)) in stale.iter().zip(before) {
        if (&doc.analysis.duplicate_of, &doc.analysis.near_duplicate_of) != (&dup, &near) {
            index.upsert(&writer, doc)?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    index.reader.reload()?;
    Ok(stale.len() as u64)
}

/// Quarantined rows keep their raw text for fixing, but never the PII in it.
fn redacted(mut rej: Rejection) -> Rejection {
    if let Some(raw) = &rej.raw {
        rej.raw = Some(crate::normalize::redact_only(raw));
    }
    rej
}

fn progress_bar(enabled: bool, name: &str) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} rows {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(name.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn layout_note(
    input: &InputFile,
    rows: &reader::Rows,
    resolved: &crate::ingest::mapping::Resolved,
    guessed_scale: Option<RatingScale>,
    text_by_values: bool,
) -> Option<String> {
    let format = format!("{:?}", input.format).to_lowercase();
    let read_as = match (rows.positional, input.format_guessed) {
        (false, _) if text_by_values => Some(format!(
            "no usual text column name; text from `{}`, found by its values",
            resolved.text.join(", ")
        )),
        (true, _) => Some(format!(
            "read as {format} without a header row; columns named by position, text from \
             column {}",
            resolved.text.join(", ")
        )),
        (false, true) if input.format == Format::Lines => Some("read as one text per line".into()),
        (false, true) => Some(format!("read as {format} (from its first lines)")),
        (false, false) => None,
    };
    let scale = guessed_scale.map(|scale| {
        let (lo, hi) = scale.range();
        format!(
            "ratings in `{}` read on the {} scale ({lo}-{hi}), from their values",
            resolved.rating.as_deref().unwrap_or_default(),
            scale.as_str()
        )
    });
    match (read_as, scale) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// What the mapping leaves open and the file's values tell. A file without a header row names
/// its columns by position, which no usual name matches: unless the mapping names the text
/// column, the one whose values read as text is taken (the other columns stay attributes `1`,
/// `2`, ...). A review file's ratings are taken as 1-5 stars unless the mapping gives a
/// scale; when the sampled ratings go above 5 (a 10-star export such as Naver's), they are
/// read as 1-10 instead of quarantining every rating over 5.
fn with_guessed_columns(
    mapping: &Mapping,
    rows: &mut reader::Rows,
    kind: Kind,
) -> (Mapping, Option<RatingScale>, bool) {
    let mut mapping = mapping.clone();
    // No header row, or headers no list knows (`리뷰 본문 내용`, `Comments`): the text column is
    // found by its values, as `analyze` and `eval` find it, rather than the file refused.
    let guess_text = mapping.columns.text.is_none()
        && (rows.positional || find(&rows.header, aliases::TEXT).is_none());
    // A survey's 0-10 default (NPS) and a column named for NPS or CSAT already fit.
    let rating_col = mapping
        .columns
        .rating
        .clone()
        .or_else(|| find(&rows.header, aliases::RATING))
        .filter(|c| {
            let c = c.to_lowercase();
            !c.contains("nps") && !c.contains("csat")
        })
        .filter(|_| mapping.rating.scale.is_none() && kind != Kind::Survey);
    if !guess_text && rating_col.is_none() {
        return (mapping, None, false);
    }
    let sample = rows.sample(layout::SAMPLE_ROWS);
    let mut text_by_values = false;
    if guess_text {
        mapping.columns.text = layout::text_column(&rows.header, &sample).map(OneOrMany::One);
        text_by_values = mapping.columns.text.is_some() && !rows.positional;
    }
    let scale = rating_col.and_then(|col| layout::rating_scale(&sample, &col));
    if scale.is_some() {
        mapping.rating.scale = scale;
    }
    (mapping, scale, text_by_values)
}
