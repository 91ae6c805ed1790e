//! Exact k nearest neighbours by a k-d tree, for feature matrices of few columns (the consistency
//! score with `--features`).
//!
//! The result is bit for bit what [`crate::audit::knn::nearest_indices`] gives (and what sorting
//! every direct distance would give): for each row, the `k` rows with the smallest
//! `(d²ₓ, index)`, where `d²ₓ` is [`direct_sq`] of the original coordinates, the row itself
//! included at distance 0. Exactness rests on two facts:
//!
//! * **Pruning never drops a candidate.** A node's lower bound is `direct_sq(gaps, 0)`, where
//!   `gap_t` is the rounded distance from the query to the node's bounding box in coordinate `t`.
//!   For any point `p` in the box, `|gap_t| ≤ |fl(q_t − p_t)|` (rounding is monotone), and the
//!   bound sums the squares in the same order as `direct_sq`, so the bound is at most `d²ₓ(q, p)`.
//!   A node is skipped only when its bound exceeds the current k-th `d²ₓ`, or equals it and every
//!   index in the node (its smallest, `min_index`) is larger than the k-th's index.
//! * **Ties go to the smaller index**, as in the brute-force kernel: candidates are ordered by
//!   `(d²ₓ, index)`. Rows that duplicate one another fall in one leaf (a node whose box has no
//!   extent is not split), whose rows are stored in index order: such a leaf is read only until
//!   its indices can no longer enter the list.
//!
//! Why hand-written rather than the `kiddo` crate: the audit's definition needs the exact
//! `(distance, index)` order on ties, which are common in tabular features (duplicated rows,
//! one-hot and integer columns); `kiddo`'s `nearest_n` returns an unspecified subset of tied
//! points, so its answer would depend on how the tree was built.
//!
//! Cost: building is `O(n log n)`; a query visits few leaves when the data have few effective
//! dimensions. The brute-force GEMM kernel (`knn.rs`) stays in use for wide feature matrices, where
//! trees degrade towards visiting every point (the switch is [`USE_TREE_UP_TO_DIM`]).

use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::audit::knn::direct_sq;

/// Feature matrices with at most this many columns use the tree (measured in
/// docs/PERFORMANCE.md, "Consistency"); wider ones the brute-force kernel.
pub(crate) const USE_TREE_UP_TO_DIM: usize = 16;

/// Rows per leaf (a leaf of identical rows may hold more).
const LEAF_ROWS: usize = 24;

/// Queries per progress report.
const PROGRESS_EVERY: usize = 4096;

struct Node {
    /// The node's rows are `order[lo..hi]`.
    lo: usize,
    hi: usize,
    /// Children (`usize::MAX` for a leaf).
    left: usize,
    right: usize,
    /// The smallest row index in the node.
    min_index: usize,
    /// Every row of the node has the same coordinates.
    identical: bool,
}

/// A k-d tree over the rows of a row-major `n × dim` matrix.
pub(crate) struct KdTree<'a> {
    dim: usize,
    raw: &'a [f64],
    /// Row indices, grouped by node; within a leaf in increasing order.
    order: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node, `dim` lower then `dim` upper box corners.
    boxes: Vec<f64>,
}

impl<'a> KdTree<'a> {
    /// Builds the tree over `raw` (row-major, `raw.len() / dim` rows, all finite).
    pub(crate) fn new(raw: &'a [f64], dim: usize) -> Self {
        assert!(dim > 0 && raw.len().is_multiple_of(dim), "raw holds whole rows");
        let n = raw.len() / dim;
        let mut tree = KdTree {
            dim,
            raw,
            order: (0..n).collect(),
            nodes: Vec::with_capacity(2 * n.div_ceil(LEAF_ROWS) + 1),
            boxes: Vec::new(),
        };
        if n > 0 {
            tree.build(0, n);
        }
        tree
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.raw[i * self.dim..(i + 1) * self.dim]
    }

