//! The distillation-temperature study on a tiny configuration: rows and JSON contract,
//! reproducibility, renderers, the paper's numbers, and bad parameters.

use fairdistill::report::Render;
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
    let other = reproduce_distillation(&DistillationStudyParams { data_seed: 5, ..p.clone() }, "test", &mut |_| {}).unwrap();
    assert_ne!(other.rows, r.rows);

    let text = r.to_text();
    // The paper's value of each model stands in that model's row (read from the paper table, not
    // asserted here).
    let table = &r.tables()[0];
    assert_eq!(table.rows.len(), r.rows.len());
    for (row, cells) in r.rows.iter().zip(&table.rows) {
        let paper = r.paper_row(&row.method).unwrap_or_else(|| panic!("{}: no paper row", row.method));
        assert_eq!(cells[3], format!("{:.2}", paper.accuracy), "{}: the paper's accuracy beside ours", row.method);
        assert_eq!(cells[5], format!("{:.2}", paper.equalized_odds_difference), "{}: the paper's EOD beside ours", row.method);
    }
    assert!(text.contains("NDS"));
    // Every model's loss terms per epoch: the teacher and the NDS one cross-entropy, a distilled
    // student its hard and soft terms; as many epochs as it trained.
    let terms: Vec<(&str, &str, usize)> = r.training.iter().map(|c| (c.model.as_str(), c.term.as_str(), c.mean.len())).collect();
    assert_eq!(
        terms,
        [
            ("teacher", "cross-entropy", p.teacher_epochs),
            ("nds", "cross-entropy", p.student.epochs),
            ("ds-t1", "hard term (α CE)", p.student.epochs),
            ("ds-t1", "soft term (w KL)", p.student.epochs),
            ("ds-t4", "hard term (α CE)", p.student.epochs),
            ("ds-t4", "soft term (w KL)", p.student.epochs),
        ]
    );
    assert!(r.training.iter().all(|c| c.seeds == 1 && c.std.iter().all(Option::is_none) && c.mean.iter().all(|v| v.is_finite())));
    assert!(json["training"][0]["mean"].is_array());
    let html = r.to_html();
    assert!(html.contains("<svg") && html.contains("temperature"), "chart");
    assert!(html.contains("bootstrap intervals over the test images"), "one seed: the chart says what its bars are");
    assert!(r.to_markdown().contains("| DS | 4 |"));
}

#[test]
fn the_paper_table_has_a_row_per_model_of_the_full_study() {
    // The shape of the transcription (its values come from SPEC.md and are not asserted): the
    // teacher, the NDS and a distilled student at each T = 1..10, in the study's method names,
    // percentages in [0, 100] and I(f) in [0, 1].
    let p = paper_trifeature();
    let names: Vec<String> = p.iter().map(|r| r.method.clone()).collect();
    let mut expected = vec!["teacher".to_string(), "nds".to_string()];
    expected.extend((1..=10).map(|t| format!("ds-t{t}")));
    assert_eq!(names, expected);
    for r in &p {
        for v in [r.accuracy, r.equalized_odds_difference, r.demographic_parity_difference] {
            assert!((0.0..=100.0).contains(&v), "{}: {v}", r.method);
        }
        assert!((0.0..=1.0).contains(&r.individual_fairness), "{}", r.method);
    }
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
