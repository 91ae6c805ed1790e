//! Hand-worked audits, bad inputs, bootstrap reproducibility and renderers.

use fairdistill::audit::{AuditParams, FairnessAudit, UndefinedPolicy, Value};
use fairdistill::Error;
use ndarray::array;

/// Group a: TP 1, FN 1, FP 1, TN 1. Group b: TP 1, TN 2, FP 0, FN 0.
const Y: [u8; 7] = [1, 1, 0, 0, 1, 0, 0];
const P: [u8; 7] = [1, 0, 1, 0, 1, 0, 0];
const S: [&str; 7] = ["a", "a", "a", "a", "b", "b", "b"];

fn quick() -> AuditParams {
    AuditParams::default().n_boot(0)
}

#[test]
fn hand_worked_rates_and_disparities() {
    let r = FairnessAudit::new(&Y, &P).sensitive("s", &S).params(quick()).run().unwrap();
    let a = &r.groups[0];
    let b = &r.groups[1];
    assert_eq!((a.tpr.get(), a.fpr.get(), a.selection_rate.get()), (Some(0.5), Some(0.5), Some(0.5)));
    assert_eq!((b.tpr.get(), b.fpr.get()), (Some(1.0), Some(0.0)));
    assert!((b.selection_rate.get().unwrap() - 1.0 / 3.0).abs() < 1e-15);
    // DPD = 1/2 - 1/3; DPR = (1/3) / (1/2).
    assert!((r.demographic_parity_difference.get().unwrap() - 1.0 / 6.0).abs() < 1e-15);
    assert!((r.demographic_parity_ratio.get().unwrap() - 2.0 / 3.0).abs() < 1e-15);
    // EOD worst case = max(|0.5 - 1|, |0.5 - 0|) = 0.5; EOR worst = min(0.5/1, 0/0.5) = 0.
    assert_eq!(r.equalized_odds_difference.get(), Some(0.5));
    assert_eq!(r.equalized_odds_ratio.get(), Some(0.0));
    // AIM-Fair EO = (0.5 + 0.5) / 2; cells: (0,a) 0.5, (0,b) 1, (1,a) 0.5, (1,b) 1.
    assert_eq!(r.eo_aimfair.get(), Some(0.5));
    assert_eq!(r.worst_group_accuracy.get(), Some(0.5));
    let w = r.worst_group.as_ref().unwrap();
    assert_eq!((w.label, w.group.as_str()), (0, "a"));
    assert_eq!(r.group_accuracy_std.get(), Some(0.25));
}

#[test]
fn a_group_without_positives_is_explicit_everywhere() {
    let y = [1, 0, 1, 0, 0, 0];
    let p = [1, 0, 0, 0, 1, 0];
    let s = ["a", "a", "a", "b", "b", "b"];
    let r = FairnessAudit::new(&y, &p).sensitive("s", &s).params(quick()).run().unwrap();
    let b = &r.groups[1];
    assert_eq!(b.tpr, Value::Undefined("no positives".into()));
    assert_eq!(b.tpr.to_string(), "n/a (no positives)");
    // Only one group has a TPR: no TPR difference can be stated.
    assert!(!r.equal_opportunity_difference.is_defined());
    assert!(r.equal_opportunity_difference.reason().unwrap().contains("fewer than two groups"));
    let text = r.to_text();
    assert!(text.contains("n/a (no positives)"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert!(json["groups"][1]["tpr"].is_null());
    assert!(json["equal_opportunity_difference"].is_null());
    // fairlearn's convention on request: the TPR counts as 0.
    let z = FairnessAudit::new(&y, &p).sensitive("s", &s).params(quick().undefined(UndefinedPolicy::Zero)).run().unwrap();
    assert_eq!(z.equal_opportunity_difference.get(), Some(0.5));
}

#[test]
fn intersectional_groups_are_tuples() {
    let race = ["x", "y", "x", "y", "x", "y", "x"];
    let r = FairnessAudit::new(&Y, &P).sensitive("s", &S).sensitive("race", &race).params(quick()).run().unwrap();
    let names: Vec<&str> = r.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["a, x", "a, y", "b, x", "b, y"]);
    assert_eq!(r.sensitive, ["s", "race"]);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let err = FairnessAudit::new(&Y, &P[..6]).sensitive("s", &S).run().unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { expected: 7, got: 6, .. }), "{err}");
    let err = FairnessAudit::new(&[], &[]).sensitive("s", &S[..0]).run().unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    let err = FairnessAudit::new(&[0, 2, 1], &[0, 1, 1]).sensitive("s", &S[..3]).run().unwrap_err();
    assert_eq!(err.to_string(), "y_true must be 0 or 1, found 2 at index 1");
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &["a"; 7]).params(quick()).run().unwrap_err();
    assert!(err.to_string().contains("single group"), "{err}");
    let err = FairnessAudit::new(&Y, &P).run().unwrap_err();
    assert!(err.to_string().contains("sensitive"), "{err}");
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &S[..5]).run().unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { .. }), "{err}");
    let scores = [0.1, f64::NAN, 0.3, 0.4, 0.5, 0.6, 0.7];
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0]];
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &S).scores(&scores).features(x.view()).params(quick()).run().unwrap_err();
    assert_eq!(err.to_string(), "non-finite value in scores at index 1");
    let mut xi = x.clone();
    xi[[3, 0]] = f64::INFINITY;
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &S).features(xi.view()).params(quick()).run().unwrap_err();
    assert!(matches!(err, Error::NonFinite { index: 3, .. }), "{err}");
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &S).params(AuditParams::default().quantiles(0.9, 0.1)).run().unwrap_err();
    assert!(matches!(err, Error::InvalidParam { name: "quantiles", .. }), "{err}");
    let err = FairnessAudit::new(&Y, &P).sensitive("s", &S).features(x.view()).params(quick().consistency_k(8)).run().unwrap_err();
    assert!(err.to_string().contains("consistency_k"), "{err}");
}

