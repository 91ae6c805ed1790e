//! How the distillation-temperature reproduction looks: one table of our numbers beside the
//! paper's, and a chart of EOD and DPD against the temperature.

use crate::report::{curves_charts, curves_conclusion, curves_table, line_chart, scatter_chart, LineSeries, Render, ReportTable, ScatterPoint, ScatterSeries};
use crate::studies::distillation::{DistillationReport, DistillationRow};
use crate::studies::fair4free::Stat;

fn paper(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".into(), |x| format!("{x:.decimals$}"))
}

impl Render for DistillationReport {
    fn title(&self) -> String {
        format!(
            "Distillation temperature and fairness: Trifeature stand-in, ResNet-{} → LeNet-5 ({})",
            self.params.teacher_depth,
            Stat::seeds_phrase(self.params.seeds)
        )
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut t = ReportTable::new(
            "Test accuracy, DPD and EOD over colour (%), individual fairness I(f): ours | paper (Table 2, Table 4)",
            ["model", "T", "accuracy", "paper", "EOD", "paper", "DPD", "paper", "I(f)", "paper"],
        );
        for r in &self.rows {
            let p = self.paper_row(&r.method);
            let model = match r.method.as_str() {
                "teacher" => "teacher".to_string(),
                "nds" => "NDS".to_string(),
                _ => "DS".to_string(),
            };
            t.row([
                model,
                r.temperature.map_or("—".into(), |x| format!("{x}")),
                r.accuracy.show(2, self.params.seeds),
                paper(p.map(|p| p.accuracy), 2),
                r.equalized_odds_difference.show(2, self.params.seeds),
                paper(p.map(|p| p.equalized_odds_difference), 2),
                r.demographic_parity_difference.show(2, self.params.seeds),
                paper(p.map(|p| p.demographic_parity_difference), 2),
                r.individual_fairness.show(4, self.params.seeds),
                paper(p.map(|p| p.individual_fairness), 4),
            ]);
        }
        t.note(format!("{:.0} s of wall-clock time on {}.", self.seconds, crate::device::device_name()));
        t.note("Paper: Mohammadshahi & Ioannou, TMLR 2025, Table 2 (Trifeature: accuracy, EOD, DPD; std <= 0.18) and Table 4 (Trifeature individual fairness), mean of 5 seeds.");
        for n in &self.notes {
            t.note(n.clone());
        }
        let mut tables = vec![t];
        if self.rows.iter().any(|r| r.equalized_odds_difference_ci.is_some()) {
            let mut b = ReportTable::new("95 % bootstrap intervals over the test images (first seed: the gap ± 1.96 bootstrap standard deviations of 200 resamples; %)", ["model", "T", "EOD", "DPD"]);
            let ci = |v: Option<(f64, f64)>| v.map_or("n/a".to_string(), |(lo, hi)| format!("[{lo:.2}, {hi:.2}]"));
            for r in &self.rows {
                b.row([r.method.clone(), r.temperature.map_or("—".into(), |x| format!("{x}")), ci(r.equalized_odds_difference_ci), ci(r.demographic_parity_difference_ci)]);
            }
            b.note("the noise of one test set: two models whose intervals overlap widely are not told apart by it");
            tables.push(b);
        }
        tables.extend(ReportTable::conclusions(&self.conclusions()));
        tables.extend(curves_table(&self.training));
        tables
    }

    fn svg(&self) -> Option<String> {
        let out: String = self.charts().into_iter().map(|(_, svg)| svg).collect();
        (!out.is_empty()).then_some(out)
    }
}

