//! What an audit's numbers say, in sentences computed from them: for the demographic-parity and
//! equalized-odds differences between groups, the value, its bootstrap interval and whether it
//! exceeds its noise floor ("resolved") or not; which groups sit at the ends of each rate; the
//! worst (label, group) cell; the groups too small to read; and the individual-fairness measures.
//!
//! The noise floor of a gap between two groups' rates p_a (of n_a rows) and p_b (of n_b) is
//! 1.96 * sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b): the half-width of a 95 % interval of
//! their difference (the two-proportion Wald test). A bootstrap interval of an absolute gap
//! cannot play that role: |p_a - p_b| is never below 0, so its interval excludes 0 even when the
//! groups do not differ.

use crate::audit::derived::{Agg, Method};
use crate::audit::frame::AuditReport;
use crate::audit::render::SMALL_GROUP_ROWS;
use crate::audit::value::Value;
use crate::audit::GroupRow;

impl AuditReport {
    /// The audit's conclusions, one sentence each, computed from this report's numbers (never
    /// canned): every report renderer ends with them.
    pub fn conclusions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let q = self.params.quantiles;
        let level = format!("{:.0} %", (q.1 - q.0) * 100.0);
        let selection = gap(&self.groups, |g| (g.selection_rate.get(), g.n));
        let tpr = gap(&self.groups, |g| (g.tpr.get(), g.confusion.tp + g.confusion.fn_));
        let fpr = gap(&self.groups, |g| (g.fpr.get(), g.confusion.fp + g.confusion.tn));
        let odds = match (tpr, fpr) {
            (Some(t), Some(f)) => Some(if f.0 > t.0 { f } else { t }),
            (t, f) => t.or(f),
        };
        for (name, label, agg, test) in [
            ("demographic_parity_difference", "Demographic-parity difference (largest gap in selection rate)", None, selection),
            ("equalized_odds_difference", "Equalized-odds difference (larger of the TPR and FPR gaps)", Some(Agg::WorstCase), odds),
        ] {
            let Some(d) = self.derived.iter().find(|d| d.name == name && d.method == Some(Method::BetweenGroups) && d.agg == agg) else { continue };
            let Some(v) = d.value.get() else {
                out.push(format!("{label} between groups is undefined: {}.", d.value.format(4)));
                continue;
            };
            let interval = d.interval.as_ref().map_or(String::new(), |iv| format!(" ({level} bootstrap interval [{:.4}, {:.4}])", iv.low, iv.high));
            let verdict = match test {
                Some((_, floor)) if v > floor => format!("above its noise floor {floor:.4} at these group sizes: resolved"),
                Some((_, floor)) => format!("within its noise floor {floor:.4} at these group sizes: not resolved, the gap may be sampling noise"),
                None => "no noise floor (fewer than two groups with the rate defined)".to_string(),
            };
            out.push(format!("{label} between groups: {v:.4}{interval}; {verdict}."));
        }
        if self.groups.len() >= 2 {
            for (name, rate) in [
                ("Selection rate", (|g: &GroupRow| &g.selection_rate) as fn(&GroupRow) -> &Value),
                ("TPR", |g: &GroupRow| &g.tpr),
                ("FPR", |g: &GroupRow| &g.fpr),
            ] {
                let defined: Vec<(&GroupRow, f64)> = self.groups.iter().filter_map(|g| Some((g, rate(g).get()?))).collect();
                let (Some(lo), Some(hi)) = (
                    defined.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
                    defined.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
                ) else {
                    continue;
                };
                out.push(format!(
                    "{name} runs from {:.3} ({}, n = {}) to {:.3} ({}, n = {}).",
                    lo.1, lo.0.group, lo.0.n, hi.1, hi.0.group, hi.0.n
                ));
            }
        }
        if let (Some(w), Some(acc)) = (&self.worst_group, self.worst_group_accuracy.get()) {
            let overall = self.overall.accuracy.get().map_or(String::new(), |a| format!(", against {a:.3} overall"));
            out.push(format!("The worst (label, group) cell is label {}, group {}: accuracy {acc:.3}{overall}.", w.label, w.group));
        }
        let small: Vec<String> = self.groups.iter().filter(|g| g.n < SMALL_GROUP_ROWS).map(|g| format!("{} (n = {})", g.group, g.n)).collect();
        if !small.is_empty() {
            out.push(format!("Groups under {SMALL_GROUP_ROWS} rows, whose rates one row moves by more than 3 points: {}; read their gaps with care.", small.join(", ")));
        }
        if let Some(c) = self.consistency.as_ref().and_then(Value::get) {
            out.push(format!(
                "Consistency {c:.4}: on average a prediction differs from the mean prediction of its {} nearest neighbours by {:.4}.",
                self.params.consistency_k.saturating_sub(1),
                1.0 - c
            ));
        }
        out
    }
}

