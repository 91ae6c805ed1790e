//! The audit against golden values computed by fairlearn 0.15, AIF360 0.6.1 and numpy
//! (fixtures/golden/make_audit_golden.py; conventions in fixtures/README.md).

use fairdistill::audit::{multiclass_fairness, AuditParams, AuditReport, FairnessAudit, UndefinedPolicy, Value};
use ndarray::Array2;
use serde_json::Value as Json;

const TOL: f64 = 1e-9;

fn cases() -> Vec<Json> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/golden/audit_cases.json");
    let text = std::fs::read_to_string(path).expect("fixtures/golden/audit_cases.json");
    let v: Json = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn labels(v: &Json) -> Vec<u8> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u8).collect()
}

fn strings(v: &Json) -> Vec<Vec<String>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|col| col.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .collect()
}

fn matrix(v: &Json) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect();
    Array2::from_shape_vec((rows.len(), rows[0].len()), rows.concat()).unwrap()
}

fn group_name(v: &Json) -> String {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect::<Vec<_>>().join(", ")
}

/// A golden number (null = NaN in fairlearn) against our value.
fn check(case: &str, what: &str, golden: &Json, ours: &Value) {
    match (golden.as_f64(), ours) {
        (Some(g), Value::Defined(o)) => assert!((g - o).abs() <= TOL, "{case}: {what}: fairlearn {g}, ours {o}"),
        (None, Value::Undefined(_)) => {}
        (g, o) => panic!("{case}: {what}: golden {g:?}, ours {o:?}"),
    }
}

