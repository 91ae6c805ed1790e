//! The Fair4Free reproduction: our numbers beside the paper's, over seeds, with the baselines
//! `real`, `vae-unfair`, `fair-teacher` and `fair4free` (method names are a contract).

use ndarray::Axis;
use serde::{Deserialize, Serialize};

use crate::audit::{synthetic_quality, QualityParams, Value};
use crate::data::{Dataset, Encoder, Table};
use crate::error::{Error, Result};
use crate::evaluate::{EvaluationParams, EvaluationRow, Evaluator};
use crate::forest::RandomForestParams;
use crate::methods::fair4free::{EpochLog, Fair4Free, Fair4FreeParams, LatentSource};

/// Settings of the reproduction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeStudyParams {
    /// Seeds 0..seeds: each trains its own models and forests.
    pub seeds: usize,
    pub model: Fair4FreeParams,
    pub forest: RandomForestParams,
    /// Whether the forests see the sensitive columns (default true); the report also shows the
    /// fair4free row with the other choice.
    pub forest_sees_sensitive: bool,
    /// Neighbours of density and coverage.
    pub quality_k: usize,
    /// Rows of each side used for density and coverage (a seeded subsample when larger).
    pub quality_rows: usize,
    /// log10 beta values of the sweep (`None` = beta 0); empty for no sweep. One seed each.
    pub sweep: Vec<Option<f64>>,
}

impl Fair4FreeStudyParams {
    /// The configuration of `cargo run --release`: one seed, short training, no sweep
    /// (a few minutes on 2 cores).
    pub fn quick() -> Self {
        Fair4FreeStudyParams {
            seeds: 1,
            model: Fair4FreeParams::default().epochs(15).student_epochs(15).head_epochs(15),
            forest: RandomForestParams::default(),
            forest_sees_sensitive: true,
            quality_k: 5,
            quality_rows: 5000,
            sweep: Vec::new(),
        }
    }

    /// The documented full run: 5 seeds, default training, a beta sweep.
    pub fn full() -> Self {
        Fair4FreeStudyParams {
            seeds: 5,
            model: Fair4FreeParams::default(),
            sweep: vec![None, Some(0.0), Some(0.5), Some(1.0), Some(1.5), Some(2.0), Some(2.5)],
            ..Self::quick()
        }
    }
}

/// Targets for the `fair4free` row (the issue's: DPR >= 0.9, EOR >= 0.8, accuracy >= 0.78,
/// coverage >= 0.8) and, for each one the mean misses, the reason measured in
/// docs/FAIR4FREE.md.
fn shortfall_notes(rows: &[MethodRow]) -> Vec<String> {
    let Some(f) = rows.iter().find(|r| r.method == "fair4free") else { return Vec::new() };
    let unfair_coverage = rows.iter().find(|r| r.method == "vae-unfair").and_then(|r| r.coverage.mean);
    let real_accuracy = rows.iter().find(|r| r.method == "real").and_then(|r| r.accuracy.mean);
    let checks: [(&str, Option<f64>, f64, String); 4] = [
        (
            "accuracy",
            f.accuracy.mean,
            0.78,
            match real_accuracy {
                Some(r) if r < 0.78 => format!("even the forest trained on the real rows scores {r:.3} on this dataset"),
                _ => "the fair latent keeps only the part of the label that does not depend on s, and the models are small and trained briefly".into(),
            },
        ),
        ("demographic_parity_ratio", f.demographic_parity_ratio.mean, 0.9, "y is independent of s in the synthetic rows by construction, but the forest learns features (e.g. relationship) that stand for s in the real test rows".into()),
        ("equalized_odds_ratio", f.equalized_odds_ratio.mean, 0.8, "EOR is the smaller of the TPR and FPR ratios between groups; where one group's false-positive rate on the real test rows is very small, a small absolute gap is a large ratio gap".into()),
        (
            "coverage",
            f.coverage.mean,
            0.8,
            format!(
                "synthetic rows are drawn from the decoder's likelihood around a small latent trained for a few epochs, and the fairness penalty removes the latent information that goes with s{}",
                unfair_coverage.map(|c| format!(" (the unfair VAE with the same decoding: {c:.3})")).unwrap_or_default()
            ),
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(name, value, target, why)| match value {
            Some(v) if v >= target => None,
            Some(v) => Some(format!("Out of reach here: fair4free {name} {v:.3} < the target {target}: {why}.")),
            None => Some(format!("Out of reach here: fair4free {name} is undefined in at least one seed (target {target}).")),
        })
        .collect()
}

/// Mean and population standard deviation over seeds (undefined when any seed's value is).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub mean: Option<f64>,
    pub std: Option<f64>,
}