    /// Builds the node of `order[lo..hi]` and its subtree; returns its position in `nodes`.
    fn build(&mut self, lo: usize, hi: usize) -> usize {
        let dim = self.dim;
        let mut lower = vec![f64::INFINITY; dim];
        let mut upper = vec![f64::NEG_INFINITY; dim];
        let mut min_index = usize::MAX;
        for &i in &self.order[lo..hi] {
            min_index = min_index.min(i);
            for (t, &v) in self.raw[i * dim..(i + 1) * dim].iter().enumerate() {
                lower[t] = lower[t].min(v);
                upper[t] = upper[t].max(v);
            }
        }
        let identical = (0..dim).all(|t| upper[t] <= lower[t]);
        let at = self.nodes.len();
        self.nodes.push(Node { lo, hi, left: usize::MAX, right: usize::MAX, min_index, identical });
        self.boxes.extend_from_slice(&lower);
        self.boxes.extend_from_slice(&upper);
        if hi - lo <= LEAF_ROWS || identical {
            self.order[lo..hi].sort_unstable();
            return at;
        }
        // Split on the column of largest variance at its median *value*, so that the children's
        // boxes do not overlap in that column (a median by position would put tied values, such
        // as the zeros of a mostly-zero column, on both sides, and prune nothing). A column
        // whose median equals its minimum splits at `v > median` instead.
        let m = (hi - lo) as f64;
        let mut by_variance: Vec<(usize, f64)> = (0..dim)
            .map(|t| {
                let (s, s2) = self.order[lo..hi].iter().fold((0.0, 0.0), |(s, s2), &i| {
                    let v = self.raw[i * dim + t];
                    (s + v, s2 + v * v)
                });
                (t, s2 / m - (s / m) * (s / m))
            })
            .collect();
        by_variance.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let raw = self.raw;
        for (t, _) in by_variance {
            if upper[t] <= lower[t] {
                continue;
            }
            let key = |i: usize| raw[i * dim + t];
            let rows = &mut self.order[lo..hi];
            rows.sort_unstable_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
            let median = key(rows[rows.len() / 2]);
            let mut cut = rows.partition_point(|&i| key(i) < median);
            if cut == 0 {
                cut = rows.partition_point(|&i| key(i) <= median);
            }
            if cut == 0 || cut == rows.len() {
                continue;
            }
            let left = self.build(lo, lo + cut);
            let right = self.build(lo + cut, hi);
            self.nodes[at].left = left;
            self.nodes[at].right = right;
            return at;
        }
        self.order[lo..hi].sort_unstable();
        at
    }

    /// `direct_sq` from `q` to the nearest point of node `node`'s box (0 inside the box): a
    /// lower bound of `direct_sq(q, p)` for every row `p` of the node.
    fn box_bound(&self, node: usize, q: &[f64], gaps: &mut [f64], zeros: &[f64]) -> f64 {
        let b = &self.boxes[node * 2 * self.dim..(node + 1) * 2 * self.dim];
        let (lower, upper) = b.split_at(self.dim);
        for t in 0..self.dim {
            gaps[t] = if q[t] < lower[t] {
                lower[t] - q[t]
            } else if q[t] > upper[t] {
                q[t] - upper[t]
            } else {
                0.0
            };
        }
        direct_sq(gaps, zeros)
    }

    /// The `k` rows nearest to row `i`, by `(d²ₓ, index)`, nearest first.
    fn query(&self, i: usize, k: usize, scratch: &mut Scratch) -> Vec<usize> {
        self.query_counted(i, k, scratch).0
    }

