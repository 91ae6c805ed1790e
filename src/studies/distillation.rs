//! The distillation-temperature reproduction (paper C, "What's Left After Distillation?",
//! Table 2 and Table 4 on Trifeature): a ResNet teacher, a LeNet-5 student trained without
//! distillation (`nds`) and distilled students at each temperature (`ds-t1`, `ds-t2`, ...), each
//! scored on test accuracy, multiclass DPD and EOD over colour (Algorithm 1) and individual
//! fairness. Method names are a contract (the JSON rows of `audits/distillation-trifeature.json`).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::audit::{multiclass_fairness, pairwise_lipschitz, UndefinedPolicy, Value};
use crate::data::{Trifeature, TrifeatureParams};
use crate::device::seeded_device;
use crate::error::{Error, Result};
use crate::methods::distill::{fit_classifier, predict_logits, predict_probabilities, DistillParams, EpochLog, ImageClassifier, ImageSet};
use crate::report::{summarise_curves, CurveSummary, TrainingCurve};
use crate::nn::{LeNet5Config, ResNetConfig};
use crate::studies::fair4free::Stat;

/// Settings of the reproduction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillationStudyParams {
    /// Seeds 0..seeds: each draws its own teacher and student initialisations and batch orders
    /// (the images are the same for every seed).
    pub seeds: usize,
    pub train_images: usize,
    pub test_images: usize,
    /// Height and width of the images.
    pub image_size: usize,
    /// [`TrifeatureParams::colour_bias`] of the training images (colour as a shortcut).
    pub train_colour_bias: f64,
    /// The same for the test images (0: every shape in every colour equally often).
    pub test_colour_bias: f64,
    /// Depth of the teacher ResNet (20: ResNet-20, the paper's Trifeature teacher).
    pub teacher_depth: usize,
    pub teacher_epochs: usize,
    pub teacher_learning_rate: f64,
    /// The students' training (alpha, epochs, batch, learning rate, T² option); the temperature is
    /// set per distilled student.
    pub student: DistillParams,
    pub temperatures: Vec<f64>,
    /// Counterfactual pairs of the individual-fairness measure.
    pub fairness_pairs: usize,
    /// Seed of the images (train: this, test: this + 1) and of the pairs.
    pub data_seed: u64,
}

impl DistillationStudyParams {
    /// The notebook's configuration: 1 seed, 3000 32x32 training images, a short teacher (6
    /// epochs), students of 15 epochs, T = 1, 4, 10 (about 1.5 minutes on 2 cores in release).
    pub fn quick() -> Self {
        DistillationStudyParams {
            seeds: 1,
            train_images: 3000,
            test_images: 2000,
            image_size: 32,
            train_colour_bias: 0.3,
            test_colour_bias: 0.0,
            teacher_depth: 20,
            teacher_epochs: 6,
            teacher_learning_rate: 2e-3,
            student: DistillParams::default().epochs(15).learning_rate(2e-3),
            temperatures: vec![1.0, 4.0, 10.0],
            fairness_pairs: 1000,
            data_seed: 2024,
        }
    }

    /// The documented full run: 3 seeds, 4000 32x32 training images, teacher 8 epochs, students
    /// 15 epochs, T = 1..=10 (about 10 minutes on 2 cores in release).
    pub fn full() -> Self {
        DistillationStudyParams {
            seeds: 3,
            train_images: 4000,
            teacher_epochs: 8,
            temperatures: (1..=10).map(f64::from).collect(),
            fairness_pairs: 2000,
            ..Self::quick()
        }
    }

    /// A configuration small enough for tests in the test profile (seconds, not a result).
    pub fn tiny() -> Self {
        DistillationStudyParams {
            seeds: 1,
            train_images: 200,
            test_images: 100,
            image_size: 16,
            test_colour_bias: 0.0,
            teacher_depth: 8,
            teacher_epochs: 1,
            student: DistillParams::default().epochs(2),
            temperatures: vec![1.0, 4.0],
            fairness_pairs: 50,
            ..Self::quick()
        }
    }