impl DistillationReport {
    /// The report's charts as `(name, svg)`: `gaps-by-t` (EOD and DPD of the distilled students
    /// against T, the NDS and the teacher as references), `eod-acc` (accuracy against EOD) and
    /// the training curves (`training-<term>`).
    pub fn charts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        out.extend(self.gaps_svg().map(|s| ("gaps-by-t".to_string(), s)));
        out.extend(self.tradeoff_svg().map(|s| ("eod-acc".to_string(), s)));
        out.extend(curves_charts(&self.training, "Trifeature stand-in"));
        out
    }

    /// EOD and DPD of the distilled students against T.
    fn gaps_svg(&self) -> Option<String> {
        let ds: Vec<&DistillationRow> = self.rows.iter().filter(|r| r.temperature.is_some()).collect();
        let (t_min, t_max) = ds.iter().filter_map(|r| r.temperature).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| (a.min(t), b.max(t)));
        if ds.is_empty() {
            return None;
        }
        let ours = |f: fn(&DistillationRow) -> &Stat| -> Vec<(f64, f64)> {
            ds.iter().filter_map(|r| Some((r.temperature?, f(r).mean?))).collect()
        };
        // Error bars: mean ± one std over seeds, or with one seed the 95 % bootstrap interval
        // over the test images.
        let seeds = self.params.seeds;
        let spread = |f: fn(&DistillationRow) -> &Stat, ci: fn(&DistillationRow) -> Option<(f64, f64)>| -> Vec<Option<(f64, f64)>> {
            ds.iter()
                .filter(|r| r.temperature.is_some() && f(r).mean.is_some())
                .map(|r| match (f(r).mean, f(r).std) {
                    (Some(m), Some(sd)) if seeds > 1 => Some((m - sd, m + sd)),
                    _ if seeds == 1 => ci(r),
                    _ => None,
                })
                .collect()
        };
        let flat = |f: fn(&DistillationRow) -> &Stat, method: &str| -> Vec<(f64, f64)> {
            self.row(method).and_then(|r| f(r).mean).map_or(Vec::new(), |v| vec![(t_min, v), (t_max, v)])
        };
        let series = vec![
            LineSeries { name: "EOD, distilled students".into(), points: ours(|r| &r.equalized_odds_difference), dashed: false, colour: 0, y_err: spread(|r| &r.equalized_odds_difference, |r| r.equalized_odds_difference_ci) },
            LineSeries { name: "DPD, distilled students".into(), points: ours(|r| &r.demographic_parity_difference), dashed: false, colour: 1, y_err: spread(|r| &r.demographic_parity_difference, |r| r.demographic_parity_difference_ci) },
            LineSeries { name: "EOD, NDS".into(), points: flat(|r| &r.equalized_odds_difference, "nds"), dashed: true, colour: 0, y_err: vec![] },
            LineSeries { name: "DPD, NDS".into(), points: flat(|r| &r.demographic_parity_difference, "nds"), dashed: true, colour: 1, y_err: vec![] },
            LineSeries { name: "EOD, teacher".into(), points: flat(|r| &r.equalized_odds_difference, "teacher"), dashed: true, colour: 2, y_err: vec![] },
            LineSeries { name: "DPD, teacher".into(), points: flat(|r| &r.demographic_parity_difference, "teacher"), dashed: true, colour: 3, y_err: vec![] },
        ];
        let (y_label, bars) = if self.params.seeds > 1 {
            ("% (lower is fairer)", "bars: ± 1 std over seeds")
        } else {
            ("% (lower is fairer)", "bars: 95 % bootstrap intervals over the test images (one seed)")
        };
        let lines = line_chart(
            "Fairness gaps of distilled students against the temperature",
            &format!("Solid lines below their dashed references: distillation at that T narrows the gap; {bars}."),
            "temperature T",
            y_label,
            &series,
        )
        .ok()?;
        Some(lines)
    }
}

