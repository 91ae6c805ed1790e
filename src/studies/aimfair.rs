//! The AIM-Fair study (SPEC part B) on tabular data: a classifier pretrained on a biased real
//! training set is fine-tuned on balanced synthetic rows, with the baselines `erm-real`,
//! `synthetic-only`, `real+synthetic`, `full-finetune`, `random-mask` and the method `aim-fair`
//! (method names are a JSON contract).
//!
//! The paper's setting (CelebA faces, Stable Diffusion 2.1 images, ResNet-18) is out of a CPU
//! budget; this study keeps its protocol on Adult: the biased real set D_R has the paper's (y, s)
//! cell fractions 5/45/45/5 (ys = 2y + s), the biased synthetic set D_S1 the same fractions, the
//! balanced synthetic set D_S2 equal cells; the synthetic rows come from the project's VAE (the
//! Fair4Free teacher with β = 0); the classifier is an MLP whose 8 parameter tensors are the units
//! of the mask. Metrics as the authors' `Fairness_Metrics.py`: ACC, EO = (|ΔTPR| + |ΔFPR|) / 2,
//! WST = the lowest (y, s) cell accuracy, STD = the population std of the four cell accuracies,
//! all ×100.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditParams, FairnessAudit, Value};
use crate::data::{cell_counts, draw_cells, stratified_split, CellCount, Dataset, Encoder, Table};
use crate::error::{Error, Result};
use crate::methods::aimfair::{AimFair, AimFairParams, Classifier, Examples, TensorScore, TrainLog};
use crate::report::{curves_conclusion, summarise_curves, CurveSummary, TrainingCurve};
use crate::studies::paired::describe_paired;
use crate::methods::fair4free::{Fair4Free, Fair4FreeParams, GroupSampling, LatentSource};
use crate::studies::fair4free::Stat;

/// The method rows, in report order (a JSON contract).
pub const AIMFAIR_METHODS: [&str; 6] = ["erm-real", "synthetic-only", "real+synthetic", "full-finetune", "random-mask", "aim-fair"];

/// Reference rows after the methods: a classifier trained like `erm-real` on as many real rows
/// drawn without bias, and the constant majority-class prediction (what ACC alone rewards).
pub const AIMFAIR_REFERENCES: [&str; 2] = ["erm-unbiased-real (reference)", "constant majority class (reference)"];

/// Settings of the study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AimFairStudyParams {
    /// Seeds 0..seeds: each draws its own D_R, trains its own generator and classifiers.
    pub seeds: usize,
    /// The sensitive value coded s = 1 (`Female` on Adult/sex); the other value is s = 0. With
    /// the paper's fractions the cells (y = 1, s = 0) and (y = 0, s = 1) hold 45% each: high
    /// income goes with men, amplifying the direction of Adult's own bias.
    pub protected_value: String,
    /// Rows of D_R (the paper: 20,000 CelebA images). Default 8,000; Adult's training rows
    /// allow at most about 14,000 (6,396 men with income >50K fill the 45% cell).
    pub real_rows: usize,
    /// Rows of D_S1 and of D_S2 each (the paper: 20,000 each). Default 8,000.
    pub synthetic_rows: usize,
    /// Fractions of the (y, s) cells of D_R and D_S1 in the order ys = 2y + s = 0, 1, 2, 3. The
    /// paper: [0.05, 0.45, 0.45, 0.05] (bias degree 1/9).
    pub bias_fractions: [f64; 4],
    /// Share of Adult's official test rows used for validation (the rest is the test set).
    pub validation_fraction: f64,
    /// The generator: Fair4Free's VAE with β = 0 and balanced group sampling.
    pub generator: Fair4FreeParams,
    /// Rows generated per draw of a synthetic pool (doubled up to 4 times while a cell is short).
    pub pool_rows: usize,
    pub model: AimFairParams,
}

impl AimFairStudyParams {
    /// The documented default run: 3 seeds, D_R = D_S1 = D_S2 = 8,000 rows, the paper's epochs.
    pub fn full() -> Self {
        AimFairStudyParams {
            seeds: 3,
            protected_value: "Female".into(),
            real_rows: 8000,
            synthetic_rows: 8000,
            bias_fractions: [0.05, 0.45, 0.45, 0.05],
            validation_fraction: 0.5,
            generator: Fair4FreeParams::default()
                .beta_log10(None)
                .group_sampling(GroupSampling::Balanced)
                .epochs(20)
                .head_epochs(20)
                .student_epochs(1),
            pool_rows: 40_000,
            model: AimFairParams::default(),
        }
    }

