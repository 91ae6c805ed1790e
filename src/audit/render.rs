//! How audit results look: tables and the group chart, rendered by `crate::report`.

use crate::audit::derived::{Agg, Method};
use crate::audit::frame::AuditReport;
use crate::audit::multiclass::MulticlassReport;
use crate::audit::value::{Interval, Value};
use crate::report::{grouped_bar_chart, line_chart, BarSeries, LineSeries, Render, ReportTable};

/// Groups with fewer rows are flagged under the group table: one row moves their rates by
/// more than 3 points.
pub const SMALL_GROUP_ROWS: u64 = 30;

fn interval_text(iv: &Option<Interval>, q: (f64, f64)) -> String {
    match iv {
        Some(iv) => format!("[{:.4}, {:.4}]", iv.low, iv.high),
        None if q.0 >= 0.0 => "-".into(),
        None => String::new(),
    }
}

fn method_text(m: Option<Method>) -> &'static str {
    match m {
        Some(Method::BetweenGroups) => "between groups",
        Some(Method::ToOverall) => "to overall",
        None => "",
    }
}

fn agg_text(a: Option<Agg>) -> &'static str {
    match a {
        Some(Agg::WorstCase) => "worst case",
        Some(Agg::Mean) => "mean",
        None => "",
    }
}

impl Render for AuditReport {
    fn title(&self) -> String {
        format!("Fairness audit: {} rows, sensitive {}", self.n, self.sensitive.join(" x "))
    }

    fn tables(&self) -> Vec<ReportTable> {
        let q = self.params.quantiles;
        let ci = format!("{:.0}% CI", (q.1 - q.0) * 100.0);
        let mut by_group = ReportTable::new(
            "By group",
            ["group", "n", "base rate", "selection", "TPR", "FPR", "TNR", "FNR", "accuracy", "precision"],
        );
        for g in self.groups.iter().chain(std::iter::once(&self.overall)) {
            let mut cells = vec![g.group.clone(), g.n.to_string()];
            cells.extend(
                [&g.base_rate, &g.selection_rate, &g.tpr, &g.fpr, &g.tnr, &g.fnr, &g.accuracy, &g.precision]
                    .iter()
                    .map(|v| v.format(4)),
            );
            by_group.row(cells);
        }
        if self.groups.iter().any(|g| !g.tpr.is_defined() || !g.fpr.is_defined()) {
            by_group.note(format!(
                "undefined rates are {} in the disparities (policy `{}`)",
                match self.params.undefined {
                    crate::audit::UndefinedPolicy::Exclude => "left out",
                    crate::audit::UndefinedPolicy::Zero => "counted as 0, as fairlearn does",
                },
                serde_json::to_value(self.params.undefined).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            ));
        }

        let mut disparities = ReportTable::new("Disparities", ["metric", "method", "agg", "value", ci.as_str(), "ideal"]);
        for d in &self.derived {
            disparities.row([
                d.name.clone(),
                method_text(d.method).into(),
                agg_text(d.agg).into(),
                d.value.format(4),
                interval_text(&d.interval, q),
                format!("{}", d.ideal),
            ]);
        }
        if self.params.n_boot > 0 {
            disparities.note(format!(
                "{} bootstrap resamples, seed {}, quantiles {} and {}",
                self.params.n_boot, self.params.seed, q.0, q.1
            ));
        }

        let mut aim = ReportTable::new("AIM-Fair (label x group cells)", ["label", "group", "n", "accuracy"]);
        for c in &self.cells {
            aim.row([c.label.to_string(), c.group.clone(), c.n.to_string(), format!("{:.4}", c.accuracy)]);
        }
        aim.align[0] = crate::report::Align::Right;
        aim.align[1] = crate::report::Align::Left;
        if let Some(w) = &self.worst_group {
            aim.note(format!(
                "worst-group accuracy (WST) {} at label {}, group {}  {}",
                self.worst_group_accuracy.format(4),
                w.label,
                w.group,
                interval_text(&self.worst_group_accuracy_interval, q)
            ));
        }
        aim.note(format!(
            "EO = (|dTPR| + |dFPR|) / 2 = {}  {};  STD of cell accuracies = {}",
            self.eo_aimfair.format(4),
            interval_text(&self.eo_aimfair_interval, q),
            self.group_accuracy_std.format(4)
        ));
        let small: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.n < SMALL_GROUP_ROWS)
            .map(|g| format!("{} (n = {})", g.group, g.n))
            .collect();
        if !small.is_empty() {
            by_group.note(format!(
                "groups under {SMALL_GROUP_ROWS} rows, whose rates can move by large amounts with one row: {}",
                small.join(", ")
            ));
        }
        let mut confusion = ReportTable::new("Confusion counts by group", ["group", "TP", "FP", "TN", "FN", "n"]);
        for g in self.groups.iter().chain(std::iter::once(&self.overall)) {
            let c = &g.confusion;
            confusion.row([g.group.clone(), c.tp.to_string(), c.fp.to_string(), c.tn.to_string(), c.fn_.to_string(), g.n.to_string()]);
        }
        let mut tables = vec![by_group, confusion];
        if !self.group_intervals.is_empty() {
            let mut rates = ReportTable::new(format!("Group rates with their {ci} (bootstrap over rows)"), ["group", "n", "selection", "TPR", "FPR"]);
            for g in &self.groups {
                let Some(iv) = self.group_intervals.iter().find(|i| i.group == g.group) else { continue };
                let cell = |v: &Value, i: &Option<Interval>| match (v.get(), i) {
                    (Some(x), Some(i)) => format!("{x:.4} [{:.4}, {:.4}]", i.low, i.high),
                    _ => v.format(4),
                };
                rates.row([
                    g.group.clone(),
                    g.n.to_string(),
                    cell(&g.selection_rate, &iv.selection_rate),
                    cell(&g.tpr, &iv.tpr),
                    cell(&g.fpr, &iv.fpr),
                ]);
            }
            tables.push(rates);
        }
        tables.extend([disparities, aim]);
        if !self.roc.is_empty() {
            let mut roc = ReportTable::new("ROC AUC by group (from the scores)", ["group", "AUC"]);
            for r in &self.roc {
                roc.row([r.group.clone(), r.auc.format(4)]);
            }
            tables.push(roc);
        }