impl Stat {
    pub(crate) fn of(values: &[Value]) -> Stat {
        let v: Vec<f64> = values.iter().filter_map(Value::get).collect();
        if v.len() != values.len() || v.is_empty() {
            return Stat { mean: None, std: None };
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64;
        Stat { mean: Some(m), std: Some(var.sqrt()) }
    }

    /// "N seed" or "N seeds", for titles.
    pub fn seeds_phrase(seeds: usize) -> String {
        format!("{seeds} seed{}", if seeds == 1 { "" } else { "s" })
    }

    /// `mean ± std` with `decimals` decimals over `seeds` seeds; one seed has no spread and shows
    /// `mean ± n/a` (never `± 0.00`); an undefined value shows `n/a`. Every study table uses this.
    pub fn show(&self, decimals: usize, seeds: usize) -> String {
        match (self.mean, self.std) {
            (Some(m), Some(s)) if seeds > 1 => format!("{m:.decimals$} ± {s:.decimals$}"),
            (Some(m), _) => format!("{m:.decimals$} ± n/a"),
            _ => "n/a".into(),
        }
    }
}

/// One method's row (the JSON contract of the audits/ files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodRow {
    pub method: String,
    pub accuracy: Stat,
    pub f1: Stat,
    pub recall: Stat,
    pub demographic_parity_ratio: Stat,
    pub equalized_odds_ratio: Stat,
    pub density: Stat,
    pub coverage: Stat,
    /// F1 and recall with the majority class as positive (the paper's likely polarity).
    pub majority_class_f1: Stat,
    pub majority_class_recall: Stat,
}

/// The paper's numbers (as quoted in SPEC part A; the full tables were not available).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperNumbers {
    pub dataset: String,
    pub demographic_parity_ratio: Option<f64>,
    pub equalized_odds_ratio: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub accuracy: Option<f64>,
    pub coverage: Option<f64>,
    pub source: String,
}

impl PaperNumbers {
    pub fn for_dataset(name: &str) -> PaperNumbers {
        let source = "Fair4Free (arXiv 2410.01423) as quoted by a review of the ICLR submission; every entry ±0.01".to_string();
        match name {
            "adult" => PaperNumbers {
                dataset: name.into(),
                demographic_parity_ratio: Some(0.99),
                equalized_odds_ratio: Some(0.99),
                recall: Some(0.98),
                f1: Some(0.88),
                accuracy: None,
                coverage: None,
                source,
            },
            "compas" => PaperNumbers {
                dataset: name.into(),
                demographic_parity_ratio: None,
                equalized_odds_ratio: None,
                recall: None,
                f1: Some(0.42),
                accuracy: Some(0.52),
                coverage: Some(0.975),
                source,
            },
            _ => PaperNumbers {
                dataset: name.into(),
                demographic_parity_ratio: None,
                equalized_odds_ratio: None,
                recall: None,
                f1: None,
                accuracy: None,
                coverage: None,
                source: "the paper reports no numbers for this dataset".into(),
            },
        }
    }
}

/// One point of the beta sweep (one seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub beta_log10: Option<f64>,
    pub accuracy: Value,
    pub demographic_parity_ratio: Value,
    pub equalized_odds_ratio: Value,
    pub heldout_dcor_sq: f64,
}

/// The reproduction report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeReport {
    /// The command line that produced the report.
    pub command: String,
    pub dataset: String,
    pub sensitive: Vec<String>,
    pub rows: Vec<MethodRow>,
    pub paper: PaperNumbers,
    pub sweep: Vec<SweepPoint>,
    /// dCor^2(mu(x, s), s) on the real test rows, mean over seeds: unfair and fair teacher.
    pub latent_dcor_sq_unfair: f64,
    pub latent_dcor_sq_fair: f64,
    pub params: Fair4FreeStudyParams,
    pub notes: Vec<String>,
}

fn subsample(n: usize, max: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut idx: Vec<usize> = (0..n).collect();
    if n > max {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        idx.shuffle(&mut rng);
        idx.truncate(max);
        idx.sort_unstable();
    }
    idx
}