    /// [`KdTree::query`] and the number of rows whose distance it computed.
    fn query_counted(&self, i: usize, k: usize, scratch: &mut Scratch) -> (Vec<usize>, usize) {
        let mut scanned = 0usize;
        let q = self.row(i);
        let best = &mut scratch.best;
        best.clear();
        let stack = &mut scratch.stack;
        stack.clear();
        stack.push((0usize, 0.0f64));
        let Scratch { gaps, zeros, .. } = scratch;
        while let Some((node, bound)) = stack.pop() {
            if best.len() == k {
                let (wd, wi) = best[k - 1];
                if bound > wd || (bound == wd && self.nodes[node].min_index > wi) {
                    continue;
                }
            }
            let nd = &self.nodes[node];
            if nd.left == usize::MAX {
                let rows = &self.order[nd.lo..nd.hi];
                scanned += rows.len();
                if nd.identical {
                    let d2 = direct_sq(q, self.row(rows[0]));
                    for &j in rows {
                        if !offer(best, k, d2, j) {
                            break; // later rows have larger indices at the same distance
                        }
                    }
                } else {
                    for &j in rows {
                        offer(best, k, direct_sq(q, self.row(j)), j);
                    }
                }
                continue;
            }
            let bl = self.box_bound(nd.left, q, gaps, zeros);
            let br = self.box_bound(nd.right, q, gaps, zeros);
            // The nearer child is popped first.
            if bl <= br {
                stack.push((nd.right, br));
                stack.push((nd.left, bl));
            } else {
                stack.push((nd.left, bl));
                stack.push((nd.right, br));
            }
        }
        (best.iter().map(|&(_, j)| j).collect(), scanned)
    }

    /// The mean number of rows a query scans, over `samples` queries spread evenly over the rows.
    pub(crate) fn mean_scanned(&self, k: usize, samples: usize) -> f64 {
        let n = self.order.len();
        let step = (n / samples.max(1)).max(1);
        let picks: Vec<usize> = (0..n).step_by(step).collect();
        let total: usize = picks
            .par_iter()
            .map_init(
                || Scratch::new(k, self.dim),
                |scratch, &i| self.query_counted(i, k.min(n), scratch).1,
            )
            .sum();
        total as f64 / picks.len().max(1) as f64
    }
}

struct Scratch {
    best: Vec<(f64, usize)>,
    stack: Vec<(usize, f64)>,
    gaps: Vec<f64>,
    zeros: Vec<f64>,
}

impl Scratch {
    fn new(k: usize, dim: usize) -> Self {
        Scratch { best: Vec::with_capacity(k + 1), stack: Vec::new(), gaps: vec![0.0; dim], zeros: vec![0.0; dim] }
    }
}

/// Inserts `(d2, j)` into the sorted list `best` of at most `k` entries; false when it does not
/// enter.
#[inline]
fn offer(best: &mut Vec<(f64, usize)>, k: usize, d2: f64, j: usize) -> bool {
    if best.len() == k {
        let (wd, wi) = best[k - 1];
        if wd < d2 || (wd == d2 && wi < j) {
            return false;
        }
        best.pop();
    }
    let pos = best.partition_point(|a| a.0 < d2 || (a.0 == d2 && a.1 < j));
    best.insert(pos, (d2, j));
    true
}

/// For each row of the row-major `n × dim` matrix `raw`, the indices of its `k` nearest rows
/// (itself included), ordered by `(d²ₓ, index)`; the same result as
/// [`crate::audit::knn::nearest_indices`]. `progress(done)` is called from worker threads with the
/// number of rows answered so far, every few thousand rows.
#[cfg(test)]
pub(crate) fn nearest_indices_tree(raw: &[f64], dim: usize, k: usize, progress: &(dyn Fn(usize) + Sync)) -> Vec<Vec<usize>> {
    let n = if dim == 0 { 0 } else { raw.len() / dim };
    if k == 0 || n == 0 {
        return vec![Vec::new(); n];
    }
    answer_all(&KdTree::new(raw, dim), k, progress)
}

