//! ROC curves by group: how the true-positive rate trades against the false-positive rate as
//! the decision threshold on a score moves, for each group separately.

use serde::{Deserialize, Serialize};

use crate::audit::utility::roc_auc;
use crate::audit::value::Value;

/// Most points kept per curve in reports (the AUC is always computed on every row).
pub const ROC_POINTS: usize = 200;

/// One group's ROC curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRoc {
    pub group: String,
    /// Area under the curve (rank-sum formula, ties averaged; scikit-learn's `roc_auc_score`).
    pub auc: Value,
    /// `(FPR, TPR)` from `(0, 0)` to `(1, 1)`, one point per distinct score from the highest down
    /// (scikit-learn's `roc_curve` with `drop_intermediate=False`), thinned to at most
    /// [`ROC_POINTS`] (the corners `(0, 0)` and `(1, 1)` kept).
    pub points: Vec<(f64, f64)>,
}

/// The ROC points of `scores` against `y_true`: after each distinct score (highest first), the
/// share of positives and of negatives scored at least that high. Empty when a class is missing.
pub fn roc_curve(y_true: &[u8], scores: &[f64]) -> Vec<(f64, f64)> {
    let n_pos = y_true.iter().filter(|&&y| y == 1).count();
    let n_neg = y_true.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        while i < order.len() && scores[order[i]] == s {
            if y_true[order[i]] == 1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push((fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
    }
    points
}

/// Every `k`-th point so that at most `max` remain, the first and last kept.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let step = (points.len() - 1).div_ceil(max - 1);
    let last = *points.last().expect("non-empty");
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// The ROC curve and AUC of each group (`codes[i]` is row `i`'s group, `keys` the group names).
pub(crate) fn roc_by_group(y_true: &[u8], scores: &[f64], codes: &[u32], keys: &[String]) -> Vec<GroupRoc> {
    keys.iter()
        .enumerate()
        .map(|(g, key)| {
            let rows: Vec<usize> = (0..y_true.len()).filter(|&i| codes[i] as usize == g).collect();
            let y: Vec<u8> = rows.iter().map(|&i| y_true[i]).collect();
            let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
            GroupRoc { group: key.clone(), auc: roc_auc(&y, &s), points: thin(roc_curve(&y, &s), ROC_POINTS) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_curve_with_a_tie() {
        // Scores 0.9 (pos), 0.8 (neg), 0.4 (pos) and 0.4 (neg, tied), 0.1 (neg).
        let y = [1, 0, 1, 0, 0];
        let s = [0.9, 0.8, 0.4, 0.4, 0.1];
        let third = 1.0 / 3.0;
        assert_eq!(roc_curve(&y, &s), vec![(0.0, 0.0), (0.0, 0.5), (third, 0.5), (2.0 * third, 1.0), (1.0, 1.0)]);
        // The trapezoids under these points give the AUC.
        let pts = roc_curve(&y, &s);
        let area: f64 = pts.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum();
        assert!((area - roc_auc(&y, &s).get().unwrap()).abs() < 1e-12);
        assert!(roc_curve(&[1, 1], &[0.2, 0.3]).is_empty(), "one class: no curve");
    }

    #[test]
    fn thinning_keeps_the_corners() {
        let pts: Vec<(f64, f64)> = (0..=1000).map(|i| (i as f64 / 1000.0, i as f64 / 1000.0)).collect();
        let t = thin(pts, 200);
        assert!(t.len() <= 201 && t[0] == (0.0, 0.0) && *t.last().unwrap() == (1.0, 1.0));
    }
}
