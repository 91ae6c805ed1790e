//! How the AIM-Fair study looks: results ×100, the selected tensors, the data sets, a chart of
//! accuracy and worst-group accuracy per method, and the fairness-utility trade-off (EO against
//! ACC per strategy, the constant predictor and the model trained on unbiased real rows as
//! reference points).

use crate::report::{curves_charts, curves_table, scatter_chart, BarSeries, Render, ReportTable, ScatterPoint, ScatterSeries};
use crate::studies::aimfair::AimFairReport;
use crate::studies::fair4free::Stat;

impl Render for AimFairReport {
    fn title(&self) -> String {
        format!("AIM-Fair study: {} / {} ({})", self.dataset, self.sensitive, Stat::seeds_phrase(self.params.seeds))
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut t = ReportTable::new(
            "Test results ×100 (mean ± std over seeds)",
            ["method", "ACC ↑", "EO ↓", "WST ↑", "STD ↓", "WST of mean cells ↑", "ACC balanced test ↑", "tensors trained"],
        );
        for r in &self.rows {
            t.row([
                r.method.clone(),
                r.accuracy.show(2, self.params.seeds),
                r.eo.show(2, self.params.seeds),
                r.wst.show(2, self.params.seeds),
                r.std.show(2, self.params.seeds),
                r.wst_of_mean_cells.map_or("n/a".to_string(), |w| format!("{w:.2}")),
                r.balanced_accuracy.show(2, self.params.seeds),
                format!("{:.1}", r.tensors_trained),
            ]);
        }
        let tp = &self.paper.unverified_third_party;
        t.row([
            "context only: AIM-Fair on UTKFace (unverified third party)".to_string(),
            format!("{:.2}", tp.accuracy),
            format!("{:.2}", tp.eo),
            format!("{:.2}", tp.wst),
            format!("{:.2}", tp.std),
            "—".into(),
            "—".into(),
            "—".into(),
        ]);
        t.note(self.paper.note.clone());
        t.note(format!("Last row: {}; {}. Images, not Adult: not comparable.", tp.source, tp.dataset));
        for n in &self.notes {
            t.note(n.clone());
        }

        let m = tensor_table(&format!("Parameter tensors of the seed-0 classifier: k = {}", self.top_k), &self.selected_tensors, self.params.seeds);

        let mut d = ReportTable::new(
            format!("Data sets (seed 0): rows per (y, s) cell, s = 1 is `{}`", self.s_values[1]),
            ["set", "rows", "y=0, s=0", "y=0, s=1", "y=1, s=0", "y=1, s=1"],
        );
        for s in &self.sets {
            let mut row = vec![s.name.clone(), s.rows.to_string()];
            row.extend(s.cells.iter().map(|c| c.to_string()));
            d.row(row);
        }
        let mut tables = vec![t];
        tables.extend(ReportTable::conclusions(&self.conclusions));
        tables.extend([m, d]);
        tables.extend(curves_table(&self.training));
        tables
    }

    fn svg(&self) -> Option<String> {
        let out: String = self.charts().into_iter().map(|(_, svg)| svg).collect();
        (!out.is_empty()).then_some(out)
    }
}

impl AimFairReport {
    /// The report's charts as `(name, svg)`: `acc-wst` (accuracy and worst-group accuracy per
    /// method), `eo-acc` (EO against ACC) and the training curves (`training-<term>`).
    pub fn charts(&self) -> Vec<(String, String)> {
        let categories: Vec<String> = self.rows.iter().map(|r| r.method.clone()).collect();
        let series = |name: &str, f: fn(&crate::studies::aimfair::AimFairRow) -> &Stat| BarSeries {
            name: name.into(),
            values: self.rows.iter().map(|r| f(r).mean.map(|m| m / 100.0)).collect(),
            intervals: self
                .rows
                .iter()
                .map(|r| match (f(r).mean, f(r).std) {
                    (Some(m), Some(s)) if self.params.seeds > 1 => Some(((m - s) / 100.0, (m + s) / 100.0)),
                    _ => None,
                })
                .collect(),
        };
        let bars = crate::report::grouped_bar_chart_with(
            "AIM-Fair study: accuracy and worst-group accuracy",
            if self.params.seeds > 1 { "Higher is better for both; WST close to ACC leaves no group behind; whiskers: ± 1 std over seeds." } else { "Higher is better for both; WST close to ACC leaves no group behind; one seed, no whiskers." },
            "accuracy",
            &categories,
            &[series("ACC", |r| &r.accuracy), series("WST", |r| &r.wst)],
        )
        .ok();
        let mut out: Vec<(String, String)> = bars.into_iter().map(|s| ("acc-wst".to_string(), s)).collect();
        out.extend(self.tradeoff_svg().map(|s| ("eo-acc".to_string(), s)));
        out.extend(curves_charts(&self.training, &format!("{} / {}", self.dataset, self.sensitive)));
        out
    }

    /// EO against ACC: the strategies, and the reference rows (`(reference)` in their name) in a
    /// series of their own; ± 1 std over seeds.
    fn tradeoff_svg(&self) -> Option<String> {
        let seeds = self.params.seeds;
        let err = |s: &Stat| if seeds > 1 { s.std } else { None };
        let point = |r: &crate::studies::aimfair::AimFairRow| {
            Some(ScatterPoint {
                x: r.accuracy.mean?,
                y: r.eo.mean?,
                x_err: err(&r.accuracy),
                y_err: err(&r.eo),
                label: Some(r.method.trim_end_matches(" (reference)").to_string()),
            })
        };
        let strategies = ScatterSeries { name: "strategy".into(), points: self.rows.iter().filter(|r| !r.method.contains("(reference)")).filter_map(point).collect() };
        let references = ScatterSeries { name: "reference".into(), points: self.rows.iter().filter(|r| r.method.contains("(reference)")).filter_map(point).collect() };
        let bars = if seeds > 1 { "bars ± 1 std over seeds" } else { "one seed, no bars" };
        scatter_chart(
            "Trade-off: EO against ACC (×100)",
            &format!("Lower right is better: accurate with a small gap; {bars}."),
            "ACC (test, ×100)",
            "EO (×100, 0 is fair)",
            &[strategies, references].into_iter().filter(|s| !s.points.is_empty()).collect::<Vec<_>>(),
        )
        .ok()
    }
}

crate::impl_renderers!(AimFairReport);

/// The table of every parameter tensor's Δ1, Δ2, ranks and selection (both AIM-Fair studies).
pub(crate) fn tensor_table(title: &str, tensors: &[crate::studies::SelectedTensor], seeds: usize) -> ReportTable {
    let mut m = ReportTable::new(title, ["tensor", "scalars", "Δ1 domain", "rank Δ1 (1 = smallest)", "Δ2 bias", "rank Δ2 (1 = largest)", "selected", "selected in seeds"]);
    for s in tensors {
        m.row([
            s.score.name.clone(),
            s.score.size.to_string(),
            format!("{:.3e}", s.score.delta_domain),
            s.rank_domain.to_string(),
            format!("{:.3e}", s.score.delta_bias),
            s.rank_bias.to_string(),
            if s.score.selected { "yes".to_string() } else { "no".to_string() },
            format!("{}/{seeds}", s.selected_in_seeds),
        ]);
    }
    m.note("Δ1 = mean|G_R − G_S1| (domain sensitivity), Δ2 = mean|G_S1 − G_S2| (bias sensitivity), G = the tensor's mean gradient over batches; selected = (k smallest Δ1) ∩ (k largest Δ2), ties to the earlier tensor.");
    m
}
