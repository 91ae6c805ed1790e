//! Multiclass predictions: one-vs-rest per class, then the mean over classes (the distillation
//! paper's Algorithm 1).

use serde::{Deserialize, Serialize};

use crate::audit::aimfair::{cell_summary, CellSummary};
use crate::audit::by_group::GroupRow;
use crate::audit::derived::{all_derived, find, Agg, Method, UndefinedPolicy};
use crate::audit::groups::{count_by_group, Confusion, GroupKey, Groups};
use crate::audit::value::Value;
use crate::error::{Error, Result};

/// Disparities of one class against the rest (between groups).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassDisparity {
    /// The class (`None` for the mean over classes).
    pub class: Option<u32>,
    pub demographic_parity_difference: Value,
    pub demographic_parity_ratio: Value,
    pub equalized_odds_difference: Value,
    pub equalized_odds_difference_mean: Value,
    pub equalized_odds_ratio: Value,
}

/// Accuracy of one group on all classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupAccuracy {
    pub group: String,
    pub n: u64,
    pub accuracy: f64,
}

/// The multiclass audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MulticlassReport {
    pub n: u64,
    pub n_classes: u32,
    pub per_class: Vec<ClassDisparity>,
    /// DPD and EOD averaged over classes: the distillation paper's numbers.
    pub mean_over_classes: ClassDisparity,
    pub by_group_accuracy: Vec<GroupAccuracy>,
    pub overall_accuracy: f64,
    pub cells: CellSummary,
}

/// Audits multiclass labels and predictions (`0..n_classes`) against one or more sensitive
/// columns. For each class c, y and the prediction are binarised (`== c`) and the binary
/// disparities are computed between groups; the report's headline numbers are their unweighted
/// mean over the classes (undefined if any class's value is). The (label, group) cells and their
/// worst accuracy are over all classes.
pub fn multiclass_fairness<S: AsRef<str> + Sync>(
    y_true: &[u32],
    y_pred: &[u32],
    sensitive: &[&[S]],
    policy: UndefinedPolicy,
) -> Result<MulticlassReport> {
    let n = y_true.len();
    if n == 0 {
        return Err(Error::Empty { what: "y_true has no rows".into() });
    }
    if y_pred.len() != n {
        return Err(Error::LengthMismatch { what: "y_pred against y_true".into(), expected: n, got: y_pred.len() });
    }
    let groups = Groups::from_columns(sensitive, n)?;
    if groups.len() < 2 {
        return Err(Error::invalid("sensitive", groups.keys[0].to_string(), "a single group; fairness compares at least two"));
    }
    let n_classes = y_true.iter().chain(y_pred).copied().max().unwrap_or(0) + 1;
    let mut per_class = Vec::with_capacity(n_classes as usize);
    for c in 0..n_classes {
        let yt: Vec<u8> = y_true.iter().map(|&v| (v == c) as u8).collect();
        let yp: Vec<u8> = y_pred.iter().map(|&v| (v == c) as u8).collect();
        let counts = count_by_group(&yt, &yp, &groups.codes, groups.len());
        let (rows, overall) = rows_of(&groups.keys, &counts);
        let d = all_derived(&rows, &overall, policy);
        let pick = |name: &str, agg: Option<Agg>| find(&d, name, Method::BetweenGroups, agg).value.clone();
        per_class.push(ClassDisparity {
            class: Some(c),
            demographic_parity_difference: pick("demographic_parity_difference", None),
            demographic_parity_ratio: pick("demographic_parity_ratio", None),
            equalized_odds_difference: pick("equalized_odds_difference", Some(Agg::WorstCase)),
            equalized_odds_difference_mean: pick("equalized_odds_difference", Some(Agg::Mean)),
            equalized_odds_ratio: pick("equalized_odds_ratio", Some(Agg::WorstCase)),
        });
    }
    let mean = |f: fn(&ClassDisparity) -> &Value| -> Value {
        let mut sum = 0.0;
        for d in &per_class {
            match f(d) {
                Value::Defined(x) => sum += x,
                Value::Undefined(r) => return Value::undefined(format!("class {}: {r}", d.class.unwrap_or(0))),
            }
        }
        Value::Defined(sum / per_class.len() as f64)
    };
    let mean_over_classes = ClassDisparity {
        class: None,
        demographic_parity_difference: mean(|d| &d.demographic_parity_difference),
        demographic_parity_ratio: mean(|d| &d.demographic_parity_ratio),
        equalized_odds_difference: mean(|d| &d.equalized_odds_difference),
        equalized_odds_difference_mean: mean(|d| &d.equalized_odds_difference_mean),
        equalized_odds_ratio: mean(|d| &d.equalized_odds_ratio),
    };
    // Accuracy by group and the (label, group) cells.
    let mut correct = vec![0u64; groups.len()];
    let mut count = vec![0u64; groups.len()];
    let mut cells = vec![vec![(0u64, 0u64); groups.len()]; n_classes as usize];
    for ((&y, &p), &g) in y_true.iter().zip(y_pred).zip(&groups.codes) {
        let ok = (y == p) as u64;
        correct[g as usize] += ok;
        count[g as usize] += 1;
        let cell = &mut cells[y as usize][g as usize];
        cell.0 += ok;
        cell.1 += 1;
    }
    let by_group_accuracy = groups
        .keys
        .iter()
        .zip(correct.iter().zip(&count))
        .map(|(k, (&c, &m))| GroupAccuracy { group: k.to_string(), n: m, accuracy: c as f64 / m as f64 })
        .collect();
    Ok(MulticlassReport {
        n: n as u64,
        n_classes,
        per_class,
        mean_over_classes,
        by_group_accuracy,
        overall_accuracy: correct.iter().sum::<u64>() as f64 / n as f64,
        cells: cell_summary(&groups.keys, &cells),
    })
}

fn rows_of(keys: &[GroupKey], counts: &[Confusion]) -> (Vec<GroupRow>, GroupRow) {
    let mut total = Confusion::default();
    let rows = keys
        .iter()
        .zip(counts)
        .map(|(k, c)| {
            total.merge(c);
            GroupRow::from_counts(k, c)
        })
        .collect();
    (rows, GroupRow::from_counts(&GroupKey(vec!["all".into()]), &total))
}
