//! `sori eval sentiment`: a model against a labelled file. Labels may be words (negative /
//! neutral / positive, 부정 / 중립 / 긍정), 0/1, or star ratings (`--scheme stars`).

pub mod emotion;
pub mod metrics;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, InternalError};
use crate::ingest::layout;
use crate::ingest::mapping::{aliases, find, label_word_class, pick_column};
use crate::ingest::InputFile;
use crate::jobs::EvalRequest;
use metrics::{ClassMetrics, Confusion};

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    /// Arithmetic of the dense layers: "bf16" (AVX-512 BF16), "int8" (AVX2) or "f32".
    pub precision: String,
    /// Weight of the character n-gram companion mixed into the sentiment; None without one.
    pub ngram_weight: Option<f32>,
    pub data: String,
    /// The data file's text encoding ("UTF-8", "CP949", "UTF-16LE", ...).
    pub encoding: String,
    /// How the rows were read: `csv`, `tsv`, `jsonl` or `lines`.
    pub format: String,
    /// The format came from the file's first lines, not from its name or `--format`.
    pub format_guessed: bool,
    /// The columns read, as named or as found by their usual names.
    pub text_col: String,
    pub label_col: String,
    /// The file had no header row: the columns are positions (from 1).
    pub columns_by_position: bool,
    /// A column was found by its values, not by its name (no header row, or headers that no
    /// list of usual names knows).
    pub columns_by_values: bool,
    /// The scheme scored: `binary`, `three`, `stars` or `stars-binary`.
    pub scheme: String,
    /// Whether `scheme` was chosen from the labels (`--scheme auto`, the default).
    pub scheme_auto: bool,
    /// How the label column was read (see [`LabelCoding`]).
    pub label_coding: String,
    /// Doubts about that reading worth a look before the figures are trusted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub n: usize,
    /// Rows left out: empty texts, unreadable labels, neutral gold labels under `binary`
    /// (counted, not hidden).
    pub skipped: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Under a three-class scheme, the rows whose gold label is not neutral scored negative
    /// against positive, as a binary benchmark would: how often the model gets the side right
    /// when it has one, apart from where it draws the neutral band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_neutral: Option<NonNeutral>,
    pub ece: f64,
    pub docs_per_second: f64,
    pub per_class: Vec<ClassMetrics>,
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
    /// Scores per value of the `--by` column (channel, domain, product), largest group first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupMetrics>,
    /// Where the misread rows went (`--errors`), with how many there were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<ErrorsWritten>,
}

