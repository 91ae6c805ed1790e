//! One CART classification tree grown on binned features (Gini impurity, sklearn's split rule).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::forest::binning::Binned;

/// A node: a split `x[feature] <= threshold` (left) or a leaf (`feature == LEAF`, `left` indexes
/// the leaf's class distribution).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
}

pub(crate) const LEAF: u32 = u32::MAX;

/// A fitted tree: nodes (root first) and the class distribution of each leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// `n_classes` probabilities per leaf.
    pub leaf_probs: Vec<f64>,
}

pub(crate) struct GrowSettings {
    pub n_classes: usize,
    pub mtry: usize,
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
}

/// Grows a tree on the rows with a positive weight (bootstrap multiplicity).
///
/// At each node, features are drawn without replacement until `mtry` features that are not
/// constant in the node have been evaluated (constant ones do not count, as in scikit-learn); for
/// each, the class histogram over its bins gives every split "bin <= b", scored by the Gini
/// proxy sum_c L_c^2 / |L| + sum_c R_c^2 / |R| (weighted counts). The best split wins (first
/// found on ties). A node is a leaf when pure, below `min_samples_split` rows, at `max_depth`,
/// or without a split leaving `min_samples_leaf` rows on each side.
pub(crate) fn grow(binned: &Binned, y: &[u32], weights: &[u32], s: &GrowSettings, rng: &mut ChaCha8Rng) -> Tree {
    let n = binned.n_rows;
    let d = binned.thresholds.len();
    let k = s.n_classes;
    let mut idx: Vec<u32> = (0..n as u32).filter(|&i| weights[i as usize] > 0).collect();
    // Label and weight packed in one word per row: one load in the hot loop.
    let yw: Vec<u64> = (0..n).map(|i| ((weights[i] as u64) << 32) | y[i] as u64).collect();
    let mut tree = Tree { nodes: Vec::new(), leaf_probs: Vec::new() };
    tree.nodes.push(Node { feature: LEAF, threshold: 0.0, left: 0, right: 0 });
    // (start, end, depth, node, features known to be constant in this node): a feature constant
    // in a node is constant in its children, so it is never drawn again there (scikit-learn).
    let mut stack: Vec<(usize, usize, usize, usize, Vec<u32>)> = vec![(0, idx.len(), 0, 0, Vec::new())];
    let mut hist = vec![0u64; 256 * k];
    let mut rows_in_bin = vec![0u32; 256];
    let mut order: Vec<usize> = Vec::with_capacity(d);
    let mut is_const = vec![false; d];
    let mut counts = vec![0u64; k];
    let mut left = vec![0u64; k];

    while let Some((start, end, depth, node, known_const)) = stack.pop() {
        let mut constants = known_const;
        let rows = &idx[start..end];
        counts.iter_mut().for_each(|c| *c = 0);
        for &i in rows {
            counts[y[i as usize] as usize] += weights[i as usize] as u64;
        }
        let total: u64 = counts.iter().sum();
        let pure = counts.iter().filter(|&&c| c > 0).count() <= 1;
        let mut best: Option<(usize, usize, f64)> = None;
        if !pure && rows.len() >= s.min_samples_split && depth < s.max_depth {
            for &f in &constants {
                is_const[f as usize] = true;
            }
            order.clear();
            order.extend((0..d).filter(|&f| !is_const[f]));
            for &f in &constants {
                is_const[f as usize] = false;
            }
            let pool = order.len();
            let mut drawn = 0;
            let mut evaluated = 0;
            while evaluated < s.mtry && drawn < pool {
                let j = rng.gen_range(drawn..pool);
                order.swap(drawn, j);
                let f = order[drawn];
                drawn += 1;
                let codes = &binned.codes[f * n..(f + 1) * n];
                let mut touched = [0u64; 4];
                for &i in rows {
                    let b = codes[i as usize] as usize;
                    let p = yw[i as usize];
                    hist[b * k + (p & 0xffff_ffff) as usize] += p >> 32;
                    rows_in_bin[b] += 1;
                    touched[b >> 6] |= 1 << (b & 63);
                }
                let n_touched: u32 = touched.iter().map(|w| w.count_ones()).sum();
                if n_touched <= 1 {
                    constants.push(f as u32);
                } else {
                    evaluated += 1;
                    left.iter_mut().for_each(|c| *c = 0);
                    let mut left_rows = 0usize;
                    let mut seen = 0;
                    for (w, &word) in touched.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            let b = w * 64 + bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            seen += 1;
                            for c in 0..k {
                                left[c] += hist[b * k + c];
                            }
                            left_rows += rows_in_bin[b] as usize;
                            if seen == n_touched {
                                break; // the last bin: nothing on the right
                            }
                            let right_rows = rows.len() - left_rows;
                            if left_rows < s.min_samples_leaf || right_rows < s.min_samples_leaf {
                                continue;
                            }
                            let wl: u64 = left.iter().sum();
                            let wr = total - wl;
                            let mut score = 0.0;
                            for c in 0..k {
                                let l = left[c] as f64;
                                let r = (counts[c] - left[c]) as f64;
                                score += l * l / wl as f64 + r * r / wr as f64;
                            }
                            if best.map_or(true, |(_, _, s0)| score > s0 + 1e-12 * s0.abs()) {
                                best = Some((f, b, score));
                            }
                        }
                    }
                }
                // Clear what this feature touched.
                for (w, &word) in touched.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        let b = w * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        hist[b * k..(b + 1) * k].iter_mut().for_each(|h| *h = 0);
                        rows_in_bin[b] = 0;
                    }
                }
            }
        }
        match best {
            None => {
                let leaf = (tree.leaf_probs.len() / k) as u32;
                tree.leaf_probs.extend(counts.iter().map(|&c| c as f64 / total as f64));
                tree.nodes[node] = Node { feature: LEAF, threshold: 0.0, left: leaf, right: 0 };
            }
            Some((f, b, _)) => {
                let codes = &binned.codes[f * n..(f + 1) * n];
                let slice = &mut idx[start..end];
                let mut mid = 0;
                for j in 0..slice.len() {
                    if (codes[slice[j] as usize] as usize) <= b {
                        slice.swap(mid, j);
                        mid += 1;
                    }
                }
                let l = tree.nodes.len();
                tree.nodes.push(Node { feature: LEAF, threshold: 0.0, left: 0, right: 0 });
                tree.nodes.push(Node { feature: LEAF, threshold: 0.0, left: 0, right: 0 });
                tree.nodes[node] = Node {
                    feature: f as u32,
                    threshold: binned.thresholds[f][b],
                    left: l as u32,
                    right: l as u32 + 1,
                };
                stack.push((start + mid, end, depth + 1, l + 1, constants.clone()));
                stack.push((start, start + mid, depth + 1, l, constants));
            }
        }
    }
    tree
}

impl Tree {
    /// The class distribution of the leaf that `row` falls in.
    #[inline]
    pub fn leaf_of(&self, row: &[f64], n_classes: usize) -> &[f64] {
        let mut i = 0usize;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                let start = node.left as usize * n_classes;
                return &self.leaf_probs[start..start + n_classes];
            }
            i = if row[node.feature as usize] <= node.threshold { node.left } else { node.right } as usize;
        }
    }

    pub fn depth(&self) -> usize {
        fn go(t: &Tree, i: usize) -> usize {
            let n = &t.nodes[i];
            if n.feature == LEAF {
                0
            } else {
                1 + go(t, n.left as usize).max(go(t, n.right as usize))
            }
        }
        go(self, 0)
    }
}
