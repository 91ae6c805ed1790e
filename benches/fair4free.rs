//! Benchmark: Fair4Free teacher training throughput (rows per second) on the embedded Adult,
//! hidden 64, latent 8, batch 512, with the dCor penalty (the configuration of the issue's
//! PyTorch reference). Prints one JSON line.
//!
//! `cargo bench --bench fair4free -- [--epochs N] [--batch B]`

use std::time::Instant;

use fairdistill::data::{load_builtin, LoadOptions};
use fairdistill::methods::fair4free::{Fair4Free, Fair4FreeParams};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let epochs = arg("--epochs", 3);
    let batch = arg("--batch", 512);
    let adult = load_builtin("adult", &LoadOptions::default()).expect("embedded adult");
    let params = Fair4FreeParams::default()
        .epochs(epochs)
        .batch_size(batch)
        .beta_log10(Some(1.0))
        .student_epochs(1)
        .head_epochs(1);
    let mut marks = Vec::new();
    let start = Instant::now();
    let _ = Fair4Free::fit(&params, &adult.train, &mut |e| {
        if e.stage == "teacher" {
            marks.push(start.elapsed().as_secs_f64());
        }
    })
    .expect("fit");
    // Rows the teacher trains on per epoch: the training rows minus the held-out batch.
    let n = adult.train.n_rows();
    let rows = (n - (n / 10).clamp(8, 1000).min(n / 2)) as f64;
    let per_epoch: Vec<f64> = std::iter::once(marks[0]).chain(marks.windows(2).map(|w| w[1] - w[0])).collect();
    let best = per_epoch.iter().copied().fold(f64::INFINITY, f64::min);
    let out = serde_json::json!({
        "rows_per_epoch": rows,
        "batch": batch,
        "epoch_seconds": per_epoch,
        "rows_per_second_best": rows / best,
        "rows_per_second_mean": rows * per_epoch.len() as f64 / per_epoch.iter().sum::<f64>(),
        "threads": rayon::current_num_threads(),
    });
    println!("{out}");
}
