//! Benchmark: the full by-group table and every derived metric on in-memory data.
//!
//! `cargo bench --bench group_metrics -- FILE.csv` reads columns y_true, y_pred, s1, s2 (the file
//! written by scripts/bench_group_metrics_fairlearn.py; reading is not timed) and prints one JSON
//! line: best and mean seconds over the runs, and the headline values (fairlearn's `zero`
//! convention, to compare with fairlearn). Without a file it generates 1,000,000 seeded rows.

use std::time::Instant;

use fairdistill::audit::{AuditParams, FairnessAudit, UndefinedPolicy};
use fairdistill::data::CsvColumns;
use rand::{Rng, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (y_true, y_pred, s1, s2) = match args.first() {
        Some(path) => {
            let csv = CsvColumns::read(path.as_ref()).expect("read the benchmark CSV");
            (
                csv.binary("y_true").unwrap(),
                csv.binary("y_pred").unwrap(),
                csv.strings("s1").unwrap(),
                csv.strings("s2").unwrap(),
            )
        }
        None => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let n = 1_000_000;
            let s1: Vec<String> = (0..n).map(|_| ["a", "b", "c", "d"][rng.gen_range(0..4)].to_string()).collect();
            let s2: Vec<String> = (0..n).map(|_| ["x", "y", "z"][rng.gen_range(0..3)].to_string()).collect();
            let y_true: Vec<u8> = (0..n).map(|_| rng.gen_bool(0.4) as u8).collect();
            let y_pred: Vec<u8> = (0..n).map(|_| rng.gen_bool(0.45) as u8).collect();
            (y_true, y_pred, s1, s2)
        }
    };
    let params = AuditParams::default().n_boot(0).undefined(UndefinedPolicy::Zero);
    let run = || {
        FairnessAudit::new(&y_true, &y_pred)
            .sensitive("s1", &s1)
            .sensitive("s2", &s2)
            .params(params.clone())
            .run()
            .expect("audit")
    };
    let mut times = Vec::new();
    let mut report = run();
    for _ in 0..7 {
        let t = Instant::now();
        report = run();
        times.push(t.elapsed().as_secs_f64());
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let out = serde_json::json!({
        "n": report.n,
        "groups": report.groups.len(),
        "best_seconds": best,
        "mean_seconds": mean,
        "runs": times.len(),
        "demographic_parity_difference": report.demographic_parity_difference,
        "demographic_parity_ratio": report.demographic_parity_ratio,
        "equalized_odds_difference": report.equalized_odds_difference,
        "equalized_odds_ratio": report.equalized_odds_ratio,
        "equalized_odds_difference_mean": report.equalized_odds_difference_mean,
        "selection_rates": report.groups.iter().map(|g| g.selection_rate.get()).collect::<Vec<_>>(),
        "tprs": report.groups.iter().map(|g| g.tpr.get()).collect::<Vec<_>>(),
    });
    println!("{out}");
}
