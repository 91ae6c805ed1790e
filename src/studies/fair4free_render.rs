//! How the Fair4Free reproduction looks: the method table with differences beside ratios, the
//! paper's numbers in their own table (with whether each is the same quantity as ours), the beta
//! sweep over seeds, computed conclusions, and the fairness-utility frontier charts (accuracy
//! against DPD and against EOD over beta, with the real rows and the constant predictor as
//! reference points).

use crate::report::{curves_charts, curves_table, scatter_chart, Align, Render, ReportTable, ScatterPoint, ScatterSeries};
use crate::studies::fair4free::{Fair4FreeReport, MethodRow, Stat, SweepPoint, DPR_TARGET, EOR_TARGET};

fn paper(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |x| format!("{x}"))
}

impl Render for Fair4FreeReport {
    fn title(&self) -> String {
        format!(
            "Fair4Free reproduction: {} / {} ({})",
            self.dataset,
            self.sensitive.join(" x "),
            Stat::seeds_phrase(self.params.seeds)
        )
    }

    fn tables(&self) -> Vec<ReportTable> {
        let seeds = self.params.seeds;
        let mut t = ReportTable::new(
            "TSTR on the real test set (random forest) and synthetic quality",
            ["method", "accuracy", "F1", "recall", "DPD", "EOD", "DPR", "EOR", "density", "coverage", "F1 (majority +)", "recall (majority +)"],
        );
        for r in &self.rows {
            let cells: [&Stat; 11] = [
                &r.accuracy,
                &r.f1,
                &r.recall,
                &r.demographic_parity_difference,
                &r.equalized_odds_difference,
                &r.demographic_parity_ratio,
                &r.equalized_odds_ratio,
                &r.density,
                &r.coverage,
                &r.majority_class_f1,
                &r.majority_class_recall,
            ];
            let mut row = vec![r.method.clone()];
            row.extend(cells.iter().map(|s| s.show(3, seeds)));
            t.row(row);
        }
        t.note(format!(
            "mean ± std over {} ({}); DPD and EOD are fairlearn's demographic-parity and equalized-odds differences (0 is fair), DPR and EOR the ratios (1 is fair)",
            Stat::seeds_phrase(seeds),
            if seeds > 1 { "population std" } else { "one seed: no spread" }
        ));
        t.note(format!(
            "dCor^2(mu(x, s), s) on real test rows: {:.4} without the penalty, {:.4} with it",
            self.latent_dcor_sq_unfair, self.latent_dcor_sq_fair
        ));
        for n in &self.notes {
            t.note(n.clone());
        }
        let mut tables = vec![t];

        tables.extend(ReportTable::conclusions(&self.conclusions));

        if let Some(p) = self.paper_table() {
            tables.push(p);
        }

        if !self.sweep.is_empty() {
            let mut s = ReportTable::new(
                format!("Beta sweep (fair4free rows, {})", Stat::seeds_phrase(seeds)),
                ["β", "accuracy", "DPD", "EOD", "DPR", "EOR", "dCor^2(mu, s)", format!("DPR >= {DPR_TARGET} and EOR >= {EOR_TARGET}").as_str()],
            );
            for p in &self.sweep {
                s.row([
                    p.label(),
                    p.accuracy.show(3, seeds),
                    p.demographic_parity_difference.show(3, seeds),
                    p.equalized_odds_difference.show(3, seeds),
                    p.demographic_parity_ratio.show(3, seeds),
                    p.equalized_odds_ratio.show(3, seeds),
                    p.heldout_dcor_sq.show(4, seeds),
                    if p.meets_ratio_targets() { "yes" } else { "no" }.to_string(),
                ]);
            }
            s.note(format!(
                "every β trained with each of the {} (the study's β is the fair4free row, β = 0 the student of vae-unfair); the targets are judged on the means",
                Stat::seeds_phrase(seeds)
            ));
            tables.push(s);
        }
        tables.extend(curves_table(&self.training));
        tables
    }

    fn svg(&self) -> Option<String> {
        let out: String = self.charts().into_iter().map(|(_, svg)| svg).collect();
        (!out.is_empty()).then_some(out)
    }
}

