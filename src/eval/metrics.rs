//! Classification metrics for model evaluation: confusion matrix, accuracy, per-class and
//! macro F1, expected calibration error, and per-label F1 for multi-label emotions.
//!
//! Conventions follow scikit-learn so numbers can be checked against the training notebooks:
//! a ratio with a zero denominator is 0 (`zero_division=0`), and macro averages run over the
//! labels that occur in the gold or the predicted labels.

use serde::Serialize;

/// Precision, recall and F1 of one label, with its support (gold count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

impl ClassMetrics {
    fn from_counts(label: &str, tp: u64, fp: u64, fn_: u64) -> Self {
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        ClassMetrics {
            label: label.to_owned(),
            precision,
            recall,
            f1: harmonic(precision, recall),
            support: tp + fn_,
        }
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// An observation named a label the matrix was not built with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label {label:?}; expected one of {known:?}")]
pub struct UnknownLabel {
    pub label: String,
    pub known: Vec<String>,
}

/// A confusion matrix over a fixed, ordered label set. `matrix()[gold][pred]` counts
/// observations whose gold label is `labels()[gold]` and prediction `labels()[pred]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    labels: Vec<String>,
    counts: Vec<Vec<u64>>,
}

impl Confusion {
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        let n = labels.len();
        Confusion {
            labels,
            counts: vec![vec![0; n]; n],
        }
    }

    /// Builds the matrix from parallel gold/predicted label indices.
    ///
    /// # Panics
    /// If an index is out of range of `labels` (a caller bug, not a data error).
    pub fn from_indices<S: Into<String>>(
        labels: impl IntoIterator<Item = S>,
        gold: &[usize],
        pred: &[usize],
    ) -> Self {
        debug_assert_eq!(
            gold.len(),
            pred.len(),
            "gold and predictions differ in length"
        );
        let mut c = Confusion::new(labels);
        for (&g, &p) in gold.iter().zip(pred) {
            c.add(g, p);
        }
        c
    }

    /// Counts one observation by label indices.
    ///
    /// # Panics
    /// If either index is out of range of `labels`.
    pub fn add(&mut self, gold: usize, pred: usize) {
        self.counts[gold][pred] += 1;
    }

    /// Counts one observation by label names.
    pub fn add_labels(&mut self, gold: &str, pred: &str) -> Result<(), UnknownLabel> {
        let g = self.index_of(gold)?;
        let p = self.index_of(pred)?;
        self.counts[g][p] += 1;
        Ok(())
    }

