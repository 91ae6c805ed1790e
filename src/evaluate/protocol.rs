//! Train a random forest on real or synthetic rows, test it on the real test rows, and measure
//! utility and fairness (the papers' TRTR / TSTR protocol).

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::audit::{utility, AuditParams, FairnessAudit, Value};
use crate::data::{Dataset, Encoder, Table};
use crate::error::{Error, Result};
use crate::forest::{RandomForest, RandomForestParams};

/// Settings of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationParams {
    pub forest: RandomForestParams,
    /// Whether the forest's features include the sensitive columns. Default true (as the
    /// scikit-learn baseline and the papers' evaluations: all columns but the label).
    pub forest_sees_sensitive: bool,
}

impl Default for EvaluationParams {
    fn default() -> Self {
        EvaluationParams { forest: RandomForestParams::default(), forest_sees_sensitive: true }
    }
}

/// One training source's row: utility and fairness of its forest on the real test set. The keys
/// are the JSON contract of `fairdistill evaluate` (docs/CLI.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    /// `real` for TRTR, else the synthetic source's name.
    pub source: String,
    pub n_train: usize,
    pub accuracy: Value,
    pub precision: Value,
    pub recall: Value,
    pub f1: Value,
    /// From the forest's probability (the mean of the trees' leaf shares).
    pub roc_auc: Value,
    /// Between groups of the sensitive columns, on the real test rows.
    pub demographic_parity_ratio: Value,
    /// Between groups, worst case of the TPR and FPR ratios.
    pub equalized_odds_ratio: Value,
    pub demographic_parity_difference: Value,
    pub equalized_odds_difference: Value,
    /// Recall and F1 with the majority class of the real test set as the positive class (the
    /// polarity some papers use, e.g. y = 1 for `<=50K` on Adult), for comparison.
    pub majority_class_recall: Value,
    pub majority_class_f1: Value,
}

/// The utility-and-fairness table: one row per training source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub dataset: String,
    pub sensitive: Vec<String>,
    pub n_test: usize,
    pub rows: Vec<EvaluationRow>,
    pub params: EvaluationParams,
    /// What the missing-value policy did to the dataset's rows (JSON `missing`; a note in the
    /// other formats).
    #[serde(default)]
    pub missing: crate::data::MissingReport,
}

/// Evaluates training sources against one dataset's real test set. The encoder is fitted on the
/// real training rows and encodes every source the same way.
///
/// ```no_run
/// use fairdistill::data::{load_builtin, LoadOptions};
/// use fairdistill::evaluate::{EvaluationParams, Evaluator};
/// let adult = load_builtin("adult", &LoadOptions::default())?;
/// let ev = Evaluator::new(&adult, EvaluationParams::default())?;
/// let table = ev.run(&[])?;            // the TRTR row only
/// println!("{table}");
/// # Ok::<(), fairdistill::Error>(())
/// ```
pub struct Evaluator<'a> {
    dataset: &'a Dataset,
    encoder: Encoder,
    /// Encoded columns the forest sees.
    columns: Vec<usize>,
    x_test: Array2<f64>,
    params: EvaluationParams,
}