    /// The configuration of the notebook and `--quick`: 1 seed, 4,000 rows per set, short
    /// training (about a minute in release on 2 cores).
    pub fn quick() -> Self {
        let full = Self::full();
        AimFairStudyParams {
            seeds: 1,
            real_rows: 4000,
            synthetic_rows: 4000,
            generator: full.generator.clone().epochs(8).head_epochs(8),
            pool_rows: 20_000,
            model: AimFairParams::default().pretrain_epochs(10).finetune_epochs(6),
            ..full
        }
    }

    /// Training epochs over the whole study (for progress bars): the generator's three stages
    /// and seven classifier trainings per seed.
    pub fn steps(&self) -> u64 {
        let g = self.generator.epochs + self.generator.student_epochs + self.generator.head_epochs;
        let m = 4 * self.model.pretrain_epochs + 3 * self.model.finetune_epochs;
        (self.seeds * (g + m)) as u64
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<&Self> {
        if self.seeds == 0 {
            return Err(Error::invalid("seeds", 0, "run at least one seed"));
        }
        if self.real_rows < 40 {
            return Err(Error::invalid("real_rows", self.real_rows, "at least 40 rows (every cell needs rows)"));
        }
        if self.synthetic_rows < 40 {
            return Err(Error::invalid("synthetic_rows", self.synthetic_rows, "at least 40 rows (every cell needs rows)"));
        }
        let sum: f64 = self.bias_fractions.iter().sum();
        if self.bias_fractions.iter().any(|f| !(f.is_finite() && *f > 0.0)) || (sum - 1.0).abs() > 1e-9 {
            return Err(Error::invalid("bias_fractions", format!("{:?}", self.bias_fractions), "four positive fractions summing to 1"));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(Error::invalid("validation_fraction", self.validation_fraction, "must lie strictly between 0 and 1"));
        }
        if self.pool_rows == 0 {
            return Err(Error::invalid("pool_rows", 0, "generate at least one row"));
        }
        self.generator.check()?;
        self.model.check()?;
        Ok(self)
    }
}

/// One method's row: mean and std over seeds, each ×100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AimFairRow {
    pub method: String,
    /// Overall accuracy on the (natural) test rows.
    pub accuracy: Stat,
    /// (|TPR_1 − TPR_0| + |FPR_1 − FPR_0|) / 2.
    pub eo: Stat,
    /// Lowest accuracy of the four (y, s) cells.
    pub wst: Stat,
    /// Population std of the four (y, s) cell accuracies.
    pub std: Stat,
    /// The paper's aggregation of WST: each cell's accuracy averaged over seeds first, then the
    /// lowest of those averages (`None` when a cell is empty in some seed).
    pub wst_of_mean_cells: Option<f64>,
    /// Accuracy on a test subset with equal (y, s) cells.
    pub balanced_accuracy: Stat,
    /// Parameter tensors trained in the last stage (mean over seeds).
    pub tensors_trained: f64,
}

/// One parameter tensor of the seed-0 classifier: Δ1, Δ2, its ranks and the mask, with how often
/// the mask chose it over all seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectedTensor {
    #[serde(flatten)]
    pub score: TensorScore,
    /// 1 = smallest Δ1.
    pub rank_domain: usize,
    /// 1 = largest Δ2.
    pub rank_bias: usize,
    /// Seeds whose mask selected this tensor.
    pub selected_in_seeds: usize,
}

/// Rows per (y, s) cell of one training or test set (seed 0), in the order ys = 0, 1, 2, 3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetSummary {
    pub name: String,
    pub rows: usize,
    pub cells: [usize; 4],
}

/// Numbers from elsewhere, each labelled with how far it can be trusted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperContext {
    /// Whether the paper's own result tables were available to us (they were not: SPEC marks them
    /// [NF], images on the project page).
    pub main_tables_available: bool,
    pub note: String,
    /// A third party's AIM-Fair numbers on UTKFace (gender / race, images), not verified against
    /// the paper and not comparable with a tabular run: context only.
    pub unverified_third_party: ThirdPartyNumbers,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThirdPartyNumbers {
    pub source: String,
    pub dataset: String,
    pub accuracy: f64,
    pub wst: f64,
    pub eo: f64,
    pub std: f64,
}