        if self.consistency.is_some() || self.lipschitz.is_some() {
            let mut ind = ReportTable::new("Individual fairness", ["measure", "value", "ideal", "detail"]);
            if let Some(c) = &self.consistency {
                ind.row([
                    "consistency".to_string(),
                    c.format(4),
                    "1".into(),
                    format!("k = {} (self included), standardised features", self.params.consistency_k),
                ]);
            }
            if let Some(l) = &self.lipschitz {
                ind.row([
                    "lipschitz individual unfairness".to_string(),
                    l.value.format(4),
                    "0".into(),
                    format!("{} pairs, {} at distance 0 left out", l.pairs, l.zero_distance_pairs),
                ]);
            }
            tables.push(ind);
        }
        tables.extend(ReportTable::conclusions(&self.conclusions()));
        tables
    }

    /// The rates chart, then (with scores) the ROC curves by group.
    fn svg(&self) -> Option<String> {
        let rates = self.rates_svg()?;
        Some(match self.roc_svg() {
            Some(roc) => format!("{rates}\n{roc}"),
            None => rates,
        })
    }
}

crate::impl_renderers!(AuditReport);

impl AuditReport {
    /// The per-group bar chart (selection rate, TPR, FPR, with bootstrap error bars).
    pub fn group_chart(&self) -> crate::Result<crate::report::Svg> {
        self.rates_svg().map(crate::report::Svg).ok_or_else(|| crate::Error::Empty { what: "no groups to chart".into() })
    }

    /// ROC curves by group (when scores were given), with the chance diagonal.
    pub fn roc_chart(&self) -> crate::Result<crate::report::Svg> {
        self.roc_svg().map(crate::report::Svg).ok_or_else(|| crate::Error::Empty { what: "no scores: no ROC curves".into() })
    }

    fn roc_svg(&self) -> Option<String> {
        let drawn: Vec<&crate::audit::GroupRoc> = self.roc.iter().filter(|r| !r.points.is_empty()).collect();
        if drawn.is_empty() {
            return None;
        }
        let mut series: Vec<LineSeries> = drawn
            .iter()
            .enumerate()
            .map(|(i, r)| LineSeries {
                name: format!("{} (AUC {})", r.group, r.auc.format(3)),
                points: r.points.clone(),
                dashed: false,
                colour: i,
                y_err: vec![],
            })
            .collect();
        series.push(LineSeries { name: "chance".into(), points: vec![(0.0, 0.0), (1.0, 1.0)], dashed: true, colour: 6, y_err: vec![] });
        line_chart("ROC curves by group", "Higher curves rank positives first; curves apart mean the score serves the groups differently.", "false-positive rate", "true-positive rate", &series).ok()
    }

