//! `sori eval emotion`: the model's emotion groups against a file labelled with them, in the
//! layout of `corpora/emotion-ko/test.tsv`: a text column and an `emotions` column holding
//! comma-separated group names (`anger,anxiety`) or `none`.
//!
//! Two rules are scored, because sori uses two: `tag` (p >= max(threshold, 0.5)) is what the
//! index stores and `emotion:` finds, `listed` (p >= threshold) is what `analyze` prints.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Error;
use crate::ingest::layout;
use crate::ingest::mapping::{name_key, pick_column, Format};
use crate::ingest::InputFile;
use crate::record::EMOTION_TAG_MIN;

pub struct EmotionEvalRequest {
    pub data: PathBuf,
    pub format: Option<Format>,
    pub text_col: Option<String>,
    /// None: `emotions`, `emotion`, `감정`, ...
    pub label_col: Option<String>,
    pub model: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmotionReport {
    pub model: String,
    pub data: String,
    pub text_column: String,
    pub label_column: String,
    pub rows: usize,
    /// Rows without text or labels.
    pub skipped: usize,
    /// Rows whose gold label is `none`.
    pub rows_without_emotion: usize,
    pub docs_per_second: f64,
    pub rules: Vec<RuleReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    /// `tag` (what the index stores) or `listed` (what `analyze` prints).
    pub rule: &'static str,
    pub macro_f1: f64,
    /// Rows whose predicted set of groups is exactly the gold set.
    pub exact_set: f64,
    /// Of the rows labelled `none`, the share given no group.
    pub none_untagged: Option<f64>,
    pub groups: Vec<GroupScore>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupScore {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Gold rows with the group.
    pub support: usize,
    pub predicted: usize,
}

const LABEL_NAMES: &[&str] = &["emotions", "emotion", "감정", "정서"];
const NO_EMOTION: &[&str] = &["none", "-", "없음", "neutral"];

pub fn eval_emotion(req: &EmotionEvalRequest, progress: bool) -> Result<EmotionReport, Error> {
    let model = crate::jobs::load_model(&req.model)?;
    let groups: Vec<String> = model.emotion_labels().to_vec();
    if groups.is_empty() {
        return Err(crate::error::bad_argument(
            format!("model {} has no emotion head", model.name()),
            "use --model default",
        ));
    }
    let input = InputFile::new(&req.data.display().to_string(), req.format)?;
    let mut rows = crate::ingest::reader::read(input.open()?, input.format, &input.name)?;
    let text = layout::pick_text_column(&mut rows, req.text_col.as_ref(), &input.name)?;
    let label_col = pick_column(
        &rows.header,
        req.label_col.as_ref(),
        &[LABEL_NAMES],
        "--label-col",
        &input.name,
    )?;

    let mut kept: Vec<(String, Vec<bool>)> = Vec::new();
    let mut skipped = 0;
    for row in rows.rows {
        let Ok(row) = row else {
            skipped += 1;
            continue;
        };
        let (Some(t), Some(l)) = (row.values.get(&text.column), row.values.get(&label_col)) else {
            skipped += 1;
            continue;
        };
        if !crate::normalize::has_visible(t) || l.trim().is_empty() {
            skipped += 1;
            continue;
        }
        let gold = parse_groups(l, &groups).map_err(|bad| {
            crate::error::bad_argument(
                format!(
                    "{}:{}: field `{label_col}`: unknown emotion group `{bad}`",
                    input.name, row.line
                ),
                format!(
                    "groups are comma-separated names of {}, or `none`",
                    groups.join(", ")
                ),
            )
        })?;
        kept.push((t.clone(), gold));
    }
    if kept.is_empty() {
        return Err(crate::error::bad_argument(
            format!("no labelled rows in {}", input.name),
            "each row needs a text and an emotions cell (`anger,anxiety` or `none`)",
        ));
    }

    let (emotions, docs_per_second) =
        super::score_normalized(kept.iter().map(|(t, _)| t.as_str()), progress, |chunk| {
            model.emotions_batch(chunk)
        })?;
    // Per row, the probability of each group the model lists (0 for the others).
    let listed: Vec<Vec<f32>> = emotions
        .into_iter()
        .map(|listed| {
            let mut p = vec![0f32; groups.len()];
            for e in listed {
                if let Some(g) = groups.iter().position(|g| *g == e.label) {
                    p[g] = e.p;
                }
            }
            p
        })
        .collect();

    let gold: Vec<&[bool]> = kept.iter().map(|(_, g)| g.as_slice()).collect();
    let rules = [("tag", EMOTION_TAG_MIN), ("listed", 0.0)]
        .into_iter()
        .map(|(rule, floor)| {
            let predicted: Vec<Vec<bool>> = listed
                .iter()
                .map(|p| p.iter().map(|&p| p > 0.0 && p >= floor).collect())
                .collect();
            score_rule(rule, &groups, &gold, &predicted)
        })
        .collect();
    Ok(EmotionReport {
        model: model.name().to_owned(),
        data: input.name.clone(),
        text_column: text.column,
        label_column: label_col,
        rows: kept.len(),
        skipped,
        rows_without_emotion: gold.iter().filter(|g| !g.contains(&true)).count(),
        docs_per_second,
        rules,
    })
}

/// `anger, Anxiety` -> one flag per model group; `none` (or `-`, `없음`) -> no group. Returns
/// the first name that is no group of the model.
fn parse_groups(cell: &str, groups: &[String]) -> Result<Vec<bool>, String> {
    let mut out = vec![false; groups.len()];
    for name in cell
        .split([',', ';', '|', '/'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let key = name_key(name);
        if NO_EMOTION.iter().any(|n| name_key(n) == key) {
            continue;
        }
        match groups.iter().position(|g| name_key(g) == key) {
            Some(g) => out[g] = true,
            None => return Err(name.to_owned()),
        }
    }
    Ok(out)
}

fn score_rule(
    rule: &'static str,
    groups: &[String],
    gold: &[&[bool]],
    predicted: &[Vec<bool>],
) -> RuleReport {
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let scores: Vec<GroupScore> = groups
        .iter()
        .enumerate()
        .map(|(g, label)| {
            let (mut tp, mut support, mut said) = (0, 0, 0);
            for (y, p) in gold.iter().zip(predicted) {
                tp += usize::from(y[g] && p[g]);
                support += usize::from(y[g]);
                said += usize::from(p[g]);
            }
            GroupScore {
                label: label.clone(),
                precision: ratio(tp, said),
                recall: ratio(tp, support),
                f1: ratio(2 * tp, support + said),
                support,
                predicted: said,
            }
        })
        .collect();
    let none: Vec<bool> = gold
        .iter()
        .zip(predicted)
        .filter(|(y, _)| !y.contains(&true))
        .map(|(_, p)| !p.contains(&true))
        .collect();
    RuleReport {
        rule,
        macro_f1: scores.iter().map(|s| s.f1).sum::<f64>() / scores.len() as f64,
        exact_set: ratio(
            gold.iter()
                .zip(predicted)
                .filter(|(y, p)| y[..] == p[..])
                .count(),
            gold.len(),
        ),
        none_untagged: (!none.is_empty())
            .then(|| ratio(none.iter().filter(|&&u| u).count(), none.len())),
        groups: scores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<String> {
        ["anger", "joy"].map(String::from).to_vec()
    }

    #[test]
    fn group_cells_are_read_loosely_and_unknown_names_refused() {
        assert_eq!(parse_groups("Anger, joy", &groups()), Ok(vec![true, true]));
        assert_eq!(parse_groups("none", &groups()), Ok(vec![false, false]));
        assert_eq!(parse_groups("joy|없음", &groups()), Ok(vec![false, true]));
        assert_eq!(parse_groups("anger,rage", &groups()), Err("rage".into()));
    }

    #[test]
    fn a_rule_is_scored_per_group_and_on_rows_without_emotion() {
        let gold: Vec<&[bool]> = vec![&[true, false], &[false, false], &[false, true]];
        let predicted = vec![vec![true, true], vec![false, false], vec![false, false]];
        let r = score_rule("tag", &groups(), &gold, &predicted);
        assert_eq!((r.groups[0].precision, r.groups[0].recall), (1.0, 1.0));
        assert_eq!((r.groups[1].precision, r.groups[1].recall), (0.0, 0.0));
        assert_eq!(r.macro_f1, 0.5);
        assert_eq!(r.none_untagged, Some(1.0));
        assert!((r.exact_set - 1.0 / 3.0).abs() < 1e-12);
    }
}