#[test]
fn bootstrap_is_seeded_and_brackets_the_estimate() {
    let n = 600;
    let y: Vec<u8> = (0..n).map(|i| ((i * 7) % 3 == 0) as u8).collect();
    let p: Vec<u8> = (0..n).map(|i| ((i * 5) % 4 == 0) as u8).collect();
    let s: Vec<&str> = (0..n).map(|i| if i % 5 < 2 { "a" } else { "b" }).collect();
    let params = AuditParams::default().n_boot(100).seed(3);
    let r1 = FairnessAudit::new(&y, &p).sensitive("s", &s).params(params.clone()).run().unwrap();
    let r2 = FairnessAudit::new(&y, &p).sensitive("s", &s).params(params.clone()).run().unwrap();
    assert_eq!(r1, r2, "same seed, same intervals, bit for bit");
    let r3 = FairnessAudit::new(&y, &p).sensitive("s", &s).params(params.seed(4)).run().unwrap();
    assert_ne!(r1.derived[0].interval, r3.derived[0].interval);
    for d in &r1.derived {
        let (Some(v), Some(iv)) = (d.value.get(), d.interval.as_ref()) else { continue };
        assert!(iv.low <= iv.high, "{}", d.name);
        if d.name.ends_with("difference") {
            assert!(iv.low <= v + 0.05 && v - 0.05 <= iv.high, "{}: {v} outside {iv:?}", d.name);
        }
    }
    assert_eq!(r1.group_intervals.len(), 2);
    assert!(r1.group_intervals[0].selection_rate.is_some());
}

#[test]
fn renderers_show_the_same_numbers() {
    let r = FairnessAudit::new(&Y, &P).sensitive("s", &S).params(quick()).run().unwrap();
    let text = r.to_text();
    let md = r.to_markdown();
    let html = r.to_html();
    for s in [&text, &md, &html] {
        assert!(s.contains("0.1667"), "DPD 1/6 shown");
        assert!(s.contains("0.6667"), "DPR 2/3 shown");
    }
    assert!(md.contains("| group | n | base rate |"));
    assert!(html.contains("<table") && html.contains("<svg"), "HTML carries the chart");
    assert_eq!(format!("{r}"), text);
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    for key in [
        "n",
        "groups",
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equalized_odds_ratio",
        "equalized_odds_difference_mean",
        "equalized_odds_ratio_mean",
        "equal_opportunity_difference",
        "eo_aimfair",
        "worst_group_accuracy",
        "worst_group",
        "group_accuracy_std",
    ] {
        assert!(json.get(key).is_some(), "JSON key {key} missing");
    }
    assert!(json.get("consistency").is_none(), "no features, no consistency key");
    for key in ["group", "n", "selection_rate", "tpr", "fpr", "accuracy"] {
        assert!(json["groups"][0].get(key).is_some(), "group key {key}");
    }
}