/// The scores of the rows sharing one value of the `--by` column.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMetrics {
    pub value: String,
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NonNeutral {
    pub n: usize,
    pub binary_accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorsWritten {
    pub path: String,
    pub rows: usize,
}

/// A labelled row kept for scoring.
struct Labelled {
    line: u64,
    text: String,
    gold: usize,
    group: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Binary,
    Three,
    Stars,
    /// Ratings as with `Stars`, the middle ones left out and the rest scored as `Binary`: how
    /// star-rated review benchmarks are usually reported.
    StarsBinary,
    /// Net Promoter answers (0-10): detractors 0-6 negative, passives 7-8 neutral, promoters
    /// 9-10 positive. Measures how far the text's sentiment agrees with the score a survey
    /// respondent gave beside it.
    Nps,
}

impl Scheme {
    /// `--scheme`; `None` for `auto`, which is decided from the labels.
    pub fn parse(s: &str) -> Result<Option<Scheme>, Error> {
        match s {
            "auto" => Ok(None),
            "binary" => Ok(Some(Scheme::Binary)),
            "three" => Ok(Some(Scheme::Three)),
            "stars" => Ok(Some(Scheme::Stars)),
            "stars-binary" => Ok(Some(Scheme::StarsBinary)),
            "nps" => Ok(Some(Scheme::Nps)),
            _ => Err(crate::error::bad_argument(
                format!("unknown scheme `{s}`"),
                "use --scheme auto, binary, three, stars, stars-binary or nps",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Binary => "binary",
            Scheme::Three => "three",
            Scheme::Stars => "stars",
            Scheme::StarsBinary => "stars-binary",
            Scheme::Nps => "nps",
        }
    }

    /// Negative against positive, neutral gold rows left out.
    fn is_binary(self) -> bool {
        matches!(self, Scheme::Binary | Scheme::StarsBinary)
    }

    fn reads_ratings(self) -> bool {
        matches!(self, Scheme::Stars | Scheme::StarsBinary | Scheme::Nps)
    }
}

/// How the label column codes the classes. Read from the whole column before any row is
/// scored: a `1` is positive in a 0/1 file but neutral in a 0/1/2 one, and guessing per cell
/// would score a three-class benchmark as a wrong binary one without a word of warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelCoding {
    /// negative / neutral / positive (neg / neu / pos, 부정 / 중립 / 긍정); any numbers are 0/1.
    Words,
    /// 0 negative, 1 neutral, 2 positive.
    ZeroOneTwo,
    /// -1 negative, 0 neutral, 1 positive (also a binary -1 / 1 column).
    MinusOneZeroOne,
    /// `--scheme stars`, ratings up to 5: 1-2 / 3 / 4-5.
    FiveStars,
    /// `--scheme stars`, ratings up to 10: 1-4 / 5-7 / 8-10.
    TenStars,
    /// `--scheme nps`: 0-6 / 7-8 / 9-10.
    Nps,
}

impl LabelCoding {
    /// `column` names the column in errors ("FILE, column `label`").
    pub fn detect<'a>(
        labels: impl Iterator<Item = &'a str>,
        scheme: Scheme,
        column: &str,
    ) -> Result<Self, Error> {
        let mut numbers = Vec::new();
        let mut words = false;
        for l in labels {
            match l.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => numbers.push(v),
                _ => words |= label_word_class(l).is_some(),
            }
        }
        let max = numbers.iter().copied().fold(f64::MIN, f64::max);
        if scheme == Scheme::Nps {
            let min = numbers.iter().copied().fold(f64::MAX, f64::min);
            return if numbers.is_empty() || (min >= 0.0 && max <= 10.0) {
                Ok(LabelCoding::Nps)
            } else {
                Err(crate::error::bad_argument(
                    format!("{column}: --scheme nps reads scores of 0-10, not {min} to {max}"),
                    "for star ratings use --scheme stars",
                ))
            };
        }
        if scheme.reads_ratings() {
            return match max {
                m if m <= 5.0 => Ok(LabelCoding::FiveStars),
                m if m <= 10.0 => Ok(LabelCoding::TenStars),
                m => Err(crate::error::bad_argument(
                    format!("{column}: --scheme stars reads ratings of 1-5 or 1-10, not {m}"),
                    "rescale the ratings to 1-5 or 1-10, or label the rows negative / neutral / positive",
                )),
            };
        }
        let within = |set: &[f64]| numbers.iter().all(|v| set.contains(v));
        if numbers.is_empty() || within(&[0.0, 1.0]) {
            return Ok(LabelCoding::Words);
        }
        if within(&[0.0, 1.0, 2.0]) && !words {
            return Ok(LabelCoding::ZeroOneTwo);
        }
        if within(&[-1.0, 0.0, 1.0]) && !words {
            return Ok(LabelCoding::MinusOneZeroOne);
        }
        Err(crate::error::bad_argument(
            format!(
                "{column} holds numbers up to {max} that are not class codes (0/1, 0/1/2 or -1/0/1){}",
                if words { ", next to class names" } else { "" }
            ),
            "for ratings use --scheme stars (or stars-binary, the middle ratings left out); otherwise label the rows negative / neutral / positive",
        ))
    }

    /// Gold class index (0 negative, 1 neutral, 2 positive) of a label cell.
    pub fn class(self, raw: &str) -> Option<usize> {
        let v = raw.trim();
        let number = || v.parse::<f64>().ok();
        match self {
            // Numbers as numbers: pandas writes a 0/1 column with a gap in it as 0.0 / 1.0.
            LabelCoding::Words => label_word_class(v).or_else(|| match number() {
                Some(0.0) => Some(0),
                Some(1.0) => Some(2),
                _ => None,
            }),
            LabelCoding::ZeroOneTwo => number().map(|n| n as usize),
            LabelCoding::MinusOneZeroOne => number().map(|n| (n + 1.0) as usize),
            LabelCoding::FiveStars => number().map(|s| match s {
                s if s <= 2.0 => 0,
                s if s < 4.0 => 1,
                _ => 2,
            }),
            LabelCoding::TenStars => number().map(|s| match s {
                s if s <= 4.0 => 0,
                s if s < 8.0 => 1,
                _ => 2,
            }),
            LabelCoding::Nps => number().map(|s| match s {
                s if s < 7.0 => 0,
                s if s < 9.0 => 1,
                _ => 2,
            }),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            LabelCoding::Words => "negative / neutral / positive (0 negative, 1 positive)",
            LabelCoding::ZeroOneTwo => "0 negative, 1 neutral, 2 positive",
            LabelCoding::MinusOneZeroOne => "-1 negative, 0 neutral, 1 positive",
            LabelCoding::FiveStars => "stars 1-2 negative, 3 neutral, 4-5 positive",
            LabelCoding::TenStars => "ratings 1-4 negative, 5-7 neutral, 8-10 positive",
            LabelCoding::Nps => {
                "NPS 0-6 negative (detractors), 7-8 neutral (passives), 9-10 positive (promoters)"
            }
        }
    }
}

