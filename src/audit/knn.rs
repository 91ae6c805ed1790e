//! Chunked Euclidean k-nearest-neighbour kernel: k-th neighbour radii, neighbour lists and
//! ball-membership counts between two point sets, without ever holding an `N × N` matrix.
//!
//! # How distances are computed
//!
//! Squared distances are first *estimated* with the expansion `‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b`,
//! for a block of `ROW_CHUNK × COL_TILE` pairs at a time, by one single-threaded GEMM
//! (ndarray's `general_mat_mul`, i.e. `matrixmultiply`'s FMA kernels, which measured about 10%
//! faster here than the `gemm` crate 0.15 on these shapes); the blocks run in parallel with
//! rayon. The norms are folded into the GEMM by augmenting the operands — left rows
//! `[a', ‖a'‖², 1]`, right rows `[−2b', 1, ‖b'‖²]` — so each output entry is already
//! `‖a'‖² + ‖b'‖² − 2 a'·b'` (written `d²ₑ`). Here `x' = x − μ` is the point shifted by a
//! common centre `μ` (the column mean), which keeps the norms, and so the cancellation error of
//! the expansion, small; distances do not change under the shift.
//!
//! # Exact decisions
//!
//! The estimate is only a filter. Every decision the kernel reports (which rows are the k
//! nearest, the k-th distance, whether `d(i, j) < r`) is made on the *direct* squared distance
//! `d²ₓ = Σ_t (a_t − b_t)²` of the original coordinates (summed in the fixed order of
//! [`direct_sq`]). This is sound because the estimate's rounding error is bounded:
//!
//! `|d²ₑ − d²ₓ| ≤ c · (‖a'‖² + ‖b'‖²) + tiny`, `c = (4·dim + 16) · f64::EPSILON`,
//!
//! which covers the GEMM's sum of `dim + 2` products (`γ_{dim+2}`, valid for any summation
//! order), the norms, the centring subtraction and the rounding of `d²ₓ` itself, with a safety
//! factor above 2 (`tiny = (4·dim + 16) · f64::MIN_POSITIVE` covers underflow). So:
//!
//! * **Neighbour selection** keeps per row an exact list of the best `m` candidates by
//!   `(d²ₓ, index)`. A candidate's `d²ₓ` is computed only when its estimate is at most
//!   `d²ₓ(m-th) + margin`; a larger estimate proves `d²ₓ > d²ₓ(m-th)`, so the candidate could
//!   not enter the list even on the index tie-break. The result is exactly what sorting every
//!   direct distance would give, duplicates (distance 0) and exact ties included.
//! * **Ball tests** `d(i, j) < r` trust the estimate only outside `r² ± margin` and compute
//!   `d²ₓ` inside that band. Radii are themselves `d²ₓ` values, so a point that duplicates a
//!   row's k-th neighbour is never strictly inside that row's ball.
//!
//! Comparisons are between squared distances (`d²ₓ < r²`, the same order as between their
//! square roots, without the extra rounding of `sqrt`); radii are returned as `sqrt(d²ₓ)`.
//! Away from exact ties this agrees with implementations that compare rounded distances, such
//! as prdc, whose own decisions within about `1e-12` relative of a tie depend on BLAS rounding.
//!
//! # Cost
//!
//! Within one set each unordered pair is visited once (tiles on and above the diagonal) and
//! offered to both rows' lists; each worker thread keeps its own lists, merged at the end.
//! Memory beyond the inputs (kept three times: raw, and the two GEMM operands) is
//! `O(threads · n · m)` for the lists plus one `ROW_CHUNK × COL_TILE` tile per worker; for the
//! cross pass, one count vector of length `n_b` per worker.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};

/// Rows of the left operand per block (one rayon task per row chunk).
pub(crate) const ROW_CHUNK: usize = 256;
/// Columns (rows of the right operand) per GEMM tile.
pub(crate) const COL_TILE: usize = 512;

/// A point set laid out for the blocked kernel.
pub(crate) struct PointSet {
    n: usize,
    dim: usize,
    /// Row-major copy of the original coordinates, used for the direct distances `d²ₓ`.
    raw: Vec<f64>,
    /// `‖x − μ‖²` per row.
    norm: Vec<f64>,
    /// `max_i ‖x_i − μ‖²` (0 for an empty set).
    max_norm: f64,
    /// GEMM left operand, rows `[x − μ, ‖x − μ‖², 1]` (`n × (dim + 2)`).
    lhs: Vec<f64>,
    /// GEMM right operand, rows `[−2(x − μ), 1, ‖x − μ‖²]` (`n × (dim + 2)`).
    rhs: Vec<f64>,
}