    /// The params if valid, or the first bad one.
    pub fn check(&self) -> Result<&Self> {
        if self.seeds == 0 {
            return Err(Error::invalid("seeds", 0, "run at least one seed"));
        }
        if self.temperatures.is_empty() {
            return Err(Error::invalid("temperatures", "[]", "give at least one temperature"));
        }
        if let Some(t) = self.temperatures.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(Error::invalid("temperatures", t, "every temperature must be a positive number"));
        }
        if self.teacher_epochs == 0 {
            return Err(Error::invalid("teacher_epochs", 0, "train the teacher for at least one epoch"));
        }
        if !(self.teacher_learning_rate.is_finite() && self.teacher_learning_rate > 0.0) {
            return Err(Error::invalid("teacher_learning_rate", self.teacher_learning_rate, "must be a positive number"));
        }
        if self.teacher_depth < 8 || !(self.teacher_depth - 2).is_multiple_of(6) {
            return Err(Error::invalid("teacher_depth", self.teacher_depth, "a CIFAR ResNet depth is 6n + 2 (8, 14, 20, 32, 56, ...)"));
        }
        if self.fairness_pairs == 0 {
            return Err(Error::invalid("fairness_pairs", 0, "draw at least one pair"));
        }
        self.student.check()?;
        self.train_params().check()?;
        self.test_params().check()?;
        Ok(self)
    }

    fn train_params(&self) -> TrifeatureParams {
        TrifeatureParams { n: self.train_images, size: self.image_size, colour_bias: self.train_colour_bias, seed: self.data_seed }
    }

    fn test_params(&self) -> TrifeatureParams {
        TrifeatureParams { n: self.test_images, size: self.image_size, colour_bias: self.test_colour_bias, seed: self.data_seed + 1 }
    }

    /// Training epochs of the whole study (for progress bars).
    pub fn total_epochs(&self) -> usize {
        self.seeds * (self.teacher_epochs + self.student.epochs * (1 + self.temperatures.len()))
    }
}

/// The method name of the distilled student at temperature `t` (`ds-t4`, `ds-t2.5`).
pub fn distilled_name(t: f64) -> String {
    format!("ds-t{t}")
}

/// One model's row: mean and population std over seeds; accuracy, DPD and EOD in %.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillationRow {
    /// `teacher`, `nds`, or `ds-t<T>`.
    pub method: String,
    pub temperature: Option<f64>,
    pub accuracy: Stat,
    /// Multiclass demographic parity difference over colour (Algorithm 1), %.
    pub demographic_parity_difference: Stat,
    /// Multiclass equalized odds difference (worst of TPR and FPR gaps) over colour, %.
    pub equalized_odds_difference: Stat,
    /// I(f) on counterfactual colour pairs (lower is fairer).
    pub individual_fairness: Stat,
    /// 95 % bootstrap intervals of DPD and EOD over the test images of the first seed (%): the
    /// noise of one test set, shown when there is one seed and no spread over seeds.
    #[serde(default)]
    pub demographic_parity_difference_ci: Option<(f64, f64)>,
    #[serde(default)]
    pub equalized_odds_difference_ci: Option<(f64, f64)>,
}

/// One row of the paper's Table 2 (Trifeature) and Table 4 (Trifeature column).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillationPaperRow {
    pub method: String,
    pub accuracy: f64,
    pub equalized_odds_difference: f64,
    pub demographic_parity_difference: f64,
    pub individual_fairness: f64,
}

/// The paper's Trifeature numbers (SPEC part C: Table 2 and Table 4, from the authors' slides).
pub fn paper_trifeature() -> Vec<DistillationPaperRow> {
    let row = |m: String, a, e, d, i| DistillationPaperRow {
        method: m,
        accuracy: a,
        equalized_odds_difference: e,
        demographic_parity_difference: d,
        individual_fairness: i,
    };
    let ds = [
        (92.70, 1.67, 3.75, 0.0422),
        (92.41, 1.60, 3.56, 0.0407),
        (92.66, 1.38, 3.52, 0.0393),
        (92.61, 1.32, 3.48, 0.0387),
        (93.13, 1.25, 3.41, 0.0384),
        (93.25, 1.27, 3.48, 0.0377),
        (92.85, 1.21, 3.37, 0.0356),
        (92.66, 1.15, 3.29, 0.0349),
        (93.18, 1.08, 3.22, 0.0341),
        (92.77, 1.01, 3.10, 0.0338),
    ];
    let mut rows = vec![row("teacher".into(), 100.0, 0.00, 3.64, 0.016), row("nds".into(), 90.33, 2.81, 4.12, 0.0462)];
    for (t, (a, e, d, i)) in ds.into_iter().enumerate() {
        rows.push(row(distilled_name((t + 1) as f64), a, e, d, i));
    }
    rows
}