pub fn eval_sentiment(req: &EvalRequest, progress: bool) -> Result<EvalReport, Error> {
    // `auto` reads the labels as `three` would, then scores as `binary` when no gold row is
    // neutral: a negative / positive benchmark scored three ways would count every neutral
    // reading of a mild review as an error, which no binary benchmark does.
    let requested = Scheme::parse(&req.scheme)?;
    let auto = requested.is_none();
    let mut scheme = requested.unwrap_or(Scheme::Three);
    let model = crate::jobs::load_model(&req.model)?;
    let input = InputFile::new(&req.data.display().to_string(), req.format)?;
    let mut rows = crate::ingest::reader::read(input.open()?, input.format, &input.name)?;
    let (encoding, positional) = (rows.encoding, rows.positional);
    let text = layout::pick_text_column(&mut rows, req.text_col.as_ref(), &input.name)?;
    let text_col = text.column;
    let label_names: &[&[&str]] = if scheme.reads_ratings() {
        &[aliases::RATING, aliases::LABEL]
    } else {
        &[aliases::LABEL]
    };
    let by_name = label_names
        .iter()
        .find_map(|names| find(&rows.header, names));
    let mut label_by_values = false;
    let label_col = match (&req.label_col, by_name) {
        (Some(named), _) => pick_column(
            &rows.header,
            Some(named),
            label_names,
            "--label-col",
            &input.name,
        )?,
        (None, Some(column)) if !rows.positional => column,
        (None, _) => {
            let rating = find(&rows.header, aliases::RATING).filter(|_| !rows.positional);
            if let (Some(rating), true) = (&rating, auto) {
                // A review export whose only grade is its star (or NPS) column: scored by it,
                // the scheme chosen from its values below, and the report says so.
                rating.clone()
            } else if let Some(rating) = rating {
                return Err(crate::error::bad_argument(
                    format!(
                        "{}: no label column, but `{rating}` looks like ratings",
                        input.name
                    ),
                    "to score ratings, pass --scheme stars (1-2 / 3 / 4-5 or 1-4 / 5-7 / 8-10) \
                     or --scheme stars-binary (the middle ones left out)",
                ));
            } else {
                // No header row, or headers no list knows: the column whose values are labels.
                let sample = rows.sample(layout::SAMPLE_ROWS);
                match layout::label_column(&rows.header, &sample, &text_col, scheme.reads_ratings())
                {
                    Some(column) => {
                        label_by_values = true;
                        column
                    }
                    None if rows.positional => {
                        return Err(crate::error::bad_argument(
                            format!(
                                "{} has no header row, and no column of it reads as labels",
                                input.name
                            ),
                            format!(
                                "name the label column by its position with --label-col (1 to {})",
                                rows.header.len()
                            ),
                        ))
                    }
                    None => {
                        pick_column(&rows.header, None, label_names, "--label-col", &input.name)?
                    }
                }
            }
        }
    };
    if let Some(by) = &req.by {
        pick_column(&rows.header, Some(by), &[], "--by", &input.name)?;
    }
    let mut cells = Vec::new();
    let mut skipped = 0;
    for row in rows.rows {
        let Ok(row) = row else {
            skipped += 1;
            continue;
        };
        match (row.values.get(&text_col), row.values.get(&label_col)) {
            (Some(t), Some(l)) if crate::normalize::has_visible(t) => {
                let group = req.by.as_ref().map(|c| {
                    row.values
                        .get(c)
                        .map_or_else(String::new, |v| v.trim().to_owned())
                });
                cells.push((row.line, t.clone(), l.clone(), group));
            }
            _ => skipped += 1,
        }
    }
    let column = format!("{}, column `{label_col}`", input.name);
    let labels = || cells.iter().map(|c| c.2.as_str());
    // Under `auto`, grades that are not class codes are an NPS answer or a star rating (a
    // survey, a shopping or app-store export): read as `--scheme nps` or `stars` would rather
    // than refused; the report names the scheme and the coding.
    if let Some(by_grades) = grade_scheme(labels(), &label_col).filter(|_| auto) {
        scheme = by_grades;
    }
    let coding = LabelCoding::detect(labels(), scheme, &column)?;
    let mut notes = Vec::new();
    if coding == LabelCoding::ZeroOneTwo && !cells.iter().any(|c| coding.class(&c.2) == Some(0)) {
        // A 1 / 2 column is as likely a one-based binary coding as 0/1/2 without negatives.
        notes.push(
            "no 0 among the labels, so 1 is read as neutral and 2 as positive; if 1 and 2 mean \
             negative and positive, relabel them 0 and 1"
                .to_owned(),
        );
    }
    if auto && !cells.iter().any(|c| coding.class(&c.2) == Some(1)) {
        scheme = match scheme {
            Scheme::Stars => Scheme::StarsBinary,
            _ => Scheme::Binary,
        };
    }
    let mut kept = Vec::new();
    for (line, text, label, group) in cells {
        match coding.class(&label) {
            Some(1) if scheme.is_binary() => skipped += 1,
            Some(gold) => kept.push(Labelled {
                line,
                text,
                gold,
                group,
            }),
            None => skipped += 1,
        }
    }
    if kept.is_empty() {
        return Err(crate::error::bad_argument(
            format!("no labelled rows in {}", input.name),
            "labels: negative/neutral/positive (or 0/1, 부정/중립/긍정); with --scheme stars, a rating",
        ));
    }

    // Opened before scoring, so that a bad path fails at once rather than after the model ran.
    let mut errors_out = match &req.errors {
        Some(path) => Some((path.as_path(), create_misread_file(path)?)),
        None => None,
    };

    let (scores, docs_per_second) =
        score_normalized(kept.iter().map(|r| r.text.as_str()), progress, |chunk| {
            model.predict_batch(chunk)
        })?;

    let labels: Vec<&str> = if scheme.is_binary() {
        vec!["negative", "positive"]
    } else {
        vec!["negative", "neutral", "positive"]
    };
    let mut confusion = Confusion::new(labels.iter().copied());
    let mut by_group: BTreeMap<&str, Confusion> = BTreeMap::new();
    let mut confidence = Vec::with_capacity(scores.len());
    let mut correct = Vec::with_capacity(scores.len());
    let mut misread = Vec::new();
    let idx = |c: usize| if scheme.is_binary() { c / 2 } else { c };
    let (mut polar_right, mut polar_n) = (0usize, 0usize);
    for (s, row) in scores.iter().zip(&kept) {
        let (pred, conf) = predicted_class(s, scheme);
        if !scheme.is_binary() && row.gold != 1 {
            polar_n += 1;
            polar_right += usize::from(predicted_class(s, Scheme::Binary).0 == row.gold);
        }
        confusion.add(idx(row.gold), idx(pred));
        if let Some(g) = &row.group {
            by_group
                .entry(g.as_str())
                .or_insert_with(|| Confusion::new(labels.iter().copied()))
                .add(idx(row.gold), idx(pred));
        }
        confidence.push(conf);
        correct.push(pred == row.gold);
        if pred != row.gold {
            misread.push((row, pred, s));
        }
    }
    let errors = match errors_out.as_mut() {
        Some((path, out)) => Some(write_misread(path, out, &misread)?),
        None => None,
    };
    let mut groups: Vec<GroupMetrics> = by_group
        .into_iter()
        .map(|(value, c)| GroupMetrics {
            value: value.to_owned(),
            n: c.total() as usize,
            accuracy: c.accuracy(),
            macro_f1: c.macro_f1(),
        })
        .collect();
    groups.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.value.cmp(&b.value)));
    Ok(EvalReport {
        model: model.name().to_owned(),
        precision: model.precision().to_owned(),
        ngram_weight: model.ngram_weight(),
        data: req.data.display().to_string(),
        encoding: encoding.name().to_owned(),
        format: format!("{:?}", input.format).to_lowercase(),
        format_guessed: input.format_guessed,
        text_col,
        label_col,
        columns_by_position: positional,
        columns_by_values: text.by_values || label_by_values,
        notes,
        scheme: scheme.name().to_owned(),
        scheme_auto: auto,
        label_coding: coding.describe().to_owned(),
        n: kept.len(),
        skipped,
        accuracy: confusion.accuracy(),
        macro_f1: confusion.macro_f1(),
        non_neutral: (polar_n > 0).then(|| NonNeutral {
            n: polar_n,
            binary_accuracy: polar_right as f64 / polar_n as f64,
        }),
        ece: metrics::expected_calibration_error(&confidence, &correct, 15),
        docs_per_second,
        per_class: confusion.per_class(),
        labels: confusion.labels().to_vec(),
        confusion: confusion.matrix().to_vec(),
        groups,
        errors,
    })
}