#[test]
fn public_audit_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<fairdistill::audit::AuditReport>();
    check::<fairdistill::audit::MulticlassReport>();
    check::<fairdistill::audit::FairnessAudit<'static>>();
    check::<fairdistill::audit::QualityReport>();
}

#[test]
fn small_groups_are_flagged_and_group_rates_carry_their_intervals() {
    // Group b has 12 rows: flagged. With a bootstrap, every group's rates show their interval.
    let n = 200;
    let y_true: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
    let y_pred: Vec<u8> = (0..n).map(|i| (i % 3 == 0) as u8).collect();
    let s: Vec<&str> = (0..n).map(|i| if i < 12 { "b" } else { "a" }).collect();
    let report = FairnessAudit::new(&y_true, &y_pred).sensitive("s", &s).params(AuditParams::default().n_boot(50)).run().unwrap();
    let text = report.to_text();
    assert!(text.contains("groups under 30 rows") && text.contains("b (n = 12)"), "{text}");
    assert!(!text.contains("a (n = 188)"), "{text}");
    assert!(text.contains("Group rates with their 95% CI"), "{text}");
    // Confusion counts by group: group b (rows 0..12) has TP rows 3, 9; FP 0, 6; TN 2, 4, 8, 10;
    // FN 1, 5, 7, 11.
    assert!(text.contains("Confusion counts by group"), "{text}");
    let b = text.lines().find(|l| l.split_whitespace().next() == Some("b") && !l.contains('[') && l.split_whitespace().count() == 6).expect("b's counts");
    assert_eq!(b.split_whitespace().collect::<Vec<_>>(), ["b", "2", "2", "4", "4", "12"], "{b}");
    let line = text.lines().find(|l| l.trim_start().starts_with("a ") && l.contains('[')).expect("group a's rates with intervals");
    assert_eq!(line.matches('[').count(), 3, "{line}");
    // Without a bootstrap, no interval table.
    let plain = FairnessAudit::new(&y_true, &y_pred).sensitive("s", &s).params(AuditParams::default().n_boot(0)).run().unwrap();
    assert!(!plain.to_text().contains("Group rates with their"));
}

#[test]
fn scores_give_roc_curves_and_auc_by_group() {
    let y_true = [1, 0, 1, 0, 0, 1, 1, 0, 0, 1];
    let y_pred = [1, 1, 0, 0, 0, 1, 1, 0, 1, 0];
    let score = [0.9, 0.8, 0.4, 0.4, 0.1, 0.7, 0.6, 0.2, 0.65, 0.3];
    let s = ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"];
    let r = FairnessAudit::new(&y_true, &y_pred).sensitive("s", &s).scores(&score).params(quick()).run().unwrap();
    assert_eq!(r.roc.len(), 2);
    // Group a: positives 0.9, 0.4; negatives 0.8, 0.4, 0.1 -> pairs won 1 + 1 + 1 + 0.5 + 1 = 4.5
    // of 6. Group b: positives 0.7, 0.6, 0.3; negatives 0.2, 0.65 -> 2 + 1 + 1 = 4 of 6.
    assert_eq!(r.roc[0].auc.get(), Some(0.75));
    assert!((r.roc[1].auc.get().unwrap() - 4.0 / 6.0).abs() < 1e-15);
    assert_eq!(r.roc[0].points.first(), Some(&(0.0, 0.0)));
    assert_eq!(r.roc[0].points.last(), Some(&(1.0, 1.0)));
    let html = r.to_html();
    assert_eq!(html.matches("<svg").count(), 2, "rates and ROC charts");
    assert_eq!(r.group_chart().unwrap().0.matches("<svg").count(), 1, "--plot writes one chart");
    assert!(r.roc_chart().unwrap().0.contains("AUC 0.750"));
    assert!(r.to_text().contains("ROC AUC by group"));
    // Without scores, neither.
    let plain = FairnessAudit::new(&y_true, &y_pred).sensitive("s", &s).params(quick()).run().unwrap();
    assert!(plain.roc.is_empty() && plain.roc_chart().is_err() && plain.to_html().matches("<svg").count() == 1);
}