/// The gap between the groups with the highest and the lowest rate, and its noise floor (1.96
/// standard errors of the difference of two proportions); `None` with fewer than two groups.
fn gap(groups: &[GroupRow], rate: impl Fn(&GroupRow) -> (Option<f64>, u64)) -> Option<(f64, f64)> {
    let defined: Vec<(f64, u64)> = groups.iter().filter_map(|g| match rate(g) {
        (Some(p), n) if n > 0 => Some((p, n)),
        _ => None,
    }).collect();
    if defined.len() < 2 {
        return None;
    }
    let lo = defined.iter().min_by(|a, b| a.0.total_cmp(&b.0))?;
    let hi = defined.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let var = |(p, n): (f64, u64)| p * (1.0 - p) / n as f64;
    Some((hi.0 - lo.0, 1.96 * (var(*lo) + var(*hi)).sqrt()))
}

#[cfg(test)]
mod tests {
    use crate::audit::{AuditParams, FairnessAudit};

    #[test]
    fn conclusions_follow_the_numbers() {
        // Group a: 10 rows, all predicted 1; group b: 10 rows, all predicted 0. Labels alternate.
        let y_true: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
        let y_pred: Vec<u8> = (0..20).map(|i| (i < 10) as u8).collect();
        let s: Vec<String> = (0..20).map(|i| if i < 10 { "a".to_string() } else { "b".to_string() }).collect();
        let r = FairnessAudit::new(&y_true, &y_pred).sensitive("s", &s).params(AuditParams::default().n_boot(200).seed(0)).run().unwrap();
        let c = r.conclusions();
        // Rates 1 and 0: no spread in either group, so any gap is above the floor (0).
        assert!(c[0].starts_with("Demographic-parity difference") && c[0].contains(": 1.0000") && c[0].ends_with("resolved."), "{c:?}");
        assert!(c.iter().any(|l| l.starts_with("Selection rate runs from 0.000 (b, n = 10) to 1.000 (a, n = 10)")), "{c:?}");
        assert!(c.iter().any(|l| l.contains("Groups under 30 rows") && l.contains("a (n = 10)")), "{c:?}");

        // Selection rates 0.3 (a) and 0.2 (b) over 10 rows each: the gap 0.1 is inside the floor
        // 1.96 * sqrt(0.3 * 0.7 / 10 + 0.2 * 0.8 / 10) = 0.3770.
        let close: Vec<u8> = (0..20).map(|i| matches!(i, 0 | 1 | 2 | 10 | 11) as u8).collect();
        let r = FairnessAudit::new(&y_true, &close).sensitive("s", &s).params(AuditParams::default().n_boot(0)).run().unwrap();
        let c = r.conclusions();
        assert!(c[0].contains(": 0.1000;") && c[0].contains("noise floor 0.3770") && c[0].contains("not resolved"), "{c:?}");
        assert!(!c[0].contains("bootstrap interval"), "no interval without resamples: {c:?}");
    }
}
