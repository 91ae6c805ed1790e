//! Benchmark: the consistency score (k = 5, AIF360's definition) with `--features`.
//!
//! `cargo bench --bench consistency -- [N] [DIM]` times one audit with features on two seeded
//! data sets of N rows x DIM columns (default 400,000 x 10) and prints one JSON line per set:
//! `gaussian` (independent normal columns: every dimension counts, the hard case for a tree) and
//! `tabular` (half the columns integers from a few levels, half rounded normals: duplicated and
//! tied rows) and `adult` (the embedded Adult training rows resampled to N: age, fnlwgt,
//! education-num, capital-gain, capital-loss, hours-per-week and the level codes of sex, race,
//! relationship and marital-status, fnlwgt jittered by +-1 % so that copies are not exact
//! duplicates: a population audit of census-like rows). With `--brute` it also times the
//! brute-force kernel on the same data (quadratic: 400,000 rows take minutes).

use std::time::Instant;

use fairdistill::audit::{AuditParams, FairnessAudit};
use fairdistill::data::ColumnData;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let brute = std::env::args().any(|a| a == "--brute");
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(400_000);
    let dim: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let gaussian = Array2::from_shape_fn((n, dim), |_| rng.sample::<f64, _>(StandardNormal));
    let tabular = Array2::from_shape_fn((n, dim), |(_, j)| {
        if j % 2 == 0 {
            rng.gen_range(0..4 + 3 * j) as f64
        } else {
            (rng.sample::<f64, _>(StandardNormal) * 4.0).round()
        }
    });
    let adult = fairdistill::data::load_builtin("adult", &fairdistill::data::LoadOptions::default()).expect("embedded Adult");
    let cols: Vec<Vec<f64>> = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week", "sex", "race", "relationship", "marital-status"]
        .iter()
        .map(|name| {
            let c = adult.train.columns().iter().find(|c| c.name == *name).expect("Adult column");
            match &c.data {
                ColumnData::Numeric(v) => v.clone(),
                ColumnData::Categorical(v) => {
                    let mut levels = v.clone();
                    levels.sort();
                    levels.dedup();
                    v.iter().map(|x| levels.binary_search(x).unwrap_or(0) as f64).collect()
                }
            }
        })
        .collect();
    let rows = adult.train.n_rows();
    let adult_like = {
        let picks: Vec<usize> = (0..n).map(|_| rng.gen_range(0..rows)).collect();
        Array2::from_shape_fn((n, dim.min(10)), |(i, j)| {
            let v = cols[j][picks[i]];
            if j == 1 { v * (1.0 + rng.gen_range(-0.01..0.01)) } else { v }
        })
    };
    let y_true: Vec<u8> = (0..n).map(|_| rng.gen_bool(0.4) as u8).collect();
    let y_pred: Vec<u8> = (0..n).map(|_| rng.gen_bool(0.45) as u8).collect();
    let s: Vec<&str> = (0..n).map(|_| ["a", "b"][rng.gen_range(0..2)]).collect();
    let only: Option<String> = std::env::var("BENCH_DATA").ok();
    for (name, x) in [("adult", &adult_like), ("tabular", &tabular), ("gaussian", &gaussian)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t = Instant::now();
        let report = FairnessAudit::new(&y_true, &y_pred)
            .sensitive("s", &s)
            .features(x.view())
            .params(AuditParams::default().n_boot(0))
            .run()
            .expect("audit");
        let seconds = t.elapsed().as_secs_f64();
        let mut line = serde_json::json!({
            "data": name,
            "rows": n,
            "features": dim,
            "seconds": seconds,
            "consistency": report.consistency.as_ref().and_then(|v| v.get()),
        });
        if brute {
            let t = Instant::now();
            let value = fairdistill::audit::consistency_brute_force(x.view(), &y_pred, 5).expect("brute force");
            line["brute_force_seconds"] = t.elapsed().as_secs_f64().into();
            line["brute_force_consistency"] = value.into();
        }
        println!("{line}");
    }
}
