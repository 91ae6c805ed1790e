//! AIM-Fair's selective mask (SPEC part B, "Mask generation"; Zhao et al. 2025, Sec. 3.3):
//!
//! - for each data set D ∈ {D_R, D_S1, D_S2}, G_D[p] = the mean over batches of ∂L/∂p, the
//!   gradient of the batch's mean binary cross-entropy, from the pretrained model with no
//!   optimiser step (train mode: our MLP has no dropout or batch norm, so train and eval agree);
//! - Δ1[p] = mean over the scalars of tensor p of |G_R[p] − G_S1[p]| (domain sensitivity: real
//!   against synthetic with the same bias);
//! - Δ2[p] = mean over the scalars of tensor p of |G_S1[p] − G_S2[p]| (bias sensitivity: biased
//!   against balanced synthetic);
//! - selected = (the k tensors of smallest Δ1) ∩ (the k tensors of largest Δ2).
//!
//! As in the authors' code the unit is a named parameter **tensor**, not a scalar.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::methods::aimfair::examples::Examples;
use crate::methods::aimfair::finetune::Classifier;
use crate::device::Device;
use crate::nn::{Matrix, ParamMut, Trainable};
use dfdx::prelude::*;

/// One parameter tensor's sensitivities and whether the mask selects it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorScore {
    /// Position in the classifier's visiting order (0-based).
    pub index: usize,
    /// e.g. `layer1.weight`.
    pub name: String,
    /// Scalars in the tensor.
    pub size: usize,
    /// Δ1 = mean|G_R − G_S1|.
    pub delta_domain: f64,
    /// Δ2 = mean|G_S1 − G_S2|.
    pub delta_bias: f64,
    pub selected: bool,
}

/// The paper's k for a network of `n_tensors` tensors: its ratio 55 of ResNet-18's 62 tensors
/// (runner.sh), i.e. round(55 n / 62), at least 1. 8 tensors give k = 7.
pub fn default_top_k(n_tensors: usize) -> usize {
    ((55.0 * n_tensors as f64 / 62.0).round() as usize).clamp(1, n_tensors.max(1))
}

/// G_D: each parameter tensor's gradient of the batch-mean loss, averaged over the batches of
/// `data` (shuffled from `seed`; batches of `batch_size`, the last one possibly shorter).
/// The classifier is not changed.
pub fn mean_gradients(model: &Classifier, data: &Examples, batch_size: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", 0, "must be at least 1"));
    }
    data.check("rows of the mean gradient", model.width())?;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut sums: Vec<Vec<f64>> = model.tensor_sizes().iter().map(|&n| vec![0.0; n]).collect();
    let mut n_batches = 0usize;
    let mut mlp = model.mlp.clone();
    for rows in order.chunks(batch_size) {
        let (x, y) = data.rows(rows);
        let x = model.matrix(x, rows.len());
        let y: Matrix = model.device().tensor_from_vec(y, (rows.len(), 1));
        let loss = binary_cross_entropy_with_logits_loss(mlp.forward(x.leaky_trace()), y);
        add_gradients(&mut sums, &mut mlp, &loss.backward());
        n_batches += 1;
    }
    Ok(divided(sums, n_batches))
}

/// Adds each parameter tensor's gradient (in `module`'s visiting order) to `sums`.
pub(crate) fn add_gradients(sums: &mut [Vec<f64>], module: &mut dyn Trainable, grads: &Gradients<f32, Device>) {
    let mut i = 0;
    module.visit_params(&mut |p| {
        let g = match p {
            ParamMut::Matrix(m) => grads.get(&*m).as_vec(),
            ParamMut::Vector(v) => grads.get(&*v).as_vec(),
        };
        for (s, v) in sums[i].iter_mut().zip(g) {
            *s += v as f64;
        }
        i += 1;
    });
}

