//! Exact brute-force nearest neighbours (sort every row's distances): correct, O(n^2 log n); to be replaced by the chunked kernel.
use ndarray::ArrayView2;
pub(crate) fn nearest_indices(x: ArrayView2<f64>, k: usize) -> Vec<Vec<usize>> {
    let n = x.nrows();
    (0..n)
        .map(|i| {
            let mut d: Vec<(f64, usize)> = (0..n)
                .map(|j| (x.row(i).iter().zip(x.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(), j))
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d[..k].iter().map(|p| p.1).collect()
        })
        .collect()
}