/// The reproduction report (JSON keys `command`, `rows`, `paper`, ... are a contract).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillationReport {
    /// The command line that produced the report.
    pub command: String,
    pub rows: Vec<DistillationRow>,
    pub paper: Vec<DistillationPaperRow>,
    pub params: DistillationStudyParams,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    pub notes: Vec<String>,
    /// Every loss term of every model per epoch, mean and std over seeds.
    #[serde(default)]
    pub training: Vec<CurveSummary>,
}

impl DistillationReport {
    /// Our row named `method`.
    pub fn row(&self, method: &str) -> Option<&DistillationRow> {
        self.rows.iter().find(|r| r.method == method)
    }

    /// The paper's row named `method`.
    pub fn paper_row(&self, method: &str) -> Option<&DistillationPaperRow> {
        self.paper.iter().find(|r| r.method == method)
    }
}

/// What the study is doing (for progress bars): a model name and one finished epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyProgress {
    pub seed: usize,
    pub model: String,
    pub epoch: usize,
    pub loss: f64,
}

/// One model's scores on one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub accuracy: Value,
    pub dpd: Value,
    pub eod: Value,
    pub individual: Value,
    /// 95 % normal bootstrap intervals of DPD and EOD over the test images (%).
    pub dpd_ci: Option<(f64, f64)>,
    pub eod_ci: Option<(f64, f64)>,
}

/// Bootstrap resamples of the test images behind the DPD and EOD intervals of one model.
const TEST_BOOTSTRAP: usize = 200;

/// The test images, their colours and the counterfactual pairs, shared by every model.
struct TestBed {
    set: Trifeature,
    colours: Vec<&'static str>,
    pair_index: Vec<usize>,
    pair_images: Vec<f32>,
    /// Root-mean-square pixel difference of each pair.
    distances: Vec<f64>,
}