/// Normalizes each text as ingest does and scores the texts in chunks with `score`, behind a
/// progress bar; returns the scores in input order and the scoring speed in docs/s.
fn score_normalized<'a, T>(
    texts: impl Iterator<Item = &'a str>,
    progress: bool,
    score: impl Fn(&[&str]) -> Result<Vec<T>, crate::analyze::sentiment::ModelError>,
) -> Result<(Vec<T>, f64), Error> {
    let normalizer = crate::normalize::Normalizer::default();
    let normalized: Vec<String> = texts.map(|t| normalizer.normalize(t).text).collect();
    let refs: Vec<&str> = normalized.iter().map(String::as_str).collect();
    let bar = if progress {
        indicatif::ProgressBar::new(refs.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut scores = Vec::with_capacity(refs.len());
    for chunk in refs.chunks(512) {
        scores.extend(score(chunk).map_err(|e| InternalError::Model(e.to_string()))?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let docs_per_second = refs.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    Ok((scores, docs_per_second))
}

/// The scheme a column of whole grades of 0-10 (and no label words) calls for under `auto`:
/// - `nps` when its name says NPS / 추천, or when it has a 0 and grades above 5: no star scale
///   starts at 0, and the star bands (1-4 / 5-7 / 8-10) would misread NPS detractors (0-6);
/// - `stars` for grades of 1 up to 10, some of 4 or more. A 1-3 column is left to the
///   class-code check: 1 / 2 / 3 for negative / neutral / positive is a coding some
///   benchmarks use, and no star scale stops at 3.
fn grade_scheme<'a>(labels: impl Iterator<Item = &'a str>, column: &str) -> Option<Scheme> {
    let (mut zero, mut top) = (false, 0.0);
    for l in labels.map(str::trim).filter(|l| !l.is_empty()) {
        match l.parse::<f64>() {
            Ok(v) if v.fract() == 0.0 && (0.0..=10.0).contains(&v) => {
                zero |= v == 0.0;
                top = f64::max(top, v);
            }
            _ => return None,
        }
    }
    let named = column.to_lowercase().contains("nps") || column.contains("추천");
    if top > 2.0 && (named || (zero && top > 5.0)) {
        Some(Scheme::Nps)
    } else if !zero && top >= 4.0 {
        Some(Scheme::Stars)
    } else {
        None
    }
}

/// The class a score picks under the scheme, and the confidence the calibration check uses.
fn predicted_class(s: &crate::analyze::sentiment::SentimentScore, scheme: Scheme) -> (usize, f64) {
    if scheme.is_binary() {
        // The model's neutral mass is set aside and the rest renormalized.
        let (n, p) = (s.probs[0], s.probs[2]);
        let pos = p >= n;
        return (
            if pos { 2 } else { 0 },
            (n.max(p) / (n + p).max(1e-9)) as f64,
        );
    }
    let (i, p) =
        s.probs.iter().enumerate().fold(
            (0, f32::MIN),
            |best, (i, &p)| if p > best.1 { (i, p) } else { best },
        );
    (i, p as f64)
}

fn misread_file_error(path: &Path, e: std::io::Error) -> Error {
    crate::error::bad_argument(
        format!("cannot write --errors file {}: {e}", path.display()),
        "pass a path in a directory that exists and is writable",
    )
}

fn create_misread_file(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, Error> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| misread_file_error(path, e))
}

/// Writes the misread rows as JSONL, so that a team can read what the model gets wrong on its
/// own data rather than take one accuracy figure on trust. `predicted` is the scheme's
/// prediction (under `binary`, negative or positive).
fn write_misread(
    path: &Path,
    out: &mut impl Write,
    rows: &[(&Labelled, usize, &crate::analyze::sentiment::SentimentScore)],
) -> Result<ErrorsWritten, Error> {
    const NAMES: [&str; 3] = ["negative", "neutral", "positive"];
    for (row, pred, s) in rows {
        let mut line = serde_json::json!({
            "line": row.line,
            "text": row.text,
            "gold": NAMES[row.gold],
            "predicted": NAMES[*pred],
            "probs": {"negative": s.probs[0], "neutral": s.probs[1], "positive": s.probs[2]},
        });
        if let Some(g) = &row.group {
            line["group"] = g.as_str().into();
        }
        writeln!(out, "{line}").map_err(|e| misread_file_error(path, e))?;
    }
    out.flush().map_err(|e| misread_file_error(path, e))?;
    Ok(ErrorsWritten {
        path: path.display().to_string(),
        rows: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UserError;

    fn coding(labels: &[&str], scheme: Scheme) -> Result<LabelCoding, Error> {
        LabelCoding::detect(labels.iter().copied(), scheme, "t.tsv, column `label`")
    }

    fn classes(labels: &[&str], scheme: Scheme) -> Vec<Option<usize>> {
        let c = coding(labels, scheme).unwrap();
        labels.iter().map(|l| c.class(l)).collect()
    }

    #[test]
    fn numeric_labels_are_read_by_the_whole_column() {
        let (n, u, p) = (Some(0), Some(1), Some(2));
        assert_eq!(classes(&["0", "1", "1"], Scheme::Three), [n, p, p]);
        assert_eq!(classes(&["0.0", "1.0", "1"], Scheme::Binary), [n, p, p]);
        assert_eq!(classes(&["0", "1", "2"], Scheme::Three), [n, u, p]);
        assert_eq!(classes(&["0.0", "2.0", "1"], Scheme::Three), [n, p, u]);
        assert_eq!(classes(&["-1", "0", "1"], Scheme::Three), [n, u, p]);
        assert_eq!(classes(&["-1", "1"], Scheme::Binary), [n, p]);
        assert_eq!(
            classes(&["부정", "neutral", "POS", "0", "?"], Scheme::Three),
            [n, u, p, n, None]
        );
        assert_eq!(classes(&["1", "3", "5"], Scheme::Stars), [n, u, p]);
        assert_eq!(classes(&["1", "5", "7", "8"], Scheme::Stars), [n, u, u, p]);
        assert_eq!(classes(&["2", "3", "4"], Scheme::StarsBinary), [n, u, p]);
    }

    #[test]
    fn numbers_that_are_not_class_codes_are_refused_with_a_hint() {
        let err = coding(&["1", "4", "5"], Scheme::Three)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.tsv, column `label`") && err.contains("5"),
            "{err}"
        );
        let Error::User(UserError::BadArgument { hint, .. }) =
            coding(&["2", "positive"], Scheme::Three).unwrap_err()
        else {
            panic!("a user error");
        };
        assert!(hint.contains("--scheme stars"), "{hint}");
        assert!(coding(&["1", "100"], Scheme::Stars).is_err());
    }

    #[test]
    fn nps_scores_are_read_in_their_bands() {
        let (n, u, p) = (Some(0), Some(1), Some(2));
        assert_eq!(
            classes(&["0", "6", "7", "8", "9", "10"], Scheme::Nps),
            [n, n, u, u, p, p]
        );
        assert!(coding(&["-1", "5"], Scheme::Nps).is_err());
        let nps = |l: &[&str], col: &str| grade_scheme(l.iter().copied(), col) == Some(Scheme::Nps);
        assert!(nps(&["0", "7", "10"], "score"));
        assert!(nps(&["3", "7", "10"], "NPS"));
        assert!(nps(&["3", "9"], "추천의향"));
        assert!(!nps(&["1", "7", "10"], "rating"));
        assert!(!nps(&["0", "3", "5"], "stars"));
        assert!(!nps(&["0", "1"], "nps"));
    }

    #[test]
    fn whole_grades_of_1_to_10_read_as_ratings_and_nps_scores_do_not() {
        let ratings = |l: &[&str]| grade_scheme(l.iter().copied(), "label") == Some(Scheme::Stars);
        assert!(ratings(&["5", "1", "2", "4", ""]));
        assert!(ratings(&["10", "9", "1", "3"]));
        // Class codes, a 0-10 NPS column, half stars, words, numbers past 10.
        assert!(!ratings(&["1", "2", "1"]));
        assert!(!ratings(&["1", "2", "3"]));
        assert!(!ratings(&["0", "7", "10"]));
        assert!(!ratings(&["4.5", "1"]));
        assert!(!ratings(&["5", "positive"]));
        assert!(!ratings(&["5", "11"]));
    }
}
