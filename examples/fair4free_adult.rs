//! Fair4Free on the embedded Adult, one configuration, printed as a TSTR table.
//!
//! `cargo run --release --example fair4free_adult -- [EPOCHS] [BETA_LOG10|none] [BATCH] [KL_WEIGHT]`

use std::time::Instant;

use fairdistill::data::{load_builtin, LoadOptions};
use fairdistill::evaluate::{EvaluationParams, Evaluator};
use fairdistill::methods::fair4free::{Fair4Free, Fair4FreeParams, LatentSource};

fn main() -> fairdistill::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let beta = match args.get(2).map(String::as_str) {
        Some("none") => None,
        Some(b) => Some(b.parse().unwrap_or(1.0)),
        None => Some(1.0),
    };
    let adult = load_builtin("adult", &LoadOptions::default())?;
    let batch: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(512);
    let kl: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let params = Fair4FreeParams::default().epochs(epochs).student_epochs(epochs).beta_log10(beta).batch_size(batch).kl_weight(kl);
    let t = Instant::now();
    let model = Fair4Free::fit(&params, &adult.train, &mut |e| {
        eprintln!("{} {}/{} loss {:.4} kl {:.4} pen {:.4} dcor {:?}", e.stage, e.epoch, e.epochs, e.loss, e.kl, e.penalty, e.heldout_dcor_sq)
    })?;
    eprintln!("trained in {:.1} s", t.elapsed().as_secs_f64());
    let synth = model.generate(adult.train.n_rows(), 1, LatentSource::Student)?;
    let prior = model.generate(adult.train.n_rows(), 1, LatentSource::Prior)?;
    let ev = Evaluator::new(&adult, EvaluationParams::default())?;
    let table = ev.run(&[("fair4free".into(), synth), ("teacher-prior".into(), prior)])?;
    println!("{table}");
    println!("held-out dCor^2(mu, s) = {:.4}", model.latent_dcor_sq(&adult.test, 2000)?);
    Ok(())
}
