//! The by-group table: one row of rates per group, and the same row over all rows.

use serde::{Deserialize, Serialize};

use crate::audit::groups::{Confusion, GroupKey};
use crate::audit::value::Value;

/// Rates of one group, from its confusion counts. Rates whose denominator is empty are
/// [`Value::Undefined`] with the reason (fairlearn writes 0 there; see [`UndefinedPolicy`]).
///
/// | field | formula | undefined when |
/// |---|---|---|
/// | `base_rate` | (TP + FN) / n | never (n > 0) |
/// | `selection_rate` | (TP + FP) / n | never |
/// | `tpr` | TP / (TP + FN) | no positives |
/// | `fpr` | FP / (FP + TN) | no negatives |
/// | `tnr` | TN / (FP + TN) | no negatives |
/// | `fnr` | FN / (TP + FN) | no positives |
/// | `accuracy` | (TP + TN) / n | never |
/// | `precision` | TP / (TP + FP) | no predicted positives |
///
/// [`UndefinedPolicy`]: crate::audit::UndefinedPolicy
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// The group's sensitive values joined by ", " (`"all"` for the overall row).
    pub group: String,
    /// The group's sensitive values, one per sensitive column.
    pub group_values: Vec<String>,
    pub n: u64,
    pub base_rate: Value,
    pub selection_rate: Value,
    pub tpr: Value,
    pub fpr: Value,
    pub tnr: Value,
    pub fnr: Value,
    pub accuracy: Value,
    pub precision: Value,
    pub confusion: Confusion,
}

pub(crate) const NO_POSITIVES: &str = "no positives";
pub(crate) const NO_NEGATIVES: &str = "no negatives";
pub(crate) const NO_PREDICTED_POSITIVES: &str = "no predicted positives";

impl GroupRow {
    pub fn from_counts(key: &GroupKey, c: &Confusion) -> GroupRow {
        let n = c.n();
        GroupRow {
            group: key.to_string(),
            group_values: key.0.clone(),
            n,
            base_rate: Value::ratio(c.positives(), n, "empty group"),
            selection_rate: Value::ratio(c.tp + c.fp, n, "empty group"),
            tpr: Value::ratio(c.tp, c.positives(), NO_POSITIVES),
            fpr: Value::ratio(c.fp, c.negatives(), NO_NEGATIVES),
            tnr: Value::ratio(c.tn, c.negatives(), NO_NEGATIVES),
            fnr: Value::ratio(c.fn_, c.positives(), NO_POSITIVES),
            accuracy: Value::ratio(c.tp + c.tn, n, "empty group"),
            precision: Value::ratio(c.tp, c.tp + c.fp, NO_PREDICTED_POSITIVES),
            confusion: *c,
        }
    }
}