/// The tree's answers for every row (see [`nearest_indices_tree`]).
fn answer_all(tree: &KdTree<'_>, k: usize, progress: &(dyn Fn(usize) + Sync)) -> Vec<Vec<usize>> {
    let n = tree.order.len();
    let k = k.min(n);
    let done = AtomicUsize::new(0);
    // Queries in the tree's leaf order, so that consecutive queries visit the same leaves.
    let mut out = vec![Vec::new(); n];
    let answers: Vec<(usize, Vec<usize>)> = tree
        .order
        .par_chunks(256)
        .flat_map_iter(|rows| {
            let mut scratch = Scratch::new(k, tree.dim);
            let answered: Vec<(usize, Vec<usize>)> = rows.iter().map(|&i| (i, tree.query(i, k, &mut scratch))).collect();
            let before = done.fetch_add(rows.len(), Ordering::Relaxed);
            if (before + rows.len()) / PROGRESS_EVERY != before / PROGRESS_EVERY || before + rows.len() == n {
                progress(before + rows.len());
            }
            answered
        })
        .collect();
    for (i, list) in answers {
        out[i] = list;
    }
    out
}

/// The `k` nearest rows of every row of `x` (itself included, by `(d²ₓ, index)`), by whichever
/// exact method is cheaper on these data: the k-d tree when `x` has at most
/// [`USE_TREE_UP_TO_DIM`] columns and a sample of 512 queries shows that a query scans few rows,
/// else the brute-force kernel. Both give the same answer; only the time differs.
///
/// The rule compares `n · scanned · ROW_COST` (tree) with `n² · PAIR_COST` (brute force), with
/// the two costs measured on this machine (docs/PERFORMANCE.md, "Consistency"): a tree query
/// pays about `TREE_TO_PAIR` times more per row it scans than the blocked kernel per pair.
pub(crate) fn nearest_indices_auto(x: ndarray::ArrayView2<'_, f64>, k: usize, progress: &(dyn Fn(usize) + Sync)) -> Vec<Vec<usize>> {
    let (n, dim) = x.dim();
    if dim == 0 || dim > USE_TREE_UP_TO_DIM || n == 0 || k == 0 {
        return crate::audit::knn::nearest_indices(x, k);
    }
    let raw: Vec<f64> = x.iter().copied().collect();
    let tree = KdTree::new(&raw, dim);
    let scanned = tree.mean_scanned(k, 512);
    if scanned * TREE_TO_PAIR < n as f64 {
        answer_all(&tree, k, progress)
    } else {
        let out = crate::audit::knn::nearest_indices(x, k);
        progress(n);
        out
    }
}

/// Cost of scanning one row in a tree query over the cost of one pair in the brute-force kernel.
const TREE_TO_PAIR: f64 = 50.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::knn::tests::random;

    #[test]
    fn the_tree_gives_exactly_the_brute_force_neighbours() {
        // Continuous data; grid data full of exact ties and duplicated rows; more duplicates of
        // one row than k; one column; sizes around the leaf size.
        let mut cases = vec![
            random(2000, 5, 1, None),
            random(1500, 3, 2, Some(2.0)),
            random(900, 2, 3, Some(1.0)),
            random(600, 1, 4, Some(3.0)),
            random(30, 4, 5, None),
            random(1, 3, 6, None),
        ];
        let mut dup = random(400, 6, 7, Some(1.0));
        for i in 0..200 {
            let r = dup.row(0).to_owned();
            dup.row_mut(2 * i).assign(&r);
        }
        cases.push(dup);
        for x in cases {
            let raw: Vec<f64> = x.iter().copied().collect();
            for k in [1, 2, 5, 11] {
                let want = crate::audit::knn::nearest_indices(x.view(), k);
                let got = nearest_indices_tree(&raw, x.ncols(), k, &|_| {});
                assert_eq!(got, want, "n = {}, dim = {}, k = {k}", x.nrows(), x.ncols());
            }
        }
    }

    #[test]
    fn progress_reaches_every_row() {
        let x = random(10_000, 3, 9, None);
        let raw: Vec<f64> = x.iter().copied().collect();
        let seen = AtomicUsize::new(0);
        nearest_indices_tree(&raw, 3, 5, &|d| {
            seen.fetch_max(d, Ordering::Relaxed);
        });
        assert_eq!(seen.load(Ordering::Relaxed), 10_000);
    }
}
