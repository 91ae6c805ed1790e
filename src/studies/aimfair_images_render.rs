//! How the image AIM-Fair study looks: results ×100 with the seed spread, paired differences, the
//! k sweep, the tensors' Δ1 and Δ2, the data sets, computed conclusions, and three charts (EO
//! against ACC per strategy, the k sweep, Δ1 against Δ2 with the selection marked).

use crate::report::{curves_charts, curves_table, scatter_chart, Render, ReportTable, ScatterPoint, ScatterSeries};
use crate::studies::aimfair_images::AimFairImageReport;
use crate::studies::fair4free::Stat;

impl Render for AimFairImageReport {
    fn title(&self) -> String {
        let seeds = self.params.seeds;
        format!("AIM-Fair on images: {} / {} ({} seed{})", self.dataset, self.sensitive, seeds, if seeds == 1 { "" } else { "s" })
    }

    fn tables(&self) -> Vec<ReportTable> {
        let seeds = self.params.seeds;
        let spread = if seeds > 1 { "mean ± std over seeds" } else { "one seed: no spread" };
        let mut t = ReportTable::new(
            format!("Test results ×100 ({spread}); y = {}, s = colour ({} = 0, {} = 1)", self.target, self.s_values[0], self.s_values[1]),
            ["strategy", "ACC ↑", "EO ↓", "WST ↑", "STD ↓", "WST of mean cells ↑", "tensors trained"],
        );
        for r in &self.rows {
            t.row([
                r.method.clone(),
                r.accuracy.show(2, seeds),
                r.eo.show(2, seeds),
                r.wst.show(2, seeds),
                r.std.show(2, seeds),
                r.wst_of_mean_cells.map_or("n/a".to_string(), |w| format!("{w:.2}")),
                format!("{:.1} of {}", r.tensors_trained, self.n_tensors),
            ]);
        }
        t.note(self.paper.note.clone());
        for n in &self.notes {
            t.note(n.clone());
        }

        let c = ReportTable::conclusions(&self.conclusions);

        let mut d = ReportTable::new("Paired differences over seeds (×100; same seeds, same pre-trained model)", ["comparison", "metric", "difference", "95 % interval", "verdict"]);
        for p in &self.paired {
            d.row([
                p.comparison.clone(),
                p.metric.to_uppercase(),
                format!("{:+.2}", p.mean),
                p.interval.map_or("n/a (one seed)".to_string(), |(lo, hi)| format!("{lo:+.2} to {hi:+.2}")),
                p.verdict.clone(),
            ]);
        }

        let mut k = ReportTable::new(
            format!("k sweep: AIM-Fair with k of {} tensors ({} parameters)", self.n_tensors, self.n_parameters),
            ["k", "tensors selected", "share of parameters", "ACC ↑", "EO ↓", "WST ↑", "STD ↓"],
        );
        for r in &self.k_sweep {
            k.row([
                r.k.to_string(),
                format!("{:.1}", r.tensors_selected),
                format!("{:.1} %", 100.0 * r.parameter_share),
                r.accuracy.show(2, seeds),
                r.eo.show(2, seeds),
                r.wst.show(2, seeds),
                r.std.show(2, seeds),
            ]);
        }
        k.note("The paper's Figure 5 spans top-k 40 to 60 of ResNet-18's 62 tensors (about 64 to 96 % of the parameters) and finds 55 best.");

        let m = crate::studies::aimfair_render::tensor_table(&format!("Parameter tensors of the seed-0 pre-trained model: k = {}", self.top_k), &self.selected_tensors, seeds);

        let mut s = ReportTable::new(format!("Image sets (seed 0): images per (y, s) cell, s = 1 is {}", self.s_values[1]), ["set", "images", "y=0, s=0", "y=0, s=1", "y=1, s=0", "y=1, s=1"]);
        for set in &self.sets {
            let mut row = vec![set.name.clone(), set.rows.to_string()];
            row.extend(set.cells.iter().map(|c| c.to_string()));
            s.row(row);
        }
        s.note(format!("{:.0} s on this machine ({}).", self.seconds, crate::device::device_name()));
        let mut tables: Vec<ReportTable> = std::iter::once(t).chain(c).chain([d, k, m, s]).collect();
        tables.extend(curves_table(&self.training));
        tables
    }

