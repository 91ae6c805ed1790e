//! Benchmark of `synthetic_quality` (precision/recall/density/coverage).
//!
//! ```text
//! cargo bench --bench quality                       # 10,000 × 10,000 × 64, generated (seed 42)
//! cargo bench --bench quality -- --n 50000 --dim 8   # 2.5e9 pairs per pass (the scale check)
//! cargo bench --bench quality -- --real R.f64 --fake F.f64 --dim 64 [--k 5] [--runs 3]
//! ```
//!
//! Input files are raw little-endian f64, row-major, `dim` values per row (what
//! `numpy.ndarray.astype("<f8").tofile` writes). Generated data: real ~ N(0, 1), synthetic ~
//! N(0.1, 1.1²) per coordinate, from `ChaCha8Rng` seeded with 42 (Box–Muller).
//!
//! Prints one JSON line: sizes, `best_s` and `mean_s` over the runs, every run's time, and the
//! four values.

use std::time::Instant;

use fairdistill::audit::{synthetic_quality, QualityParams};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Args {
    real: Option<String>,
    fake: Option<String>,
    dim: usize,
    k: usize,
    runs: usize,
    n: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        real: None,
        fake: None,
        dim: 64,
        k: 5,
        runs: 3,
        n: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |s: String, name: &str| s.parse::<usize>().map_err(|e| format!("{name}: {e}"));
        match flag.as_str() {
            "--real" => args.real = Some(value("--real")?),
            "--fake" => args.fake = Some(value("--fake")?),
            "--dim" => args.dim = number(value("--dim")?, "--dim")?,
            "--k" => args.k = number(value("--k")?, "--k")?,
            "--runs" => args.runs = number(value("--runs")?, "--runs")?,
            "--n" => args.n = number(value("--n")?, "--n")?,
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.dim == 0 || args.runs == 0 {
        return Err("--dim and --runs must be positive".into());
    }
    Ok(args)
}

fn read_f64(path: &str, dim: usize) -> Result<Array2<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() % (8 * dim) != 0 {
        return Err(format!(
            "{path}: {} bytes is not a whole number of {dim}-column f64 rows",
            bytes.len()
        ));
    }
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    Array2::from_shape_vec((values.len() / dim, dim), values).map_err(|e| e.to_string())
}

fn normal(rng: &mut ChaCha8Rng, n: usize, dim: usize, mean: f64, sd: f64) -> Array2<f64> {
    let mut values = Vec::with_capacity(n * dim + 1);
    while values.len() < n * dim {
        let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
        let u2: f64 = rng.gen();
        let r = (-2.0 * u1.ln()).sqrt();
        let a = std::f64::consts::TAU * u2;
        values.push(mean + sd * r * a.cos());
        values.push(mean + sd * r * a.sin());
    }
    values.truncate(n * dim);
    Array2::from_shape_vec((n, dim), values).expect("length is n * dim")
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench quality: {e}");
            std::process::exit(2);
        }
    };
    let (real, fake, source) = match (&args.real, &args.fake) {
        (Some(r), Some(f)) => match (read_f64(r, args.dim), read_f64(f, args.dim)) {
            (Ok(real), Ok(fake)) => (real, fake, "files"),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("bench quality: {e}");
                std::process::exit(2);
            }
        },
        (None, None) => {
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            let real = normal(&mut rng, args.n, args.dim, 0.0, 1.0);
            let fake = normal(&mut rng, args.n, args.dim, 0.1, 1.1);
            (real, fake, "generated")
        }
        _ => {
            eprintln!("bench quality: give both --real and --fake, or neither");
            std::process::exit(2);
        }
    };
    let params = QualityParams::default().with_k(args.k);
    let mut times = Vec::with_capacity(args.runs);
    let mut report = None;
    for _ in 0..args.runs {
        let t = Instant::now();
        let r = synthetic_quality(real.view(), fake.view(), &params);
        times.push(t.elapsed().as_secs_f64());
        match r {
            Ok(r) => report = Some(r),
            Err(e) => {
                eprintln!("bench quality: {e}");
                std::process::exit(1);
            }
        }
    }
    let Some(q) = report else { return };
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let line = serde_json::json!({
        "bench": "synthetic_quality",
        "source": source,
        "n_real": q.n_real,
        "n_synthetic": q.n_synthetic,
        "dim": real.ncols(),
        "k": q.k,
        "threads": rayon::current_num_threads(),
        "runs": times.len(),
        "best_s": best,
        "mean_s": mean,
        "times_s": times,
        "precision": q.precision,
        "recall": q.recall,
        "density": q.density,
        "coverage": q.coverage,
    });
    println!("{line}");
}
