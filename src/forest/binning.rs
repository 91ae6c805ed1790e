//! Features binned once before the trees grow: each feature's values become u8 bin codes, and a
//! split "code <= b" is the split "x <= threshold[b]" on raw values.

use ndarray::ArrayView2;
use rayon::prelude::*;

/// Column-major bin codes and the threshold after each bin.
pub(crate) struct Binned {
    pub n_rows: usize,
    /// `codes[f * n_rows + i]`: bin of row i in feature f.
    pub codes: Vec<u8>,
    /// `thresholds[f][b]`: x <= thresholds[f][b] exactly when the bin is <= b.
    pub thresholds: Vec<Vec<f64>>,
}

/// Bins every column: with at most `max_bins` distinct values, one bin per value and thresholds
/// at the midpoints between consecutive values (scikit-learn's exact split points); otherwise
/// thresholds at midpoints around `max_bins - 1` evenly spaced quantiles of the distinct values
/// weighted by their counts.
pub(crate) fn bin_features(x: ArrayView2<f64>, max_bins: usize) -> Binned {
    let n = x.nrows();
    let columns: Vec<(Vec<u8>, Vec<f64>)> = (0..x.ncols())
        .into_par_iter()
        .map(|f| {
            let col = x.column(f);
            let mut sorted: Vec<f64> = col.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            let mut distinct: Vec<(f64, usize)> = Vec::new();
            for v in sorted {
                match distinct.last_mut() {
                    Some((last, c)) if *last == v => *c += 1,
                    _ => distinct.push((v, 1)),
                }
            }
            let thresholds: Vec<f64> = if distinct.len() <= max_bins {
                distinct.windows(2).map(|w| midpoint(w[0].0, w[1].0)).collect()
            } else {
                // Cut after the distinct value where the cumulative count crosses each quantile.
                let mut cuts = Vec::with_capacity(max_bins - 1);
                let mut cum = 0usize;
                let mut next_q = 1;
                for w in distinct.windows(2) {
                    cum += w[0].1;
                    if next_q < max_bins && cum * max_bins >= next_q * n {
                        cuts.push(midpoint(w[0].0, w[1].0));
                        while next_q < max_bins && cum * max_bins >= next_q * n {
                            next_q += 1;
                        }
                    }
                }
                cuts
            };
            let codes = col
                .iter()
                .map(|v| thresholds.partition_point(|t| t < v) as u8)
                .collect();
            (codes, thresholds)
        })
        .collect();
    let mut codes = Vec::with_capacity(n * columns.len());
    let mut thresholds = Vec::with_capacity(columns.len());
    for (c, t) in columns {
        codes.extend(c);
        thresholds.push(t);
    }
    Binned { n_rows: n, codes, thresholds }
}

fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    // Keep a < m <= ... so that x = a goes left and x = b goes right.
    if m >= b { a } else { m }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn few_values_are_binned_exactly() {
        let x = array![[0.0], [1.0], [1.0], [3.0]];
        let b = bin_features(x.view(), 256);
        assert_eq!(b.codes, [0, 1, 1, 2]);
        assert_eq!(b.thresholds[0], [0.5, 2.0]);
    }

    #[test]
    fn many_values_get_quantile_bins_consistent_with_thresholds() {
        let x = ndarray::Array2::from_shape_fn((1000, 1), |(i, _)| ((i * 37) % 1000) as f64);
        let b = bin_features(x.view(), 16);
        assert_eq!(b.thresholds[0].len(), 15);
        for (i, v) in x.column(0).iter().enumerate() {
            let code = b.codes[i] as usize;
            let t = &b.thresholds[0];
            assert!(code == 0 || *v > t[code - 1]);
            assert!(code == t.len() || *v <= t[code]);
        }
    }
}
