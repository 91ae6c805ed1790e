//! Disparity metrics derived from the by-group rates, with fairlearn 0.15's definitions.
//!
//! For a per-group metric m (selection rate, TPR, FPR) over groups g with overall value m*:
//! - difference, `between_groups`: max_g m_g - min_g m_g; `to_overall`: max_g |m_g - m*|.
//! - ratio, `between_groups`: min_g m_g / max_g m_g (undefined when max_g m_g = 0);
//!   `to_overall`: min_g r_g with r_g = m_g / m*, replaced by 1 / r_g when above 1 (a group
//!   with m* = 0 and m_g > 0 gives 0; with both 0 it is skipped).
//! - equalized odds: the TPR part and the FPR part of the difference (or ratio), combined by
//!   `agg`: `worst_case` (the larger difference / the smaller ratio) or `mean`.
//!
//! Ideal values: differences 0, ratios 1. Source: fairlearn 0.15,
//! `fairlearn.metrics.{demographic_parity,equalized_odds}_{difference,ratio}` and
//! `MetricFrame.difference / ratio`.

use serde::{Deserialize, Serialize};

use crate::audit::by_group::GroupRow;
use crate::audit::value::{Interval, Value};

/// How differences and ratios compare groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    BetweenGroups,
    ToOverall,
}

/// How equalized odds combines its TPR and FPR parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    WorstCase,
    Mean,
}

/// What a group rate with an empty denominator (TPR of a group with no positives) does in the
/// derived metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndefinedPolicy {
    /// The group is left out of that metric, and a metric left with fewer than two groups, or an
    /// equalized-odds value with an undefined part, is undefined. The default: nothing is
    /// silently made up.
    #[default]
    Exclude,
    /// fairlearn's behaviour: the rate counts as 0 (scikit-learn's normalised confusion matrix),
    /// and `worst_case` follows Python's `max` / `min` over `[tpr_part, fpr_part]` (an undefined
    /// TPR part makes the result undefined; an undefined FPR part is ignored). Use it to
    /// reproduce fairlearn's numbers exactly.
    Zero,
}

/// Which rate a derived metric is built on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rate {
    Selection,
    Tpr,
    Fpr,
}

impl Rate {
    fn of(self, row: &GroupRow) -> &Value {
        match self {
            Rate::Selection => &row.selection_rate,
            Rate::Tpr => &row.tpr,
            Rate::Fpr => &row.fpr,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Rate::Selection => "selection rate",
            Rate::Tpr => "TPR",
            Rate::Fpr => "FPR",
        }
    }
}

/// Per-group values of a rate under the policy, and the overall value.
fn values(rate: Rate, groups: &[GroupRow], overall: &GroupRow, policy: UndefinedPolicy) -> (Vec<Value>, Value) {
    let fix = |v: &Value| match (policy, v) {
        (UndefinedPolicy::Zero, Value::Undefined(_)) => Value::Defined(0.0),
        _ => v.clone(),
    };
    (groups.iter().map(|g| fix(rate.of(g))).collect(), fix(rate.of(overall)))
}

/// The defined group values of a rate (and the overall value), or the undefined result when
/// none is defined (or, under `Exclude`, fewer than two).
fn defined_values(rate: Rate, groups: &[GroupRow], overall: &GroupRow, policy: UndefinedPolicy) -> Result<(Vec<f64>, Value), Value> {
    let (vals, all) = values(rate, groups, overall, policy);
    let d: Vec<f64> = vals.iter().filter_map(Value::get).collect();
    if d.is_empty() || (policy == UndefinedPolicy::Exclude && d.len() < 2) {
        return Err(Value::undefined(format!("fewer than two groups with a defined {}", rate.label())));
    }
    Ok((d, all))
}

/// Difference of a rate across groups.
pub(crate) fn difference(rate: Rate, groups: &[GroupRow], overall: &GroupRow, method: Method, policy: UndefinedPolicy) -> Value {
    let (d, all) = match defined_values(rate, groups, overall, policy) {
        Ok(v) => v,
        Err(undefined) => return undefined,
    };
    match method {
        Method::BetweenGroups => {
            let (lo, hi) = min_max(&d);
            Value::Defined(hi - lo)
        }
        Method::ToOverall => match all.get() {
            Some(o) => Value::Defined(d.iter().map(|v| (v - o).abs()).fold(0.0, f64::max)),
            None => Value::undefined(format!("overall {} undefined", rate.label())),
        },
    }
}