impl PaperContext {
    pub(crate) fn new() -> Self {
        PaperContext {
            main_tables_available: false,
            note: "The paper's Tables 1-5 (CelebA, UTKFace) are images we could not read (SPEC part B: [NF]); no number of ours is compared with them.".into(),
            unverified_third_party: ThirdPartyNumbers {
                source: "README of GitHub Divya23yadav/AIM-Fair-Improved (third party, not verified to match the paper)".into(),
                dataset: "UTKFace, target gender, protected race (images)".into(),
                accuracy: 94.70,
                wst: 93.81,
                eo: 1.16,
                std: 0.65,
            },
        }
    }
}

/// The study's report (JSON keys `command`, `rows`, `selected_tensors`, `paper` are a contract).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AimFairReport {
    /// The command line that produced the report.
    pub command: String,
    pub dataset: String,
    pub sensitive: String,
    /// The sensitive values coded s = 0 and s = 1.
    pub s_values: [String; 2],
    pub rows: Vec<AimFairRow>,
    /// k of the selection.
    pub top_k: usize,
    pub selected_tensors: Vec<SelectedTensor>,
    pub sets: Vec<SetSummary>,
    pub paper: PaperContext,
    pub params: AimFairStudyParams,
    pub notes: Vec<String>,
    /// Computed from the numbers: AIM-Fair against full fine-tuning and the biased model, paired
    /// over seeds, and what the training curves did.
    #[serde(default)]
    pub conclusions: Vec<String>,
    /// Every loss term of every trained model per epoch, mean and std over seeds.
    #[serde(default)]
    pub training: Vec<CurveSummary>,
}

/// (y, s) cell counts of `fractions` × `total` rows (largest remainders, ties to the first
/// cell), in ys order, as [`CellCount`]s on the values `s_values`.
pub fn cells_for(total: usize, fractions: &[f64; 4], s_values: &[String; 2]) -> Vec<CellCount> {
    let counts = cells_counts(total, fractions);
    (0..4).map(|ys| CellCount { label: (ys / 2) as u8, value: s_values[ys % 2].clone(), count: counts[ys] }).collect()
}

/// `fractions` × `total` as whole counts (largest remainders, ties to the first cell).
pub(crate) fn cells_counts(total: usize, fractions: &[f64; 4]) -> [usize; 4] {
    let shares: Vec<f64> = fractions.iter().map(|f| f * total as f64).collect();
    let mut counts = [0usize; 4];
    for (c, s) in counts.iter_mut().zip(&shares) {
        *c = s.floor() as usize;
    }
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor())).then(a.cmp(&b)));
    let missing = total.saturating_sub(counts.iter().sum());
    for &k in order.iter().take(missing) {
        counts[k] += 1;
    }
    counts
}

/// The two values of the sensitive column, ordered (s = 0, s = 1) with `protected` as s = 1.
fn s_values(table: &Table, column: &str, protected: &str) -> Result<[String; 2]> {
    let mut values: Vec<String> = cell_counts(table, column)?.into_keys().map(|(_, v)| v).collect();
    values.sort();
    values.dedup();
    if values.len() != 2 {
        return Err(Error::invalid("sensitive", column, format!("AIM-Fair's cells need a binary sensitive column; found {} values", values.len())));
    }
    match values.iter().position(|v| v == protected) {
        Some(i) => Ok([values[1 - i].clone(), values[i].clone()]),
        None => Err(Error::invalid("protected_value", protected, format!("not a value of `{column}` (values: {})", values.join(", ")))),
    }
}

fn summary(name: &str, table: &Table, column: &str, s: &[String; 2]) -> Result<SetSummary> {
    let c = cell_counts(table, column)?;
    let get = |y: u8, v: &String| c.get(&(y, v.clone())).copied().unwrap_or(0);
    Ok(SetSummary { name: name.into(), rows: table.n_rows(), cells: [get(0, &s[0]), get(0, &s[1]), get(1, &s[0]), get(1, &s[1])] })
}

/// Draws `cells` from rows generated by `model`, generating more (twice as many, up to four
/// times) while a cell is short.
fn synthetic_set(model: &Fair4Free, cells: &[CellCount], column: &str, p: &AimFairStudyParams, seed: u64) -> Result<Table> {
    let mut n = p.pool_rows;
    let mut last_err = None;
    for _ in 0..5 {
        let pool = model.generate(n, seed, LatentSource::Prior)?;
        match draw_cells(&pool, column, cells, seed) {
            Ok(t) => return Ok(t),
            Err(e) => last_err = Some(e),
        }
        n *= 2;
    }
    let e = last_err.map_or(String::new(), |e| e.to_string());
    Err(Error::invalid("synthetic_rows", p.synthetic_rows, format!("the generator's pool of {} rows cannot fill the cells ({e})", n / 2)))
}