    fn index_of(&self, label: &str) -> Result<usize, UnknownLabel> {
        self.labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| UnknownLabel {
                label: label.to_owned(),
                known: self.labels.clone(),
            })
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Rows are gold labels, columns predictions, both in `labels()` order.
    pub fn matrix(&self) -> &[Vec<u64>] {
        &self.counts
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.labels.len()).map(|i| self.counts[i][i]).sum();
        ratio(correct, self.total())
    }

    /// Metrics for every label, in `labels()` order.
    pub fn per_class(&self) -> Vec<ClassMetrics> {
        let n = self.labels.len();
        (0..n)
            .map(|k| {
                let tp = self.counts[k][k];
                let gold: u64 = self.counts[k].iter().sum();
                let predicted: u64 = (0..n).map(|g| self.counts[g][k]).sum();
                ClassMetrics::from_counts(&self.labels[k], tp, predicted - tp, gold - tp)
            })
            .collect()
    }

    /// Unweighted mean F1 over labels that occur as gold or prediction.
    pub fn macro_f1(&self) -> f64 {
        let n = self.labels.len();
        let present: Vec<f64> = self
            .per_class()
            .into_iter()
            .enumerate()
            .filter(|&(k, _)| (0..n).any(|j| self.counts[k][j] > 0 || self.counts[j][k] > 0))
            .map(|(_, m)| m.f1)
            .collect();
        mean(&present)
    }

    /// Support-weighted mean F1.
    pub fn weighted_f1(&self) -> f64 {
        let per = self.per_class();
        let total: u64 = per.iter().map(|m| m.support).sum();
        if total == 0 {
            return 0.0;
        }
        per.iter().map(|m| m.f1 * m.support as f64).sum::<f64>() / total as f64
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Fraction of positions where `gold` and `pred` agree; 0 for empty input.
pub fn accuracy<T: PartialEq>(gold: &[T], pred: &[T]) -> f64 {
    debug_assert_eq!(
        gold.len(),
        pred.len(),
        "gold and predictions differ in length"
    );
    let correct = gold.iter().zip(pred).filter(|(g, p)| g == p).count();
    ratio(correct as u64, gold.len().min(pred.len()) as u64)
}

/// Macro F1 over string labels; the label set is `labels`.
pub fn macro_f1(labels: &[&str], gold: &[&str], pred: &[&str]) -> Result<f64, UnknownLabel> {
    Ok(confusion(labels, gold, pred)?.macro_f1())
}

/// Per-class precision/recall/F1 over string labels, in `labels` order.
pub fn per_class(
    labels: &[&str],
    gold: &[&str],
    pred: &[&str],
) -> Result<Vec<ClassMetrics>, UnknownLabel> {
    Ok(confusion(labels, gold, pred)?.per_class())
}

/// Confusion matrix over string labels.
pub fn confusion(labels: &[&str], gold: &[&str], pred: &[&str]) -> Result<Confusion, UnknownLabel> {
    debug_assert_eq!(
        gold.len(),
        pred.len(),
        "gold and predictions differ in length"
    );
    let mut c = Confusion::new(labels.iter().copied());
    for (g, p) in gold.iter().zip(pred) {
        c.add_labels(g, p)?;
    }
    Ok(c)
}

/// Expected calibration error (Guo et al. 2017): observations are binned by the confidence
/// of the predicted class into `bins` equal-width bins ((m-1)/M, m/M] (0 falls in the first),
/// and the gap |accuracy - mean confidence| of each bin is averaged, weighted by bin size.
/// Returns 0 for empty input. The usual `bins` is 15.
pub fn expected_calibration_error(
    probs_of_predicted: &[f64],
    correct: &[bool],
    bins: usize,
) -> f64 {
    debug_assert_eq!(probs_of_predicted.len(), correct.len(), "lengths differ");
    let bins = bins.max(1);
    let mut conf_sum = vec![0.0f64; bins];
    let mut hits = vec![0u64; bins];
    let mut count = vec![0u64; bins];
    let mut n = 0u64;
    for (&p, &ok) in probs_of_predicted.iter().zip(correct) {
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let b = ((p * bins as f64).ceil() as usize)
            .saturating_sub(1)
            .min(bins - 1);
        conf_sum[b] += p;
        hits[b] += u64::from(ok);
        count[b] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| {
            let c = count[b] as f64;
            (c / n as f64) * (hits[b] as f64 / c - conf_sum[b] / c).abs()
        })
        .sum()
}

/// Multi-label (e.g. emotion) results: one binary decision per label per observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiLabelReport {
    /// Per-label metrics, in the order of the labels given.
    pub per_label: Vec<ClassMetrics>,
    /// F1 of the pooled true/false positives/negatives of all labels.
    pub micro_f1: f64,
    /// Unweighted mean F1 over labels with at least one gold or predicted positive.
    pub macro_f1: f64,
    /// Fraction of observations whose whole label set is predicted exactly.
    pub exact_match: f64,
}