/// Ratio of a rate across groups.
pub(crate) fn ratio(rate: Rate, groups: &[GroupRow], overall: &GroupRow, method: Method, policy: UndefinedPolicy) -> Value {
    let (d, all) = match defined_values(rate, groups, overall, policy) {
        Ok(v) => v,
        Err(undefined) => return undefined,
    };
    match method {
        Method::BetweenGroups => {
            let (lo, hi) = min_max(&d);
            if hi == 0.0 {
                Value::undefined(format!("0/0: every group's {} is 0", rate.label()))
            } else {
                Value::Defined(lo / hi)
            }
        }
        Method::ToOverall => {
            let Some(o) = all.get() else {
                return Value::undefined(format!("overall {} undefined", rate.label()));
            };
            let rs: Vec<f64> = d
                .iter()
                .filter_map(|&v| {
                    if o == 0.0 {
                        // v / 0: 0/0 is skipped, v/0 = inf inverts to 0 (fairlearn via numpy).
                        (v != 0.0).then_some(0.0)
                    } else {
                        let r = v / o;
                        Some(if r > 1.0 { 1.0 / r } else { r })
                    }
                })
                .collect();
            if rs.is_empty() {
                Value::undefined(format!("0/0: overall {} and every group's are 0", rate.label()))
            } else {
                Value::Defined(rs.iter().copied().fold(f64::INFINITY, f64::min))
            }
        }
    }
}

/// Equalized odds difference (`larger = true`) or ratio, combining the TPR and FPR parts.
pub(crate) fn equalized_odds(
    tpr_part: Value,
    fpr_part: Value,
    agg: Agg,
    larger_is_worse: bool,
    policy: UndefinedPolicy,
) -> Value {
    match (agg, policy) {
        (Agg::WorstCase, UndefinedPolicy::Zero) => match (&tpr_part, &fpr_part) {
            (Value::Undefined(_), _) => tpr_part,
            (Value::Defined(_), Value::Undefined(_)) => tpr_part,
            (Value::Defined(a), Value::Defined(b)) => Value::Defined(if larger_is_worse { a.max(*b) } else { a.min(*b) }),
        },
        (Agg::WorstCase, UndefinedPolicy::Exclude) | (Agg::Mean, UndefinedPolicy::Exclude) => match (&tpr_part, &fpr_part) {
            (Value::Undefined(r), _) => Value::undefined(format!("TPR part: {r}")),
            (_, Value::Undefined(r)) => Value::undefined(format!("FPR part: {r}")),
            (Value::Defined(a), Value::Defined(b)) => Value::Defined(match agg {
                Agg::WorstCase if larger_is_worse => a.max(*b),
                Agg::WorstCase => a.min(*b),
                Agg::Mean => (a + b) / 2.0,
            }),
        },
        (Agg::Mean, UndefinedPolicy::Zero) => {
            let parts: Vec<f64> = [tpr_part.get(), fpr_part.get()].into_iter().flatten().collect();
            if parts.is_empty() {
                Value::undefined("both parts undefined")
            } else {
                Value::Defined(parts.iter().sum::<f64>() / parts.len() as f64)
            }
        }
    }
}

fn min_max(d: &[f64]) -> (f64, f64) {
    d.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// One derived metric with its settings, value and bootstrap interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DerivedMetric {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agg: Option<Agg>,
    pub value: Value,
    /// The value a perfectly fair predictor gets.
    pub ideal: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
}

/// Every derived group-fairness metric, in a fixed order (the order of reports and bootstrap).
pub(crate) fn all_derived(groups: &[GroupRow], overall: &GroupRow, policy: UndefinedPolicy) -> Vec<DerivedMetric> {
    let mut out = Vec::with_capacity(24);
    let mut push = |name: &str, method: Option<Method>, agg: Option<Agg>, value: Value, ideal: f64| {
        out.push(DerivedMetric {
            name: name.to_string(),
            method,
            agg,
            value,
            ideal,
            interval: None,
        })
    };
    for method in [Method::BetweenGroups, Method::ToOverall] {
        let m = Some(method);
        push("demographic_parity_difference", m, None, difference(Rate::Selection, groups, overall, method, policy), 0.0);
        push("demographic_parity_ratio", m, None, ratio(Rate::Selection, groups, overall, method, policy), 1.0);
        let tpr_d = difference(Rate::Tpr, groups, overall, method, policy);
        let fpr_d = difference(Rate::Fpr, groups, overall, method, policy);
        let tpr_r = ratio(Rate::Tpr, groups, overall, method, policy);
        let fpr_r = ratio(Rate::Fpr, groups, overall, method, policy);
        for agg in [Agg::WorstCase, Agg::Mean] {
            push("equalized_odds_difference", m, Some(agg), equalized_odds(tpr_d.clone(), fpr_d.clone(), agg, true, policy), 0.0);
            push("equalized_odds_ratio", m, Some(agg), equalized_odds(tpr_r.clone(), fpr_r.clone(), agg, false, policy), 1.0);
        }
        push("equal_opportunity_difference", m, None, tpr_d, 0.0);
        push("true_positive_rate_ratio", m, None, tpr_r, 1.0);
        push("false_positive_rate_difference", m, None, fpr_d, 0.0);
        push("false_positive_rate_ratio", m, None, fpr_r, 1.0);
    }
    out
}

/// The metric called `name` with `method` and `agg` in a list made by [`all_derived`].
pub(crate) fn find<'a>(list: &'a [DerivedMetric], name: &str, method: Method, agg: Option<Agg>) -> &'a DerivedMetric {
    list.iter()
        .find(|d| d.name == name && d.method == Some(method) && d.agg == agg)
        .expect("all_derived lists every metric")
}