/// `sums` divided by the number of batches (at least 1): the mean gradients.
pub(crate) fn divided(mut sums: Vec<Vec<f64>>, n_batches: usize) -> Vec<Vec<f64>> {
    for v in sums.iter_mut().flatten() {
        *v /= n_batches.max(1) as f64;
    }
    sums
}

/// (Δ1, Δ2) per tensor from the mean gradients on D_R, D_S1 and D_S2.
pub fn gradient_differential(g_real: &[Vec<f64>], g_biased: &[Vec<f64>], g_balanced: &[Vec<f64>]) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = g_real.len();
    if g_biased.len() != n || g_balanced.len() != n {
        return Err(Error::LengthMismatch { what: "tensors of the three mean gradients".into(), expected: n, got: g_biased.len().min(g_balanced.len()) });
    }
    let mean_abs_diff = |a: &[f64], b: &[f64]| -> Result<f64> {
        if a.len() != b.len() || a.is_empty() {
            return Err(Error::LengthMismatch { what: "scalars of a tensor's gradients".into(), expected: a.len(), got: b.len() });
        }
        Ok(a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64)
    };
    let mut d1 = Vec::with_capacity(n);
    let mut d2 = Vec::with_capacity(n);
    for p in 0..n {
        d1.push(mean_abs_diff(&g_real[p], &g_biased[p])?);
        d2.push(mean_abs_diff(&g_biased[p], &g_balanced[p])?);
    }
    Ok((d1, d2))
}

/// Every tensor's Δ1, Δ2 and selection from the mean gradients on D_R, D_S1 and D_S2 of a
/// network with these tensor `names` and `sizes` (any network: the mask only sees tensors).
pub fn score_tensors(names: &[String], sizes: &[usize], g_real: &[Vec<f64>], g_biased: &[Vec<f64>], g_balanced: &[Vec<f64>], k: usize) -> Result<Vec<TensorScore>> {
    let (d1, d2) = gradient_differential(g_real, g_biased, g_balanced)?;
    if names.len() != d1.len() || sizes.len() != d1.len() {
        return Err(Error::LengthMismatch { what: "tensor names against gradients".into(), expected: d1.len(), got: names.len().min(sizes.len()) });
    }
    if k == 0 || k > d1.len() {
        return Err(Error::invalid("top_k", k, format!("must lie in 1..={} (the parameter tensors)", d1.len())));
    }
    let selected = select_tensors(&d1, &d2, k)?;
    Ok((0..d1.len())
        .map(|index| TensorScore { index, name: names[index].clone(), size: sizes[index], delta_domain: d1[index], delta_bias: d2[index], selected: selected[index] })
        .collect())
}

