//! Fidelity and diversity of synthetic data: precision, recall, density and coverage of
//! Naeem et al. (2020), "Reliable Fidelity and Diversity Metrics for Generative Models"
//! (ICML 2020), computed exactly as `prdc.compute_prdc` (prdc 0.2) computes them.
//!
//! # Definitions
//!
//! Let `X = {x_1..x_N}` be the real points, `Y = {y_1..y_M}` the synthetic ("fake") points,
//! `d` the Euclidean distance and `k` the neighbourhood size. The radius of a point is the
//! distance to its **k-th nearest other point of the same set**:
//! `r_X(i) = d(x_i, NN_k(x_i, X \ {x_i}))`, `r_Y(j)` likewise in `Y`. (prdc takes the
//! (k+1)-th smallest distance with the point's own 0 included; exact duplicates of a point count
//! as neighbours.) Every comparison is strict (`<`):
//!
//! * **precision** `= (1/M) Σ_j 1[∃ i : d(x_i, y_j) < r_X(i)]` — the share of fake points
//!   inside some real point's ball (fidelity). Ideal: 1.
//! * **recall** `= (1/N) Σ_i 1[∃ j : d(x_i, y_j) < r_Y(j)]` — the share of real points inside
//!   some fake point's ball (diversity). Ideal: 1.
//! * **density** `= (1/k) · (1/M) Σ_j #{i : d(x_i, y_j) < r_X(i)}` — how many real balls a fake
//!   point falls in, on average, relative to `k`. Not bounded by 1: about 1 when `Y` is
//!   distributed like `X`, above 1 when fakes crowd dense real regions. Ideal: 1.
//! * **coverage** `= (1/N) Σ_i 1[min_j d(x_i, y_j) < r_X(i)]` — the share of real balls that
//!   hold at least one fake point (diversity). Ideal: 1 (about `1 − 2^{−k}` in expectation when
//!   `Y` matches `X` and `M = N`, per the paper).
//!
//! Reference implementation: `compute_prdc(real_features, fake_features, nearest_k)` in prdc 0.2
//! (<https://github.com/clovaai/generative-evaluation-prdc>); the values agree with it to 1e-9 on
//! the golden cases in `fixtures/golden/prdc_cases.json`.
//!
//! # Computation
//!
//! Three chunked passes of the k-NN kernel (`crate::audit::knn`): the real radii, the fake
//! radii (each visiting every pair within the set once), and one cross pass over real × fake
//! that yields all four numerators at once. No `N × M` matrix is formed. Decisions are made on
//! the direct squared distances of the given coordinates, so exact ties (duplicated points, a
//! fake point exactly at a ball's rim) are resolved deterministically as "not inside", where
//! prdc's own result would depend on its rounding.
//!
//! # Example
//!
//! One-dimensional, `k = 1`. Real `{0, 1, 3}` has radii `(1, 1, 2)` (nearest other point);
//! fake `{0.5, 2.5, 10}` has radii `(2, 2, 7.5)`.
//!
//! * precision: 0.5 is inside the ball of 0 (0.5 < 1) and of 1; 2.5 inside the ball of 3
//!   (0.5 < 2); 10 is in none → 2/3.
//! * recall: real 0 is within 0.5 of the fake 0.5 (< 2); 1 likewise; 3 within 0.5 of 2.5
//!   (< 2) → 3/3.
//! * density: 0.5 lies in 2 real balls, 2.5 in 1 (of 3; it is 1.5 from 1, not < 1), 10 in 0
//!   → (2 + 1 + 0) / 3 / 1 = 1.
//! * coverage: real balls of 0, 1 and 3 each hold a fake point → 1.
//!
//! ```
//! use fairdistill::audit::{synthetic_quality, QualityParams};
//! use ndarray::array;
//!
//! let real = array![[0.0], [1.0], [3.0]];
//! let fake = array![[0.5], [2.5], [10.0]];
//! let q = synthetic_quality(real.view(), fake.view(), &QualityParams::default().with_k(1))?;
//! assert!((q.precision - 2.0 / 3.0).abs() < 1e-12);
//! assert_eq!((q.recall, q.density, q.coverage), (1.0, 1.0, 1.0));
//! assert_eq!((q.k, q.n_real, q.n_synthetic), (1, 3, 3));
//! # Ok::<(), fairdistill::Error>(())
//! ```

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::knn::{ball_counts, column_mean, kth_neighbour_sq, PointSet};
use crate::error::{Error, Result};

/// Parameters of [`synthetic_quality`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityParams {
    /// Neighbourhood size: each point's radius is the distance to its k-th nearest other point
    /// of its own set (prdc's `nearest_k`). Default 5, as recommended by Naeem et al. (2020).
    pub k: usize,
}

impl Default for QualityParams {
    fn default() -> Self {
        QualityParams { k: 5 }
    }
}

impl QualityParams {
    /// Sets the neighbourhood size `k`.
    pub fn with_k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Checks the parameters on their own: `k ≥ 1`. (That each set has more than `k` points is
    /// checked by [`synthetic_quality`], which sees the data.)
    pub fn check(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::invalid(
                "k",
                self.k,
                "must be at least 1 (the radius is the distance to the k-th nearest other point)",
            ));
        }
        Ok(())
    }
}