impl PointSet {
    /// Prepares `x` (rows are points) centred on `centre` (`centre.len()` must be `x.ncols()`).
    pub(crate) fn new(x: ArrayView2<'_, f64>, centre: &[f64]) -> Self {
        let (n, dim) = x.dim();
        debug_assert_eq!(centre.len(), dim);
        let width = dim + 2;
        let mut raw = Vec::with_capacity(n * dim);
        let mut norm = Vec::with_capacity(n);
        let mut lhs = vec![0.0; n * width];
        let mut rhs = vec![0.0; n * width];
        for (i, row) in x.outer_iter().enumerate() {
            raw.extend(row.iter().copied());
            let l = &mut lhs[i * width..(i + 1) * width];
            let r = &mut rhs[i * width..(i + 1) * width];
            let mut s = 0.0;
            for (t, (&v, &c)) in row.iter().zip(centre).enumerate() {
                let shifted = v - c;
                l[t] = shifted;
                r[t] = -2.0 * shifted;
                s += shifted * shifted;
            }
            l[dim] = s;
            l[dim + 1] = 1.0;
            r[dim] = 1.0;
            r[dim + 1] = s;
            norm.push(s);
        }
        let max_norm = norm.iter().copied().fold(0.0, f64::max);
        PointSet {
            n,
            dim,
            raw,
            norm,
            max_norm,
            lhs,
            rhs,
        }
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// `‖x_i − μ‖²` for every row (all finite unless the coordinates are astronomically large).
    pub(crate) fn centred_sq_norms(&self) -> &[f64] {
        &self.norm
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.raw[i * self.dim..(i + 1) * self.dim]
    }
}

/// Column means of the rows of all `sets` together (the common centre `μ`).
pub(crate) fn column_mean(sets: &[ArrayView2<'_, f64>]) -> Vec<f64> {
    let dim = sets.first().map_or(0, |s| s.ncols());
    let mut sum = vec![0.0; dim];
    let mut count = 0usize;
    for s in sets {
        for row in s.outer_iter() {
            for (acc, &v) in sum.iter_mut().zip(row.iter()) {
                *acc += v;
            }
        }
        count += s.nrows();
    }
    if count > 0 {
        for v in &mut sum {
            *v /= count as f64;
        }
    }
    sum
}

/// The direct squared distance `Σ_t (a_t − b_t)²`, in one fixed order: four running sums over
/// the coordinates `t ≡ 0, 1, 2, 3 (mod 4)` (in steps of four), added as `(s₀ + s₁) + (s₂ + s₃)`,
/// then the trailing `dim mod 4` terms in order. Symmetric in `a`, `b` bit for bit.
#[inline]
pub(crate) fn direct_sq(a: &[f64], b: &[f64]) -> f64 {
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f64; 4];
    for (x, y) in ca.zip(cb) {
        for t in 0..4 {
            let d = x[t] - y[t];
            acc[t] += d * d;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        let d = x - y;
        s += d * d;
    }
    s
}

/// `c` in the error bound `|d²ₑ − d²ₓ| ≤ c (‖a'‖² + ‖b'‖²) + tiny` (see the module docs).
fn bound_coeff(dim: usize) -> f64 {
    (4 * dim + 16) as f64 * f64::EPSILON
}

/// The absolute `tiny` term of the error bound (underflow).
fn bound_abs(dim: usize) -> f64 {
    (4 * dim + 16) as f64 * f64::MIN_POSITIVE
}

/// `out[r * cols + c] = ‖a'_r‖² + ‖b'_c‖² − 2 a'_r·b'_c` for the rows `a_rows` of `a` and
/// `b_rows` of `b`, by one single-threaded GEMM (ndarray's `general_mat_mul`, i.e. the
/// `matrixmultiply` crate's FMA kernels).
fn sq_dist_tile(
    a: &PointSet,
    a_rows: std::ops::Range<usize>,
    b: &PointSet,
    b_rows: std::ops::Range<usize>,
    out: &mut [f64],
) {
    let width = a.dim + 2;
    assert_eq!(b.dim + 2, width, "point sets differ in dimension");
    let (m, n) = (a_rows.len(), b_rows.len());
    let lhs = ArrayView2::from_shape((m, width), &a.lhs[a_rows.start * width..a_rows.end * width])
        .expect("lhs block is m × width by construction");
    let rhs = ArrayView2::from_shape((n, width), &b.rhs[b_rows.start * width..b_rows.end * width])
        .expect("rhs block is n × width by construction");
    let mut out = ArrayViewMut2::from_shape((m, n), &mut out[..m * n])
        .expect("the tile buffer holds ROW_CHUNK × COL_TILE values");
    general_mat_mul(1.0, &lhs, &rhs.t(), 0.0, &mut out);
}

/// One lazily created workspace per rayon worker of the current pool.
///
/// Each worker locks only its own slot, so the mutexes are uncontended; they exist to make the
/// sharing safe even if two workers ever mapped to one slot. Keeping one workspace per worker
/// (rather than one per rayon `fold` split) bounds both the memory and the merge work by the
/// number of threads.
struct PerWorker<S> {
    slots: Vec<Mutex<Option<S>>>,
}

impl<S: Send> PerWorker<S> {
    fn new() -> Self {
        PerWorker {
            slots: (0..rayon::current_num_threads().max(1))
                .map(|_| Mutex::new(None))
                .collect(),
        }
    }

    /// Runs `f` on the calling worker's workspace, creating it with `make` on first use.
    fn with<R>(&self, make: impl FnOnce() -> S, f: impl FnOnce(&mut S) -> R) -> R {
        let slot = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut guard = self.slots[slot]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(guard.get_or_insert_with(make))
    }

    /// The workspaces that were created.
    fn into_states(self) -> impl Iterator<Item = S> {
        self.slots
            .into_iter()
            .filter_map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Per-row lists of the `m` nearest candidates found so far, by exact `(d²ₓ, index)`.
///
/// A candidate reaches a list only if its estimate `d²ₑ` passes the row's admission threshold;
/// its direct distance `d²ₓ` is then computed and it is inserted in `(d²ₓ, index)` order, the
/// list being cut back to `m`. Once a list is full the threshold is `d²ₓ(m-th) + margin`: a
/// candidate with a larger estimate has `d²ₓ > d²ₓ(m-th)` (the margin bounds the estimate's
/// error), so it could not enter the list even on the index tie-break.
struct Candidates {
    m: usize,
    lists: Vec<Vec<(f64, usize)>>,
    /// Admission threshold on the estimate `d²ₑ`, per row.
    threshold: Vec<f64>,
}

impl Candidates {
    /// Empty lists with the given starting thresholds (see [`seed_thresholds`]).
    fn new(m: usize, threshold: Vec<f64>) -> Self {
        Candidates {
            m,
            lists: (0..threshold.len()).map(|_| Vec::new()).collect(),
            threshold,
        }
    }

    /// Inserts candidate `j` at exact squared distance `d2` into row `row`'s list.
    fn insert(&mut self, row: usize, d2: f64, j: usize, margin: f64) {
        let m = self.m;
        let list = &mut self.lists[row];
        let before = |e: &(f64, usize)| d2.total_cmp(&e.0).then(j.cmp(&e.1)).is_lt();
        if list.len() == m && !list.last().is_some_and(before) {
            return;
        }
        debug_assert!(list.iter().all(|e| e.1 != j), "pair offered twice");
        if list.capacity() == 0 {
            list.reserve_exact(m + 1);
        }
        let pos = list.iter().position(before).unwrap_or(list.len());
        list.insert(pos, (d2, j));
        list.truncate(m);
        if list.len() == m {
            let limit = list[m - 1].0 + margin;
            if limit < self.threshold[row] {
                self.threshold[row] = limit;
            }
        }
    }

    /// Folds another worker's lists into these.
    fn merge(mut self, other: Candidates, margins: &[f64]) -> Candidates {
        for (row, list) in other.lists.into_iter().enumerate() {
            for (d2, j) in list {
                self.insert(row, d2, j, margins[row]);
            }
        }
        self
    }
}

/// Starting admission thresholds: for each row, the `m`-th smallest estimate over its own row
/// chunk (the diagonal `ROW_CHUNK × ROW_CHUNK` block, the row itself counted at 0) plus twice
/// the margin; `+∞` when the chunk has fewer than `m` rows.
///
/// Valid because the true `m`-th smallest `d²ₓ` over all rows is at most the `m`-th smallest
/// `d²ₓ` over any subset, which is at most that subset's `m`-th smallest estimate plus one
/// margin; a candidate whose estimate exceeds the threshold has `d²ₓ` above that. Starting from a
/// finite threshold cuts the number of candidates that need an exact distance (about
/// `m · ln(n / ROW_CHUNK)` per row instead of `m · ln(n / m)`).
fn seed_thresholds(ps: &PointSet, m: usize, margins: &[f64]) -> Vec<f64> {
    let n = ps.len();
    let mut seed = vec![f64::INFINITY; n];
    seed.par_chunks_mut(ROW_CHUNK).enumerate().for_each_init(
        || {
            (
                vec![0.0; ROW_CHUNK * ROW_CHUNK],
                Vec::with_capacity(ROW_CHUNK),
            )
        },
        |(tile, row_vals), (chunk, seed)| {
            let r0 = chunk * ROW_CHUNK;
            let rows = seed.len();
            if m > rows {
                return;
            }
            sq_dist_tile(ps, r0..r0 + rows, ps, r0..r0 + rows, tile);
            for (t, s) in seed.iter_mut().enumerate() {
                row_vals.clear();
                row_vals.extend(tile[t * rows..(t + 1) * rows].iter().map(|&v| v.max(0.0)));
                row_vals[t] = 0.0;
                let (_, &mut mth, _) = row_vals.select_nth_unstable_by(m - 1, f64::total_cmp);
                *s = mth + 2.0 * margins[r0 + t];
            }
        },
    );
    seed
}

/// For every row of `ps`, its `m` nearest rows (itself included, at distance 0) as
/// `(d²ₓ, index)` sorted by `(d²ₓ, index)` — exactly what sorting all direct distances would
/// give. Rows get fewer than `m` entries only when `m > n`.
fn nearest_within(ps: &PointSet, m: usize) -> Vec<Vec<(f64, usize)>> {
    let n = ps.len();
    if m == 0 || n == 0 {
        return vec![Vec::new(); n];
    }
    let coeff = bound_coeff(ps.dim);
    let tiny = bound_abs(ps.dim);
    // Per row, a bound on the estimate's error for any pair involving that row.
    let margins: Vec<f64> = ps
        .norm
        .iter()
        .map(|&s| coeff * (s + ps.max_norm) + tiny)
        .collect();
    let seed = seed_thresholds(ps, m, &margins);
    let n_chunks = n.div_ceil(ROW_CHUNK);

    let workers = PerWorker::new();
    (0..n_chunks).into_par_iter().for_each(|chunk| {
        workers.with(
            || {
                (
                    Candidates::new(m, seed.clone()),
                    vec![0.0; ROW_CHUNK * COL_TILE],
                )
            },
            |(cand, tile)| {
                let r0 = chunk * ROW_CHUNK;
                let r1 = (r0 + ROW_CHUNK).min(n);
                let mut c0 = r0;
                while c0 < n {
                    let c1 = (c0 + COL_TILE).min(n);
                    let cols = c1 - c0;
                    sq_dist_tile(ps, r0..r1, ps, c0..c1, tile);
                    for i in r0..r1 {
                        // Upper triangle only: pairs (i, j) with j > i.
                        let start = c0.max(i + 1);
                        if start >= c1 {
                            continue;
                        }
                        let row = &tile[(i - r0) * cols + (start - c0)..(i - r0) * cols + cols];
                        scan_symmetric(cand, ps, i, start, row, &margins);
                    }
                    c0 = c1;
                }
            },
        )
    });
    let mut cand = workers
        .into_states()
        .map(|(cand, _)| cand)
        .reduce(|a, b| a.merge(b, &margins))
        .unwrap_or_else(|| Candidates::new(m, seed));
    // Every row is its own neighbour at distance exactly 0.
    for (i, &margin) in margins.iter().enumerate() {
        cand.insert(i, 0.0, i, margin);
    }
    cand.lists
}

/// Offers the pairs `(i, start + t)`, with estimates `row[t]`, to both rows' lists.
fn scan_symmetric(
    cand: &mut Candidates,
    ps: &PointSet,
    i: usize,
    start: usize,
    row: &[f64],
    margins: &[f64],
) {
    const LANES: usize = 8;
    let mut blocks = row.chunks_exact(LANES);
    let mut j0 = start;
    for vals in &mut blocks {
        let thr_cols = &cand.threshold[j0..j0 + LANES];
        let thr_row = cand.threshold[i];
        let mut mask = 0u32;
        for (u, (&v, &tc)) in vals.iter().zip(thr_cols).enumerate() {
            mask |= u32::from((v <= thr_row) | (v <= tc)) << u;
        }
        while mask != 0 {
            let u = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            offer_pair(cand, ps, i, j0 + u, vals[u], margins);
        }
        j0 += LANES;
    }
    for (u, &v) in blocks.remainder().iter().enumerate() {
        offer_pair(cand, ps, i, j0 + u, v, margins);
    }
}

/// Offers the pair `(i, j)` with estimate `v` to row `i`'s list and to row `j`'s, computing the
/// direct distance at most once.
#[inline]
fn offer_pair(cand: &mut Candidates, ps: &PointSet, i: usize, j: usize, v: f64, margins: &[f64]) {
    let v = v.max(0.0);
    let (to_i, to_j) = (v <= cand.threshold[i], v <= cand.threshold[j]);
    if to_i || to_j {
        let d2 = direct_sq(ps.row(i), ps.row(j));
        if to_i {
            cand.insert(i, d2, j, margins[i]);
        }
        if to_j {
            cand.insert(j, d2, i, margins[j]);
        }
    }
}

/// Squared distance from every row of `ps` to its k-th nearest *other* row, i.e. the
/// (k+1)-th smallest direct squared distance with the row's own 0 included; duplicates of the
/// row (distance 0) count as neighbours. `+∞` where the set has no k-th other row (`k ≥ n`).
pub(crate) fn kth_neighbour_sq(ps: &PointSet, k: usize) -> Vec<f64> {
    nearest_within(ps, k + 1)
        .into_iter()
        .map(|list| list.get(k).map_or(f64::INFINITY, |&(d2, _)| d2))
        .collect()
}

/// For each row of `x`, the Euclidean distance to its k-th nearest other row (prdc's radius:
/// the (k+1)-th smallest distance with the row's own 0 included, so exact duplicates of the row
/// count as neighbours). `k = 0` gives 0; `k ≥ n` gives `+∞`. `x` must be finite.
#[allow(
    dead_code,
    reason = "used by the unit tests; kept as the kernel's radius entry point"
)]
pub(crate) fn kth_neighbour_distance(x: ArrayView2<'_, f64>, k: usize) -> Vec<f64> {
    let centre = column_mean(&[x]);
    let ps = PointSet::new(x, &centre);
    kth_neighbour_sq(&ps, k)
        .into_iter()
        .map(f64::sqrt)
        .collect()
}

/// For each row of `x`, the indices of its `k` nearest rows **including the row itself**
/// (AIF360's consistency convention), nearest first; ties in distance go to the smaller index
/// (so with more than `k` exact duplicates of a row, the row itself may be left out in favour
/// of smaller-indexed copies). Rows get `min(k, n)` indices. `x` must be finite.
pub(crate) fn nearest_indices(x: ArrayView2<'_, f64>, k: usize) -> Vec<Vec<usize>> {
    let centre = column_mean(&[x]);
    let ps = PointSet::new(x, &centre);
    nearest_within(&ps, k)
        .into_iter()
        .map(|list| list.into_iter().map(|(_, j)| j).collect())
        .collect()
}

/// Ball-membership tallies between point sets `a` and `b` with squared radii `ra2` (per row of
/// `a`) and `rb2` (per row of `b`), all comparisons strict on direct squared distances.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BallCounts {
    /// For each row `j` of `b`: `#{i : d(a_i, b_j)² < ra2_i}`.
    pub b_in_a_balls: Vec<u32>,
    /// For each row `i` of `a`: whether some `j` has `d(a_i, b_j)² < ra2_i`
    /// (equivalently `min_j d(a_i, b_j)² < ra2_i`).
    pub a_ball_hit: Vec<bool>,
    /// For each row `i` of `a`: whether some `j` has `d(a_i, b_j)² < rb2_j`.
    pub a_in_b_ball: Vec<bool>,
}

/// One chunked pass over all pairs `(a_i, b_j)` computing [`BallCounts`].
///
/// `a` and `b` must be prepared with the same centre. Parallel over row chunks of `a`; each
/// worker holds one count vector of length `b.len()` (summed at the end) and one tile.
pub(crate) fn ball_counts(a: &PointSet, b: &PointSet, ra2: &[f64], rb2: &[f64]) -> BallCounts {
    let (na, nb) = (a.len(), b.len());
    assert_eq!(ra2.len(), na);
    assert_eq!(rb2.len(), nb);
    let coeff = bound_coeff(a.dim);
    let tiny = bound_abs(a.dim);
    // Row-wise and column-wise margins that dominate the pair bound c(‖a'‖² + ‖b'‖²) + tiny;
    // the radius term absorbs the rounding of `r² ± margin` itself. An infinite radius (no k-th
    // neighbour) contains every point, with no margin needed.
    let margin = |s: f64, other_max: f64, r2: f64| {
        if r2.is_finite() {
            coeff * (s + other_max + r2) + tiny
        } else {
            0.0
        }
    };
    let margin_a: Vec<f64> = a
        .norm
        .iter()
        .zip(ra2)
        .map(|(&s, &r)| margin(s, b.max_norm, r))
        .collect();
    let margin_b: Vec<f64> = b
        .norm
        .iter()
        .zip(rb2)
        .map(|(&s, &r)| margin(s, a.max_norm, r))
        .collect();
    let lo_b: Vec<f64> = rb2.iter().zip(&margin_b).map(|(&r, &mg)| r - mg).collect();
    let hi_b: Vec<f64> = rb2.iter().zip(&margin_b).map(|(&r, &mg)| r + mg).collect();

    let mut flags = vec![(false, false); na];
    let workers = PerWorker::new();
    flags
        .par_chunks_mut(ROW_CHUNK)
        .enumerate()
        .for_each(|(chunk, flags)| {
            workers.with(
                || (vec![0u32; nb], vec![0.0; ROW_CHUNK * COL_TILE]),
                |(counts, tile)| {
                    let r0 = chunk * ROW_CHUNK;
                    let r1 = r0 + flags.len();
                    let mut c0 = 0;
                    while c0 < nb {
                        let c1 = (c0 + COL_TILE).min(nb);
                        let cols = c1 - c0;
                        sq_dist_tile(a, r0..r1, b, c0..c1, tile);
                        for i in r0..r1 {
                            let row = &tile[(i - r0) * cols..(i - r0 + 1) * cols];
                            let lo_a = ra2[i] - margin_a[i];
                            let hi_a = ra2[i] + margin_a[i];
                            let (lo_b, hi_b) = (&lo_b[c0..c1], &hi_b[c0..c1]);
                            let counts = &mut counts[c0..c1];
                            let (mut hit, mut inside, unsure) =
                                cross_row(row, counts, lo_a, hi_a, lo_b, hi_b);
                            if unsure {
                                for (t, &v) in row.iter().enumerate() {
                                    let j = c0 + t;
                                    let unsure_a = v >= lo_a && v < hi_a;
                                    let unsure_b = v >= lo_b[t] && v < hi_b[t];
                                    if unsure_a || unsure_b {
                                        let d2 = direct_sq(a.row(i), b.row(j));
                                        if unsure_a && d2 < ra2[i] {
                                            counts[t] += 1;
                                            hit = true;
                                        }
                                        if unsure_b && d2 < rb2[j] {
                                            inside = true;
                                        }
                                    }
                                }
                            }
                            let f = &mut flags[i - r0];
                            f.0 |= hit;
                            f.1 |= inside;
                        }
                        c0 = c1;
                    }
                },
            )
        });
    let counts = workers
        .into_states()
        .map(|(counts, _)| counts)
        .reduce(|mut x, y| {
            for (s, v) in x.iter_mut().zip(y) {
                *s += v;
            }
            x
        })
        .unwrap_or_else(|| vec![0u32; nb]);
    BallCounts {
        b_in_a_balls: counts,
        a_ball_hit: flags.iter().map(|f| f.0).collect(),
        a_in_b_ball: flags.iter().map(|f| f.1).collect(),
    }
}

/// The fast path of [`ball_counts`] for one row: counts the entries that are certainly inside
/// the row's ball, and reports (certainly hit, certainly inside a column ball, any entry
/// within the error margin of either radius).
#[inline(always)]
fn cross_row_generic(
    row: &[f64],
    counts: &mut [u32],
    lo_a: f64,
    hi_a: f64,
    lo_b: &[f64],
    hi_b: &[f64],
) -> (bool, bool, bool) {
    let n = row.len().min(counts.len()).min(lo_b.len()).min(hi_b.len());
    let (row, counts, lo_b, hi_b) = (&row[..n], &mut counts[..n], &lo_b[..n], &hi_b[..n]);
    let (mut hit, mut inside, mut unsure) = (0u32, 0u32, 0u32);
    for t in 0..n {
        let v = row[t];
        let in_a = u32::from(v < lo_a);
        let in_b = u32::from(v < lo_b[t]);
        counts[t] += in_a;
        hit |= in_a;
        inside |= in_b;
        unsure |= (u32::from(v < hi_a) ^ in_a) | (u32::from(v < hi_b[t]) ^ in_b);
    }
    (hit != 0, inside != 0, unsure != 0)
}

/// [`cross_row_generic`] compiled with AVX2 (4-wide compares instead of SSE2's 2-wide; about
/// 5% off the whole 10k × 10k × 64 benchmark).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn cross_row_avx2(
    row: &[f64],
    counts: &mut [u32],
    lo_a: f64,
    hi_a: f64,
    lo_b: &[f64],
    hi_b: &[f64],
) -> (bool, bool, bool) {
    cross_row_generic(row, counts, lo_a, hi_a, lo_b, hi_b)
}