fn run(case: &Json, policy: UndefinedPolicy) -> AuditReport {
    let inputs = &case["inputs"];
    let y_true = labels(&inputs["y_true"]);
    let y_pred = labels(&inputs["y_pred"]);
    let sens = strings(&inputs["sensitive"]);
    let names: Vec<String> = case["sensitive_names"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect();
    let x = matrix(&inputs["features"]);
    let y_true: &'static [u8] = Box::leak(y_true.into_boxed_slice());
    let y_pred: &'static [u8] = Box::leak(y_pred.into_boxed_slice());
    let x: &'static Array2<f64> = Box::leak(Box::new(x));
    let mut audit = FairnessAudit::new(y_true, y_pred).params(AuditParams::default().n_boot(0).undefined(policy)).features(x.view());
    for (name, col) in names.iter().zip(sens) {
        let col: &'static [String] = Box::leak(col.into_boxed_slice());
        audit = audit.sensitive(name, col);
    }
    audit.run().unwrap()
}

#[test]
fn by_group_tables_match_fairlearn() {
    for case in cases().iter().filter(|c| c["kind"] == "binary") {
        let name = case["name"].as_str().unwrap();
        let r = run(case, UndefinedPolicy::Zero);
        let golden: Vec<&Json> = case["by_group"].as_array().unwrap().iter().filter(|g| !g["count"].is_null()).collect();
        assert_eq!(r.groups.len(), golden.len(), "{name}: group count");
        for (ours, g) in r.groups.iter().zip(golden) {
            assert_eq!(ours.group, group_name(&g["group"]), "{name}: group order");
            assert_eq!(ours.n, g["count"].as_u64().unwrap(), "{name}");
            for (key, v) in [
                ("selection_rate", &ours.selection_rate),
                ("true_positive_rate", &ours.tpr),
                ("false_positive_rate", &ours.fpr),
                ("true_negative_rate", &ours.tnr),
                ("false_negative_rate", &ours.fnr),
                ("accuracy_score", &ours.accuracy),
                ("precision_score", &ours.precision),
            ] {
                let gv = g[key].as_f64().unwrap();
                match v {
                    Value::Defined(o) => assert!((gv - o).abs() <= TOL, "{name} {}: {key}: fairlearn {gv}, ours {o}", ours.group),
                    // fairlearn writes 0 where the denominator is empty; we say why it is undefined.
                    Value::Undefined(reason) => {
                        assert_eq!(gv, 0.0, "{name} {}: {key}", ours.group);
                        let c = ours.confusion;
                        let empty = match key {
                            "true_positive_rate" | "false_negative_rate" => c.tp + c.fn_ == 0,
                            "false_positive_rate" | "true_negative_rate" => c.fp + c.tn == 0,
                            "precision_score" => c.tp + c.fp == 0,
                            _ => false,
                        };
                        assert!(empty, "{name}: {key} undefined ({reason}) but its denominator is not empty");
                    }
                }
            }
        }
        let o = &case["overall"];
        check(name, "overall selection", &o["selection_rate"], &r.overall.selection_rate);
        check(name, "overall accuracy", &o["accuracy_score"], &r.overall.accuracy);
    }
}

#[test]
fn derived_metrics_match_fairlearn_exactly_in_zero_mode() {
    let mut compared = 0;
    for case in cases().iter().filter(|c| c["kind"] == "binary") {
        let name = case["name"].as_str().unwrap();
        let r = run(case, UndefinedPolicy::Zero);
        for d in &r.derived {
            let method = serde_json::to_value(d.method.unwrap()).unwrap();
            let method = method.as_str().unwrap();
            let base = match d.name.as_str() {
                "equal_opportunity_difference" => "true_positive_rate_difference",
                other => other,
            };
            let key = match d.agg {
                Some(agg) => format!("{base}__{method}__{}", serde_json::to_value(agg).unwrap().as_str().unwrap()),
                None => format!("{base}__{method}"),
            };
            let golden = case["derived"].get(&key).unwrap_or_else(|| panic!("{name}: no golden {key}"));
            check(name, &key, golden, &d.value);
            compared += 1;
        }
    }
    assert!(compared >= 13 * 20, "{compared}");
}

#[test]
fn exclude_mode_agrees_where_every_rate_is_defined_and_refuses_to_guess_elsewhere() {
    for case in cases().iter().filter(|c| c["kind"] == "binary") {
        let name = case["name"].as_str().unwrap();
        let zero = run(case, UndefinedPolicy::Zero);
        let excl = run(case, UndefinedPolicy::Exclude);
        let all_defined = excl.groups.iter().all(|g| g.tpr.is_defined() && g.fpr.is_defined());
        if all_defined {
            for (a, b) in zero.derived.iter().zip(&excl.derived) {
                match b.value.get() {
                    Some(v) => assert_eq!(a.value.get(), Some(v), "{name}: {}", a.name),
                    // Only a 0/0 ratio part, which fairlearn's `mean` skips, may make Exclude
                    // undefined where fairlearn has a number.
                    None => assert!(
                        b.value.reason().unwrap().contains("0/0") || a.value.get().is_none(),
                        "{name}: {} undefined: {:?}",
                        a.name,
                        b.value
                    ),
                }
            }
        }
    }
    // Group C has no positives: its TPR is undefined, not 0, and the TPR difference is taken over
    // the groups that have positives.
    let case = cases().into_iter().find(|c| c["name"] == "no_positive_group_3g_n60").unwrap();
    let r = run(&case, UndefinedPolicy::Exclude);
    let c = r.groups.iter().find(|g| g.group == "C").unwrap();
    assert_eq!(c.tpr.to_string(), "n/a (no positives)");
    let defined: Vec<f64> = r.groups.iter().filter_map(|g| g.tpr.get()).collect();
    assert_eq!(defined.len(), 2);
    let expected = (defined[0] - defined[1]).abs();
    assert!((r.equal_opportunity_difference.get().unwrap() - expected).abs() < 1e-15);
}

#[test]
fn aim_fair_metrics_match_numpy() {
    for case in cases().iter().filter(|c| c["kind"] == "binary") {
        let name = case["name"].as_str().unwrap();
        let a = &case["aim_fair"];
        let r = run(case, UndefinedPolicy::Zero);
        check(name, "eo", &a["eo"], &r.eo_aimfair);
        check(name, "wst", &a["worst_group_accuracy"], &r.worst_group_accuracy);
        check(name, "std", &a["cell_accuracy_std"], &r.group_accuracy_std);
        let cells = a["cells"].as_array().unwrap();
        assert_eq!(cells.len(), r.cells.len(), "{name}");
        for (g, o) in cells.iter().zip(&r.cells) {
            assert_eq!(g["label"].as_u64().unwrap() as u32, o.label);
            assert_eq!(group_name(&g["group"]), o.group);
            assert_eq!(g["count"].as_u64().unwrap(), o.n);
            assert!((g["accuracy"].as_f64().unwrap() - o.accuracy).abs() <= TOL);
        }
        if a["worst_cell_tied"] == false {
            let w = r.worst_group.as_ref().unwrap();
            assert_eq!(group_name(&a["worst_cell"]["group"]), w.group, "{name}");
            assert_eq!(a["worst_cell"]["label"].as_u64().unwrap() as u32, w.label, "{name}");
        }
    }
}

#[test]
fn consistency_matches_aif360_on_standardised_features() {
    for case in cases().iter().filter(|c| c["kind"] == "binary") {
        let name = case["name"].as_str().unwrap();
        let r = run(case, UndefinedPolicy::Exclude);
        check(name, "consistency", &case["consistency"]["standardized_y_pred"], r.consistency.as_ref().unwrap());
    }
}

#[test]
fn multiclass_one_vs_rest_matches_fairlearn() {
    for case in cases().iter().filter(|c| c["kind"] == "multiclass") {
        let name = case["name"].as_str().unwrap();
        let inputs = &case["inputs"];
        let y_true: Vec<u32> = labels(&inputs["y_true"]).into_iter().map(u32::from).collect();
        let y_pred: Vec<u32> = labels(&inputs["y_pred"]).into_iter().map(u32::from).collect();
        let sens = strings(&inputs["sensitive"]);
        let cols: Vec<&[String]> = sens.iter().map(|c| c.as_slice()).collect();
        let r = multiclass_fairness(&y_true, &y_pred, &cols, UndefinedPolicy::Zero).unwrap();
        assert_eq!(r.n_classes as u64, case["n_classes"].as_u64().unwrap());
        let golden_classes = case["per_class"].as_array().unwrap();
        for (g, o) in golden_classes.iter().zip(&r.per_class) {
            check(name, "dpd", &g["demographic_parity_difference"], &o.demographic_parity_difference);
            check(name, "dpr", &g["demographic_parity_ratio"], &o.demographic_parity_ratio);
            check(name, "eod", &g["equalized_odds_difference"], &o.equalized_odds_difference);
            check(name, "eod mean", &g["equalized_odds_difference_mean"], &o.equalized_odds_difference_mean);
            check(name, "eor", &g["equalized_odds_ratio"], &o.equalized_odds_ratio);
        }
        let m = &case["mean_over_classes"];
        let o = &r.mean_over_classes;
        check(name, "mean dpd", &m["demographic_parity_difference"], &o.demographic_parity_difference);
        check(name, "mean eod", &m["equalized_odds_difference"], &o.equalized_odds_difference);
        check(name, "mean eor", &m["equalized_odds_ratio"], &o.equalized_odds_ratio);
        assert!((case["overall_accuracy"].as_f64().unwrap() - r.overall_accuracy).abs() <= TOL);
        for (g, o) in case["by_group_accuracy"].as_array().unwrap().iter().zip(&r.by_group_accuracy) {
            assert_eq!(group_name(&g["group"]), o.group);
            assert!((g["accuracy_score"].as_f64().unwrap() - o.accuracy).abs() <= TOL);
        }
        check(name, "wst", &case["aim_fair"]["worst_group_accuracy"], &r.cells.worst_group_accuracy);
        check(name, "std", &case["aim_fair"]["cell_accuracy_std"], &r.cells.group_accuracy_std);
    }
}