impl TestBed {
    fn new(set: Trifeature, pairs: usize, seed: u64) -> Result<Self> {
        let cf = set.counterfactual_pairs(pairs, seed)?;
        let m = set.pixels_per_image();
        let distances = cf
            .index
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let ss: f64 = set.image(i).iter().zip(&cf.images[k * m..(k + 1) * m]).map(|(a, b)| ((a - b) as f64).powi(2)).sum();
                (ss / m as f64).sqrt()
            })
            .collect();
        Ok(TestBed { colours: set.colour_names(), pair_index: cf.index, pair_images: cf.images, distances, set })
    }

    fn score<M: ImageClassifier>(&self, model: &M, dev: &crate::device::Device) -> Result<Scores> {
        let s = self.set.size;
        let test = ImageSet::new(&self.set.images, &self.set.labels, s, s, 3)?;
        let (probs, k) = predict_probabilities(model, dev, &test, 256);
        let pred: Vec<u32> = probs.chunks_exact(k).map(argmax).collect();
        let correct = pred.iter().zip(&self.set.labels).filter(|(p, y)| p == y).count();
        let audit = multiclass_fairness(&self.set.labels, &pred, &[&self.colours[..]], UndefinedPolicy::Exclude)?;
        let pct = |v: &Value| v.get().map_or_else(|| v.clone(), |x| Value::Defined(100.0 * x));
        // Individual fairness: each pair's original image against its colour counterfactual.
        let labels: Vec<u32> = self.pair_index.iter().map(|&i| self.set.labels[i]).collect();
        let cf = ImageSet::new(&self.pair_images, &labels, s, s, 3)?;
        let (cf_probs, _) = predict_probabilities(model, dev, &cf, 256);
        let gaps: Vec<f64> = self
            .pair_index
            .iter()
            .enumerate()
            .map(|(j, &i)| 0.5 * probs[i * k..(i + 1) * k].iter().zip(&cf_probs[j * k..(j + 1) * k]).map(|(a, b)| (a - b).abs()).sum::<f64>())
            .collect();
        let point = |v: &Value| v.get().map(|x| 100.0 * x);
        let (dpd_ci, eod_ci) = self.bootstrap_gaps(
            &pred,
            (point(&audit.mean_over_classes.demographic_parity_difference), point(&audit.mean_over_classes.equalized_odds_difference)),
        )?;
        Ok(Scores {
            accuracy: Value::Defined(100.0 * correct as f64 / pred.len() as f64),
            dpd: pct(&audit.mean_over_classes.demographic_parity_difference),
            eod: pct(&audit.mean_over_classes.equalized_odds_difference),
            individual: pairwise_lipschitz(&gaps, &self.distances)?.value,
            dpd_ci,
            eod_ci,
        })
    }

    /// 95 % normal bootstrap intervals of DPD and EOD (%): the point estimate ± 1.96 standard
    /// deviations of the statistic over [`TEST_BOOTSTRAP`] resamples of the test images (seeded:
    /// the same resamples for every model), clipped at 0: the noise of one test set. Not the
    /// percentile interval: a gap that is a maximum over groups is biased upward under
    /// resampling, and the percentiles can miss the point estimate altogether.
    fn bootstrap_gaps(&self, pred: &[u32], point: (Option<f64>, Option<f64>)) -> Result<(Option<(f64, f64)>, Option<(f64, f64)>)> {
        use rand::{Rng, SeedableRng};
        let n = pred.len();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let (mut dpd, mut eod) = (Vec::with_capacity(TEST_BOOTSTRAP), Vec::with_capacity(TEST_BOOTSTRAP));
        let (mut y, mut p, mut c) = (vec![0u32; n], vec![0u32; n], vec![""; n]);
        for _ in 0..TEST_BOOTSTRAP {
            for j in 0..n {
                let i = rng.gen_range(0..n);
                (y[j], p[j], c[j]) = (self.set.labels[i], pred[i], self.colours[i]);
            }
            let a = multiclass_fairness(&y, &p, &[&c[..]], UndefinedPolicy::Exclude)?;
            dpd.extend(a.mean_over_classes.demographic_parity_difference.get().map(|x| 100.0 * x));
            eod.extend(a.mean_over_classes.equalized_odds_difference.get().map(|x| 100.0 * x));
        }
        let interval = |v: Vec<f64>, point: Option<f64>| {
            let point = point?;
            if v.len() < TEST_BOOTSTRAP / 2 {
                return None;
            }
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
            Some(((point - 1.96 * sd).max(0.0), point + 1.96 * sd))
        };
        Ok((interval(dpd, point.0), interval(eod, point.1)))
    }
}

fn argmax(row: &[f64]) -> u32 {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best as u32
}

/// The study's data, made once and shared by every seed: the training images and the test bed.
pub struct DistillationData {
    train: Trifeature,
    bed: TestBed,
}

impl DistillationData {
    pub fn new(p: &DistillationStudyParams) -> Result<Self> {
        p.check()?;
        Ok(DistillationData { train: p.train_params().generate()?, bed: TestBed::new(p.test_params().generate()?, p.fairness_pairs, p.data_seed + 2)? })
    }
}

/// Everything one seed trains and scores (teacher, NDS, a DS per temperature, in the report's
/// row order): one cell of a sharded run (`reproduce distillation --shard i/n`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillationSeedCell {
    pub seed: usize,
    pub scores: Vec<Scores>,
    pub seconds: f64,
    /// The training curves of this seed's models.
    #[serde(default)]
    pub curves: Vec<TrainingCurve>,
}

/// The report's rows: teacher, NDS, then a distilled student per temperature.
fn model_names(p: &DistillationStudyParams) -> Vec<(String, Option<f64>)> {
    let mut names = vec![("teacher".to_string(), None), ("nds".to_string(), None)];
    names.extend(p.temperatures.iter().map(|&t| (distilled_name(t), Some(t))));
    names
}