/// Precision, recall, density and coverage of a synthetic set against a real one (see the
/// [module docs](self) for the formulas).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Share of synthetic points inside at least one real k-NN ball. Ideal 1.
    pub precision: f64,
    /// Share of real points inside at least one synthetic k-NN ball. Ideal 1.
    pub recall: f64,
    /// Mean number of real k-NN balls holding a synthetic point, divided by k. Ideal 1; may
    /// exceed 1.
    pub density: f64,
    /// Share of real k-NN balls holding at least one synthetic point. Ideal 1.
    pub coverage: f64,
    /// The neighbourhood size used.
    pub k: usize,
    /// Number of real points.
    pub n_real: usize,
    /// Number of synthetic points.
    pub n_synthetic: usize,
    /// Share of real points whose k-NN radius is 0 (squared radius <= 1e-12: k or more
    /// duplicates of the point): such balls hold nothing (comparisons are strict), so a large
    /// share drives every measure towards 0 whatever the synthetic data.
    #[serde(default)]
    pub zero_radius_real: f64,
    /// The same for the synthetic points (their balls drive recall).
    #[serde(default)]
    pub zero_radius_synthetic: f64,
}

/// Computes precision, recall, density and coverage (Naeem et al. 2020; prdc's `compute_prdc`)
/// of `synthetic` against `real`, rows being points with the same columns.
///
/// With `r_X(i)` / `r_Y(j)` the distance from a real / synthetic point to the k-th nearest other
/// point of its own set, and strict comparisons:
///
/// * precision `= share of synthetic j with some real i: d(x_i, y_j) < r_X(i)`;
/// * recall `= share of real i with some synthetic j: d(x_i, y_j) < r_Y(j)`;
/// * density `= (1/k) · mean_j #{i : d(x_i, y_j) < r_X(i)}`;
/// * coverage `= share of real i with min_j d(x_i, y_j) < r_X(i)`.
///
/// All four are 1 in the ideal case (density can exceed 1). Cost: `O((N² + M² + NM) · dim)`
/// arithmetic in row chunks, in parallel, with `O(N + M)` extra memory per worker.
///
/// # Errors
///
/// * [`Error::InvalidParam`] if `params.k == 0`, or if either set has `k` points or fewer
///   (each set needs more than `k` points for a k-th nearest *other* point to exist).
/// * [`Error::Empty`] if either set has no rows or no columns.
/// * [`Error::LengthMismatch`] if the two sets have different numbers of columns.
/// * [`Error::NonFinite`] on a NaN or infinite coordinate (the index is the flat row-major
///   index into that set), or if coordinates are so large that squared distances overflow.
pub fn synthetic_quality(
    real: ArrayView2<'_, f64>,
    synthetic: ArrayView2<'_, f64>,
    params: &QualityParams,
) -> Result<QualityReport> {
    params.check()?;
    let k = params.k;
    // Reborrow both views with one common lifetime so they can share an array below.
    let (real, synthetic) = (real.view(), synthetic.view());
    for (what, x) in [("real points", &real), ("synthetic points", &synthetic)] {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(Error::Empty {
                what: format!("{what} ({} rows × {} columns)", x.nrows(), x.ncols()),
            });
        }
    }
    if synthetic.ncols() != real.ncols() {
        return Err(Error::LengthMismatch {
            what: "columns of the synthetic points vs the real points".into(),
            expected: real.ncols(),
            got: synthetic.ncols(),
        });
    }
    for (what, x) in [("real points", &real), ("synthetic points", &synthetic)] {
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: what.into(),
                index,
            });
        }
    }
    for (set, n) in [("real", real.nrows()), ("synthetic", synthetic.nrows())] {
        if k >= n {
            return Err(Error::invalid(
                "k",
                k,
                format!(
                    "the {set} set has {n} points; each set needs more than k points \
                     (the radius is the distance to the k-th nearest other point)"
                ),
            ));
        }
    }

    let centre = column_mean(&[real, synthetic]);
    let (real_ps, fake_ps) = rayon::join(
        || PointSet::new(real, &centre),
        || PointSet::new(synthetic, &centre),
    );
    for (what, ps) in [("real points", &real_ps), ("synthetic points", &fake_ps)] {
        if let Some(row) = ps.centred_sq_norms().iter().position(|s| !s.is_finite()) {
            return Err(Error::NonFinite {
                what: format!(
                    "{what}: squared distances overflow f64 (coordinates too large), row"
                ),
                index: row,
            });
        }
    }

    // Each pass is parallel inside; running them one after the other keeps one set of
    // per-worker candidate lists alive at a time.
    let real_r2 = kth_neighbour_sq(&real_ps, k);
    let fake_r2 = kth_neighbour_sq(&fake_ps, k);
    let tally = ball_counts(&real_ps, &fake_ps, &real_r2, &fake_r2);

    let (n_real, n_fake) = (real.nrows(), synthetic.nrows());
    let share = |hits: usize, n: usize| hits as f64 / n as f64;
    let in_real_balls: u64 = tally.b_in_a_balls.iter().map(|&c| u64::from(c)).sum();
    Ok(QualityReport {
        precision: share(
            tally.b_in_a_balls.iter().filter(|&&c| c > 0).count(),
            n_fake,
        ),
        recall: share(tally.a_in_b_ball.iter().filter(|&&b| b).count(), n_real),
        // prdc: (1 / k) * counts.mean()
        density: (1.0 / k as f64) * (in_real_balls as f64 / n_fake as f64),
        coverage: share(tally.a_ball_hit.iter().filter(|&&b| b).count(), n_real),
        k,
        n_real,
        n_synthetic: n_fake,
        zero_radius_real: share(real_r2.iter().filter(|&&r| r <= 1e-12).count(), n_real),
        zero_radius_synthetic: share(fake_r2.iter().filter(|&&r| r <= 1e-12).count(), n_fake),
    })
}
