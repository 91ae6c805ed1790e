//! The fairness penalty of the teacher, computed in the autodiff graph.

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::Matrix;

/// The tape type of a traced training step.
pub(crate) type Traced = OwnedTape<f32, Device>;

/// Added to squared distances before the square root, so that the gradient exists at distance 0
/// (the diagonal).
pub(crate) const DIST_EPS: f32 = 1e-6;

/// Pairwise distances sqrt(||z_i - z_j||^2 + eps) of the rows of a traced batch.
///
/// ||z_i - z_j||^2 = r_i + r_j - 2 z_i.z_j with r the squared row norms. The Gram matrix is
/// z (1 z)^T: multiplying one side by 1 gives it its own tensor id, because dfdx 0.13 panics in
/// the backward pass of a binary op whose two sides share an id.
pub(crate) fn pairwise_distances(z: Matrix<Traced>) -> Matrix<Traced> {
    let n = z.shape().0;
    let z_other = z.with_empty_tape() * 1.0;
    let z_norms = z.with_empty_tape();
    let gram = z.matmul(z_other.permute());
    let r = z_norms.square().sum::<(usize,), Axis<1>>();
    let r_rows = r.with_empty_tape().broadcast_like::<_, Axis<1>>(&(n, n));
    // Broadcasting keeps the tensor id: give the second copy its own (see above).
    let r_cols = (r * 1.0).broadcast_like::<_, Axis<0>>(&(n, n));
    let d2 = r_rows + r_cols - gram * 2.0;
    (d2.relu() + DIST_EPS).sqrt()
}

/// Double centring: A_ij = a_ij - mean_i. - mean_.j + mean_.. (a symmetric).
pub(crate) fn double_centre(a: Matrix<Traced>) -> Matrix<Traced> {
    let n = a.shape().0;
    let m = a.with_empty_tape().mean::<(usize,), Axis<1>>();
    let all = m.with_empty_tape().mean::<(), _>().broadcast_like::<_, Axes2<0, 1>>(&(n, n));
    let m_rows = m.with_empty_tape().broadcast_like::<_, Axis<1>>(&(n, n));
    let m_cols = (m * 1.0).broadcast_like::<_, Axis<0>>(&(n, n));
    a - m_rows - m_cols + all
}

/// The double-centred distance matrix of a constant batch (e.g. one-hot groups) and its
/// distance variance V^2(s, s), computed once per batch outside the graph.
///
/// Rows of `s` take few distinct values (the groups), so every entry depends only on the pair of
/// groups: the distances, row means and centred values are computed on the `g x g` table of
/// distinct rows and then written out, instead of `n^2` distance evaluations.
pub(crate) fn centred_constant(dev: &Device, s: &[f32], n: usize, k: usize) -> (Matrix, f32) {
    // Distinct rows (by bits) and each row's index among them.
    let mut distinct: Vec<&[f32]> = Vec::new();
    let mut id = vec![0usize; n];
    for (i, row) in s.chunks_exact(k).take(n).enumerate() {
        id[i] = match distinct.iter().position(|d| d.iter().zip(row).all(|(a, b)| a.to_bits() == b.to_bits())) {
            Some(p) => p,
            None => {
                distinct.push(row);
                distinct.len() - 1
            }
        };
    }
    let g = distinct.len();
    let mut count = vec![0f64; g];
    id.iter().for_each(|&p| count[p] += 1.0);
    let dist: Vec<f64> = (0..g * g)
        .map(|pq| {
            let (p, q) = (pq / g, pq % g);
            let d2: f32 = distinct[p].iter().zip(distinct[q]).map(|(a, b)| (a - b).powi(2)).sum();
            (d2 + DIST_EPS).sqrt() as f64
        })
        .collect();
    let nf = n as f64;
    let row_mean: Vec<f64> = (0..g).map(|p| (0..g).map(|q| count[q] * dist[p * g + q]).sum::<f64>() / nf).collect();
    let grand = (0..g).map(|p| count[p] * row_mean[p]).sum::<f64>() / nf;
    let centred: Vec<f32> = (0..g * g).map(|pq| (dist[pq] - row_mean[pq / g] - row_mean[pq % g] + grand) as f32).collect();
    let var = (0..g * g).map(|pq| count[pq / g] * count[pq % g] * (centred[pq] as f64).powi(2)).sum::<f64>() / (nf * nf);
    let mut a = Vec::with_capacity(n * n);
    for &p in &id {
        a.extend(id.iter().map(|&q| centred[p * g + q]));
    }
    (dev.tensor_from_vec(a, (n, n)), var as f32)
}

