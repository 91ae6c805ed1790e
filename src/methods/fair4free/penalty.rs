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
pub(crate) fn centred_constant(dev: &Device, s: &[f32], n: usize, k: usize) -> (Matrix, f32) {
    let mut a = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            let d2: f32 = (0..k).map(|c| (s[i * k + c] - s[j * k + c]).powi(2)).sum();
            a[i * n + j] = (d2 + DIST_EPS).sqrt();
        }
    }
    let row: Vec<f32> = (0..n).map(|i| a[i * n..(i + 1) * n].iter().sum::<f32>() / n as f32).collect();
    let all = row.iter().sum::<f32>() / n as f32;
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] += all - row[i] - row[j];
        }
    }
    let var = a.iter().map(|v| v * v).sum::<f32>() / (n * n) as f32;
    (dev.tensor_from_vec(a, (n, n)), var)
}

/// dCor^2(z, s) of a batch, in the graph: V^2(z, s) / sqrt(V^2(z, z) V^2(s, s)) with the
/// double-centred distance matrices (Székely et al. 2007). `b` and `var_s` come from
/// [`centred_constant`]. Fair4Free's penalty (paper section 3; SPEC part A) is beta times this.
pub(crate) fn dcor_sq(z: Matrix<Traced>, b: &Matrix, var_s: f32) -> Tensor<(), f32, Device, Traced> {
    let a = double_centre(pairwise_distances(z));
    let var_z = a.with_empty_tape().square().mean::<(), _>();
    let cov = (a * b.clone()).mean::<(), _>();
    cov / ((var_z * var_s.max(1e-12)).sqrt() + 1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::distance_correlation_sq;
    use crate::device::seeded_device;
    use ndarray::Array2;

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