/// Trains and scores one seed's teacher and students.
pub fn distillation_seed(p: &DistillationStudyParams, d: &DistillationData, seed: usize, progress: &mut dyn FnMut(&StudyProgress)) -> Result<DistillationSeedCell> {
    p.check()?;
    let start = Instant::now();
    let s = p.image_size;
    let data = ImageSet::new(&d.train.images, &d.train.labels, s, s, 3)?;
    let names = model_names(p);
    let mut scores = Vec::with_capacity(names.len());
    let seed64 = seed as u64;
    // Teacher: ResNet, cross-entropy only.
    let dev = seeded_device(seed64);
    let mut teacher = ResNetConfig { depth: p.teacher_depth, ..ResNetConfig::default() }.build(&dev);
    let tp = p.student.clone().epochs(p.teacher_epochs).learning_rate(p.teacher_learning_rate).seed(seed64);
    let log = fit_classifier(&mut teacher, &dev, &data, None, &tp, &mut |e| {
        progress(&StudyProgress { seed, model: "teacher".into(), epoch: e.epoch, loss: e.loss })
    })?;
    let mut curves = vec![EpochLog::curve(&log, "teacher", seed64)];
    scores.push(d.bed.score(&teacher, &dev)?);
    // Frozen: its logits on the training images, once.
    let teacher_logits = predict_logits(&teacher, &dev, &data, 256);
    // Students: the same initialisation and batch order for NDS and every DS of a seed.
    let student_config = LeNet5Config { in_channels: 3, image_size: s, classes: 10 };
    for (name, t) in names.iter().skip(1) {
        let sdev = seeded_device(1000 + seed64);
        let mut student = student_config.build(&sdev);
        let sp = p.student.clone().temperature(t.unwrap_or(1.0)).seed(1000 + seed64);
        let log = fit_classifier(&mut student, &sdev, &data, t.map(|_| &teacher_logits[..]), &sp, &mut |e| {
            progress(&StudyProgress { seed, model: name.clone(), epoch: e.epoch, loss: e.loss })
        })?;
        curves.push(EpochLog::curve(&log, name, seed64));
        scores.push(d.bed.score(&student, &sdev)?);
    }
    Ok(DistillationSeedCell { seed, scores, seconds: start.elapsed().as_secs_f64(), curves })
}

/// Runs the study: every seed, then [`assemble_distillation`].
pub fn reproduce_distillation(
    p: &DistillationStudyParams,
    command: &str,
    progress: &mut dyn FnMut(&StudyProgress),
) -> Result<DistillationReport> {
    let data = DistillationData::new(p)?;
    let cells = (0..p.seeds).map(|seed| distillation_seed(p, &data, seed, progress)).collect::<Result<Vec<_>>>()?;
    assemble_distillation(p, &cells, command)
}

/// The report from the cells of seeds 0..p.seeds (each once, in any order), the same numbers
/// as one process running them all (`seconds`: the cells' sum).
pub fn assemble_distillation(p: &DistillationStudyParams, cells: &[DistillationSeedCell], command: &str) -> Result<DistillationReport> {
    p.check()?;
    let cells = crate::studies::shard::cells_by_seed("distillation", cells, |c| c.seed as u64, p.seeds)?;
    let names = model_names(p);
    if let Some(c) = cells.iter().find(|c| c.scores.len() != names.len()) {
        return Err(Error::Schema(format!("the cell of seed {} has {} models, the configuration {}", c.seed, c.scores.len(), names.len())));
    }
    let rows = names
        .iter()
        .enumerate()
        .map(|(slot, (name, t))| {
            let sc: Vec<&Scores> = cells.iter().map(|c| &c.scores[slot]).collect();
            let col = |f: fn(&Scores) -> &Value| Stat::of(&sc.iter().map(|s| f(s).clone()).collect::<Vec<_>>());
            DistillationRow {
                method: name.clone(),
                temperature: *t,
                accuracy: col(|s| &s.accuracy),
                demographic_parity_difference: col(|s| &s.dpd),
                equalized_odds_difference: col(|s| &s.eod),
                individual_fairness: col(|s| &s.individual),
                demographic_parity_difference_ci: sc.first().and_then(|s| s.dpd_ci),
                equalized_odds_difference_ci: sc.first().and_then(|s| s.eod_ci),
            }
        })
        .collect();
    Ok(DistillationReport {
        command: command.to_string(),
        rows,
        paper: paper_trifeature(),
        params: p.clone(),
        seconds: cells.iter().map(|c| c.seconds).sum(),
        notes: notes(p),
        training: summarise_curves(cells.iter().flat_map(|c| &c.curves)),
    })
}

