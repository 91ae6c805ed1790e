//! Utility metrics of binary predictions, reported beside the fairness ones.

use serde::{Deserialize, Serialize};

use crate::audit::groups::Confusion;
use crate::audit::value::Value;
use crate::error::{Error, Result};

/// Accuracy, precision, recall, F1 and ROC AUC of binary predictions.
///
/// accuracy = (TP + TN) / n; precision = TP / (TP + FP) (undefined with no predicted
/// positives); recall = TP / (TP + FN) (undefined with no positives); F1 = 2 TP / (2 TP + FP +
/// FN); ROC AUC = P(score of a random positive > score of a random negative) + P(tie) / 2
/// (undefined with a single class). Ideal: 1 each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    pub accuracy: Value,
    pub precision: Value,
    pub recall: Value,
    pub f1: Value,
    pub roc_auc: Value,
}

/// Utility of predictions `y_pred` (0/1) with `scores` (for the AUC) against `y_true`.
///
/// ```
/// use fairdistill::audit::utility;
/// let u = utility(&[1, 1, 0, 0], &[1, 0, 0, 0], &[0.9, 0.4, 0.4, 0.1]).unwrap();
/// assert_eq!(u.precision.get(), Some(1.0));
/// assert_eq!(u.recall.get(), Some(0.5));
/// // Positive-negative pairs: (0.9 > 0.4, 0.9 > 0.1, 0.4 = 0.4, 0.4 > 0.1) -> 3.5 / 4.
/// assert_eq!(u.roc_auc.get(), Some(0.875));
/// ```
pub fn utility(y_true: &[u8], y_pred: &[u8], scores: &[f64]) -> Result<Utility> {
    let n = y_true.len();
    if n == 0 {
        return Err(Error::Empty { what: "y_true has no rows".into() });
    }
    for (what, len) in [("y_pred", y_pred.len()), ("scores", scores.len())] {
        if len != n {
            return Err(Error::LengthMismatch { what: format!("{what} against y_true"), expected: n, got: len });
        }
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::NonFinite { what: "scores".into(), index: i });
    }
    let mut c = Confusion::default();
    for (&y, &p) in y_true.iter().zip(y_pred) {
        if y > 1 || p > 1 {
            return Err(Error::NotBinary { what: "labels".into(), index: 0, value: y.max(p).to_string() });
        }
        c.add(y, p);
    }
    Ok(Utility {
        accuracy: Value::ratio(c.tp + c.tn, c.n(), "no rows"),
        precision: Value::ratio(c.tp, c.tp + c.fp, "no predicted positives"),
        recall: Value::ratio(c.tp, c.positives(), "no positives"),
        f1: Value::ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn_, "no positives and no predicted positives"),
        roc_auc: roc_auc(y_true, scores),
    })
}

/// ROC AUC by the rank-sum (Mann-Whitney) formula with average ranks for ties: equal to the
/// trapezoidal area under the ROC curve (scikit-learn's `roc_auc_score`).
pub fn roc_auc(y_true: &[u8], scores: &[f64]) -> Value {
    let n_pos = y_true.iter().filter(|&&y| y == 1).count();
    let n_neg = y_true.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Value::undefined("a single class in y_true");
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y_true[k] == 1 {
                rank_sum_pos += avg_rank;
            }
        }
        i = j + 1;
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Value::Defined(u / (n_pos as f64 * n_neg as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_pair_counting() {
        let y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0];
        let s = [0.9, 0.3, 0.3, 0.8, 0.5, 0.1, 0.5, 0.5, 0.2, 0.0];
        let mut num = 0.0;
        let mut den = 0.0;
        for i in 0..y.len() {
            for j in 0..y.len() {
                if y[i] == 1 && y[j] == 0 {
                    den += 1.0;
                    num += if s[i] > s[j] { 1.0 } else if s[i] == s[j] { 0.5 } else { 0.0 };
                }
            }
        }
        assert!((roc_auc(&y, &s).get().unwrap() - num / den).abs() < 1e-15);
        assert!(!roc_auc(&[1, 1], &[0.2, 0.3]).is_defined());
    }
}
