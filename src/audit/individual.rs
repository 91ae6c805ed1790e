//! Individual fairness: similar individuals should be treated similarly.

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::value::Value;

/// Columns scaled to zero mean and unit population standard deviation (a constant column is only
/// centred). Both individual-fairness measures work on these.
pub fn standardize(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = x.to_owned();
    let n = x.nrows() as f64;
    for mut col in out.columns_mut() {
        let mean = col.sum() / n;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        col.mapv_inplace(|v| (v - mean) / std);
    }
    out
}

/// The distillation paper's Lipschitz-style individual unfairness.
///
/// L = mean over sampled pairs (i, j), i != j, of |f(x_i) - f(x_j)| / d(x_i, x_j), with f the
/// predicted probability of the positive class and d the Euclidean distance between the
/// standardised feature rows. Pairs are drawn uniformly with replacement by a ChaCha8 stream
/// seeded with `seed`; when n(n-1)/2 is at most `n_pairs`, every pair is used instead. Pairs at
/// distance 0 are counted separately (`zero_distance_pairs`) and left out. Ideal: 0 (lower is
/// fairer); the scale depends on the features' dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lipschitz {
    pub value: Value,
    pub pairs: usize,
    pub zero_distance_pairs: usize,
}

pub(crate) fn lipschitz(x_std: ArrayView2<f64>, scores: &[f64], n_pairs: usize, seed: u64) -> Lipschitz {
    let n = x_std.nrows();
    let dist = |i: usize, j: usize| {
        x_std
            .row(i)
            .iter()
            .zip(x_std.row(j))
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    };
    let mut sum = 0.0;
    let mut used = 0usize;
    let mut zero = 0usize;
    let mut visit = |i: usize, j: usize| {
        let d = dist(i, j);
        if d > 0.0 {
            sum += (scores[i] - scores[j]).abs() / d;
            used += 1;
        } else {
            zero += 1;
        }
    };
    let all_pairs = n.saturating_mul(n.saturating_sub(1)) / 2;
    if all_pairs <= n_pairs {
        for i in 0..n {
            for j in i + 1..n {
                visit(i, j);
            }
        }
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..n_pairs {
            let i = rng.gen_range(0..n);
            let mut j = rng.gen_range(0..n - 1);
            if j >= i {
                j += 1;
            }
            visit(i, j);
        }
    }
    Lipschitz {
        value: if used == 0 {
            Value::undefined("no pair at a positive distance")
        } else {
            Value::Defined(sum / used as f64)
        },
        pairs: used,
        zero_distance_pairs: zero,
    }
}

/// [`Lipschitz`] over given pairs: the mean of `output_gaps[k] / distances[k]` over the pairs at a
/// positive distance (pairs at distance 0 are counted in `zero_distance_pairs` and left out).
/// The caller chooses the pairs, the output gap and the distance (e.g. an image and its copy in
/// another colour, the total-variation distance between their predicted class probabilities, and
/// the root-mean-square pixel difference).
///
/// ```
/// use fairdistill::audit::pairwise_lipschitz;
/// let l = pairwise_lipschitz(&[0.2, 0.1, 0.5], &[0.5, 0.25, 0.0]).unwrap();
/// assert_eq!((l.value.get(), l.pairs, l.zero_distance_pairs), (Some(0.4), 2, 1));
/// ```
pub fn pairwise_lipschitz(output_gaps: &[f64], distances: &[f64]) -> crate::error::Result<Lipschitz> {
    use crate::error::Error;
    if output_gaps.len() != distances.len() {
        return Err(Error::LengthMismatch { what: "distances against output gaps".into(), expected: output_gaps.len(), got: distances.len() });
    }
    if let Some(i) = output_gaps.iter().chain(distances).position(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::NonFinite { what: "output gaps and distances (each finite and >= 0)".into(), index: i % output_gaps.len().max(1) });
    }
    let (mut sum, mut used, mut zero) = (0.0, 0usize, 0usize);
    for (g, d) in output_gaps.iter().zip(distances) {
        if *d > 0.0 {
            sum += g / d;
            used += 1;
        } else {
            zero += 1;
        }
    }
    Ok(Lipschitz {
        value: if used == 0 { Value::undefined("no pair at a positive distance") } else { Value::Defined(sum / used as f64) },
        pairs: used,
        zero_distance_pairs: zero,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn lipschitz_by_hand() {
        // Points 0, 3, 4 on a line (already standardised here), scores 0, 0.3, 1.0:
        // pairs (0,1): 0.3/3, (0,2): 1/4, (1,2): 0.7/1 -> mean (0.1 + 0.25 + 0.7) / 3 = 0.35.
        let x = array![[0.0], [3.0], [4.0]];
        let l = lipschitz(x.view(), &[0.0, 0.3, 1.0], 100, 0);
        assert!((l.value.get().unwrap() - 0.35).abs() < 1e-12);
        assert_eq!(l.pairs, 3);
    }

    #[test]
    fn standardize_uses_population_std() {
        let x = array![[1.0, 5.0], [3.0, 5.0]];
        let s = standardize(x.view());
        assert_eq!(s, array![[-1.0, 0.0], [1.0, 0.0]]);
    }
}
