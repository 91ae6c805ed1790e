//! How an evaluation looks: the utility-and-fairness table and a bar chart.

use crate::evaluate::protocol::{Evaluation, EvaluationRow};
use crate::report::{grouped_bar_chart, BarSeries, Render, ReportTable};

const METRICS: [(&str, fn(&EvaluationRow) -> &crate::audit::Value); 9] = [
    ("accuracy", |r| &r.accuracy),
    ("precision", |r| &r.precision),
    ("recall", |r| &r.recall),
    ("F1", |r| &r.f1),
    ("ROC AUC", |r| &r.roc_auc),
    ("DPR", |r| &r.demographic_parity_ratio),
    ("EOR", |r| &r.equalized_odds_ratio),
    ("DPD", |r| &r.demographic_parity_difference),
    ("EOD", |r| &r.equalized_odds_difference),
];

impl Render for Evaluation {
    fn title(&self) -> String {
        format!(
            "Random forest, trained on each source, tested on {} real {} rows (sensitive {})",
            self.n_test,
            self.dataset,
            self.sensitive.join(" x ")
        )
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut cols = vec!["source", "n train"];
        cols.extend(METRICS.iter().map(|(n, _)| *n));
        let mut t = ReportTable::new("Utility and fairness", cols);
        for r in &self.rows {
            let mut cells = vec![r.source.clone(), r.n_train.to_string()];
            cells.extend(METRICS.iter().map(|(_, f)| f(r).format(4)));
            t.row(cells);
        }
        t.note(format!(
            "{} trees, seed {}; DPR/EOR: ideal 1, DPD/EOD: ideal 0 (between groups, worst case)",
            self.params.forest.n_trees, self.params.forest.seed
        ));
        t.note(format!(
            "missing values: {} of {} rows dropped, {} cells imputed",
            self.missing.rows_dropped, self.missing.rows_read, self.missing.cells_imputed
        ));
        vec![t]
    }

    fn svg(&self) -> Option<String> {
        let shown = [0usize, 3, 2, 5, 6];
        let categories: Vec<String> = shown.iter().map(|&i| METRICS[i].0.to_string()).collect();
        let series: Vec<BarSeries> = self
            .rows
            .iter()
            .map(|r| BarSeries {
                name: r.source.clone(),
                values: shown.iter().map(|&i| METRICS[i].1(r).get()).collect(),
                intervals: vec![None; shown.len()],
            })
            .collect();
        grouped_bar_chart("Utility and fairness by training source", "One bar per training source: compare each synthetic source with the real rows, metric by metric.", &categories, &series).ok()
    }
}

crate::impl_renderers!(Evaluation);

impl Evaluation {
    /// Bar chart of accuracy, F1, recall, DPR and EOR by training source.
    pub fn chart(&self) -> crate::Result<crate::report::Svg> {
        self.svg().map(crate::report::Svg).ok_or_else(|| crate::Error::Empty { what: "no rows to chart".into() })
    }
}
