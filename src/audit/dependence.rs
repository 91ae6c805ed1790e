//! Distance correlation (Székely, Rizzo & Bakirov 2007): a dependence measure that is 0 exactly
//! when two random vectors are independent.

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Double-centred pairwise distance matrix: A_ij = a_ij - mean_i. - mean_.j + mean_.., with
/// a_ij = sqrt(||x_i - x_j||^2 + eps).
fn centred_distances(x: ArrayView2<f64>, eps: f64) -> Vec<f64> {
    let n = x.nrows();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d2: f64 = x.row(i).iter().zip(x.row(j)).map(|(p, q)| (p - q) * (p - q)).sum();
            a[i * n + j] = (d2 + eps).sqrt();
        }
    }
    let row: Vec<f64> = (0..n).map(|i| a[i * n..(i + 1) * n].iter().sum::<f64>() / n as f64).collect();
    let all = row.iter().sum::<f64>() / n as f64;
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] += all - row[i] - row[j];
        }
    }
    a
}

/// Squared sample distance correlation dCor^2(x, y) = V^2(x, y) / sqrt(V^2(x, x) V^2(y, y)),
/// with V^2(x, y) = (1/n^2) sum_ij A_ij B_ij over the double-centred distance matrices (rows are
/// observations). In [0, 1]; 0 for independent samples in the limit. `eps` is added to each
/// squared distance before the square root (use 0 for the textbook value; the training penalty
/// uses a small one so that its gradient exists at zero distance). O(n^2) time and memory: for
/// batches, not whole datasets.
///
/// ```
/// use fairdistill::audit::distance_correlation_sq;
/// use ndarray::array;
/// let x = array![[1.0], [2.0], [3.0], [4.0]];
/// let y = array![[2.0], [4.0], [6.0], [8.0]];           // y = 2x: fully dependent
/// assert!((distance_correlation_sq(x.view(), y.view(), 0.0).unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn distance_correlation_sq(x: ArrayView2<f64>, y: ArrayView2<f64>, eps: f64) -> Result<f64> {
    let n = x.nrows();
    if n < 2 {
        return Err(Error::Empty { what: "distance correlation needs at least two rows".into() });
    }
    if y.nrows() != n {
        return Err(Error::LengthMismatch { what: "rows of y against rows of x".into(), expected: n, got: y.nrows() });
    }
    if let Some(i) = x.iter().chain(y.iter()).position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "distance correlation input".into(), index: i });
    }
    let a = centred_distances(x, eps);
    let b = centred_distances(y, eps);
    let m = (n * n) as f64;
    let vxy: f64 = a.iter().zip(&b).map(|(p, q)| p * q).sum::<f64>() / m;
    let vxx: f64 = a.iter().map(|p| p * p).sum::<f64>() / m;
    let vyy: f64 = b.iter().map(|q| q * q).sum::<f64>() / m;
    if vxx <= 0.0 || vyy <= 0.0 {
        return Ok(0.0); // a constant sample is independent of anything
    }
    Ok((vxy / (vxx * vyy).sqrt()).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn independent_samples_have_small_dcor_and_dependent_large() {
        let n = 200;
        let x = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 7919) % 1000) as f64 / 1000.0);
        let y_dep = x.mapv(|v| (v * 6.0).sin());
        let y_ind = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 104729 + 13) % 997) as f64 / 997.0);
        let dep = distance_correlation_sq(x.view(), y_dep.view(), 0.0).unwrap();
        let ind = distance_correlation_sq(x.view(), y_ind.view(), 0.0).unwrap();
        assert!(dep > 0.3 && ind < 0.05, "dep {dep}, ind {ind}");
    }
}