/// Per-seed scores of one method (fractions, not ×100).
#[derive(Default)]
pub(crate) struct Scores {
    pub(crate) accuracy: Vec<Value>,
    pub(crate) eo: Vec<Value>,
    pub(crate) wst: Vec<Value>,
    pub(crate) std: Vec<Value>,
    balanced: Vec<Value>,
    tensors: Vec<usize>,
    /// Per seed: accuracy of each (label, group) cell.
    cells: Vec<std::collections::BTreeMap<(u32, String), f64>>,
}

/// One method's scores with one seed (fractions), the unit a cell file keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedScore {
    pub accuracy: Value,
    pub eo: Value,
    pub wst: Value,
    pub std: Value,
    pub balanced: Value,
    pub tensors: usize,
    /// Accuracy of each (label, group) cell.
    pub cells: Vec<(u32, String, f64)>,
}

impl Scores {
    /// The scores of seed number `i` (in push order).
    pub(crate) fn seed(&self, i: usize) -> Option<SeedScore> {
        Some(SeedScore {
            accuracy: self.accuracy.get(i)?.clone(),
            eo: self.eo.get(i)?.clone(),
            wst: self.wst.get(i)?.clone(),
            std: self.std.get(i)?.clone(),
            balanced: self.balanced.get(i)?.clone(),
            tensors: *self.tensors.get(i)?,
            cells: self.cells.get(i)?.iter().map(|((y, g), a)| (*y, g.clone(), *a)).collect(),
        })
    }

    /// Appends one seed's scores (as [`Scores::push_audit`] recorded them).
    pub(crate) fn add(&mut self, s: &SeedScore) {
        self.accuracy.push(s.accuracy.clone());
        self.eo.push(s.eo.clone());
        self.wst.push(s.wst.clone());
        self.std.push(s.std.clone());
        self.balanced.push(s.balanced.clone());
        self.tensors.push(s.tensors);
        self.cells.push(s.cells.iter().map(|(y, g, a)| ((*y, g.clone()), *a)).collect());
    }
}

pub(crate) fn stat100(values: &[Value]) -> Stat {
    let v: Vec<f64> = values.iter().filter_map(Value::get).collect();
    if v.len() != values.len() || v.is_empty() {
        return Stat { mean: None, std: None };
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64;
    Stat { mean: Some(100.0 * m), std: Some(100.0 * var.sqrt()) }
}

struct TestSets<'a> {
    test: &'a Examples,
    test_s: &'a [String],
    balanced: &'a Examples,
}

impl Scores {
    fn push(&mut self, model: &Classifier, sets: &TestSets, column: &str, tensors: usize) -> Result<()> {
        let pred = model.predict(sets.test)?;
        let balanced = model.predict(sets.balanced)?;
        self.push_predictions(&pred, &balanced, sets, column, tensors)
    }

    fn push_predictions(&mut self, pred: &[u8], balanced: &[u8], sets: &TestSets, column: &str, tensors: usize) -> Result<()> {
        let right = balanced.iter().zip(&sets.balanced.y).filter(|(p, y)| p == y).count();
        let balanced = Value::ratio(right as u64, balanced.len() as u64, "no balanced test rows");
        self.push_audit(&sets.test.y, sets.test_s, pred, balanced, column, tensors)
    }

    /// Audits one seed's predictions `pred` of labels `y` with groups `s` and records ACC, EO,
    /// WST, STD and the cell accuracies; `balanced` is the accuracy on a test subset with equal
    /// (y, s) cells.
    pub(crate) fn push_audit(&mut self, y: &[u8], s: &[String], pred: &[u8], balanced: Value, column: &str, tensors: usize) -> Result<()> {
        let audit = FairnessAudit::new(y, pred).sensitive(column, s).params(AuditParams::default().n_boot(0)).run()?;
        self.accuracy.push(audit.overall.accuracy.clone());
        self.eo.push(audit.eo_aimfair.clone());
        self.wst.push(audit.worst_group_accuracy.clone());
        self.std.push(audit.group_accuracy_std.clone());
        self.cells.push(audit.cells.iter().map(|c| ((c.label, c.group.clone()), c.accuracy)).collect());
        self.balanced.push(balanced);
        self.tensors.push(tensors);
        Ok(())
    }

