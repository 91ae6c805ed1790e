//! Training curves: every loss term of every trained model, per epoch, summarised over seeds and
//! drawn one chart per term (the models as series), with a table of each term's first and last
//! epoch.
//!
//! A trainer's log becomes a [`TrainingCurve`] (one model, one seed); a study keeps the curves of
//! every seed and its report keeps their [`CurveSummary`] (mean and population std over seeds, per
//! epoch), from which [`curves_table`], [`curves_charts`] and [`curves_conclusion`] are drawn.

use serde::{Deserialize, Serialize};

use crate::report::{line_chart_with, Align, LineSeries, ReportTable, YAxis};

/// One loss term's value per epoch (epoch 1 first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveTerm {
    pub name: String,
    pub values: Vec<f64>,
}

/// The per-epoch values of every loss term of one trained model with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingCurve {
    /// Which model, as the report names it (e.g. `fair4free`, `student T=4`, `pre-training`).
    pub model: String,
    pub seed: u64,
    pub terms: Vec<CurveTerm>,
}

impl TrainingCurve {
    pub fn new(model: impl Into<String>, seed: u64) -> TrainingCurve {
        TrainingCurve { model: model.into(), seed, terms: Vec::new() }
    }

    /// Appends the next epoch's value of `term` (the term is created at its first value).
    pub fn push(&mut self, term: &str, value: f64) -> &mut Self {
        match self.terms.iter_mut().find(|t| t.name == term) {
            Some(t) => t.values.push(value),
            None => self.terms.push(CurveTerm { name: term.to_string(), values: vec![value] }),
        }
        self
    }

    /// The values of `term`, if the curve has it.
    pub fn term(&self, name: &str) -> Option<&[f64]> {
        self.terms.iter().find(|t| t.name == name).map(|t| t.values.as_slice())
    }
}

/// One term of one model over seeds: per epoch, the mean and (with more than one seed) the
/// population standard deviation over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveSummary {
    pub model: String,
    pub term: String,
    pub seeds: usize,
    pub mean: Vec<f64>,
    /// `None` with one seed (no spread to show).
    pub std: Vec<Option<f64>>,
}

impl CurveSummary {
    /// Relative change from the first to the last epoch, `(last - first) / |first|`.
    pub fn relative_change(&self) -> Option<f64> {
        let (first, last) = (*self.mean.first()?, *self.mean.last()?);
        (self.mean.len() > 1 && first.is_finite() && last.is_finite() && first != 0.0).then(|| (last - first) / first.abs())
    }
}

/// Mean and spread over seeds of every (model, term), in the order they first appear. Seeds
/// that trained for fewer epochs (an early stop) shorten the summary to the shortest run, so every
/// epoch's mean is over the same seeds.
pub fn summarise_curves<'a>(curves: impl IntoIterator<Item = &'a TrainingCurve>) -> Vec<CurveSummary> {
    let curves: Vec<&TrainingCurve> = curves.into_iter().collect();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for c in &curves {
        for t in &c.terms {
            if !keys.contains(&(c.model.as_str(), t.name.as_str())) {
                keys.push((c.model.as_str(), t.name.as_str()));
            }
        }
    }
    keys.into_iter()
        .filter_map(|(model, term)| {
            let runs: Vec<&[f64]> = curves.iter().filter(|c| c.model == model).filter_map(|c| c.term(term)).collect();
            let epochs = runs.iter().map(|r| r.len()).min()?;
            if epochs == 0 {
                return None;
            }
            let n = runs.len() as f64;
            let mut mean = Vec::with_capacity(epochs);
            let mut std = Vec::with_capacity(epochs);
            for e in 0..epochs {
                let m = runs.iter().map(|r| r[e]).sum::<f64>() / n;
                mean.push(m);
                std.push((runs.len() > 1).then(|| (runs.iter().map(|r| (r[e] - m).powi(2)).sum::<f64>() / n).sqrt()));
            }
            Some(CurveSummary { model: model.to_string(), term: term.to_string(), seeds: runs.len(), mean, std })
        })
        .collect()
}

fn shown(v: f64, std: Option<f64>) -> String {
    let digits = if v.abs() >= 100.0 { 1 } else if v.abs() >= 1.0 { 3 } else { 4 };
    match std {
        Some(s) => format!("{v:.digits$} ± {s:.digits$}"),
        None => format!("{v:.digits$} ± n/a"),
    }
}

/// A table of every (model, term): epochs, the first and the last epoch's value (mean ± std over
/// seeds; one seed shows `n/a`), and the relative change. Without curves (a report written before
/// they were recorded, rendered again from its JSON) the table says so.
pub fn curves_table(summaries: &[CurveSummary]) -> Option<ReportTable> {
    if summaries.is_empty() {
        let mut t = ReportTable::new("Training curves", ["model", "term"]);
        t.row(["none recorded", "—"]);
        t.note("this report was written before training curves were recorded; running its command again records every model's loss terms per epoch");
        return Some(t);
    }
    let mut t = ReportTable::new("Training curves: every loss term, first and last epoch", ["model", "term", "epochs", "first epoch", "last epoch", "change"]);
    for s in summaries {
        let last = s.mean.len() - 1;
        t.row([
            s.model.clone(),
            s.term.clone(),
            s.mean.len().to_string(),
            shown(s.mean[0], s.std[0]),
            shown(s.mean[last], s.std[last]),
            s.relative_change().map_or("n/a".into(), |c| format!("{:+.1} %", 100.0 * c)),
        ]);
    }
    t.align[1] = Align::Left;
    let seeds = summaries.iter().map(|s| s.seeds).max().unwrap_or(1);
    t.note(if seeds > 1 {
        format!("mean ± population std over {seeds} seeds; a loss is its epoch's mean over the mini-batches, a held-out or validation value is measured after the epoch; the charts draw every epoch")
    } else {
        "one seed: no spread; a loss is its epoch's mean over the mini-batches, a held-out or validation value is measured after the epoch; the charts draw every epoch".to_string()
    });
    Some(t)
}