/// [`cross_row_generic`], with the AVX2 build when the CPU has it.
fn cross_row(
    row: &[f64],
    counts: &mut [u32],
    lo_a: f64,
    hi_a: f64,
    lo_b: &[f64],
    hi_b: &[f64],
) -> (bool, bool, bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { cross_row_avx2(row, counts, lo_a, hi_a, lo_b, hi_b) };
    }
    cross_row_generic(row, counts, lo_a, hi_a, lo_b, hi_b)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn brute_sorted(x: &Array2<f64>, i: usize) -> Vec<(f64, usize)> {
        let row = x.row(i);
        let row = row.to_vec();
        let mut all: Vec<(f64, usize)> = x
            .outer_iter()
            .enumerate()
            .map(|(j, r)| (direct_sq(&row, &r.to_vec()), j))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all
    }

    /// `n x d` uniform values in [-1, 1), rounded to a grid of step `1/grid` when given (ties
    /// and duplicates).
    pub(crate) fn random(n: usize, d: usize, seed: u64, grid: Option<f64>) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |_| {
            let v: f64 = rng.gen_range(-1.0..1.0);
            match grid {
                Some(g) => (v * g).round() / g,
                None => v,
            }
        })
    }

    #[test]
    fn radii_match_brute_force_including_duplicates_and_ties() {
        // Continuous data, and grid data full of exact ties and duplicates; sizes straddle the
        // chunk and tile boundaries.
        for (n, d, grid, seed) in [
            (300, 5, None, 1),
            (1100, 3, Some(2.0), 2),
            (700, 2, Some(1.0), 3),
        ] {
            let x = random(n, d, seed, grid);
            for k in [1, 3, 5] {
                let got = kth_neighbour_distance(x.view(), k);
                for (i, &g) in got.iter().enumerate() {
                    let want = brute_sorted(&x, i)[k].0.sqrt();
                    assert_eq!(g, want, "n={n} k={k} row {i}");
                }
            }
        }
    }

    #[test]
    fn radii_match_prdc_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/golden/prdc_cases.json"
        );
        let text = std::fs::read_to_string(path).expect("fixture readable");
        let json: serde_json::Value = serde_json::from_str(&text).expect("fixture parses");
        let matrix = |v: &serde_json::Value| -> Array2<f64> {
            let rows = v.as_array().expect("rows");
            let d = rows[0].as_array().expect("row").len();
            let flat: Vec<f64> = rows
                .iter()
                .flat_map(|r| {
                    r.as_array()
                        .expect("row")
                        .iter()
                        .map(|x| x.as_f64().expect("f64"))
                })
                .collect();
            Array2::from_shape_vec((rows.len(), d), flat).expect("shape")
        };
        let cases = json["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 6);
        for case in cases {
            let k = case["nearest_k"].as_u64().expect("k") as usize;
            for (set, radii) in [("real", "real_radii"), ("fake", "fake_radii")] {
                let x = matrix(&case[set]);
                let got = kth_neighbour_distance(x.view(), k);
                let want = case[radii].as_array().expect("radii");
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(want) {
                    let w = w.as_f64().expect("f64");
                    assert!((g - w).abs() <= 1e-9, "{} {set}: {g} vs {w}", case["name"]);
                }
            }
        }
    }

    #[test]
    fn radius_edge_cases() {
        let x = array![[0.0], [1.0], [3.0]];
        assert_eq!(kth_neighbour_distance(x.view(), 0), vec![0.0, 0.0, 0.0]);
        assert_eq!(kth_neighbour_distance(x.view(), 1), vec![1.0, 1.0, 2.0]);
        assert_eq!(kth_neighbour_distance(x.view(), 2), vec![3.0, 2.0, 3.0]);
        assert!(kth_neighbour_distance(x.view(), 3)
            .iter()
            .all(|r| r.is_infinite()));
        // Duplicates count as neighbours at distance 0.
        let dup = array![[2.0, 2.0], [2.0, 2.0], [5.0, 6.0]];
        assert_eq!(kth_neighbour_distance(dup.view(), 1), vec![0.0, 0.0, 5.0]);
    }

    #[test]
    fn nearest_indices_ties_go_to_smaller_index() {
        // Row 1 is equidistant from 0 and 2; row 3 duplicates row 0.
        let x = array![[0.0], [1.0], [2.0], [0.0]];
        let nn = nearest_indices(x.view(), 2);
        assert_eq!(nn, vec![vec![0, 3], vec![1, 0], vec![2, 1], vec![0, 3]]);
        assert_eq!(nearest_indices(x.view(), 9)[1], vec![1, 0, 2, 3]);
        assert!(nearest_indices(x.view(), 0).iter().all(Vec::is_empty));
    }

    #[test]
    fn nearest_indices_match_brute_force_sort() {
        // Continuous data (no ties) and grid data (many exact ties and duplicates, where the
        // smaller-index rule decides); sizes straddle the chunk and tile boundaries.
        for (n, d, grid, seed) in [
            (900, 6, None, 11),
            (1300, 2, Some(3.0), 12),
            (257, 3, Some(1.0), 13),
        ] {
            let x = random(n, d, seed, grid);
            for k in [1, 5, 12] {
                let got = nearest_indices(x.view(), k);
                assert_eq!(got.len(), n);
                for (i, g) in got.iter().enumerate() {
                    let want: Vec<usize> =
                        brute_sorted(&x, i).iter().take(k).map(|e| e.1).collect();
                    assert_eq!(g, &want, "n={n} k={k} row {i}");
                }
            }
        }
    }

    #[test]
    fn direct_sq_is_symmetric_and_close_to_exact() {
        let x = random(50, 13, 21, None);
        for i in 0..50 {
            for j in 0..50 {
                let (a, b) = (x.row(i).to_vec(), x.row(j).to_vec());
                assert_eq!(direct_sq(&a, &b).to_bits(), direct_sq(&b, &a).to_bits());
                let plain: f64 = a.iter().zip(&b).map(|(p, q)| (p - q) * (p - q)).sum();
                assert!((direct_sq(&a, &b) - plain).abs() <= 1e-14 * plain.max(1e-300));
            }
        }
    }

    #[test]
    fn ball_counts_match_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for (na, nb, d, grid) in [(600, 1300, 4, Some(2.0)), (300, 257, 6, None)] {
            let a = random(na, d, rng.gen(), grid);
            let b = random(nb, d, rng.gen(), grid);
            let sq = |u: ndarray::ArrayView1<f64>, v: ndarray::ArrayView1<f64>| -> f64 {
                direct_sq(&u.to_vec(), &v.to_vec())
            };
            // Radii that are exact squared distances to real points, to provoke ties.
            let ra2: Vec<f64> = (0..na).map(|i| sq(a.row(i), b.row(i % nb))).collect();
            let rb2: Vec<f64> = (0..nb).map(|j| sq(b.row(j), a.row((j * 7) % na))).collect();
            let centre = column_mean(&[a.view(), b.view()]);
            let (pa, pb) = (
                PointSet::new(a.view(), &centre),
                PointSet::new(b.view(), &centre),
            );
            let got = ball_counts(&pa, &pb, &ra2, &rb2);
            let mut want = BallCounts {
                b_in_a_balls: vec![0; nb],
                a_ball_hit: vec![false; na],
                a_in_b_ball: vec![false; na],
            };
            for (i, &ra) in ra2.iter().enumerate() {
                for (j, &rb) in rb2.iter().enumerate() {
                    let d2 = sq(a.row(i), b.row(j));
                    if d2 < ra {
                        want.b_in_a_balls[j] += 1;
                        want.a_ball_hit[i] = true;
                    }
                    if d2 < rb {
                        want.a_in_b_ball[i] = true;
                    }
                }
            }
            assert_eq!(got, want);
        }
    }
}
