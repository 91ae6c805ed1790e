//! The audit of one set of predictions: MetricFrame-like group table, derived disparities,
//! AIM-Fair cell metrics, individual fairness and bootstrap intervals.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::audit::aimfair::{cell_summary, Cell, CellSummary};
use crate::audit::bootstrap::bootstrap;
use crate::audit::by_group::GroupRow;
use crate::audit::derived::{all_derived, find, Agg, DerivedMetric, Method};
use crate::audit::groups::{count_by_group, Confusion, GroupKey, Groups};
use crate::audit::individual::{lipschitz, standardize, Lipschitz};
use crate::audit::params::AuditParams;
use crate::audit::value::{Interval, Value};
use crate::error::{Error, Result};

/// Builder of an audit: binary labels and predictions, one or more sensitive columns, optional
/// scores and features.
///
/// ```
/// use fairdistill::audit::{AuditParams, FairnessAudit};
/// // Group a: 2 positives (1 found), 2 negatives (1 flagged). Group b: all right.
/// let y_true = [1, 1, 0, 0, 1, 0];
/// let y_pred = [1, 0, 1, 0, 1, 0];
/// let sex = ["a", "a", "a", "a", "b", "b"];
/// let report = FairnessAudit::new(&y_true, &y_pred)
///     .sensitive("sex", &sex)
///     .params(AuditParams::default().n_boot(0))
///     .run()?;
/// assert_eq!(report.groups[0].tpr.get(), Some(0.5));
/// assert_eq!(report.equal_opportunity_difference.get(), Some(0.5));   // 1 - 0.5
/// assert_eq!(report.demographic_parity_difference.get(), Some(0.0));  // 2/4 vs 1/2
/// assert_eq!(report.eo_aimfair.get(), Some(0.5));                      // (0.5 + 0.5) / 2
/// # Ok::<(), fairdistill::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FairnessAudit<'a> {
    y_true: &'a [u8],
    y_pred: &'a [u8],
    sensitive: Vec<(String, Vec<&'a str>)>,
    scores: Option<&'a [f64]>,
    features: Option<ArrayView2<'a, f64>>,
    params: AuditParams,
    progress: Option<Progress<'a>>,
}