    pub(crate) fn wst_of_mean_cells(&self) -> Option<f64> {
        let first = self.cells.first()?;
        let mut worst: Option<f64> = None;
        for key in first.keys() {
            let values: Vec<f64> = self.cells.iter().filter_map(|c| c.get(key).copied()).collect();
            if values.len() != self.cells.len() {
                return None;
            }
            let mean = 100.0 * values.iter().sum::<f64>() / values.len() as f64;
            worst = Some(worst.map_or(mean, |w: f64| w.min(mean)));
        }
        if self.cells.iter().any(|c| c.len() != first.len()) {
            return None;
        }
        worst
    }

    pub(crate) fn row(&self, method: &str) -> AimFairRow {
        AimFairRow {
            method: method.into(),
            accuracy: stat100(&self.accuracy),
            eo: stat100(&self.eo),
            wst: stat100(&self.wst),
            std: stat100(&self.std),
            wst_of_mean_cells: self.wst_of_mean_cells(),
            balanced_accuracy: stat100(&self.balanced),
            tensors_trained: self.tensors.iter().sum::<usize>() as f64 / self.tensors.len().max(1) as f64,
        }
    }
}

fn categorical_values(table: &Table, column: &str) -> Result<Vec<String>> {
    match &table.column(column)?.data {
        crate::data::ColumnData::Categorical(v) => Ok(v.clone()),
        crate::data::ColumnData::Numeric(_) => Err(Error::invalid("sensitive", column, "must be categorical")),
    }
}

/// The data every seed of the study shares: the encoder, the validation and test rows (one fixed
/// split of Adult's official test rows), the balanced test subset and the (y, s) cells.
pub struct AimFairData<'a> {
    dataset: &'a Dataset,
    column: String,
    s: [String; 2],
    encoder: Encoder,
    val_t: Table,
    val: Examples,
    test: Examples,
    test_s: Vec<String>,
    test_cells: SetSummary,
    balanced_t: Table,
    balanced: Examples,
}

impl<'a> AimFairData<'a> {
    pub fn new(dataset: &'a Dataset, p: &AimFairStudyParams) -> Result<Self> {
        p.check()?;
        let column = dataset
            .train
            .sensitive_names()
            .first()
            .cloned()
            .ok_or_else(|| Error::Schema("the dataset has no sensitive column".into()))?;
        let s = s_values(&dataset.train, &column, &p.protected_value)?;
        let encoder = Encoder::fit(&dataset.train)?;
        // Validation and test: Adult's official test rows, natural (unbiased) distribution, one
        // fixed stratified split shared by every seed.
        let (test_t, val_t) = stratified_split(&dataset.test, p.validation_fraction, 0)?;
        let val = Examples::from_table(&encoder, &val_t)?;
        let test = Examples::from_table(&encoder, &test_t)?;
        let test_s = categorical_values(&test_t, &column)?;
        let test_cells = summary("test", &test_t, &column, &s)?;
        let smallest = *test_cells.cells.iter().min().unwrap_or(&0);
        if smallest == 0 {
            return Err(Error::invalid("dataset", &dataset.name, "a (y, s) cell of the test rows is empty"));
        }
        let balanced_t = draw_cells(&test_t, &column, &cells_for(4 * smallest, &[0.25; 4], &s), 0)?;
        let balanced = Examples::from_table(&encoder, &balanced_t)?;
        Ok(AimFairData { dataset, column, s, encoder, val_t, val, test, test_s, test_cells, balanced_t, balanced })
    }
}

/// What one seed of the study trains and scores: one cell of a sharded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AimFairSeedCell {
    pub seed: u64,
    pub dataset: String,
    pub label_positive: String,
    pub sensitive: String,
    pub s_values: [String; 2],
    /// One per method, in the order of [`AIMFAIR_METHODS`] then [`AIMFAIR_REFERENCES`].
    pub scores: Vec<SeedScore>,
    /// The mask's tensors (sensitivities and selection) of this seed.
    pub tensors: Vec<TensorScore>,
    /// The sets' (y, s) cells; seed 0's are the report's.
    pub sets: Vec<SetSummary>,
    pub seconds: f64,
    /// The training curves of this seed's models.
    #[serde(default)]
    pub curves: Vec<TrainingCurve>,
}

