//! How the image reproduction looks: one table of the five rows, the conclusions computed from
//! them, a chart of accuracy and colour EOD per row with the spread over seeds, and the
//! fairness-utility trade-off (accuracy against colour EOD, `real` the reference).

use crate::report::{curves_charts, curves_table, grouped_bar_chart_with, scatter_chart, BarSeries, Render, ReportTable, ScatterPoint, ScatterSeries};
use crate::studies::fair4free::Stat;
use crate::studies::fair4free_images::Fair4FreeImageReport;

impl Render for Fair4FreeImageReport {
    fn title(&self) -> String {
        let seeds = self.params.seeds;
        format!(
            "Fair4Free on images: {} with a colour shortcut, LeNet-5 trained on each set, tested on every colour ({} seed{})",
            self.dataset,
            seeds,
            if seeds == 1 { "" } else { "s" }
        )
    }

    fn tables(&self) -> Vec<ReportTable> {
        let seeds = self.params.seeds;
        let mut t = ReportTable::new(
            "Accuracy, colour DPD and EOD (fractions, lower gaps are fairer), quality against the real test images, dCor²(latent, colour)",
            ["training set", "accuracy", "DPD", "EOD", "precision", "recall", "density", "coverage", "dCor²(z, s)"],
        );
        for r in &self.rows {
            t.row([
                r.method.clone(),
                r.accuracy.show(3, seeds),
                r.demographic_parity_difference.show(3, seeds),
                r.equalized_odds_difference.show(3, seeds),
                r.precision.show(3, seeds),
                r.recall.show(3, seeds),
                r.density.show(3, seeds),
                r.coverage.show(3, seeds),
                r.latent_dcor_sq.show(3, seeds),
            ]);
        }
        t.note(format!("{:.0} s of wall-clock time on {}.", self.seconds, crate::device::device_name()));
        t.note("Noise floor: none from sampling. The test set shows every test image in every colour, so a classifier that ignores colour scores DPD = EOD = 0 exactly (the `grey` row); any gap is the classifier's own colour dependence. The spread shown is over seeds.");
        for n in &self.notes {
            t.note(n.clone());
        }
        let mut tables = vec![t];
        tables.extend(ReportTable::conclusions(&self.conclusions));
        tables.extend(curves_table(&self.training));
        tables
    }

    fn svg(&self) -> Option<String> {
        let out: String = self.charts().into_iter().map(|(_, svg)| svg).collect();
        (!out.is_empty()).then_some(out)
    }
}

impl Fair4FreeImageReport {
    /// The report's charts as `(name, svg)`: `by-set` (accuracy and colour gaps per training
    /// set), `eod-acc` (accuracy against colour EOD) and the training curves (`training-<term>`).
    pub fn charts(&self) -> Vec<(String, String)> {
        let cats: Vec<String> = self.rows.iter().map(|r| r.method.clone()).collect();
        let bar = |name: &str, f: fn(&crate::studies::ImageMethodRow) -> &Stat| BarSeries {
            name: name.into(),
            values: self.rows.iter().map(|r| f(r).mean).collect(),
            intervals: self
                .rows
                .iter()
                .map(|r| match (f(r).mean, f(r).std) {
                    (Some(m), Some(sd)) if self.params.seeds > 1 => Some(((m - sd).max(0.0), m + sd)),
                    _ => None,
                })
                .collect(),
        };
        let series = vec![bar("accuracy", |r| &r.accuracy), bar("colour EOD", |r| &r.equalized_odds_difference), bar("colour DPD", |r| &r.demographic_parity_difference)];
        let bars = grouped_bar_chart_with("Accuracy and colour gaps by training set", if self.params.seeds > 1 { "A fair training set keeps the colour gaps near 0 at little cost in accuracy; whiskers: ± 1 std over seeds." } else { "A fair training set keeps the colour gaps near 0 at little cost in accuracy; one seed, no whiskers." }, "fraction", &cats, &series).ok();
        let mut out: Vec<(String, String)> = bars.into_iter().map(|s| ("by-set".to_string(), s)).collect();
        out.extend(self.tradeoff_svg().map(|s| ("eod-acc".to_string(), s)));
        out.extend(curves_charts(&self.training, &self.dataset));
        out
    }

    /// Accuracy against colour EOD per training set, the model trained on real images in its own
    /// series as the reference; ± 1 std over seeds.
    fn tradeoff_svg(&self) -> Option<String> {
        let seeds = self.params.seeds;
        let err = |s: &Stat| if seeds > 1 { s.std } else { None };
        let point = |r: &crate::studies::ImageMethodRow| {
            Some(ScatterPoint { x: r.equalized_odds_difference.mean?, y: r.accuracy.mean?, x_err: err(&r.equalized_odds_difference), y_err: err(&r.accuracy), label: Some(r.method.clone()) })
        };
        let series: Vec<ScatterSeries> = [
            ScatterSeries { name: "synthetic sets".into(), points: self.rows.iter().filter(|r| r.method != "real").filter_map(point).collect() },
            ScatterSeries { name: "real (reference)".into(), points: self.rows.iter().filter(|r| r.method == "real").filter_map(point).collect() },
        ]
        .into_iter()
        .filter(|s| !s.points.is_empty())
        .collect();
        let bars = if seeds > 1 { "bars ± 1 std over seeds" } else { "one seed, no bars" };
        scatter_chart(
            "Trade-off: accuracy against colour EOD",
            &format!("Upper left is better: accurate and colour-blind; {bars}."),
            "colour EOD (0 is fair)",
            "accuracy (test, every colour)",
            &series,
        )
        .ok()
    }
}

crate::impl_renderers!(Fair4FreeImageReport);