/// dCor^2(z, s) of a batch, in the graph: V^2(z, s) / sqrt(V^2(z, z) V^2(s, s)) with the
/// double-centred distance matrices (Székely et al. 2007). `b` and `var_s` come from
/// [`centred_constant`]. Fair4Free's penalty (paper section 3; SPEC part A) is beta times this.
///
/// On the CPU this is one op with its own backward ([`cpu::dcor_sq`]); on CUDA it is composed
/// of dfdx ops.
pub(crate) fn dcor_sq(z: Matrix<Traced>, b: &Matrix, var_s: f32) -> Tensor<(), f32, Device, Traced> {
    #[cfg(not(feature = "cuda"))]
    {
        cpu::dcor_sq(z, b, var_s)
    }
    #[cfg(feature = "cuda")]
    {
        dcor_sq_composed(z, b, var_s)
    }
}

/// [`dcor_sq`] composed of dfdx ops (about twenty n x n passes forward and backward).
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) fn dcor_sq_composed(z: Matrix<Traced>, b: &Matrix, var_s: f32) -> Tensor<(), f32, Device, Traced> {
    let a = double_centre(pairwise_distances(z));
    let var_z = a.with_empty_tape().square().mean::<(), _>();
    let cov = (a * b.clone()).mean::<(), _>();
    cov / ((var_z * var_s.max(1e-12)).sqrt() + 1e-12)
}

#[cfg(not(feature = "cuda"))]
mod cpu {
    use super::*;
    use rayon::prelude::*;

    use crate::nn::host_values;