/// A progress callback for the long parts of an audit: `(what, done, total)`, called from worker
/// threads (today: the consistency score's neighbour search, `"consistency"`, in rows).
#[derive(Clone, Copy)]
pub struct Progress<'a>(pub &'a (dyn Fn(&str, usize, usize) + Sync));

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl<'a> FairnessAudit<'a> {
    /// Labels and predictions, each 0 or 1.
    pub fn new(y_true: &'a [u8], y_pred: &'a [u8]) -> Self {
        FairnessAudit {
            y_true,
            y_pred,
            sensitive: Vec::new(),
            scores: None,
            features: None,
            params: AuditParams::default(),
            progress: None,
        }
    }

    /// Adds a sensitive column; several give intersectional groups (tuples).
    pub fn sensitive<S: AsRef<str>>(mut self, name: &str, values: &'a [S]) -> Self {
        self.sensitive
            .push((name.to_string(), values.iter().map(|v| v.as_ref()).collect()));
        self
    }

    /// Predicted probabilities of the positive class (for the Lipschitz measure).
    pub fn scores(mut self, scores: &'a [f64]) -> Self {
        self.scores = Some(scores);
        self
    }

    /// The feature matrix (rows = individuals) for the individual-fairness measures.
    pub fn features(mut self, x: ArrayView2<'a, f64>) -> Self {
        self.features = Some(x);
        self
    }

    pub fn params(mut self, params: AuditParams) -> Self {
        self.params = params;
        self
    }

    /// Reports progress of the long parts (see [`Progress`]).
    pub fn progress(mut self, f: &'a (dyn Fn(&str, usize, usize) + Sync)) -> Self {
        self.progress = Some(Progress(f));
        self
    }

    fn validate(&self) -> Result<()> {
        self.params.check()?;
        let n = self.y_true.len();
        if n == 0 {
            return Err(Error::Empty { what: "y_true has no rows".into() });
        }
        if self.y_pred.len() != n {
            return Err(Error::LengthMismatch {
                what: "y_pred against y_true".into(),
                expected: n,
                got: self.y_pred.len(),
            });
        }
        for (what, v) in [("y_true", self.y_true), ("y_pred", self.y_pred)] {
            if let Some(i) = v.iter().position(|&y| y > 1) {
                return Err(Error::NotBinary {
                    what: what.into(),
                    index: i,
                    value: v[i].to_string(),
                });
            }
        }
        if self.sensitive.is_empty() {
            return Err(Error::invalid("sensitive", "(none)", "name at least one sensitive column"));
        }
        if let Some(s) = self.scores {
            if s.len() != n {
                return Err(Error::LengthMismatch { what: "scores against y_true".into(), expected: n, got: s.len() });
            }
            if let Some(i) = s.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what: "scores".into(), index: i });
            }
        }
        if let Some(x) = self.features {
            if x.nrows() != n {
                return Err(Error::LengthMismatch { what: "feature rows against y_true".into(), expected: n, got: x.nrows() });
            }
            if x.ncols() == 0 {
                return Err(Error::Empty { what: "the feature matrix has no columns".into() });
            }
            if let Some(i) = x.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what: "features".into(), index: i });
            }
        }
        Ok(())
    }

    /// The rows per (group, y_true, y_pred) of this audit's data (after the same checks as
    /// [`FairnessAudit::run`]): what `fairdistill audit --emit-counts` writes, and what
    /// [`CountsTable::audit`](crate::audit::CountsTable::audit) turns into the same report.
    pub fn counts(&self) -> Result<crate::audit::CountsTable> {
        self.validate()?;
        let n = self.y_true.len();
        let cols: Vec<&[&str]> = self.sensitive.iter().map(|(_, v)| v.as_slice()).collect();
        let groups = Groups::from_columns(&cols, n)?;
        let counts = count_by_group(self.y_true, self.y_pred, &groups.codes, groups.len());
        let names = self.sensitive.iter().map(|(n, _)| n.clone()).collect();
        Ok(crate::audit::CountsTable::from_confusion(names, &groups.keys, &counts))
    }

    /// Computes the report.
    pub fn run(&self) -> Result<AuditReport> {
        self.validate()?;
        let p = &self.params;
        let n = self.y_true.len();
        let cols: Vec<&[&str]> = self.sensitive.iter().map(|(_, v)| v.as_slice()).collect();
        let groups = Groups::from_columns(&cols, n)?;
        if groups.len() < 2 {
            return Err(Error::invalid(
                "sensitive",
                self.sensitive.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                format!("has a single group ({}); fairness compares at least two", groups.keys[0]),
            ));
        }
        let counts = count_by_group(self.y_true, self.y_pred, &groups.codes, groups.len());
        let mut report = summarise(&groups.keys, &counts, p);

        if p.n_boot > 0 {
            let keys = &groups.keys;
            let intervals = bootstrap(self.y_true, self.y_pred, &groups.codes, groups.len(), p.n_boot, p.quantiles, p.seed, |c| {
                let s = summarise(keys, c, p);
                let mut v: Vec<Option<f64>> = s.derived.iter().map(|d| d.value.get()).collect();
                v.push(s.worst_group_accuracy.get());
                v.push(s.group_accuracy_std.get());
                // Per-group rates for the plot's error bars (absent groups: None).
                for key in keys {
                    let row = s.groups.iter().find(|g| &g.group_values == &key.0);
                    for f in [|r: &GroupRow| r.selection_rate.get(), |r: &GroupRow| r.tpr.get(), |r: &GroupRow| r.fpr.get()] {
                        v.push(row.and_then(f));
                    }
                }
                v
            });
            let nd = report.derived.len();
            for (d, iv) in report.derived.iter_mut().zip(&intervals) {
                d.interval = iv.clone();
            }
            report.worst_group_accuracy_interval = intervals[nd].clone();
            report.group_accuracy_std_interval = intervals[nd + 1].clone();
            report.group_intervals = groups
                .keys
                .iter()
                .enumerate()
                .map(|(g, key)| GroupIntervals {
                    group: key.to_string(),
                    selection_rate: intervals[nd + 2 + 3 * g].clone(),
                    tpr: intervals[nd + 3 + 3 * g].clone(),
                    fpr: intervals[nd + 4 + 3 * g].clone(),
                })
                .collect();
            report.eo_aimfair_interval = find(&report.derived, "equalized_odds_difference", Method::BetweenGroups, Some(Agg::Mean)).interval.clone();
        }

        report.sensitive = self.sensitive.iter().map(|(n, _)| n.clone()).collect();
        if let Some(scores) = self.scores {
            let keys: Vec<String> = groups.keys.iter().map(|k| k.to_string()).collect();
            report.roc = crate::audit::roc::roc_by_group(self.y_true, scores, &groups.codes, &keys);
        }
        if let Some(x) = self.features {
            let xs = standardize(x);
            let y: Vec<f64> = self.y_pred.iter().map(|&v| v as f64).collect();
            let rows = xs.nrows();
            let report_rows = |done: usize| {
                if let Some(Progress(f)) = self.progress {
                    f("consistency", done, rows);
                }
            };
            report.consistency = Some(crate::audit::consistency::consistency_standardized(xs.view(), &y, p.consistency_k, &report_rows)?);
            if let Some(scores) = self.scores {
                let l = lipschitz(xs.view(), scores, p.lipschitz_pairs, p.seed);
                report.lipschitz_individual_unfairness = Some(l.value.clone());
                report.lipschitz = Some(l);
            }
        }
        Ok(report)
    }
}