/// Density and coverage of `synthetic` against the real test rows, in the encoder's space.
fn quality(encoder: &Encoder, test: &Table, synthetic: &Table, p: &Fair4FreeStudyParams, seed: u64) -> Result<(Value, Value)> {
    let real = encoder.transform(test)?;
    let fake = encoder.transform(synthetic)?;
    let r = real.select(Axis(0), &subsample(real.nrows(), p.quality_rows, seed));
    let f = fake.select(Axis(0), &subsample(fake.nrows(), p.quality_rows, seed + 1));
    let q = synthetic_quality(r.view(), f.view(), &QualityParams { k: p.quality_k })?;
    Ok((Value::Defined(q.density), Value::Defined(q.coverage)))
}

struct Cells {
    eval: Vec<EvaluationRow>,
    density: Vec<Value>,
    coverage: Vec<Value>,
}

impl Cells {
    fn new() -> Self {
        Cells { eval: Vec::new(), density: Vec::new(), coverage: Vec::new() }
    }

    fn row(&self, method: &str) -> MethodRow {
        let col = |f: fn(&EvaluationRow) -> &Value| -> Stat { Stat::of(&self.eval.iter().map(|r| f(r).clone()).collect::<Vec<_>>()) };
        MethodRow {
            method: method.into(),
            accuracy: col(|r| &r.accuracy),
            f1: col(|r| &r.f1),
            recall: col(|r| &r.recall),
            demographic_parity_ratio: col(|r| &r.demographic_parity_ratio),
            equalized_odds_ratio: col(|r| &r.equalized_odds_ratio),
            density: Stat::of(&self.density),
            coverage: Stat::of(&self.coverage),
            majority_class_f1: col(|r| &r.majority_class_f1),
            majority_class_recall: col(|r| &r.majority_class_recall),
        }
    }
}