/// Trains and scores one seed (its D_R, generator, synthetic sets, classifiers and mask).
pub fn aimfair_seed(d: &AimFairData, p: &AimFairStudyParams, seed: u64, observe: &mut dyn FnMut(&str)) -> Result<AimFairSeedCell> {
    let start = std::time::Instant::now();
    let (dataset, column, s) = (d.dataset, &d.column, &d.s);
    let sets = TestSets { test: &d.test, test_s: &d.test_s, balanced: &d.balanced };
    let mut scores: Vec<Scores> = AIMFAIR_METHODS.iter().chain(&AIMFAIR_REFERENCES).map(|_| Scores::default()).collect();
    let real_cells = cells_for(p.real_rows, &p.bias_fractions, s);
    let biased_cells = cells_for(p.synthetic_rows, &p.bias_fractions, s);
    let balanced_cells = cells_for(p.synthetic_rows, &[0.25; 4], s);
    let mp = p.model.clone().seed(seed);
    let real_t = draw_cells(&dataset.train, column, &real_cells, seed).map_err(|e| {
        Error::invalid("real_rows", p.real_rows, format!("the training rows cannot fill D_R's cells: {e}"))
    })?;
    let generator = Fair4Free::fit(&p.generator.clone().seed(seed), &dataset.train, &mut |e| observe(&format!("generator: {}", e.stage)))?;
    let mut curves = vec![generator.training_curve("generator (Fair4Free)", seed)];
    let s1_t = synthetic_set(&generator, &biased_cells, column, p, 1000 + seed)?;
    let s2_t = synthetic_set(&generator, &balanced_cells, column, p, 2000 + seed)?;
    let set_summaries = vec![
        summary("D_R (biased real)", &real_t, column, s)?,
        summary("D_S1 (biased synthetic)", &s1_t, column, s)?,
        summary("D_S2 (balanced synthetic)", &s2_t, column, s)?,
        summary("validation (real, natural)", &d.val_t, column, s)?,
        d.test_cells.clone(),
        summary("test, balanced cells", &d.balanced_t, column, s)?,
    ];
    let (val, test, balanced) = (&d.val, &d.test, &d.balanced);
    let real = Examples::from_table(&d.encoder, &real_t)?;
    let s1 = Examples::from_table(&d.encoder, &s1_t)?;
    let s2 = Examples::from_table(&d.encoder, &s2_t)?;
    let mut obs = |l: &crate::methods::aimfair::TrainLog| observe(&l.stage);

    let (erm, log) = AimFair::train_from_scratch(&mp, "erm-real", &real, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "erm-real", seed));
    let n_tensors = erm.tensor_names().len();
    scores[0].push(&erm, &sets, column, n_tensors)?;
    let (synth_only, log) = AimFair::train_from_scratch(&mp, "synthetic-only", &s2, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "synthetic-only", seed));
    scores[1].push(&synth_only, &sets, column, n_tensors)?;
    let (both, log) = AimFair::train_from_scratch(&mp, "real+synthetic", &real.concat(&s2)?, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "real+synthetic", seed));
    scores[2].push(&both, &sets, column, n_tensors)?;
    let (full, log) = AimFair::fine_tune(&mp, "full-finetune", &erm, &vec![true; n_tensors], &s2, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "full-finetune", seed));
    scores[3].push(&full, &sets, column, n_tensors)?;

    let tensors = AimFair::mask(&mp, &erm, &real, &s1, &s2)?;
    let mask: Vec<bool> = tensors.iter().map(|t| t.selected).collect();
    let n_selected = mask.iter().filter(|&&m| m).count();
    if n_selected == 0 {
        return Err(Error::invalid("top_k", mp.k(), "the k smallest Δ1 and the k largest Δ2 share no tensor; raise k"));
    }
    // The random control trains as many tensors as the mask, drawn uniformly.
    let mut order: Vec<usize> = (0..n_tensors).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(3000 + seed));
    let mut random = vec![false; n_tensors];
    for &i in &order[..n_selected] {
        random[i] = true;
    }
    let (rand_tuned, log) = AimFair::fine_tune(&mp, "random-mask", &erm, &random, &s2, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "random-mask", seed));
    scores[4].push(&rand_tuned, &sets, column, n_selected)?;
    let (aim, log) = AimFair::fine_tune(&mp, "aim-fair", &erm, &mask, &s2, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "aim-fair", seed));
    scores[5].push(&aim, &sets, column, n_selected)?;

    let mut rows: Vec<usize> = (0..dataset.train.n_rows()).collect();
    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(4000 + seed));
    rows.truncate(p.real_rows);
    let natural = Examples::from_table(&d.encoder, &dataset.train.select_rows(&rows))?;
    let (unbiased, log) = AimFair::train_from_scratch(&mp, "erm-unbiased-real", &natural, val, &mut obs)?;
    curves.push(TrainLog::curve(&log, "erm-unbiased-real", seed));
    scores[6].push(&unbiased, &sets, column, n_tensors)?;
    let majority = (2 * dataset.train.label().iter().filter(|&&y| y == 1).count() >= dataset.train.n_rows()) as u8;
    scores[7].push_predictions(&vec![majority; test.len()], &vec![majority; balanced.len()], &sets, column, 0)?;
    Ok(AimFairSeedCell {
        seed,
        dataset: dataset.name.clone(),
        label_positive: dataset.train.label_spec().positive.clone(),
        sensitive: column.clone(),
        s_values: s.clone(),
        scores: scores.iter().map(|sc| sc.seed(0).ok_or_else(|| Error::Schema("a method recorded no score".into()))).collect::<Result<_>>()?,
        tensors,
        sets: set_summaries,
        seconds: start.elapsed().as_secs_f64(),
        curves,
    })
}