    fn svg(&self) -> Option<String> {
        let out: String = self.charts().into_iter().map(|(_, svg)| svg).collect();
        (!out.is_empty()).then_some(out)
    }
}

impl AimFairImageReport {
    /// The report's charts as `(name, svg)`: `eo-acc` (EO against ACC per strategy), `k-sweep`
    /// (with more than one k), `deltas` (Δ1 against Δ2 per tensor, the selection marked).
    pub fn charts(&self) -> Vec<(String, String)> {
        let seeds = self.params.seeds;
        let err = |s: &Stat| if seeds > 1 { s.std } else { None };
        let strategies = ScatterSeries {
            name: "strategy".into(),
            points: self
                .rows
                .iter()
                .filter_map(|r| {
                    Some(ScatterPoint { x: r.accuracy.mean?, y: r.eo.mean?, x_err: err(&r.accuracy), y_err: err(&r.eo), label: Some(r.method.clone()) })
                })
                .collect(),
        };
        let bars = if seeds > 1 { "bars: ± one std over seeds" } else { "one seed: no error bars" };
        // Reference: predicting the test set's majority class for everyone (EO 0 by construction).
        let constant = self.sets.iter().find(|s| s.name.starts_with("test")).and_then(|t| {
            let total: usize = t.cells.iter().sum();
            let positives = t.cells[2] + t.cells[3];
            (total > 0).then(|| 100.0 * positives.max(total - positives) as f64 / total as f64)
        });
        let references = ScatterSeries {
            name: "reference".into(),
            points: constant.map(|acc| ScatterPoint { x: acc, y: 0.0, x_err: None, y_err: None, label: Some("constant majority".into()) }).into_iter().collect(),
        };
        let mut out = Vec::new();
        if let Ok(svg) = scatter_chart(
            "EO against ACC per strategy (×100)",
            &format!("Lower right is better: high accuracy, small colour gap; erm-real is the model trained on the real rows; {bars}."),
            "ACC (test, ×100)",
            "EO (×100)",
            &[strategies, references].into_iter().filter(|s| !s.points.is_empty()).collect::<Vec<_>>(),
        ) {
            out.push(("eo-acc".to_string(), svg));
        }
        if self.k_sweep.len() > 1 {
            let series = |name: &str, f: fn(&crate::studies::aimfair_images::KSweepRow) -> &Stat| ScatterSeries {
                name: name.into(),
                points: self
                    .k_sweep
                    .iter()
                    .filter_map(|r| Some(ScatterPoint { x: 100.0 * r.parameter_share, y: f(r).mean?, x_err: None, y_err: err(f(r)), label: Some(format!("k={}", r.k)) }))
                    .collect(),
            };
            if let Ok(svg) = scatter_chart(
                "k sweep: AIM-Fair's EO and WST against the share of parameters fine-tuned",
                &format!("Each point is one k; falling EO or rising WST with the share means more tensors help; {bars}."),
                "parameters selected (%)",
                "×100",
                &[series("EO", |r| &r.eo), series("WST", |r| &r.wst)],
            ) {
                out.push(("k-sweep".to_string(), svg));
            }
        }
        let point = |t: &crate::studies::SelectedTensor| {
            let (a, b) = (t.score.delta_domain, t.score.delta_bias);
            (a > 0.0 && b > 0.0).then(|| ScatterPoint { x: a.log10(), y: b.log10(), x_err: None, y_err: None, label: None })
        };
        let selected = ScatterSeries { name: "selected".into(), points: self.selected_tensors.iter().filter(|t| t.score.selected).filter_map(point).collect() };
        let frozen = ScatterSeries { name: "not selected".into(), points: self.selected_tensors.iter().filter(|t| !t.score.selected).filter_map(point).collect() };
        if let Ok(svg) = scatter_chart(
            &format!("Δ1 (domain) against Δ2 (bias) per tensor, seed 0, k = {}", self.top_k),
            "The mask wants tensors at the upper left: little sensitive to the real/synthetic gap, much to the bias.",
            "log10 Δ1 = mean|G_R − G_S1|",
            "log10 Δ2 = mean|G_S1 − G_S2|",
            &[selected, frozen],
        ) {
            out.push(("deltas".to_string(), svg));
        }
        out.extend(curves_charts(&self.training, &self.dataset));
        out
    }
}

crate::impl_renderers!(AimFairImageReport);