fn notes(p: &DistillationStudyParams) -> Vec<String> {
    vec![
        format!(
            "Data: our procedural stand-in for Trifeature (10 shapes = label, 10 colours = protected attribute, 4 of the 10 textures), {0}x{0} px instead of 224 px; {1} training images with colour bias {2} (each image takes its shape's own colour with that probability), {3} test images with colour bias {4}.",
            p.image_size, p.train_images, p.train_colour_bias, p.test_images, p.test_colour_bias
        ),
        format!(
            "Models and training: teacher ResNet-{} ({} epochs), students LeNet-5 ({} epochs), Adam (teacher lr {}, students lr {}), batch {}, no augmentation; the paper trains 100 epochs with SGD, weight decay 0.001 and random crop/flip. alpha = {}; the soft term is {}multiplied by T².",
            p.teacher_depth,
            p.teacher_epochs,
            p.student.epochs,
            p.teacher_learning_rate,
            p.student.learning_rate,
            p.student.batch_size,
            p.student.alpha,
            if p.student.scale_soft_by_t_squared { "" } else { "not " }
        ),
        "DPD and EOD: Algorithm 1 of the paper, one-vs-rest per shape between the 10 colours, averaged over the shapes, in %. EOD is the worst of the TPR and FPR gaps.".into(),
        format!(
            "Individual fairness I(f) (the paper gives neither d nor the pairs): {} test images drawn with a seeded stream, each paired with the same scene in another colour; |f(x) - f(x')| is the total-variation distance between the predicted class probabilities and d(x, x') the root-mean-square pixel difference. So I(f) measures how much a change of colour alone moves the prediction, per unit of pixel change; its scale is not comparable with the paper's.",
            p.fairness_pairs
        ),
        format!(
            "Seeds: {} (teacher and student initialisations and batch orders); mean ± population std. The paper uses 5 seeds. Differences from the paper come from the stand-in data, the smaller images, the far shorter training on 2 CPU cores and Adam instead of SGD.",
            p.seeds
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TrifeatureParams;

    #[test]
    fn the_bootstrap_interval_of_a_colour_dependent_predictor_has_width_and_covers_its_gap() {
        let set = TrifeatureParams::default().n(600).size(16).seed(3).generate().unwrap();
        let bed = TestBed::new(set, 10, 0).unwrap();
        // Right on colour 0, right on every third image of the other colours: a colour gap that
        // depends on which images a resample holds.
        let pred: Vec<u32> = (0..bed.set.len())
            .map(|i| if bed.set.colours[i] == 0 || i % 3 == 0 { bed.set.labels[i] } else { (bed.set.labels[i] + 1) % 10 })
            .collect();
        let point = multiclass_fairness(&bed.set.labels, &pred, &[&bed.colours[..]], UndefinedPolicy::Exclude).unwrap();
        let e = 100.0 * point.mean_over_classes.equalized_odds_difference.get().unwrap();
        let d = 100.0 * point.mean_over_classes.demographic_parity_difference.get().unwrap();
        let (dpd, eod) = bed.bootstrap_gaps(&pred, (Some(d), Some(e))).unwrap();
        let (lo, hi) = eod.unwrap();
        assert!(lo < hi && lo <= e + 1e-9 && e <= hi + 1e-9, "EOD {e} in [{lo}, {hi}]");
        assert!(dpd.is_some_and(|(lo, hi)| lo < hi));
        // The same resamples for every model: the same interval twice.
        assert_eq!(bed.bootstrap_gaps(&pred, (Some(d), Some(e))).unwrap().1, eod);
    }
}
