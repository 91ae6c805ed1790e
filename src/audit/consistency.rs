//! Consistency (Zemel et al. 2013; AIF360's `consistency_score`).

use ndarray::ArrayView2;

use crate::audit::value::Value;
use crate::error::{Error, Result};

/// Consistency = 1 - (1/n) sum_i |y_i - (1/k) sum_{j in kNN(x_i)} y_j|, where kNN(x_i) are the k
/// rows nearest to x_i in Euclidean distance, **x_i itself included** (AIF360 queries the rows it
/// was fitted on, so each row is its own nearest neighbour). Ties are broken by the smaller row
/// index. Ideal: 1 (every individual is predicted like its neighbours).
///
/// `x_std` should be standardised features (the audit standardises them); `y` the predictions.
/// Exact; sub-quadratic (a k-d tree, `kd_tree.rs`) where the data let a tree prune, else the
/// brute-force GEMM kernel (`knn.rs`); both give the same neighbours
/// (`kd_tree::nearest_indices_auto`). `progress(done)` reports the rows answered so far.
pub(crate) fn consistency_standardized(x_std: ArrayView2<f64>, y: &[f64], k: usize, progress: &(dyn Fn(usize) + Sync)) -> Result<Value> {
    let n = x_std.nrows();
    if k > n {
        return Err(Error::invalid("consistency_k", k, format!("exceeds the number of rows ({n})")));
    }
    let neighbours = crate::audit::kd_tree::nearest_indices_auto(x_std, k, progress);
    Ok(Value::Defined(score(&neighbours, y, k)))
}

/// `1 - mean_i |y_i - mean of y over i's neighbours|`.
fn score(neighbours: &[Vec<usize>], y: &[f64], k: usize) -> f64 {
    let total: f64 = neighbours
        .iter()
        .enumerate()
        .map(|(i, nb)| (y[i] - nb.iter().map(|&j| y[j]).sum::<f64>() / k as f64).abs())
        .sum();
    1.0 - total / y.len() as f64
}

/// The consistency score of `y_pred` on the standardised `x` by the brute-force kernel alone
/// (every pair of rows, quadratic): the reference the benchmark times the tree against.
#[doc(hidden)]
pub fn consistency_brute_force(x: ArrayView2<f64>, y_pred: &[u8], k: usize) -> Result<f64> {
    if k == 0 || k > x.nrows() {
        return Err(Error::invalid("consistency_k", k, format!("must be in 1..={}", x.nrows())));
    }
    let xs = crate::audit::individual::standardize(x);
    let y: Vec<f64> = y_pred.iter().map(|&v| v as f64).collect();
    Ok(score(&crate::audit::knn::nearest_indices(xs.view(), k), &y, k))
}