/// `a - b` of two means over `seeds` seeds with an approximate 95 % interval from their spreads
/// (1.96 standard errors of the difference, each std corrected to the sample std), and a verdict.
fn compare(a: &Stat, b: &Stat, seeds: usize) -> Option<String> {
    let d = a.mean? - b.mean?;
    if seeds < 2 {
        return Some(format!("{d:+.2} (one seed: no interval)"));
    }
    let n = seeds as f64;
    let var = |s: &Stat| s.std.map(|sd| sd * sd * n / (n - 1.0) / n);
    let half = 1.96 * (var(a)? + var(b)?).sqrt();
    let verdict = if d - half > 0.0 || d + half < 0.0 { "resolved" } else { "not resolved" };
    Some(format!("{d:+.2} (about {:+.2} to {:+.2}): {verdict}", d - half, d + half))
}

impl DistillationReport {
    /// What the numbers say, computed from them: each distilled student against the
    /// non-distilled one in EOD, DPD and accuracy (approximate 95 % intervals from the spreads over
    /// seeds), the temperature with the lowest EOD, and the teacher against the NDS.
    pub fn conclusions(&self) -> Vec<String> {
        let seeds = self.params.seeds;
        let mut out = Vec::new();
        let Some(nds) = self.row("nds") else { return out };
        for r in self.rows.iter().filter(|r| r.temperature.is_some()) {
            let parts: Vec<String> = [
                ("EOD", &r.equalized_odds_difference, &nds.equalized_odds_difference),
                ("DPD", &r.demographic_parity_difference, &nds.demographic_parity_difference),
                ("accuracy", &r.accuracy, &nds.accuracy),
            ]
            .into_iter()
            .filter_map(|(name, a, b)| Some(format!("{name} {}", compare(a, b, seeds)?)))
            .collect();
            if !parts.is_empty() {
                out.push(format!("DS at T = {} minus NDS (points): {}.", r.temperature.unwrap_or(f64::NAN), parts.join("; ")));
            }
        }
        let best = self
            .rows
            .iter()
            .filter(|r| r.temperature.is_some())
            .filter_map(|r| Some((r, r.equalized_odds_difference.mean?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((r, eod)) = best {
            out.push(format!(
                "The lowest mean EOD of the distilled students is at T = {} ({eod:.2} %); the NDS has {}.",
                r.temperature.unwrap_or(f64::NAN),
                nds.equalized_odds_difference.show(2, seeds)
            ));
        }
        if let Some(t) = self.row("teacher") {
            if let Some(c) = compare(&t.equalized_odds_difference, &nds.equalized_odds_difference, seeds) {
                out.push(format!("Teacher minus NDS in EOD: {c} points."));
            }
        }
        out.extend(curves_conclusion(&self.training));
        out
    }

    /// Accuracy against EOD for every model: the distilled students labelled by T, the
    /// non-distilled student and the teacher as reference points; ± 1 std over seeds.
    fn tradeoff_svg(&self) -> Option<String> {
        let seeds = self.params.seeds;
        let point = |r: &DistillationRow, label: Option<String>| -> Option<ScatterPoint> {
            Some(ScatterPoint {
                x: r.equalized_odds_difference.mean?,
                y: r.accuracy.mean?,
                x_err: r.equalized_odds_difference.std.filter(|_| seeds > 1),
                y_err: r.accuracy.std.filter(|_| seeds > 1),
                label,
            })
        };
        let students: Vec<ScatterPoint> =
            self.rows.iter().filter_map(|r| point(r, Some(format!("T={}", r.temperature?)))).collect();
        let mut series = vec![ScatterSeries { name: "distilled students".into(), points: students }];
        for (method, name) in [("nds", "non-distilled student"), ("teacher", "teacher")] {
            if let Some(p) = self.row(method).and_then(|r| point(r, None)) {
                series.push(ScatterSeries { name: name.into(), points: vec![p] });
            }
        }
        let caption = if seeds > 1 { "Up and left is better; bars: ± 1 std over seeds." } else { "Up and left is better; one seed: no spread." };
        scatter_chart("Accuracy against EOD over colour", caption, "EOD, % (lower is fairer)", "accuracy, %", &series).ok()
    }
}

crate::impl_renderers!(DistillationReport);