    fn rates_svg(&self) -> Option<String> {
        let categories: Vec<String> = self.groups.iter().map(|g| g.group.clone()).collect();
        let iv = |f: fn(&crate::audit::GroupIntervals) -> &Option<Interval>| -> Vec<Option<(f64, f64)>> {
            self.groups
                .iter()
                .map(|g| {
                    self.group_intervals
                        .iter()
                        .find(|i| i.group == g.group)
                        .and_then(|i| f(i).as_ref().map(|x| (x.low, x.high)))
                })
                .collect()
        };
        let series = vec![
            BarSeries {
                name: "selection rate".into(),
                values: self.groups.iter().map(|g| g.selection_rate.get()).collect(),
                intervals: iv(|i| &i.selection_rate),
            },
            BarSeries {
                name: "TPR".into(),
                values: self.groups.iter().map(|g| g.tpr.get()).collect(),
                intervals: iv(|i| &i.tpr),
            },
            BarSeries {
                name: "FPR".into(),
                values: self.groups.iter().map(|g| g.fpr.get()).collect(),
                intervals: iv(|i| &i.fpr),
            },
        ];
        grouped_bar_chart("Rates by group", "Bars of one colour at unequal heights are the gaps between groups; whiskers: bootstrap 95 % intervals where computed.", &categories, &series).ok()
    }
}

impl Render for MulticlassReport {
    fn title(&self) -> String {
        format!("Multiclass fairness audit: {} rows, {} classes", self.n, self.n_classes)
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut t = ReportTable::new("One-vs-rest disparities (between groups)", ["class", "DPD", "DPR", "EOD", "EOD (mean)", "EOR"]);
        for d in self.per_class.iter().chain(std::iter::once(&self.mean_over_classes)) {
            let v: [&Value; 5] = [
                &d.demographic_parity_difference,
                &d.demographic_parity_ratio,
                &d.equalized_odds_difference,
                &d.equalized_odds_difference_mean,
                &d.equalized_odds_ratio,
            ];
            let mut cells = vec![d.class.map_or("mean".to_string(), |c| c.to_string())];
            cells.extend(v.iter().map(|x| x.format(4)));
            t.row(cells);
        }
        let mut g = ReportTable::new("Accuracy by group", ["group", "n", "accuracy"]);
        for a in &self.by_group_accuracy {
            g.row([a.group.clone(), a.n.to_string(), format!("{:.4}", a.accuracy)]);
        }
        g.row(["all".to_string(), self.n.to_string(), format!("{:.4}", self.overall_accuracy)]);
        if let Some(w) = &self.cells.worst_cell {
            g.note(format!(
                "worst (label, group) cell: label {}, group {}: {:.4}; STD of cell accuracies {}",
                w.label,
                w.group,
                w.accuracy,
                self.cells.group_accuracy_std.format(4)
            ));
        }
        vec![t, g]
    }
}

crate::impl_renderers!(MulticlassReport);

impl Render for crate::audit::QualityReport {
    fn title(&self) -> String {
        format!("Synthetic-data quality: {} real x {} synthetic rows, k = {}", self.n_real, self.n_synthetic, self.k)
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut t = ReportTable::new("Precision, recall, density, coverage (Naeem et al. 2020)", ["measure", "value", "ideal", "meaning"]);
        t.row(["precision".to_string(), format!("{:.4}", self.precision), "1".into(), "synthetic rows inside the real manifold".into()]);
        t.row(["recall".to_string(), format!("{:.4}", self.recall), "1".into(), "real rows inside the synthetic manifold".into()]);
        t.row(["density".to_string(), format!("{:.4}", self.density), "1".into(), "real neighbourhoods around a synthetic row, / k (can exceed 1)".into()]);
        t.row(["coverage".to_string(), format!("{:.4}", self.coverage), "1".into(), "real rows with a synthetic row among their k neighbours".into()]);
        t.align[3] = crate::report::Align::Left;
        for (set, share) in [("real", self.zero_radius_real), ("synthetic", self.zero_radius_synthetic)] {
            if share > 0.05 {
                t.note(format!(
                    "Warning: {:.1} % of the {set} rows have a k-NN radius of 0 (k or more duplicates). Their balls hold nothing, so the measures above are pulled towards 0 by the duplicates, not by the synthetic data: deduplicate, or use a larger k.",
                    100.0 * share
                ));
            }
        }
        vec![t]
    }
}

crate::impl_renderers!(crate::audit::QualityReport);
