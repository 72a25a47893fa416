//! `sori eval sentiment`: a model against a labelled file. Labels may be words (negative /
//! neutral / positive, 부정 / 중립 / 긍정), 0/1, or star ratings (`--scheme stars`).

pub mod metrics;

use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, InternalError, UserError};
use crate::ingest::mapping::Format;
use crate::ingest::InputFile;
use crate::jobs::EvalRequest;
use metrics::{ClassMetrics, Confusion};

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    /// Arithmetic of the dense layers: "bf16" (AVX-512 BF16) or "f32".
    pub precision: String,
    /// Weight of the character n-gram companion mixed into the sentiment; None without one.
    pub ngram_weight: Option<f32>,
    pub data: String,
    pub scheme: String,
    pub n: usize,
    /// Rows left out: neutral gold labels under `binary`, unreadable labels (counted, not hidden).
    pub skipped: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub ece: f64,
    pub docs_per_second: f64,
    pub per_class: Vec<ClassMetrics>,
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Binary,
    Three,
    Stars,
}

impl Scheme {
    pub fn parse(s: &str) -> Result<Scheme, Error> {
        match s {
            "binary" => Ok(Scheme::Binary),
            "three" => Ok(Scheme::Three),
            "stars" => Ok(Scheme::Stars),
            _ => Err(crate::error::bad_argument(
                format!("unknown scheme `{s}`"),
                "use --scheme binary, three or stars",
            )),
        }
    }
}

/// Gold class index (0 negative, 1 neutral, 2 positive) of a label cell.
pub fn gold_class(raw: &str, scheme: Scheme, stars_max: f64) -> Option<usize> {
    let v = raw.trim().to_lowercase();
    if scheme == Scheme::Stars {
        let s: f64 = v.parse().ok()?;
        // Five-point scales: 1-2 / 3 / 4-5. Ten-point: 1-4 / 5-7 / 8-10.
        return Some(if stars_max <= 5.0 {
            if s <= 2.0 {
                0
            } else if s < 4.0 {
                1
            } else {
                2
            }
        } else if s <= 4.0 {
            0
        } else if s < 8.0 {
            1
        } else {
            2
        });
    }
    match v.as_str() {
        "negative" | "neg" | "부정" | "0" | "-1" => Some(0),
        "neutral" | "neu" | "중립" => Some(1),
        "positive" | "pos" | "긍정" | "1" => Some(2),
        _ => None,
    }
}

pub fn eval_sentiment(req: &EvalRequest, progress: bool) -> Result<EvalReport, Error> {
    let scheme = Scheme::parse(&req.scheme)?;
    let model = crate::jobs::load_model(&req.model)?;
    let input = InputFile::new(
        &req.data.display().to_string(),
        Format::from_path(&req.data).or(Some(Format::Tsv)),
    )?;
    let rows = crate::ingest::reader::read(input.open()?, input.format, &input.name)?;
    for col in [&req.text_col, &req.label_col] {
        if !rows.header.is_empty() && !rows.header.contains(col) {
            return Err(UserError::MissingColumn {
                file: input.name.clone(),
                column: col.clone(),
                available: rows.header.clone(),
            }
            .into());
        }
    }
    let mut texts = Vec::new();
    let mut raw_labels = Vec::new();
    let mut skipped = 0;
    for row in rows.rows {
        let Ok(row) = row else {
            skipped += 1;
            continue;
        };
        match (
            row.values.get(&req.text_col),
            row.values.get(&req.label_col),
        ) {
            (Some(t), Some(l)) if !t.trim().is_empty() => {
                texts.push(t.clone());
                raw_labels.push(l.clone());
            }
            _ => skipped += 1,
        }
    }
    let stars_max = raw_labels
        .iter()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .fold(0.0f64, f64::max);
    let mut kept_texts = Vec::new();
    let mut gold = Vec::new();
    for (t, l) in texts.iter().zip(&raw_labels) {
        match gold_class(l, scheme, stars_max) {
            Some(1) if scheme == Scheme::Binary => skipped += 1,
            Some(g) => {
                kept_texts.push(t.as_str());
                gold.push(g);
            }
            None => skipped += 1,
        }
    }
    if gold.is_empty() {
        return Err(crate::error::bad_argument(
            format!("no labelled rows in {}", input.name),
            "labels: negative/neutral/positive (or 0/1, 부정/중립/긍정); with --scheme stars, a rating",
        ));
    }

    let normalizer = crate::normalize::Normalizer::default();
    let normalized: Vec<String> = kept_texts
        .iter()
        .map(|t| normalizer.normalize(t).text)
        .collect();
    let refs: Vec<&str> = normalized.iter().map(String::as_str).collect();
    let bar = if progress {
        indicatif::ProgressBar::new(refs.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut scores = Vec::with_capacity(refs.len());
    for chunk in refs.chunks(512) {
        scores.extend(
            model
                .predict_batch(chunk)
                .map_err(|e| InternalError::Model(e.to_string()))?,
        );
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let docs_per_second = refs.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);

    let labels: Vec<&str> = match scheme {
        Scheme::Binary => vec!["negative", "positive"],
        _ => vec!["negative", "neutral", "positive"],
    };
    let mut confusion = Confusion::new(labels.iter().copied());
    let mut confidence = Vec::with_capacity(scores.len());
    let mut correct = Vec::with_capacity(scores.len());
    for (s, &g) in scores.iter().zip(&gold) {
        let (pred, conf) = match scheme {
            // Binary: the model's neutral mass is set aside and the rest renormalized.
            Scheme::Binary => {
                let (n, p) = (s.probs[0], s.probs[2]);
                let pos = p >= n;
                (
                    if pos { 2 } else { 0 },
                    (n.max(p) / (n + p).max(1e-9)) as f64,
                )
            }
            _ => {
                let (i, p) = s
                    .probs
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::MIN),
                        |best, (i, &p)| if p > best.1 { (i, p) } else { best },
                    );
                (i, p as f64)
            }
        };
        let idx = |c: usize| if scheme == Scheme::Binary { c / 2 } else { c };
        confusion.add(idx(g), idx(pred));
        confidence.push(conf);
        correct.push(pred == g);
    }
    Ok(EvalReport {
        model: model.name().to_owned(),
        precision: model.precision().to_owned(),
        ngram_weight: model.ngram_weight(),
        data: req.data.display().to_string(),
        scheme: req.scheme.clone(),
        n: gold.len(),
        skipped,
        accuracy: confusion.accuracy(),
        macro_f1: confusion.macro_f1(),
        ece: metrics::expected_calibration_error(&confidence, &correct, 15),
        docs_per_second,
        per_class: confusion.per_class(),
        labels: confusion.labels().to_vec(),
        confusion: confusion.matrix().to_vec(),
    })
}