impl<'a> Evaluator<'a> {
    pub fn new(dataset: &'a Dataset, params: EvaluationParams) -> Result<Self> {
        params.forest.check()?;
        let encoder = Encoder::fit(&dataset.train)?;
        let mut hidden = Vec::new();
        if !params.forest_sees_sensitive {
            for name in dataset.train.sensitive_names() {
                hidden.extend(encoder.column_range(name)?);
            }
        }
        let columns: Vec<usize> = (0..encoder.width()).filter(|c| !hidden.contains(c)).collect();
        let x_test = encoder.transform(&dataset.test).map_err(|e| dataset.locate(e))?.select(ndarray::Axis(1), &columns);
        Ok(Evaluator { dataset, encoder, columns, x_test, params })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Train on `train` (real or synthetic, with the real schema), test on the real test rows.
    pub fn evaluate(&self, source: &str, train: &Table) -> Result<EvaluationRow> {
        Ok(self.evaluate_with_predictions(source, train)?.0)
    }

    /// [`Evaluator::evaluate`], also returning the forest's test predictions (0/1) and
    /// probabilities, e.g. to audit them further.
    pub fn evaluate_with_predictions(&self, source: &str, train: &Table) -> Result<(EvaluationRow, Vec<u8>, Vec<f64>)> {
        if train.schema().columns != self.dataset.train.schema().columns {
            let want: Vec<String> = self.dataset.train.column_names();
            let missing: Vec<&String> = want.iter().filter(|c| train.column(c).is_err()).collect();
            return Err(Error::Schema(format!(
                "source `{source}` does not have the dataset's columns{}",
                if missing.is_empty() { String::from(" (kinds or order differ)") } else { format!("; missing: {missing:?}") }
            )));
        }
        let x = self.encoder.transform(train)?.select(ndarray::Axis(1), &self.columns);
        let forest = RandomForest::fit(&self.params.forest, x.view(), train.label())?;
        let proba = forest.predict_positive_proba(self.x_test.view())?;
        let y_pred: Vec<u8> = forest.predict_classes(self.x_test.view())?.into_iter().map(|c| c as u8).collect();
        let row = score_predictions(self.dataset, source, train.n_rows(), &y_pred, &proba)?;
        Ok((row, y_pred, proba))
    }

    /// The TRTR row (`real`) followed by one TSTR row per synthetic source.
    pub fn run(&self, synthetic: &[(String, Table)]) -> Result<Evaluation> {
        let mut rows = vec![self.evaluate("real", &self.dataset.train)?];
        for (name, table) in synthetic {
            rows.push(self.evaluate(name, table)?);
        }
        Ok(Evaluation {
            dataset: self.dataset.name.clone(),
            sensitive: self.dataset.test.sensitive_names().to_vec(),
            n_test: self.dataset.test.n_rows(),
            rows,
            params: self.params.clone(),
            missing: self.dataset.missing.clone(),
        })
    }
}

/// The row of predictions `y_pred` (with probabilities `proba` for the AUC) on the real test rows
/// of `dataset`: utility, fairness between the sensitive groups, and recall / F1 in the other
/// polarity (the majority class of the test labels as positive).
pub fn score_predictions(dataset: &Dataset, source: &str, n_train: usize, y_pred: &[u8], proba: &[f64]) -> Result<EvaluationRow> {
    let y_true = dataset.test.label();
    let u = utility(y_true, y_pred, proba)?;
    let sens = dataset.test.sensitive_columns();
    let mut audit = FairnessAudit::new(y_true, y_pred).params(AuditParams::default().n_boot(0));
    for (name, col) in dataset.test.sensitive_names().iter().zip(&sens) {
        audit = audit.sensitive(name, col);
    }
    let a = audit.run()?;
    let majority = (y_true.iter().filter(|&&y| y == 1).count() * 2 >= y_true.len()) as u8;
    let flip = |v: &[u8]| -> Vec<u8> { v.iter().map(|&y| (y == majority) as u8).collect() };
    let flipped_scores: Vec<f64> = proba.iter().map(|p| if majority == 1 { *p } else { 1.0 - p }).collect();
    let um = utility(&flip(y_true), &flip(y_pred), &flipped_scores)?;
    Ok(EvaluationRow {
        source: source.to_string(),
        n_train,
        accuracy: u.accuracy,
        precision: u.precision,
        recall: u.recall,
        f1: u.f1,
        roc_auc: u.roc_auc,
        demographic_parity_ratio: a.demographic_parity_ratio,
        equalized_odds_ratio: a.equalized_odds_ratio,
        demographic_parity_difference: a.demographic_parity_difference,
        equalized_odds_difference: a.equalized_odds_difference,
        majority_class_recall: um.recall,
        majority_class_f1: um.f1,
    })
}