/// Runs the study on `dataset` (its first sensitive column is s). `observe` is called after every
/// training epoch with what is training (for progress bars).
pub fn reproduce_aimfair(dataset: &Dataset, p: &AimFairStudyParams, command: &str, observe: &mut dyn FnMut(&str)) -> Result<AimFairReport> {
    let data = AimFairData::new(dataset, p)?;
    let cells = (0..p.seeds as u64).map(|seed| aimfair_seed(&data, p, seed, observe)).collect::<Result<Vec<_>>>()?;
    assemble_aimfair(p, &cells, command)
}

/// The report from the cells of seeds 0..p.seeds (each once, any order): the numbers one process
/// running every seed gives.
pub fn assemble_aimfair(p: &AimFairStudyParams, cells: &[AimFairSeedCell], command: &str) -> Result<AimFairReport> {
    p.check()?;
    let cells = crate::studies::shard::cells_by_seed("AIM-Fair", cells, |c| c.seed, p.seeds)?;
    let n_methods = AIMFAIR_METHODS.len() + AIMFAIR_REFERENCES.len();
    let first = cells[0];
    if let Some(c) = cells.iter().find(|c| c.scores.len() != n_methods || c.dataset != first.dataset || c.s_values != first.s_values || c.tensors.len() != first.tensors.len()) {
        return Err(Error::Schema(format!("the cell of seed {} belongs to another configuration", c.seed)));
    }
    let mut scores: Vec<Scores> = (0..n_methods).map(|_| Scores::default()).collect();
    let mut times_selected = vec![0; first.tensors.len()];
    for c in &cells {
        for (acc, sc) in scores.iter_mut().zip(&c.scores) {
            acc.add(sc);
        }
        for (t, m) in times_selected.iter_mut().zip(&c.tensors) {
            *t += m.selected as usize;
        }
    }
    let selected_tensors = ranked(&first.tensors, &times_selected);
    let (column, s) = (first.sensitive.clone(), first.s_values.clone());

    let notes = vec![
        format!(
            "Task: {} with y = `{}` and s = `{column}` (s = 1: `{}`, s = 0: `{}`). D_R draws the paper's cell fractions from the real training rows; validation and test split Adult's official test rows (natural distribution) {:.0}/{:.0}.",
            first.dataset,
            first.label_positive,
            s[1],
            s[0],
            100.0 * p.validation_fraction,
            100.0 * (1.0 - p.validation_fraction)
        ),
        "Synthetic rows: the project's VAE (Fair4Free's teacher with β = 0, groups drawn equally often) trained on all real training rows; its label head reads the latent alone, so in a generated pool y and s are independent and the (y, s) cells are filled by selection, as the paper fills them by prompting.".into(),
        format!(
            "Classifier: MLP {:?} with Adam; every stage keeps its best epoch by validation accuracy. Mask: k = {} of {} tensors (the paper's 55 of 62, rounded), mean gradients over batches of {} from the pretrained model; random-mask trains as many random tensors as the mask selected.",
            p.model.hidden,
            p.model.k(),
            p.model.n_tensors(),
            p.model.batch_size
        ),
        "Metrics ×100 as the authors' Fairness_Metrics.py (EO = mean of the TPR and FPR gaps, fairlearn's EO difference with agg = mean); mean ± population std over seeds of each seed's value; the column `WST of mean cells` is the paper's aggregation (the lowest of the seed-averaged cell accuracies).".into(),
        "Differences from the paper: tabular Adult instead of CelebA/UTKFace faces, a VAE instead of Stable Diffusion 2.1 with GPT-4 prompts, an 8-tensor MLP instead of ResNet-18 (62 tensors), Adam instead of SGD, fewer rows and seeds (2 CPU cores). The mask is therefore coarse: with 8 tensors and k = 7 it freezes one or two tensors.".into(),
    ];
    let per_seed = |method: &str, f: fn(&SeedScore) -> &Value| -> Vec<Option<f64>> {
        let i = AIMFAIR_METHODS.iter().position(|m| *m == method).unwrap_or(0);
        cells.iter().map(|c| f(&c.scores[i]).get().map(|v| 100.0 * v)).collect()
    };
    let mut conclusions = Vec::new();
    for other in ["full-finetune", "erm-real"] {
        let parts: Vec<String> = [("EO", (|s: &SeedScore| &s.eo) as fn(&SeedScore) -> &Value, true), ("ACC", |s| &s.accuracy, false), ("WST", |s| &s.wst, false)]
            .into_iter()
            .map(|(name, f, lower)| format!("{name} {}", describe_paired(&per_seed("aim-fair", f), &per_seed(other, f), 2, lower).unwrap_or_else(|| "undefined in a seed".into())))
            .collect();
        conclusions.push(format!("aim-fair minus {other} (×100, paired over {}): {}.", Stat::seeds_phrase(p.seeds), parts.join("; ")));
    }
    let training = summarise_curves(cells.iter().flat_map(|c| &c.curves));
    conclusions.extend(curves_conclusion(&training));
    Ok(AimFairReport {
        conclusions,
        training,
        command: command.to_string(),
        dataset: first.dataset.clone(),
        sensitive: column,
        s_values: s,
        rows: AIMFAIR_METHODS.iter().chain(&AIMFAIR_REFERENCES).zip(&scores).map(|(m, sc)| sc.row(m)).collect(),
        top_k: p.model.k(),
        selected_tensors,
        sets: first.sets.clone(),
        paper: PaperContext::new(),
        params: p.clone(),
        notes,
    })
}