/// Per-label and averaged F1 for multi-label predictions. `gold[i][k]` says whether
/// observation `i` has label `labels[k]`; rows shorter than `labels` count missing labels as
/// absent.
pub fn multilabel_f1<S: AsRef<str>>(
    labels: &[S],
    gold: &[Vec<bool>],
    pred: &[Vec<bool>],
) -> MultiLabelReport {
    debug_assert_eq!(
        gold.len(),
        pred.len(),
        "gold and predictions differ in length"
    );
    let k = labels.len();
    let (mut tp, mut fp, mut fn_) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
    let mut exact = 0u64;
    let mut n = 0u64;
    let at = |row: &Vec<bool>, j: usize| row.get(j).copied().unwrap_or(false);
    for (g, p) in gold.iter().zip(pred) {
        let mut all = true;
        for j in 0..k {
            match (at(g, j), at(p, j)) {
                (true, true) => tp[j] += 1,
                (false, true) => fp[j] += 1,
                (true, false) => fn_[j] += 1,
                (false, false) => {}
            }
            all &= at(g, j) == at(p, j);
        }
        exact += u64::from(all);
        n += 1;
    }
    let per_label: Vec<ClassMetrics> = (0..k)
        .map(|j| ClassMetrics::from_counts(labels[j].as_ref(), tp[j], fp[j], fn_[j]))
        .collect();
    let present: Vec<f64> = (0..k)
        .filter(|&j| tp[j] + fp[j] + fn_[j] > 0)
        .map(|j| per_label[j].f1)
        .collect();
    let (stp, sfp, sfn) = (
        tp.iter().sum::<u64>(),
        fp.iter().sum::<u64>(),
        fn_.iter().sum::<u64>(),
    );
    MultiLabelReport {
        micro_f1: harmonic(ratio(stp, stp + sfp), ratio(stp, stp + sfn)),
        macro_f1: mean(&present),
        exact_match: ratio(exact, n),
        per_label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// gold: neg neg neg neu neu pos pos pos pos pos
    /// pred: neg neg pos neu neg pos pos pos neu pos
    fn sample() -> Confusion {
        let gold = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2];
        let pred = [0, 0, 2, 1, 0, 2, 2, 2, 1, 2];
        Confusion::from_indices(LABELS, &gold, &pred)
    }

    #[test]
    fn confusion_matrix_counts() {
        let c = sample();
        assert_eq!(c.labels(), LABELS);
        assert_eq!(c.matrix(), &[vec![2, 0, 1], vec![1, 1, 0], vec![0, 1, 4]]);
        assert_eq!(c.total(), 10);
        assert!(close(c.accuracy(), 0.7));
    }

    #[test]
    fn per_class_precision_recall_f1() {
        let per = sample().per_class();
        // negative: tp 2, predicted 3, gold 3
        assert!(close(per[0].precision, 2.0 / 3.0) && close(per[0].recall, 2.0 / 3.0));
        assert!(close(per[0].f1, 2.0 / 3.0));
        // neutral: tp 1, predicted 2, gold 2
        assert!(close(per[1].precision, 0.5) && close(per[1].recall, 0.5) && close(per[1].f1, 0.5));
        // positive: tp 4, predicted 5, gold 5
        assert!(close(per[2].f1, 0.8));
        assert_eq!(per.iter().map(|m| m.support).collect::<Vec<_>>(), [3, 2, 5]);
        assert_eq!(per[2].label, "positive");
    }

    #[test]
    fn macro_and_weighted_f1() {
        let c = sample();
        assert!(close(c.macro_f1(), (2.0 / 3.0 + 0.5 + 0.8) / 3.0));
        assert!(close(
            c.weighted_f1(),
            (3.0 * 2.0 / 3.0 + 2.0 * 0.5 + 5.0 * 0.8) / 10.0
        ));
    }

    #[test]
    fn macro_f1_skips_labels_never_seen_and_zero_division_is_zero() {
        // neutral never occurs, as gold or prediction: it does not drag the average down.
        let c = Confusion::from_indices(LABELS, &[0, 2, 2], &[0, 2, 0]);
        // negative: p 1/2 r 1 f1 2/3; positive: p 1 r 1/2 f1 2/3
        assert!(close(c.macro_f1(), 2.0 / 3.0));
        assert_eq!(c.per_class()[1].f1, 0.0);
        // A label predicted but never gold has recall 0 (not NaN).
        let c = Confusion::from_indices(LABELS, &[0, 0], &[1, 0]);
        assert_eq!(c.per_class()[1].recall, 0.0);
        assert!(close(c.macro_f1(), (2.0 / 3.0 + 0.0) / 2.0));
    }

    #[test]
    fn empty_confusion_is_all_zero() {
        let c = Confusion::new(LABELS);
        assert_eq!(c.accuracy(), 0.0);
        assert_eq!(c.macro_f1(), 0.0);
        assert_eq!(c.weighted_f1(), 0.0);
    }

    #[test]
    fn string_label_helpers() {
        let gold = ["positive", "negative", "neutral", "positive"];
        let pred = ["positive", "negative", "positive", "positive"];
        assert!(close(accuracy(&gold, &pred), 0.75));
        // neutral f1 0; positive p 2/3 r 1 f1 0.8; negative 1
        assert!(close(
            macro_f1(&LABELS, &gold, &pred).unwrap(),
            (1.0 + 0.0 + 0.8) / 3.0
        ));
        let per = per_class(&LABELS, &gold, &pred).unwrap();
        assert!(close(per[2].precision, 2.0 / 3.0));
        let err = confusion(&LABELS, &["positive"], &["mixed"]).unwrap_err();
        assert_eq!(err.label, "mixed");
        assert!(err.to_string().contains("expected one of"));
    }

    #[test]
    fn ece_exact_values() {
        // Bins of width 0.5: (0, 0.5] holds 0.2, 0.4 (acc 1/2, conf 0.3);
        // (0.5, 1] holds 0.6, 0.8, 1.0 (acc 2/3, conf 0.8).
        let p = [0.2, 0.4, 0.6, 0.8, 1.0];
        let ok = [true, false, true, true, false];
        let want = 0.4 * (0.5f64 - 0.3).abs() + 0.6 * (2.0f64 / 3.0 - 0.8).abs();
        assert!(close(expected_calibration_error(&p, &ok, 2), want));
        // Perfectly calibrated bins give zero.
        let p = [0.75; 4];
        assert!(close(
            expected_calibration_error(&p, &[true, true, true, false], 15),
            0.0
        ));
        // An overconfident model: always 0.9, right half the time.
        let p = [0.9; 4];
        assert!(close(
            expected_calibration_error(&p, &[true, false, true, false], 15),
            0.4
        ));
        assert_eq!(expected_calibration_error(&[], &[], 15), 0.0);
    }

    #[test]
    fn ece_bin_edges_are_right_closed() {
        // 0.5 belongs to (0, 0.5] with 2 bins, so it shares a bin with 0.1.
        let p = [0.1, 0.5];
        let ok = [false, true];
        assert!(close(
            expected_calibration_error(&p, &ok, 2),
            (0.5f64 - 0.3).abs()
        ));
        // 0 and NaN go to the first bin rather than panicking.
        assert!(close(
            expected_calibration_error(&[0.0, f64::NAN], &[false, false], 15),
            0.0
        ));
    }

    #[test]
    fn multilabel_per_label_micro_macro() {
        let labels = ["joy", "anger", "sadness"];
        let gold = vec![
            vec![true, false, false],
            vec![true, true, false],
            vec![false, false, false],
            vec![false, true, false],
        ];
        let pred = vec![
            vec![true, false, false],
            vec![true, false, false],
            vec![true, false, false],
            vec![false, true, false],
        ];
        let r = multilabel_f1(&labels, &gold, &pred);
        // joy: tp 2 fp 1 fn 0 -> p 2/3 r 1 f1 0.8; anger: tp 1 fn 1 -> f1 2/3; sadness unseen.
        assert!(close(r.per_label[0].f1, 0.8));
        assert!(close(r.per_label[1].f1, 2.0 / 3.0));
        assert_eq!(r.per_label[1].support, 2);
        assert_eq!(r.per_label[2].f1, 0.0);
        assert!(close(r.macro_f1, (0.8 + 2.0 / 3.0) / 2.0));
        // pooled: tp 3 fp 1 fn 1 -> p 3/4 r 3/4
        assert!(close(r.micro_f1, 0.75));
        assert!(close(r.exact_match, 0.5));
    }
}
