//! The random forest: bagged CART trees grown in parallel, probabilities averaged.

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::forest::binning::bin_features;
use crate::forest::params::RandomForestParams;
use crate::forest::tree::{grow, GrowSettings, Tree};

/// A fitted random forest classifier.
///
/// P(class c | x) is the mean over trees of the class-c share of the training rows (weighted by
/// their bootstrap counts) in the leaf x falls in — scikit-learn's `predict_proba`; with leaves
/// grown pure it is the fraction of trees voting c. The prediction is the most probable class
/// (the smallest class index on ties).
///
/// ```
/// use fairdistill::forest::{RandomForest, RandomForestParams};
/// use ndarray::array;
/// let x = array![[0.0, 1.0], [0.1, 0.9], [1.0, 0.0], [0.9, 0.2], [0.2, 1.1], [1.1, 0.1]];
/// let y = [0, 0, 1, 1, 0, 1];
/// let forest = RandomForest::fit(&RandomForestParams::default().n_trees(25).seed(1), x.view(), &y)?;
/// assert_eq!(forest.predict_classes(x.view())?, y);
/// # Ok::<(), fairdistill::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForest {
    trees: Vec<Tree>,
    n_classes: usize,
    n_features: usize,
    params: RandomForestParams,
}

fn check_matrix(x: ArrayView2<f64>, what: &str) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::Empty { what: format!("{what} has no rows") });
    }
    if x.ncols() == 0 {
        return Err(Error::Empty { what: format!("{what} has no columns") });
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: what.to_string(), index: i });
    }
    Ok(())
}

impl RandomForest {
    /// Fits a forest on rows `x` with class labels `y` (0, 1, ..., at least two classes).
    pub fn fit<Y: Copy + Into<u32>>(params: &RandomForestParams, x: ArrayView2<f64>, y: &[Y]) -> Result<RandomForest> {
        params.check()?;
        check_matrix(x, "training features")?;
        if y.len() != x.nrows() {
            return Err(Error::LengthMismatch { what: "labels against feature rows".into(), expected: x.nrows(), got: y.len() });
        }
        let y: Vec<u32> = y.iter().map(|&v| v.into()).collect();
        let n_classes = *y.iter().max().unwrap_or(&0) as usize + 1;
        if n_classes > 1 << 16 {
            return Err(Error::invalid("labels", n_classes - 1, "class labels must be small integers 0..k"));
        }
        let present = {
            let mut seen = vec![false; n_classes];
            y.iter().for_each(|&c| seen[c as usize] = true);
            seen.iter().filter(|&&s| s).count()
        };
        if present < 2 {
            return Err(Error::invalid("labels", format!("only class {}", y[0]), "training labels need at least two classes"));
        }
        let binned = bin_features(x, params.max_bins);
        let n = x.nrows();
        let settings = GrowSettings {
            n_classes,
            mtry: params.max_features.resolve(x.ncols()),
            max_depth: params.max_depth.unwrap_or(usize::MAX),
            min_samples_split: params.min_samples_split,
            min_samples_leaf: params.min_samples_leaf,
        };
        let trees = (0..params.n_trees as u64)
            .into_par_iter()
            .map(|t| {
                let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
                rng.set_stream(t);
                let mut weights = vec![0u32; n];
                if params.bootstrap {
                    for _ in 0..n {
                        weights[rng.gen_range(0..n)] += 1;
                    }
                } else {
                    weights.iter_mut().for_each(|w| *w = 1);
                }
                grow(&binned, &y, &weights, &settings, &mut rng)
            })
            .collect();
        Ok(RandomForest { trees, n_classes, n_features: x.ncols(), params: params.clone() })
    }

    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The deepest tree's depth.
    pub fn max_depth(&self) -> usize {
        self.trees.iter().map(Tree::depth).max().unwrap_or(0)
    }

    pub fn params(&self) -> &RandomForestParams {
        &self.params
    }

    fn check_input(&self, x: ArrayView2<f64>) -> Result<()> {
        check_matrix(x, "features to predict")?;
        if x.ncols() != self.n_features {
            return Err(Error::LengthMismatch { what: "feature columns against the fitted forest".into(), expected: self.n_features, got: x.ncols() });
        }
        Ok(())
    }

    /// Class probabilities, one row per input row.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        Ok(self.proba_unchecked(x))
    }

    fn proba_unchecked(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let k = self.n_classes;
        let rows: Vec<Vec<f64>> = x
            .outer_iter()
            .into_par_iter()
            .with_min_len(64)
            .map(|row| {
                let owned;
                let r: &[f64] = match row.as_slice() {
                    Some(s) => s,
                    None => {
                        owned = row.to_vec();
                        &owned
                    }
                };
                let mut p = vec![0.0; k];
                for t in &self.trees {
                    for (acc, v) in p.iter_mut().zip(t.leaf_of(r, k)) {
                        *acc += v;
                    }
                }
                p.iter_mut().for_each(|v| *v /= self.trees.len() as f64);
                p
            })
            .collect();
        Array2::from_shape_fn((x.nrows(), k), |(i, c)| rows[i][c])
    }

    /// P(class 1) for each row (binary forests).
    pub fn predict_positive_proba(&self, x: ArrayView2<f64>) -> Result<Vec<f64>> {
        let p = self.predict_proba(x)?;
        Ok(p.column(1.min(self.n_classes - 1)).to_vec())
    }

    /// The most probable class of each row.
    pub fn predict_classes(&self, x: ArrayView2<f64>) -> Result<Vec<u32>> {
        let p = self.predict_proba(x)?;
        Ok(argmax_rows(&p))
    }
}

fn argmax_rows(p: &Array2<f64>) -> Vec<u32> {
    p.outer_iter()
        .map(|r| {
            let mut best = 0;
            for (c, v) in r.iter().enumerate() {
                if *v > r[best] {
                    best = c;
                }
            }
            best as u32
        })
        .collect()
}

/// linfa's `Fit`: `params.fit(&Dataset::new(records, targets))` with `usize` class targets.
impl<D: Data<Elem = f64>> Fit<ArrayBase<D, Ix2>, Array1<usize>, Error> for RandomForestParams {
    type Object = RandomForest;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, Array1<usize>>) -> Result<RandomForest> {
        let y: Vec<u32> = dataset.targets.iter().map(|&c| c as u32).collect();
        RandomForest::fit(self, dataset.records.view(), &y)
    }
}

/// linfa's `PredictInplace` (and so `Predict`): the most probable class as `usize`. Input with
/// the wrong width or non-finite values predicts nothing; use [`RandomForest::predict_classes`] for the
/// error.
impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<usize>> for RandomForest {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        if self.check_input(x.view()).is_err() || y.len() != x.nrows() {
            return;
        }
        for (t, c) in y.iter_mut().zip(argmax_rows(&self.proba_unchecked(x.view()))) {
            *t = c as usize;
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}