/// The tensors with their ranks (1 = smallest Δ1, 1 = largest Δ2; ties to the earlier tensor)
/// and how many seeds' masks selected each.
pub(crate) fn ranked(tensors: &[TensorScore], times: &[usize]) -> Vec<SelectedTensor> {
    let rank = |key: &dyn Fn(&TensorScore) -> f64, ascending: bool| -> Vec<usize> {
        let mut order: Vec<usize> = (0..tensors.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (key(&tensors[a]), key(&tensors[b]));
            (if ascending { x.total_cmp(&y) } else { y.total_cmp(&x) }).then(a.cmp(&b))
        });
        let mut r = vec![0; order.len()];
        for (pos, &i) in order.iter().enumerate() {
            r[i] = pos + 1;
        }
        r
    };
    let rd = rank(&|t| t.delta_domain, true);
    let rb = rank(&|t| t.delta_bias, false);
    tensors
        .iter()
        .enumerate()
        .map(|(i, t)| SelectedTensor { score: t.clone(), rank_domain: rd[i], rank_bias: rb[i], selected_in_seeds: times.get(i).copied().unwrap_or(0) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_counts_follow_the_fractions_and_sum_to_the_total() {
        let s = ["Male".to_string(), "Female".to_string()];
        let c = cells_for(20_000, &[0.05, 0.45, 0.45, 0.05], &s);
        assert_eq!(c.iter().map(|c| c.count).collect::<Vec<_>>(), vec![1000, 9000, 9000, 1000]);
        assert_eq!((c[1].label, c[1].value.as_str()), (0, "Female"));
        assert_eq!((c[2].label, c[2].value.as_str()), (1, "Male"));
        let c = cells_for(10, &[0.25; 4], &s);
        // 2.5 each: the remainders go to the first two cells.
        assert_eq!(c.iter().map(|c| c.count).collect::<Vec<_>>(), vec![3, 3, 2, 2]);
    }
}