/// One line chart per term (in order of first appearance), the models as series, error bars of
/// ± 1 std over seeds; returned as `(name, svg)` with names `training-<term slug>`. `what` names
/// the study in the titles.
pub fn curves_charts(summaries: &[CurveSummary], what: &str) -> Vec<(String, String)> {
    let mut terms: Vec<&str> = Vec::new();
    for s in summaries {
        if !terms.contains(&s.term.as_str()) {
            terms.push(&s.term);
        }
    }
    let mut out = Vec::new();
    for term in terms {
        let of_term: Vec<&CurveSummary> = summaries.iter().filter(|s| s.term == term).collect();
        let series: Vec<LineSeries> = of_term
            .iter()
            .enumerate()
            .map(|(i, s)| LineSeries {
                name: s.model.clone(),
                points: s.mean.iter().enumerate().map(|(e, &v)| ((e + 1) as f64, v)).collect(),
                dashed: false,
                colour: i,
                y_err: s.mean.iter().zip(&s.std).map(|(&m, sd)| sd.map(|sd| (m - sd, m + sd))).collect(),
            })
            .collect();
        let seeds = of_term.iter().map(|s| s.seeds).max().unwrap_or(1);
        let bars = if seeds > 1 { format!("bars ± 1 std over {seeds} seeds") } else { "one seed, no bars".to_string() };
        let caption = format!("A loss is its epoch's mean over the mini-batches, a held-out or validation value is measured after the epoch; {bars}.");
        if let Ok(svg) = line_chart_with(&format!("Training: {term} per epoch ({what})"), &caption, "epoch", term, &series, YAxis::Fitted) {
            out.push((format!("training-{}", slug(term)), svg));
        }
    }
    out
}

/// A conclusion computed from the curves: which terms fell from the first to the last epoch and
/// which rose (terms a trainer pushes up on purpose, such as a VAE's KL, rise in a healthy run;
/// the sentence only reports). `None` without curves.
pub fn curves_conclusion(summaries: &[CurveSummary]) -> Option<String> {
    let changed: Vec<(&CurveSummary, f64)> = summaries.iter().filter_map(|s| Some((s, s.relative_change()?))).collect();
    if changed.is_empty() {
        return None;
    }
    let rose: Vec<String> = changed.iter().filter(|(_, c)| *c > 0.0).map(|(s, c)| format!("{} / {} ({:+.1} %)", s.model, s.term, 100.0 * c)).collect();
    let fell = changed.iter().filter(|(_, c)| *c < 0.0).count();
    Some(if rose.is_empty() {
        format!("Training: all {} curves fell from their first to their last epoch.", changed.len())
    } else {
        format!("Training: {fell} of {} curves fell from their first to their last epoch; these rose: {}.", changed.len(), rose.join(", "))
    })
}

/// Lower-case letters and digits, the rest as single dashes.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(model: &str, seed: u64, loss: &[f64]) -> TrainingCurve {
        let mut c = TrainingCurve::new(model, seed);
        for &v in loss {
            c.push("loss", v);
        }
        c
    }

    #[test]
    fn summary_is_the_mean_and_population_std_over_seeds_per_epoch() {
        let s = summarise_curves(&[curve("a", 0, &[4.0, 2.0, 1.0]), curve("a", 1, &[2.0, 2.0]), curve("b", 0, &[1.0, 3.0])]);
        assert_eq!(s.len(), 2);
        // Model a: the shorter seed cuts it to 2 epochs; epoch 1: values 4 and 2.
        assert_eq!(s[0].mean, vec![3.0, 2.0]);
        assert_eq!(s[0].std, vec![Some(1.0), Some(0.0)]);
        assert_eq!(s[0].seeds, 2);
        assert_eq!(s[1].std, vec![None, None]);
        assert_eq!(s[1].relative_change(), Some(2.0));
        assert_eq!(s[0].relative_change(), Some(-1.0 / 3.0));
    }

    #[test]
    fn table_charts_and_conclusion_come_from_the_numbers() {
        let mut a = curve("teacher", 0, &[2.0, 1.0]);
        a.push("KL", 0.5).push("KL", 0.75);
        let s = summarise_curves(&[a]);
        let t = curves_table(&s).expect("a table");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0][3], "2.000 ± n/a");
        assert_eq!(t.rows[1][5], "+50.0 %");
        let charts = curves_charts(&s, "test");
        assert_eq!(charts.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["training-loss", "training-kl"]);
        assert!(charts.iter().all(|c| c.1.contains("<svg")));
        assert_eq!(curves_conclusion(&s).expect("a conclusion"), "Training: 1 of 2 curves fell from their first to their last epoch; these rose: teacher / KL (+50.0 %).");
        assert!(curves_table(&[]).expect("a table that says so").notes[0].contains("before training curves were recorded"));
        assert!(curves_charts(&[], "none").is_empty() && curves_conclusion(&[]).is_none());
    }
}
