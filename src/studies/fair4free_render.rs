//! How the Fair4Free reproduction looks.

use crate::report::{Render, ReportTable};
use crate::studies::fair4free::{Fair4FreeReport, Stat};

fn paper(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |x| format!("{x:.2}"))
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
        let mut t = ReportTable::new(
            "TSTR on the real test set (random forest) and synthetic quality",
            ["method", "accuracy", "F1", "recall", "DPR", "EOR", "density", "coverage", "F1 (majority +)", "recall (majority +)"],
        );
        for r in &self.rows {
            let cells: [&Stat; 9] = [
                &r.accuracy,
                &r.f1,
                &r.recall,
                &r.demographic_parity_ratio,
                &r.equalized_odds_ratio,
                &r.density,
                &r.coverage,
                &r.majority_class_f1,
                &r.majority_class_recall,
            ];
            let mut row = vec![r.method.clone()];
            row.extend(cells.iter().map(|s| s.show(3, self.params.seeds)));
            t.row(row);
        }
        let p = &self.paper;
        t.row([
            "paper: fair4free".to_string(),
            paper(p.accuracy),
            paper(p.f1),
            paper(p.recall),
            paper(p.demographic_parity_ratio),
            paper(p.equalized_odds_ratio),
            "—".into(),
            paper(p.coverage),
            "—".into(),
            "—".into(),
        ]);
        t.note(format!("paper numbers: {}", p.source));
        t.note(format!(
            "dCor^2(mu(x, s), s) on real test rows: {:.4} without the penalty, {:.4} with it",
            self.latent_dcor_sq_unfair, self.latent_dcor_sq_fair
        ));
        for n in &self.notes {
            t.note(n.clone());
        }
        let mut tables = vec![t];
        if !self.sweep.is_empty() {
            let mut s = ReportTable::new("Beta sweep (fair4free rows, seed 0)", ["log10 beta", "accuracy", "DPR", "EOR", "dCor^2(mu, s)"]);
            for p in &self.sweep {
                s.row([
                    p.beta_log10.map_or("beta = 0".to_string(), |b| format!("{b}")),
                    p.accuracy.format(3),
                    p.demographic_parity_ratio.format(3),
                    p.equalized_odds_ratio.format(3),
                    format!("{:.4}", p.heldout_dcor_sq),
                ]);
            }
            tables.push(s);
        }
        tables
    }

    fn svg(&self) -> Option<String> {
        if self.sweep.is_empty() {
            return None;
        }
        let categories: Vec<String> =
            self.sweep.iter().map(|p| p.beta_log10.map_or("β=0".to_string(), |b| format!("log β={b}"))).collect();
        let series = vec![
            crate::report::BarSeries {
                name: "accuracy".into(),
                values: self.sweep.iter().map(|p| p.accuracy.get()).collect(),
                intervals: vec![None; self.sweep.len()],
            },
            crate::report::BarSeries {
                name: "DPR".into(),
                values: self.sweep.iter().map(|p| p.demographic_parity_ratio.get()).collect(),
                intervals: vec![None; self.sweep.len()],
            },
            crate::report::BarSeries {
                name: "EOR".into(),
                values: self.sweep.iter().map(|p| p.equalized_odds_ratio.get()).collect(),
                intervals: vec![None; self.sweep.len()],
            },
        ];
        crate::report::grouped_bar_chart("Beta sweep: fairness and utility of fair4free", &categories, &series).ok()
    }
}

crate::impl_renderers!(Fair4FreeReport);