/// The mask: tensor p is selected when it is among the k smallest Δ1 **and** among the k largest
/// Δ2. Ties are broken by tensor order (the earlier tensor ranks first in both lists), so the
/// result never depends on sorting details.
///
/// ```
/// use fairdistill::methods::aimfair::select_tensors;
/// // k = 3: smallest Δ1 are tensors {1, 3, 2}; largest Δ2 are {4, 1, 2}; both: {1, 2}.
/// let d1 = [0.5, 0.1, 0.3, 0.1, 0.9];
/// let d2 = [0.2, 0.7, 0.7, 0.1, 0.8];
/// assert_eq!(select_tensors(&d1, &d2, 3)?, vec![false, true, true, false, false]);
/// # Ok::<(), fairdistill::Error>(())
/// ```
pub fn select_tensors(delta_domain: &[f64], delta_bias: &[f64], k: usize) -> Result<Vec<bool>> {
    let n = delta_domain.len();
    if delta_bias.len() != n {
        return Err(Error::LengthMismatch { what: "Δ2 against Δ1 tensors".into(), expected: n, got: delta_bias.len() });
    }
    if k == 0 || k > n {
        return Err(Error::invalid("top_k", k, format!("must lie in 1..={n} (the parameter tensors)")));
    }
    for (what, d) in [("Δ1", delta_domain), ("Δ2", delta_bias)] {
        if let Some(i) = d.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: format!("{what} of the parameter tensors"), index: i });
        }
    }
    let mut by_domain: Vec<usize> = (0..n).collect();
    by_domain.sort_by(|&a, &b| delta_domain[a].total_cmp(&delta_domain[b]).then(a.cmp(&b)));
    let mut by_bias: Vec<usize> = (0..n).collect();
    by_bias.sort_by(|&a, &b| delta_bias[b].total_cmp(&delta_bias[a]).then(a.cmp(&b)));
    let mut low_domain = vec![false; n];
    for &p in &by_domain[..k] {
        low_domain[p] = true;
    }
    let mut mask = vec![false; n];
    for &p in &by_bias[..k] {
        mask[p] = low_domain[p];
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_rule_on_hand_worked_values() {
        // Worked in the doc comment: smallest-3 Δ1 = {1, 3, 2}, largest-3 Δ2 = {4, 1, 2}.
        let d1 = [0.5, 0.1, 0.3, 0.1, 0.9];
        let d2 = [0.2, 0.7, 0.7, 0.1, 0.8];
        assert_eq!(select_tensors(&d1, &d2, 3).unwrap(), vec![false, true, true, false, false]);
        // k = n selects every tensor; k = 1: smallest Δ1 is tensor 1 (tie with 3, earlier wins),
        // largest Δ2 is tensor 4: empty intersection.
        assert_eq!(select_tensors(&d1, &d2, 5).unwrap(), vec![true; 5]);
        assert_eq!(select_tensors(&d1, &d2, 1).unwrap(), vec![false; 5]);
        // k = 2: Δ1 -> {1, 3}; Δ2 -> {4, 1} (1 and 2 tie at 0.7, 1 is earlier): {1}.
        assert_eq!(select_tensors(&d1, &d2, 2).unwrap(), vec![false, true, false, false, false]);
    }

    #[test]
    fn ties_go_to_the_earlier_tensor_in_both_lists() {
        // All equal: both lists are the first k tensors.
        assert_eq!(select_tensors(&[0.2; 4], &[1.0; 4], 2).unwrap(), vec![true, true, false, false]);
        // Δ1 = [0.1, 0.3, 0.3, 0.5], k = 2 -> {0, 1}; Δ2 = [0, 0.4, 0.4, 0.9] -> {3, 1}: {1}.
        let m = select_tensors(&[0.1, 0.3, 0.3, 0.5], &[0.0, 0.4, 0.4, 0.9], 2).unwrap();
        assert_eq!(m, vec![false, true, false, false]);
    }

    #[test]
    fn bad_k_lengths_or_values_are_errors() {
        assert!(select_tensors(&[0.1, 0.2], &[0.1, 0.2], 0).is_err());
        assert!(select_tensors(&[0.1, 0.2], &[0.1, 0.2], 3).is_err());
        assert!(select_tensors(&[0.1, 0.2], &[0.1], 1).is_err());
        assert!(select_tensors(&[0.1, f64::NAN], &[0.1, 0.2], 1).is_err());
    }

    #[test]
    fn the_differential_is_the_mean_absolute_difference_per_tensor() {
        let gr = vec![vec![1.0, 2.0], vec![0.0]];
        let g1 = vec![vec![0.0, 4.0], vec![1.0]];
        let g2 = vec![vec![0.0, 0.0], vec![-1.0]];
        let (d1, d2) = gradient_differential(&gr, &g1, &g2).unwrap();
        assert_eq!(d1, vec![1.5, 1.0]); // (|1-0| + |2-4|) / 2, |0-1|
        assert_eq!(d2, vec![2.0, 2.0]); // (0 + 4) / 2, |1+1|
        assert!(gradient_differential(&gr, &g1[..1], &g2).is_err());
    }

    #[test]
    fn the_default_k_follows_the_papers_ratio() {
        assert_eq!(default_top_k(62), 55);
        assert_eq!(default_top_k(8), 7);
        assert_eq!(default_top_k(1), 1);
    }
}