/// Bootstrap intervals of one group's rates (for the error bars of the group chart).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupIntervals {
    pub group: String,
    pub selection_rate: Option<Interval>,
    pub tpr: Option<Interval>,
    pub fpr: Option<Interval>,
}

/// Everything an audit measures. The top-level keys are the JSON contract of
/// `fairdistill audit --format json` (docs/CLI.md); undefined values are `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub n: u64,
    pub sensitive: Vec<String>,
    pub groups: Vec<GroupRow>,
    pub overall: GroupRow,
    /// Between groups.
    pub demographic_parity_difference: Value,
    pub demographic_parity_ratio: Value,
    /// Between groups, `agg = worst_case`.
    pub equalized_odds_difference: Value,
    pub equalized_odds_ratio: Value,
    /// Between groups, `agg = mean`.
    pub equalized_odds_difference_mean: Value,
    pub equalized_odds_ratio_mean: Value,
    /// TPR difference between groups.
    pub equal_opportunity_difference: Value,
    /// AIM-Fair's EO = (|dTPR| + |dFPR|) / 2 (max - min over groups when more than two).
    pub eo_aimfair: Value,
    pub eo_aimfair_interval: Option<Interval>,
    /// Lowest accuracy over the (label, group) cells.
    pub worst_group_accuracy: Value,
    pub worst_group_accuracy_interval: Option<Interval>,
    /// The cell of `worst_group_accuracy`.
    pub worst_group: Option<Cell>,
    /// Population std of the cell accuracies.
    pub group_accuracy_std: Value,
    pub group_accuracy_std_interval: Option<Interval>,
    pub cells: Vec<Cell>,
    /// Every derived metric with its method, agg, ideal value and interval.
    pub derived: Vec<DerivedMetric>,
    pub group_intervals: Vec<GroupIntervals>,
    /// ROC curve and AUC per group, when scores were given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roc: Vec<crate::audit::GroupRoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lipschitz_individual_unfairness: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lipschitz: Option<Lipschitz>,
    pub params: AuditParams,
}

/// The report of given confusion counts (no intervals, no individual measures).
pub(crate) fn summarise(keys: &[GroupKey], counts: &[Confusion], p: &AuditParams) -> AuditReport {
    let mut total = Confusion::default();
    let mut groups = Vec::with_capacity(keys.len());
    let mut cells = vec![Vec::with_capacity(keys.len()); 2];
    for (key, c) in keys.iter().zip(counts) {
        total.merge(c);
        cells[0].push((c.tn, c.negatives()));
        cells[1].push((c.tp, c.positives()));
        if c.n() > 0 {
            groups.push(GroupRow::from_counts(key, c));
        }
    }
    let overall = GroupRow::from_counts(&GroupKey(vec!["all".into()]), &total);
    let derived = all_derived(&groups, &overall, p.undefined);
    let pick = |name: &str, agg: Option<Agg>| find(&derived, name, Method::BetweenGroups, agg).value.clone();
    let CellSummary {
        cells,
        worst_group_accuracy,
        worst_cell,
        group_accuracy_std,
    } = cell_summary(keys, &cells);
    AuditReport {
        n: total.n(),
        sensitive: Vec::new(),
        demographic_parity_difference: pick("demographic_parity_difference", None),
        demographic_parity_ratio: pick("demographic_parity_ratio", None),
        equalized_odds_difference: pick("equalized_odds_difference", Some(Agg::WorstCase)),
        equalized_odds_ratio: pick("equalized_odds_ratio", Some(Agg::WorstCase)),
        equalized_odds_difference_mean: pick("equalized_odds_difference", Some(Agg::Mean)),
        equalized_odds_ratio_mean: pick("equalized_odds_ratio", Some(Agg::Mean)),
        equal_opportunity_difference: pick("equal_opportunity_difference", None),
        eo_aimfair: pick("equalized_odds_difference", Some(Agg::Mean)),
        eo_aimfair_interval: None,
        worst_group_accuracy,
        worst_group_accuracy_interval: None,
        worst_group: worst_cell,
        group_accuracy_std,
        group_accuracy_std_interval: None,
        cells,
        derived,
        group_intervals: Vec::new(),
        roc: Vec::new(),
        groups,
        overall,
        consistency: None,
        lipschitz_individual_unfairness: None,
        lipschitz: None,
        params: p.clone(),
    }
}
