//! Seeded bootstrap intervals.
//!
//! Each resample draws n rows with replacement; resample b uses a ChaCha8 stream seeded with
//! `seed` and stream number b, so the intervals do not depend on the thread count. An interval is
//! the pair of quantiles (linear interpolation between order statistics, numpy's default) of the
//! metric over the resamples in which it is defined.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::audit::groups::Confusion;
use crate::audit::value::Interval;

/// Runs `n_boot` resamples of the rows; `stat` turns each resample's confusion counts per group
/// (indexed like the groups, absent groups have n = 0) and its per-(label, group) correct/count
/// table into a vector of optional values. Returns one interval per entry of that vector.
pub(crate) fn bootstrap<F>(
    y_true: &[u8],
    y_pred: &[u8],
    codes: &[u32],
    n_groups: usize,
    n_boot: usize,
    quantiles: (f64, f64),
    seed: u64,
    stat: F,
) -> Vec<Option<Interval>>
where
    F: Fn(&[Confusion]) -> Vec<Option<f64>> + Sync,
{
    let n = y_true.len();
    let samples: Vec<Vec<Option<f64>>> = (0..n_boot as u64)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b);
            let mut counts = vec![Confusion::default(); n_groups];
            for _ in 0..n {
                let j = rng.gen_range(0..n);
                counts[codes[j] as usize].add(y_true[j], y_pred[j]);
            }
            stat(&counts)
        })
        .collect();
    let width = samples.first().map_or(0, Vec::len);
    (0..width)
        .map(|k| {
            let mut v: Vec<f64> = samples.iter().filter_map(|s| s[k]).collect();
            if v.is_empty() {
                return None;
            }
            v.sort_by(f64::total_cmp);
            Some(Interval {
                low: quantile_sorted(&v, quantiles.0),
                high: quantile_sorted(&v, quantiles.1),
                n_defined: v.len(),
            })
        })
        .collect()
}

/// The q-quantile of sorted values, interpolating linearly (numpy's `linear` method).
pub(crate) fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.975]) = [1.75, 2.5, 3.925]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&v, 0.25) - 1.75).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.975) - 3.925).abs() < 1e-12);
    }
}
