//! The standard pipeline components. Each wraps one stage module (normalize, morph, dedup,
//! keywords, sentiment) behind the [`Component`] trait and does nothing else.

use std::collections::HashMap;
use std::io::Write;

use rayon::prelude::*;

use super::keywords::keywords;
use super::morph::KoreanMorphology;
use super::sentiment::SentimentModel;
use super::{Component, Term, TermAnalyzer};
use crate::error::{Error, InternalError};
use crate::index::Existing;
use crate::normalize::{self, DupFlag, DuplicateDetector, Normalizer};
use crate::record::{Document, Emotion, PiiCount, SentenceSentiment, Sentiment};

/// Unicode, noise, chat style, entities, PII, language.
pub struct NormalizeStage {
    normalizer: Normalizer,
}

impl NormalizeStage {
    pub fn new() -> Self {
        NormalizeStage {
            normalizer: Normalizer::default(),
        }
    }
}

impl Default for NormalizeStage {
    fn default() -> Self {
        Self::new()
    }
}

impl Component for NormalizeStage {
    fn name(&self) -> &'static str {
        "normalize"
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        batch.par_iter_mut().for_each(|doc| {
            let n = self.normalizer.normalize(&doc.record.text);
            let a = &mut doc.analysis;
            a.lang = n.lang.as_str().to_owned();
            a.pii = n
                .pii
                .iter()
                .map(|p| PiiCount {
                    kind: p.kind.as_str().to_owned(),
                    count: p.count,
                })
                .collect();
            a.urls = n.urls;
            a.mentions = n.mentions;
            a.hashtags = n.hashtags;
            a.emoji = n.emoji;
            a.content_hash = normalize::content_hash(&n.text);
            // From here on only the redacted text exists.
            doc.record.text = n.text;
        });
        Ok(())
    }
}

/// Korean morphology: the index terms of each document, and its SimHash over them.
pub struct MorphologyStage {
    morph: KoreanMorphology,
}

impl MorphologyStage {
    pub fn new(morph: KoreanMorphology) -> Self {
        MorphologyStage { morph }
    }
}

impl Component for MorphologyStage {
    fn name(&self) -> &'static str {
        "morphology"
    }

    fn version(&self) -> String {
        self.morph.dictionary_version()
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        batch.par_iter_mut().for_each(|doc| {
            let terms = super::terms::index_terms(&self.morph, &doc.record.text);
            doc.analysis.simhash = if terms.len() >= normalize::MIN_SIMHASH_FEATURES {
                normalize::simhash64(terms.iter().map(|t| t.text.as_str()))
            } else {
                // Too few morphemes to fingerprint (ㅋㅋ, one-word reviews): use characters.
                let grams = normalize::char_ngrams(&doc.record.text, 2);
                normalize::simhash64(grams.iter().map(String::as_str))
            };
            doc.terms = terms;
        });
        Ok(())
    }
}

/// Exact and near-duplicate flags, first seen wins; seeded from what the index already holds.
pub struct DedupStage {
    detector: DuplicateDetector,
}

impl DedupStage {
    pub const MAX_HAMMING: u32 = 3;

    pub fn seeded(existing: &HashMap<String, Existing>) -> Self {
        let mut detector = DuplicateDetector::new(Self::MAX_HAMMING);
        let mut seeds: Vec<_> = existing.iter().collect();
        // Deterministic seeding order, so the same input always flags the same documents.
        seeds.sort_by(|a, b| a.0.cmp(b.0));
        for (id, e) in seeds {
            detector.insert(id, e.content_hash, e.simhash);
        }
        DedupStage { detector }
    }
}

impl Component for DedupStage {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        for doc in batch.iter_mut() {
            let a = &mut doc.analysis;
            a.duplicate_of = None;
            a.near_duplicate_of = None;
            match self
                .detector
                .insert(&doc.record.id, a.content_hash, a.simhash)
            {
                DupFlag::Unique => {}
                DupFlag::Exact { of } => a.duplicate_of = Some(of),
                DupFlag::Near { of, .. } => a.near_duplicate_of = Some(of),
            }
        }
        Ok(())
    }
}

/// Keywords: the document's most salient nouns and foreign words.
#[derive(Default)]
pub struct KeywordStage;

impl Component for KeywordStage {
    fn name(&self) -> &'static str {
        "keywords"
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        for doc in batch.iter_mut() {
            doc.analysis.keywords = keywords(&doc.terms, 5);
        }
        Ok(())
    }
}

/// Document, sentence and emotion scores from the committed transformer model.
pub struct SentimentStage {
    model: SentimentModel,
}

impl SentimentStage {
    pub fn new(model: SentimentModel) -> Self {
        SentimentStage { model }
    }
}

impl Component for SentimentStage {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn version(&self) -> String {
        self.model.name().to_owned()
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        let texts: Vec<&str> = batch.iter().map(|d| d.record.text.as_str()).collect();
        let results = self
            .model
            .analyze_batch(&texts)
            .map_err(|e| InternalError::Model(e.to_string()))?;
        for (doc, r) in batch.iter_mut().zip(results) {
            apply_sentiment(&mut doc.analysis, r);
        }
        Ok(())
    }
}

pub fn to_sentiment(s: &super::sentiment::SentimentScore) -> Sentiment {
    Sentiment {
        label: match s.label {
            super::sentiment::Polarity::Negative => crate::record::Polarity::Negative,
            super::sentiment::Polarity::Neutral => crate::record::Polarity::Neutral,
            super::sentiment::Polarity::Positive => crate::record::Polarity::Positive,
        },
        score: s.score,
        probs: s.probs,
    }
}

