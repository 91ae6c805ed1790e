//! A metric value that is either a number or explicitly undefined, with the reason.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A metric's value: a finite number, or undefined with the reason (a group with no positives has
/// no true-positive rate; a ratio whose denominator is 0 has no value). Never a silent 0 or NaN.
///
/// JSON: a number, or `null` when undefined (the reason is kept for tables).
///
/// ```
/// use fairdistill::audit::Value;
/// let tpr = Value::ratio(0, 0, "no positives");
/// assert_eq!(tpr.to_string(), "n/a (no positives)");
/// assert_eq!(Value::ratio(1, 4, "no positives").get(), Some(0.25));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Defined(f64),
    Undefined(String),
}

impl Value {
    /// `num / den`, or undefined with `reason` when `den` is 0.
    pub fn ratio(num: u64, den: u64, reason: &str) -> Value {
        if den == 0 {
            Value::Undefined(reason.to_string())
        } else {
            Value::Defined(num as f64 / den as f64)
        }
    }

    /// A number (a non-finite one becomes undefined with `reason`).
    pub fn from_f64(x: f64, reason: &str) -> Value {
        if x.is_finite() {
            Value::Defined(x)
        } else {
            Value::Undefined(reason.to_string())
        }
    }

    pub fn undefined(reason: impl Into<String>) -> Value {
        Value::Undefined(reason.into())
    }

    /// The number, if defined.
    pub fn get(&self) -> Option<f64> {
        match self {
            Value::Defined(x) => Some(*x),
            Value::Undefined(_) => None,
        }
    }

    /// The reason, if undefined.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Value::Defined(_) => None,
            Value::Undefined(r) => Some(r),
        }
    }

    pub fn is_defined(&self) -> bool {
        matches!(self, Value::Defined(_))
    }

    /// Text with `decimals` digits, or `n/a (reason)`.
    pub fn format(&self, decimals: usize) -> String {
        match self {
            Value::Defined(x) => format!("{x:.decimals$}"),
            Value::Undefined(r) => format!("n/a ({r})"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(f.precision().unwrap_or(4)))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Defined(x) => s.serialize_f64(*x),
            Value::Undefined(_) => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<f64>::deserialize(d)? {
            Some(x) => Value::Defined(x),
            None => Value::Undefined("undefined".into()),
        })
    }
}

/// A bootstrap confidence interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Resamples in which the metric was defined (the quantiles are over these).
    pub n_defined: usize,
}
