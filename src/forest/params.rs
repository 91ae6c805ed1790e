//! Hyperparameters of the random forest (linfa's checked-params pattern).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Features tried at each split.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// floor(sqrt(d)), at least 1 (scikit-learn's classifier default).
    Sqrt,
    /// floor(log2(d)), at least 1.
    Log2,
    /// Every feature (bagged trees).
    All,
    /// A fixed count.
    Count(usize),
    /// A fraction of d, at least 1.
    Fraction(f64),
}

impl MaxFeatures {
    pub(crate) fn resolve(self, d: usize) -> usize {
        let k = match self {
            MaxFeatures::Sqrt => (d as f64).sqrt().floor() as usize,
            MaxFeatures::Log2 => (d as f64).log2().floor() as usize,
            MaxFeatures::All => d,
            MaxFeatures::Count(k) => k,
            MaxFeatures::Fraction(f) => (f * d as f64).floor() as usize,
        };
        k.clamp(1, d.max(1))
    }
}

/// Settings of a [`RandomForest`](crate::forest::RandomForest); defaults follow scikit-learn's
/// `RandomForestClassifier`: 100 trees, bootstrap samples, sqrt(d) features drawn at each split,
/// trees grown until their leaves are pure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestParams {
    pub n_trees: usize,
    pub max_features: MaxFeatures,
    /// Maximum depth; `None` grows until leaves are pure or too small to split.
    pub max_depth: Option<usize>,
    /// A node with fewer (bootstrap-weighted) samples is a leaf. Default 2.
    pub min_samples_split: usize,
    /// Each child keeps at least this many (weighted) samples. Default 1.
    pub min_samples_leaf: usize,
    /// Draw each tree's rows with replacement (else every tree sees every row). Default true.
    pub bootstrap: bool,
    /// Most bins per feature for the split search (2..=256). Default 256: features with at most
    /// 256 distinct values are split exactly, like scikit-learn; others at quantile thresholds.
    pub max_bins: usize,
    /// Seed: tree t draws from a ChaCha8 stream (seed, t), so results do not depend on threads.
    pub seed: u64,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        RandomForestParams {
            n_trees: 100,
            max_features: MaxFeatures::Sqrt,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            bootstrap: true,
            max_bins: 256,
            seed: 0,
        }
    }
}

impl RandomForestParams {
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }
    pub fn max_features(mut self, m: MaxFeatures) -> Self {
        self.max_features = m;
        self
    }
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    pub fn min_samples_split(mut self, n: usize) -> Self {
        self.min_samples_split = n;
        self
    }
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    pub fn bootstrap(mut self, b: bool) -> Self {
        self.bootstrap = b;
        self
    }
    pub fn max_bins(mut self, b: usize) -> Self {
        self.max_bins = b;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<&Self> {
        if self.n_trees == 0 {
            return Err(Error::invalid("n_trees", 0, "a forest needs at least one tree"));
        }
        if let MaxFeatures::Count(0) = self.max_features {
            return Err(Error::invalid("max_features", 0, "at least one feature per split"));
        }
        if let MaxFeatures::Fraction(f) = self.max_features {
            if !(f > 0.0 && f <= 1.0) {
                return Err(Error::invalid("max_features", f, "a fraction must lie in (0, 1]"));
            }
        }
        if self.max_depth == Some(0) {
            return Err(Error::invalid("max_depth", 0, "use None for unlimited, or at least 1"));
        }
        if self.min_samples_split < 2 {
            return Err(Error::invalid("min_samples_split", self.min_samples_split, "must be at least 2"));
        }
        if self.min_samples_leaf < 1 {
            return Err(Error::invalid("min_samples_leaf", 0, "must be at least 1"));
        }
        if !(2..=256).contains(&self.max_bins) {
            return Err(Error::invalid("max_bins", self.max_bins, "must lie in 2..=256"));
        }
        Ok(self)
    }
}
