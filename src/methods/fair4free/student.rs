//! The student: noise -> fair latent, distilled from the teacher's latents without seeing x.

use dfdx::prelude::*;

use crate::device::Device;
use crate::methods::fair4free::penalty::{Traced, DIST_EPS};
use crate::nn::Matrix;

/// Squared distances between the rows of a traced batch `a` and a constant batch `c`.
fn cross_sq_distances(a: Matrix<Traced>, c: &Matrix) -> Matrix<Traced> {
    let (n, m) = (a.shape().0, c.shape().0);
    let ra = a.with_empty_tape().square().sum::<(usize,), Axis<1>>().broadcast_like::<_, Axis<1>>(&(n, m));
    let rc = c.clone().square().sum::<(usize,), Axis<1>>().broadcast_like::<_, Axis<0>>(&(n, m));
    (ra + rc - a.matmul(c.clone().permute()) * 2.0).relu()
}

/// Squared distances within a traced batch (one side multiplied by 1 for its own tensor id).
fn self_sq_distances(a: Matrix<Traced>) -> Matrix<Traced> {
    let n = a.shape().0;
    let other = a.with_empty_tape() * 1.0;
    let r = a.with_empty_tape().square().sum::<(usize,), Axis<1>>();
    let r_rows = r.with_empty_tape().broadcast_like::<_, Axis<1>>(&(n, n));
    let r_cols = (r * 1.0).broadcast_like::<_, Axis<0>>(&(n, n));
    (r_rows + r_cols - a.matmul(other.permute()) * 2.0).relu()
}

/// Multi-bandwidth RBF MMD^2 (Gretton et al. 2012, biased estimator) between the student's batch
/// `a` and a batch `c` of teacher latents: mean k(a, a) + mean k(c, c) - 2 mean k(a, c), with
/// k = sum over bandwidths h of exp(-||u - v||^2 / (2 h^2)).
pub(crate) fn mmd_sq(a: Matrix<Traced>, c: &Matrix, bandwidths: &[f32], kcc: f32) -> Tensor<(), f32, Device, Traced> {
    let daa = self_sq_distances(a.with_empty_tape());
    let dac = cross_sq_distances(a, c);
    let mut total: Option<Tensor<(), f32, Device, Traced>> = None;
    for &h in bandwidths {
        let g = -1.0 / (2.0 * h * h);
        let kaa = (daa.with_empty_tape() * g).exp().mean::<(), _>();
        let kac = (dac.with_empty_tape() * g).exp().mean::<(), _>();
        let term = kaa - kac * 2.0;
        total = Some(match total.take() {
            Some(t) => t + term,
            None => term,
        });
    }
    // Keep both distance tapes in the graph.
    let tie = daa.sum::<(), _>() * 0.0 + dac.sum::<(), _>() * 0.0;
    total.expect("at least one bandwidth") + tie + kcc
}

/// mean k(c, c) of a constant batch, for [`mmd_sq`].
pub(crate) fn kernel_mean_const(c: &[f32], n: usize, d: usize, bandwidths: &[f32]) -> f32 {
    let mut total = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            let d2: f32 = (0..d).map(|k| (c[i * d + k] - c[j * d + k]).powi(2)).sum();
            for &h in bandwidths {
                total += (-(d2 as f64) / (2.0 * (h as f64) * (h as f64))).exp();
            }
        }
    }
    (total / (n * n) as f64) as f32
}

/// Bandwidths: the median pairwise distance of `c` (rows of width d) times 0.25, 0.5, 1, 2, 4.
pub(crate) fn median_bandwidths(c: &[f32], n: usize, d: usize) -> Vec<f32> {
    let mut dists = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let d2: f32 = (0..d).map(|k| (c[i * d + k] - c[j * d + k]).powi(2)).sum();
            dists.push((d2 + DIST_EPS).sqrt());
        }
    }
    dists.sort_by(f32::total_cmp);
    let med = dists.get(dists.len() / 2).copied().unwrap_or(1.0).max(1e-3);
    [0.25, 0.5, 1.0, 2.0, 4.0].iter().map(|f| f * med).collect()
}
