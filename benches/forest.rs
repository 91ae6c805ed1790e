//! Benchmark: random forest fit + predict on the embedded Adult (official split, rows with `?`
//! dropped, one-hot + standardised: 104 features), as scikit-learn's RandomForestClassifier in
//! scripts/bench-forest. Prints one JSON line.
//!
//! `cargo bench --bench forest -- [--trees N] [--runs R]`

use std::time::Instant;

use fairdistill::data::{load_builtin, Encoder, LoadOptions};
use fairdistill::forest::{RandomForest, RandomForestParams};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// linfa-ensemble's bagging of linfa-trees decision trees (features drawn once per tree), for
/// comparison: `cargo bench --bench forest -- --linfa-ensemble --trees 10`.
fn linfa_ensemble(trees: usize) {
    use linfa::prelude::*;
    use linfa_ensemble::EnsembleLearnerParams;
    use linfa_trees::DecisionTree;
    use rand::SeedableRng;
    let d = load_builtin("adult", &LoadOptions::default()).expect("embedded adult");
    let enc = Encoder::fit(&d.train).unwrap();
    let xtr = enc.transform(&d.train).unwrap();
    let xte = enc.transform(&d.test).unwrap();
    let ytr: ndarray::Array1<usize> = d.train.label().iter().map(|&y| y as usize).collect();
    let ds = linfa::Dataset::new(xtr.clone(), ytr);
    let proportion = if std::env::args().any(|a| a == "--all-features") { 1.0 } else { (xtr.ncols() as f64).sqrt().floor() / xtr.ncols() as f64 };
    let t = Instant::now();
    let model = EnsembleLearnerParams::new_fixed_rng(DecisionTree::params(), rand::rngs::SmallRng::seed_from_u64(0))
        .ensemble_size(trees)
        .bootstrap_proportion(1.0)
        .feature_proportion(proportion)
        .fit(&ds)
        .unwrap();
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pred: ndarray::Array1<usize> = model.predict(&xte);
    let predict = t.elapsed().as_secs_f64();
    let correct = pred.iter().zip(d.test.label()).filter(|(p, y)| **p == **y as usize).count();
    let out = serde_json::json!({
        "model": "linfa-ensemble EnsembleLearner<DecisionTree>",
        "feature_proportion": proportion,
        "trees": trees,
        "fit_seconds": fit,
        "predict_seconds": predict,
        "accuracy": correct as f64 / pred.len() as f64,
    });
    println!("{out}");
}

fn main() {
    let trees = arg("--trees", 100);
    if std::env::args().any(|a| a == "--linfa-ensemble") {
        return linfa_ensemble(trees);
    }
    let runs = arg("--runs", 3);
    let d = load_builtin("adult", &LoadOptions::default()).expect("embedded adult");
    let enc = Encoder::fit(&d.train).unwrap();
    let xtr = enc.transform(&d.train).unwrap();
    let xte = enc.transform(&d.test).unwrap();
    let params = RandomForestParams::default().n_trees(trees).seed(0);
    let mut fit_s = Vec::new();
    let mut predict_s = Vec::new();
    let mut accuracy = 0.0;
    let mut depth = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let forest = RandomForest::fit(&params, xtr.view(), d.train.label()).unwrap();
        fit_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let pred = forest.predict_classes(xte.view()).unwrap();
        predict_s.push(t.elapsed().as_secs_f64());
        let correct = pred.iter().zip(d.test.label()).filter(|(p, y)| **p == **y as u32).count();
        accuracy = correct as f64 / pred.len() as f64;
        depth = forest.max_depth();
    }
    let total: Vec<f64> = fit_s.iter().zip(&predict_s).map(|(a, b)| a + b).collect();
    let out = serde_json::json!({
        "trees": trees,
        "rows_train": xtr.nrows(),
        "features": xtr.ncols(),
        "threads": rayon::current_num_threads(),
        "fit_seconds": fit_s,
        "predict_seconds": predict_s,
        "fit_plus_predict_mean": total.iter().sum::<f64>() / total.len() as f64,
        "fit_plus_predict_best": total.iter().copied().fold(f64::INFINITY, f64::min),
        "accuracy": accuracy,
        "max_depth": depth,
    });
    println!("{out}");
}