/// Runs the reproduction on `dataset`. `observe` sees every training epoch (for progress bars).
pub fn reproduce_fair4free(
    dataset: &Dataset,
    p: &Fair4FreeStudyParams,
    command: &str,
    observe: &mut dyn FnMut(&str, &EpochLog),
) -> Result<Fair4FreeReport> {
    if p.seeds == 0 {
        return Err(Error::invalid("seeds", 0, "run at least one seed"));
    }
    p.model.check()?;
    let n = dataset.train.n_rows();
    let mut real = Cells::new();
    let mut unfair = Cells::new();
    let mut teacher = Cells::new();
    let mut student = Cells::new();
    let mut student_hidden_s = Cells::new();
    let mut constant = Cells::new();
    let (mut dcor_unfair, mut dcor_fair) = (0.0, 0.0);
    for seed in 0..p.seeds as u64 {
        let eval_params = EvaluationParams { forest: p.forest.clone().seed(seed), forest_sees_sensitive: p.forest_sees_sensitive };
        let ev = Evaluator::new(dataset, eval_params.clone())?;
        let ev_other = Evaluator::new(dataset, EvaluationParams { forest_sees_sensitive: !p.forest_sees_sensitive, ..eval_params })?;
        real.eval.push(ev.evaluate("real", &dataset.train)?);
        let (d, c) = quality(ev.encoder(), &dataset.test, &dataset.train, p, seed)?;
        real.density.push(d);
        real.coverage.push(c);
        constant.eval.push(constant_row(dataset)?);

        let unfair_model = Fair4Free::fit(&p.model.clone().seed(seed).beta_log10(None), &dataset.train, &mut |e| observe("vae-unfair", e))?;
        let fair_model = Fair4Free::fit(&p.model.clone().seed(seed), &dataset.train, &mut |e| observe("fair4free", e))?;
        dcor_unfair += unfair_model.latent_dcor_sq(&dataset.test, 2000)? / p.seeds as f64;
        dcor_fair += fair_model.latent_dcor_sq(&dataset.test, 2000)? / p.seeds as f64;
        for (cells, model, source, name) in [
            (&mut unfair, &unfair_model, LatentSource::Prior, "vae-unfair"),
            (&mut teacher, &fair_model, LatentSource::Prior, "fair-teacher"),
            (&mut student, &fair_model, LatentSource::Student, "fair4free"),
        ] {
            let synth = model.generate(n, 1000 + seed, source)?;
            cells.eval.push(ev.evaluate(name, &synth)?);
            let (d, c) = quality(ev.encoder(), &dataset.test, &synth, p, seed)?;
            cells.density.push(d);
            cells.coverage.push(c);
            if name == "fair4free" {
                student_hidden_s.eval.push(ev_other.evaluate(name, &synth)?);
                student_hidden_s.density.push(cells.density.last().cloned().unwrap_or(Value::undefined("-")));
                student_hidden_s.coverage.push(cells.coverage.last().cloned().unwrap_or(Value::undefined("-")));
            }
        }
    }
    let other = if p.forest_sees_sensitive { "fair4free (forest without s)" } else { "fair4free (forest with s)" };
    let rows = vec![
        real.row("real"),
        unfair.row("vae-unfair"),
        teacher.row("fair-teacher"),
        student.row("fair4free"),
        student_hidden_s.row(other),
        constant.row("constant majority class (reference)"),
    ];

    let mut sweep = Vec::new();
    for &b in &p.sweep {
        let model = Fair4Free::fit(&p.model.clone().seed(0).beta_log10(b), &dataset.train, &mut |e| observe("sweep", e))?;
        let synth = model.generate(n, 1000, LatentSource::Student)?;
        let ev = Evaluator::new(dataset, EvaluationParams { forest: p.forest.clone().seed(0), forest_sees_sensitive: p.forest_sees_sensitive })?;
        let r = ev.evaluate("sweep", &synth)?;
        sweep.push(SweepPoint {
            beta_log10: b,
            accuracy: r.accuracy,
            demographic_parity_ratio: r.demographic_parity_ratio,
            equalized_odds_ratio: r.equalized_odds_ratio,
            heldout_dcor_sq: model.latent_dcor_sq(&dataset.test, 2000)?,
        });
    }

    let positive = dataset.train.label_spec();
    let mut notes = vec![
        format!(
            "Label polarity: y = 1 is `{}` (`{}` = `{}`). The authors' related code encodes Adult with y = 1 for <=50K; the majority-class columns give recall and F1 with the majority class as positive for comparison, and the constant row shows what predicting the majority class for everyone scores.",
            positive.positive, positive.name, positive.positive
        ),
        format!(
            "The forest {} the sensitive column(s) by default; the row `{}` shows the other choice.",
            if p.forest_sees_sensitive { "sees" } else { "does not see" },
            other
        ),
        "Density and coverage: k = 5 nearest neighbours in the encoded space (one-hot + standardised), synthetic rows against real test rows, each side subsampled to the configured number of rows.".into(),
        "Differences from the paper: our models are small and trained briefly on 2 CPU cores; the student's loss (MMD distribution matching), the label head on z and the exact network sizes are our choices where the paper is silent (see docs/FAIR4FREE.md).".into(),
    ];
    notes.extend(shortfall_notes(&rows));
    Ok(Fair4FreeReport {
        command: command.to_string(),
        dataset: dataset.name.clone(),
        sensitive: dataset.train.sensitive_names().to_vec(),
        rows,
        paper: PaperNumbers::for_dataset(&dataset.name),
        sweep,
        latent_dcor_sq_unfair: dcor_unfair,
        latent_dcor_sq_fair: dcor_fair,
        params: p.clone(),
        notes,
    })
}

/// The trivial reference: predict the majority class of the training labels for everyone.
fn constant_row(dataset: &Dataset) -> Result<EvaluationRow> {
    let majority = (dataset.train.label().iter().filter(|&&y| y == 1).count() * 2 >= dataset.train.n_rows()) as u8;
    let n = dataset.test.n_rows();
    crate::evaluate::score_predictions(dataset, "constant", dataset.train.n_rows(), &vec![majority; n], &vec![majority as f64; n])
}

#[cfg(test)]
mod tests {
    use super::Stat;
    use crate::audit::Value;

    #[test]
    fn one_seed_shows_no_spread_and_undefined_shows_na() {
        let one = Stat::of(&[Value::Defined(0.8534)]);
        assert_eq!(one.show(3, 1), "0.853 ± n/a");
        let two = Stat::of(&[Value::Defined(0.5), Value::Defined(0.7)]);
        assert_eq!(two.show(2, 2), "0.60 ± 0.10");
        let undefined = Stat::of(&[Value::Defined(0.5), Value::Undefined("no positives".into())]);
        assert_eq!(undefined.show(2, 2), "n/a");
        assert_eq!((Stat::seeds_phrase(1), Stat::seeds_phrase(5)), ("1 seed".to_string(), "5 seeds".to_string()));
    }
}