    /// dCor^2 as one op. With `D_ij = sqrt(|z_i - z_j|^2 + eps)`, `A = J D J` (double centring),
    /// `n^2 V^2(z, s) = sum A B`, `n^2 V^2(z, z) = sum A^2`, `S = sqrt(V^2(z, z) V^2(s, s))` and
    /// `f = V^2(z, s) / (S + 1e-12)`:
    ///
    /// `dL/dA = g (B / (S + 1e-12) - V^2(z, s) V^2(s, s) A / ((S + 1e-12)^2 S)) / n^2`, which is
    /// already double-centred, so `dL/dD = dL/dA`; then, with `W_ij = 2 (dL/dD)_ij / D_ij`,
    /// `dL/dz_i = z_i sum_j W_ij - sum_j W_ij z_j`. Forward and backward are each a few passes
    /// over the n x n matrices, rows in parallel, sums in row order (bit-reproducible).
    pub(super) fn dcor_sq(z: Matrix<Traced>, b: &Matrix, var_s: f32) -> Tensor<(), f32, Device, Traced> {
        let (n, d) = *z.shape();
        assert_eq!(b.shape(), &(n, n), "dcor_sq: the centred matrix of s must be {n} x {n}");
        let (z, mut tape) = z.contiguous().split_tape();
        let zv = host_values(&z);
        let bv = host_values(b);
        // Distances, and their row means (D is symmetric, so row and column means agree).
        let mut dist = vec![0.0f32; n * n];
        dist.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            let zi = &zv[i * d..(i + 1) * d];
            for (j, out) in row.iter_mut().enumerate() {
                let zj = &zv[j * d..(j + 1) * d];
                let q: f32 = zi.iter().zip(zj).map(|(a, b)| (a - b) * (a - b)).sum();
                *out = (q + DIST_EPS).sqrt();
            }
        });
        let row_mean: Vec<f64> = dist.par_chunks(n).map(|r| r.iter().map(|&v| v as f64).sum::<f64>() / n as f64).collect();
        let grand = row_mean.iter().sum::<f64>() / n as f64;
        // Centred A (kept for the backward) with sum A^2 and sum A B per row.
        let mut a = dist.clone();
        let per_row: Vec<(f64, f64)> = a
            .par_chunks_mut(n)
            .zip(bv.par_chunks(n))
            .enumerate()
            .map(|(i, (row, brow))| {
                let (mut aa, mut ab) = (0.0f64, 0.0f64);
                for (j, (v, bj)) in row.iter_mut().zip(brow).enumerate() {
                    let c = (*v as f64 - row_mean[i] - row_mean[j] + grand) as f32;
                    *v = c;
                    aa += (c * c) as f64;
                    ab += (c * bj) as f64;
                }
                (aa, ab)
            })
            .collect();
        let nn = (n * n) as f64;
        let var_z = per_row.iter().map(|p| p.0).sum::<f64>() / nn;
        let cov = per_row.iter().map(|p| p.1).sum::<f64>() / nn;
        let var_s = (var_s as f64).max(1e-12);
        let s = (var_z * var_s).sqrt();
        let value = cov / (s + 1e-12);
        let dev = z.device().clone();
        let out = dev.tensor(value as f32);
        let out_id = out.clone();
        tape.add_backward_op(move |grads| {
            let g = grads.get_or_alloc_mut(&out_id)?[0] as f64;
            let den = s + 1e-12;
            let coef_b = (g / (den * nn)) as f32;
            let coef_a = if s > 0.0 { (g * cov * var_s / (den * den * s * nn)) as f32 } else { 0.0 };
            let gz = grads.get_or_alloc_mut(&z)?;
            gz.par_chunks_mut(d).enumerate().for_each(|(i, gzi)| {
                let zi = &zv[i * d..(i + 1) * d];
                let mut acc = vec![0.0f32; d];
                let mut wsum = 0.0f32;
                for j in 0..n {
                    let w = 2.0 * (coef_b * bv[i * n + j] - coef_a * a[i * n + j]) / dist[i * n + j];
                    wsum += w;
                    let zj = &zv[j * d..(j + 1) * d];
                    for (acc, v) in acc.iter_mut().zip(zj) {
                        *acc += w * v;
                    }
                }
                for ((o, zi), acc) in gzi.iter_mut().zip(zi).zip(&acc) {
                    *o += zi * wsum - acc;
                }
            });
            Ok(())
        });
        out.put_tape(tape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::distance_correlation_sq;
    use crate::device::seeded_device;
    use ndarray::Array2;

    #[test]
    fn the_kernel_agrees_with_the_composed_dfdx_version() {
        let dev = seeded_device(11);
        let (n, d, k) = (40, 8, 3);
        let z: Matrix = dev.sample_normal_like(&(n, d));
        let s: Vec<f32> = (0..n).flat_map(|i| (0..k).map(move |c| (i % k == c) as u8 as f32)).collect();
        let (b, var_s) = centred_constant(&dev, &s, n, k);
        let fused = dcor_sq(z.leaky_trace(), &b, var_s);
        let composed = dcor_sq_composed(z.leaky_trace(), &b, var_s);
        let (vf, vc) = (fused.array(), composed.array());
        assert!((vf - vc).abs() < 1e-5, "value: kernel {vf}, composed {vc}");
        let gf = fused.backward().get(&z).as_vec();
        let gc = composed.backward().get(&z).as_vec();
        let scale = gc.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (a, b) in gf.iter().zip(&gc) {
            assert!((a - b).abs() < 2e-3 * scale.max(1e-3), "gradient: kernel {a}, composed {b}");
        }
    }

    #[test]
    fn value_matches_the_host_reference_and_gradient_matches_finite_differences() {
        let dev = seeded_device(3);
        let (n, d, k) = (10, 3, 2);
        let z: Matrix = dev.sample_normal_like(&(n, d));
        let zv: Vec<f32> = z.as_vec();
        let s: Vec<f32> = (0..n).flat_map(|i| if i % 3 == 0 { [1.0, 0.0] } else { [0.0, 1.0] }).collect();
        let (b, var_s) = centred_constant(&dev, &s, n, k);
        let loss = dcor_sq(z.leaky_trace(), &b, var_s);
        let value = loss.array();
        let grads = loss.backward();
        let g = grads.get(&z).as_vec();

        let host = |zv: &[f64]| {
            let zz = Array2::from_shape_vec((n, d), zv.to_vec()).unwrap();
            let ss = Array2::from_shape_vec((n, k), s.iter().map(|&v| v as f64).collect()).unwrap();
            distance_correlation_sq(zz.view(), ss.view(), DIST_EPS as f64).unwrap()
        };
        let z64: Vec<f64> = zv.iter().map(|&v| v as f64).collect();
        let reference = host(&z64);
        assert!((value as f64 - reference).abs() < 1e-4, "graph {value}, host {reference}");
        let h = 1e-4;
        let mut worst = 0.0f64;
        for i in 0..n * d {
            let mut plus = z64.clone();
            let mut minus = z64.clone();
            plus[i] += h;
            minus[i] -= h;
            let fd = (host(&plus) - host(&minus)) / (2.0 * h);
            worst = worst.max((fd - g[i] as f64).abs());
        }
        let scale = g.iter().map(|v| v.abs() as f64).fold(0.0, f64::max);
        assert!(worst < 2e-3 * scale.max(1e-3), "finite differences differ by {worst} (largest gradient {scale})");
    }
}