impl Fair4FreeReport {
    /// The paper's numbers in a table of their own: for each, our value of the same quantity and
    /// whether it is the same definition and polarity (`None` when the paper gives none).
    fn paper_table(&self) -> Option<ReportTable> {
        let p = &self.paper;
        let f = self.row("fair4free")?;
        let seeds = self.params.seeds;
        let adult = self.dataset == "adult";
        // Flipping the positive class turns selection rates into 1 - selection rates, TPR into
        // TNR and FPR into FNR: the ratios change.
        let flipped = "not the same quantity: the authors' code takes y = 1 for <=50K (the majority class), and with the other positive class the ratios are of 1 - selection rate, TNR and FNR";
        let unknown = "the paper does not say which class is positive";
        let entries: [(&str, Option<f64>, &Stat, &str); 6] = [
            ("accuracy", p.accuracy, &f.accuracy, "same definition (independent of polarity)"),
            ("F1", p.f1, &f.majority_class_f1, if adult { "ours with the majority class as positive, the paper's likely polarity" } else { unknown }),
            ("recall", p.recall, &f.majority_class_recall, if adult { "ours with the majority class as positive, the paper's likely polarity" } else { unknown }),
            ("DPR", p.demographic_parity_ratio, &f.demographic_parity_ratio, if adult { flipped } else { unknown }),
            ("EOR", p.equalized_odds_ratio, &f.equalized_odds_ratio, if adult { flipped } else { unknown }),
            ("coverage", p.coverage, &f.coverage, "same definition (prdc, k = 5); our rows are subsampled"),
        ];
        let mut t = ReportTable::new("The paper's numbers (fair4free), beside ours only as a separate table", ["metric", "paper", "ours (fair4free)", "same quantity?"]);
        for (name, paper_value, ours, why) in entries {
            if paper_value.is_some() {
                t.row([name.to_string(), paper(paper_value), ours.show(3, seeds), why.to_string()]);
            }
        }
        if t.rows.is_empty() {
            return None;
        }
        t.align[3] = Align::Left;
        t.note(format!("paper numbers: {}", p.source));
        Some(t)
    }

    /// The report's charts as `(name, svg)`: `frontier-dpd` and `frontier-eod` (accuracy against
    /// DPD and against EOD: the beta sweep, and the real rows, the unfair VAE and the constant
    /// predictor as references), when the report has a sweep or at least the method rows.
    pub fn charts(&self) -> Vec<(String, String)> {
        let seeds = self.params.seeds;
        let err = |s: &Stat| if seeds > 1 { s.std } else { None };
        let bars = if seeds > 1 { "bars ± 1 std over seeds" } else { "one seed, no bars" };
        let mut out = Vec::new();
        for (name, label, gap) in [
            ("frontier-dpd", "DPD", (|r: &MethodRow| &r.demographic_parity_difference) as fn(&MethodRow) -> &Stat),
            ("frontier-eod", "EOD", |r: &MethodRow| &r.equalized_odds_difference),
        ] {
            let sweep_gap = |p: &SweepPoint| if label == "DPD" { p.demographic_parity_difference.clone() } else { p.equalized_odds_difference.clone() };
            let sweep = ScatterSeries {
                name: "fair4free over β".into(),
                points: self
                    .sweep
                    .iter()
                    .filter_map(|p| {
                        let g = sweep_gap(p);
                        Some(ScatterPoint {
                            x: g.mean?,
                            y: p.accuracy.mean?,
                            x_err: err(&g),
                            y_err: err(&p.accuracy),
                            label: Some(p.beta_log10.map_or("β=0".to_string(), |b| format!("{b}"))),
                        })
                    })
                    .collect(),
            };
            let references = ScatterSeries {
                name: "references".into(),
                points: self
                    .rows
                    .iter()
                    .filter(|r| r.method == "real" || r.method == "vae-unfair" || r.method == "fair4free" || r.method.starts_with("constant"))
                    .filter_map(|r| {
                        let short = if r.method.starts_with("constant") { "constant" } else { r.method.as_str() };
                        Some(ScatterPoint { x: gap(r).mean?, y: r.accuracy.mean?, x_err: err(gap(r)), y_err: err(&r.accuracy), label: Some(short.to_string()) })
                    })
                    .collect(),
            };
            let series: Vec<ScatterSeries> = [sweep, references].into_iter().filter(|s| !s.points.is_empty()).collect();
            if series.is_empty() {
                continue;
            }
            if let Ok(svg) = scatter_chart(
                &format!("Accuracy against {label} ({} / {})", self.dataset, self.sensitive.join(" x ")),
                &format!("Upper left is better; sweep points labelled log10 β; {bars}."),
                &format!("{label} (0 is fair)"),
                "accuracy (real test rows)",
                &series,
            ) {
                out.push((name.to_string(), svg));
            }
        }
        out.extend(curves_charts(&self.training, &format!("{} / {}", self.dataset, self.sensitive.join(" x "))));
        out
    }
}

crate::impl_renderers!(Fair4FreeReport);
