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
pub(crate) fn consistency_standardized(x_std: ArrayView2<f64>, y: &[f64], k: usize) -> Result<Value> {
    let n = x_std.nrows();
    if k > n {
        return Err(Error::invalid("consistency_k", k, format!("exceeds the number of rows ({n})")));
    }
    let neighbours = crate::audit::knn::nearest_indices(x_std, k);
    let mut total = 0.0;
    for (i, nb) in neighbours.iter().enumerate() {
        let mean = nb.iter().map(|&j| y[j]).sum::<f64>() / k as f64;
        total += (y[i] - mean).abs();
    }
    Ok(Value::Defined(1.0 - total / n as f64))
}
