//! The distillation-temperature study on a tiny configuration: rows and JSON contract,
//! reproducibility, renderers, the paper's numbers, and bad parameters.

use fairdistill::studies::{paper_trifeature, reproduce_distillation, DistillationStudyParams};
use fairdistill::Error;

#[test]
fn tiny_study_rows_json_and_reproducibility() {
    let p = DistillationStudyParams::tiny();
    let mut epochs = 0;
    let r = reproduce_distillation(&p, "test", &mut |_| epochs += 1).unwrap();
    assert_eq!(epochs, p.total_epochs());
    let names: Vec<&str> = r.rows.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(names, ["teacher", "nds", "ds-t1", "ds-t4"]);
    for row in &r.rows {
        for s in [&row.accuracy, &row.demographic_parity_difference, &row.equalized_odds_difference, &row.individual_fairness] {
            let m = s.mean.unwrap_or_else(|| panic!("{}: undefined", row.method));
            assert!(m.is_finite() && m >= 0.0);
            assert_eq!(s.std, Some(0.0), "one seed");
        }
        assert!(row.accuracy.mean.unwrap() <= 100.0);
        // One seed: the test set's own noise, a bootstrap interval over its images.
        for ci in [row.equalized_odds_difference_ci, row.demographic_parity_difference_ci] {
            let (lo, hi) = ci.unwrap_or_else(|| panic!("{}: no bootstrap interval", row.method));
            assert!(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi, "{}: [{lo}, {hi}]", row.method);
        }
    }
    // (The tiny models predict one class: every gap and interval here is 0; the quick study of
    // notebook 04 shows intervals of positive width.)
    assert_eq!(r.row("ds-t4").unwrap().temperature, Some(4.0));
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    for key in ["command", "rows", "paper", "params", "notes"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert!(json["rows"][2]["equalized_odds_difference"]["mean"].is_number());
    // Same seeds, same numbers (the wall-clock time aside).
    let again = reproduce_distillation(&p, "test", &mut |_| {}).unwrap();
    assert_eq!(again.rows, r.rows);
    // Another seed count changes the students.
    let other = reproduce_distillation(&DistillationStudyParams { data_seed: 5, ..p }, "test", &mut |_| {}).unwrap();
    assert_ne!(other.rows, r.rows);

    let text = r.to_text();
    assert!(text.contains("NDS") && text.contains("92.61") && text.contains("90.33"), "paper beside ours: {text}");
    let html = r.to_html();
    assert!(html.contains("<svg") && html.contains("temperature"), "chart");
    assert!(html.contains("bootstrap intervals over the test images"), "one seed: the chart says what its bars are");
    assert!(r.to_markdown().contains("| DS | 4 |"));
}

#[test]
fn paper_numbers_are_table_2_and_table_4() {
    let p = paper_trifeature();
    assert_eq!(p.len(), 12);
    assert_eq!((p[0].method.as_str(), p[0].accuracy, p[0].demographic_parity_difference), ("teacher", 100.0, 3.64));
    assert_eq!((p[1].method.as_str(), p[1].equalized_odds_difference, p[1].individual_fairness), ("nds", 2.81, 0.0462));
    let t10 = &p[11];
    assert_eq!((t10.method.as_str(), t10.accuracy, t10.equalized_odds_difference, t10.demographic_parity_difference, t10.individual_fairness), ("ds-t10", 92.77, 1.01, 3.10, 0.0338));
}

#[test]
fn bad_study_params_are_errors() {
    let base = DistillationStudyParams::tiny();
    let cases: Vec<(DistillationStudyParams, &str)> = vec![
        (DistillationStudyParams { seeds: 0, ..base.clone() }, "seeds"),
        (DistillationStudyParams { temperatures: vec![], ..base.clone() }, "temperatures"),
        (DistillationStudyParams { temperatures: vec![1.0, -2.0], ..base.clone() }, "temperatures"),
        (DistillationStudyParams { teacher_depth: 10, ..base.clone() }, "teacher_depth"),
        (DistillationStudyParams { teacher_epochs: 0, ..base.clone() }, "teacher_epochs"),
        (DistillationStudyParams { image_size: 8, ..base.clone() }, "size"),
        (DistillationStudyParams { train_colour_bias: 2.0, ..base.clone() }, "colour_bias"),
        (DistillationStudyParams { fairness_pairs: 0, ..base.clone() }, "fairness_pairs"),
    ];
    for (p, name) in cases {
        match reproduce_distillation(&p, "test", &mut |_| {}) {
            Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {:?}", other.map(|r| r.rows)),
        }
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<fairdistill::studies::DistillationReport>();
    check::<DistillationStudyParams>();
    check::<fairdistill::methods::distill::DistillParams>();
    check::<fairdistill::data::Trifeature>();
    check::<fairdistill::data::TrifeatureParams>();
}