fn apply_sentiment(a: &mut crate::record::Analysis, r: super::sentiment::DocSentiment) {
    a.sentiment = Some(to_sentiment(&r.doc));
    a.sentences = r
        .sentences
        .iter()
        .map(|(text, s)| SentenceSentiment {
            text: text.clone(),
            sentiment: to_sentiment(s),
        })
        .collect();
    a.emotions = r
        .emotions
        .into_iter()
        .map(|e| Emotion {
            label: e.label,
            p: e.p,
        })
        .collect();
}

/// `sori analyze`: normalize and score records from files or stdin, one JSON line each.
pub fn analyze_files(
    ctx: &crate::jobs::Context,
    req: &crate::jobs::AnalyzeRequest,
    out: &mut impl Write,
) -> Result<(), Error> {
    let _ = ctx;
    let model = crate::jobs::load_model(&req.model)?;
    let normalizer = Normalizer::default();
    let inputs: Vec<String> = if req.files.is_empty() {
        vec!["-".into()]
    } else {
        req.files.clone()
    };
    for name in &inputs {
        // A file's format comes from its name or, failing that, its first lines; stdin has
        // neither and is JSONL unless --format says otherwise.
        let format = match (req.format, name.as_str()) {
            (None, "-") => Some(crate::ingest::mapping::Format::Jsonl),
            (format, _) => format,
        };
        let input = crate::ingest::InputFile::new(name, format)?;
        let mut rows = crate::ingest::reader::read(input.open()?, input.format, &input.name)?;
        let text_col =
            crate::ingest::layout::pick_text_column(&mut rows, req.text_col.as_ref(), &input.name)?
                .column;
        let id_col = match &req.id_col {
            Some(named) => crate::ingest::mapping::pick_column(
                &rows.header,
                Some(named),
                &[],
                "--id-col",
                &input.name,
            )?,
            None => "id".to_owned(),
        };
        // stdin is JSONL unless told otherwise; plain text piped in fails every line, so the
        // first such failure says what to pass.
        let mut hint_plain_text = name == "-" && req.format.is_none();
        let mut pending: Vec<(String, u64, normalize::Normalized)> = Vec::new();
        let flush = |pending: &mut Vec<(String, u64, normalize::Normalized)>,
                     out: &mut dyn Write|
         -> Result<(), Error> {
            let texts: Vec<&str> = pending.iter().map(|p| p.2.text.as_str()).collect();
            let scored = model
                .analyze_batch(&texts)
                .map_err(|e| InternalError::Model(e.to_string()))?;
            for ((id, _line, n), r) in pending.drain(..).zip(scored) {
                let mut a = crate::record::Analysis::default();
                apply_sentiment(&mut a, r);
                let line = serde_json::json!({
                    "id": id,
                    "lang": n.lang.as_str(),
                    "text": n.text,
                    "sentiment": sentiment_json(a.sentiment.as_ref()),
                    "sentences": a.sentences.iter().map(|s| serde_json::json!({
                        "text": s.text, "sentiment": sentiment_json(Some(&s.sentiment))
                    })).collect::<Vec<_>>(),
                    "emotions": a.emotions,
                    "pii": n.pii.iter().map(|p| serde_json::json!({"kind": p.kind.as_str(), "count": p.count})).collect::<Vec<_>>(),
                    "hashtags": n.hashtags,
                    "mentions": n.mentions,
                    "urls": n.urls,
                    "emoji": n.emoji,
                });
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
            Ok(())
        };
        for row in rows.rows {
            match row {
                Err(rej) => {
                    if hint_plain_text && rej.reason.starts_with("invalid JSON") {
                        hint_plain_text = false;
                        eprintln!(
                            "hint: stdin is read as JSONL ({{\"id\": ..., \"text\": ...}} per line); \
                             for plain text, one per line, pass --format lines"
                        );
                    }
                    let line = serde_json::json!({"file": rej.file, "line": rej.line, "field": rej.field, "error": rej.reason});
                    serde_json::to_writer(&mut *out, &line)?;
                    writeln!(out)?;
                }
                Ok(row) => match row
                    .values
                    .get(&text_col)
                    .filter(|t| crate::normalize::has_visible(t))
                {
                    None => {
                        let line = serde_json::json!({"file": input.name, "line": row.line, "field": text_col, "error": "no text in this field"});
                        serde_json::to_writer(&mut *out, &line)?;
                        writeln!(out)?;
                    }
                    Some(text) => {
                        let id = row
                            .values
                            .get(&id_col)
                            .cloned()
                            .unwrap_or_else(|| row.line.to_string());
                        pending.push((id, row.line, normalizer.normalize(text)));
                        if pending.len() >= 256 {
                            flush(&mut pending, out)?;
                        }
                    }
                },
            }
        }
        flush(&mut pending, out)?;
    }
    Ok(())
}

fn sentiment_json(s: Option<&Sentiment>) -> serde_json::Value {
    match s {
        None => serde_json::Value::Null,
        Some(s) => serde_json::json!({
            "label": s.label.as_str(),
            "score": s.score,
            "probs": {"negative": s.probs[0], "neutral": s.probs[1], "positive": s.probs[2]},
        }),
    }
}

/// The index analyzer: content morphemes, lowercased, English words stemmed. The same function
/// makes index terms and query terms, so they always agree.
impl TermAnalyzer for KoreanMorphology {
    fn terms(&self, text: &str) -> Vec<Term> {
        super::terms::index_terms(self, text)
    }
}
