//! The random forest and the TRTR / TSTR protocol.

use fairdistill::data::{load_builtin, parse_table_like, Encoder, LoadOptions};
use fairdistill::evaluate::{EvaluationParams, Evaluator};
use fairdistill::forest::{MaxFeatures, RandomForest, RandomForestParams};
use fairdistill::Error;
use linfa::prelude::*;
use ndarray::{array, Array1, Array2};

fn sklearn_baseline() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/forest/sklearn_adult_baseline.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn adult_trtr_accuracy_is_within_one_and_a_half_points_of_scikit_learn() {
    let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
    let ev = Evaluator::new(&adult, EvaluationParams::default()).unwrap();
    let table = ev.run(&[]).unwrap();
    let ours = table.rows[0].accuracy.get().unwrap();
    let sk = sklearn_baseline()["metrics"]["accuracy"].as_f64().unwrap();
    assert!((ours - sk).abs() <= 0.015, "ours {ours}, scikit-learn {sk}");
    let auc = table.rows[0].roc_auc.get().unwrap();
    assert!(auc > 0.88, "{auc}");
    // Same split, same encoding width as scikit-learn's script.
    assert_eq!(ev.encoder().width(), sklearn_baseline()["data"]["n_features"].as_u64().unwrap() as usize);
}

fn toy(n: usize) -> (Array2<f64>, Vec<u8>) {
    // Label = x0 > 0.5 XOR x1 > 0.5, plus a noise column.
    let x = Array2::from_shape_fn((n, 3), |(i, j)| (((i * 7919 + j * 104729) % 1000) as f64) / 1000.0);
    let y = (0..n).map(|i| ((x[[i, 0]] > 0.5) ^ (x[[i, 1]] > 0.5)) as u8).collect();
    (x, y)
}

#[test]
fn learns_a_nonlinear_rule_and_is_bit_reproducible() {
    let (x, y) = toy(600);
    let params = RandomForestParams::default().n_trees(30).seed(5);
    let a = RandomForest::fit(&params, x.view(), &y).unwrap();
    let b = RandomForest::fit(&params, x.view(), &y).unwrap();
    let c = RandomForest::fit(&params.clone().seed(6), x.view(), &y).unwrap();
    let (xt, yt) = toy(997);
    let pa = a.predict_proba(xt.view()).unwrap();
    let pb = b.predict_proba(xt.view()).unwrap();
    assert_eq!(pa, pb, "same seed, same bits");
    assert_ne!(pa, c.predict_proba(xt.view()).unwrap(), "another seed, another forest");
    let pred = a.predict_classes(xt.view()).unwrap();
    let acc = pred.iter().zip(&yt).filter(|(p, y)| **p == **y as u32).count() as f64 / yt.len() as f64;
    assert!(acc > 0.9, "XOR accuracy {acc}");
    assert!(pa.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn works_through_linfa_traits() {
    let (x, y) = toy(300);
    let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
    let ds = linfa::Dataset::new(x.clone(), targets.clone());
    let forest = RandomForestParams::default().n_trees(20).max_features(MaxFeatures::All).fit(&ds).unwrap();
    let pred: Array1<usize> = forest.predict(&x);
    let acc = pred.iter().zip(&targets).filter(|(a, b)| a == b).count() as f64 / 300.0;
    assert!(acc > 0.95, "training accuracy {acc}");
}

#[test]
fn bad_inputs_are_errors() {
    let x = array![[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]];
    let p = RandomForestParams::default().n_trees(3);
    assert!(matches!(RandomForest::fit(&p, x.view(), &[1u8, 1, 1]), Err(Error::InvalidParam { name: "labels", .. })));
    assert!(matches!(RandomForest::fit(&p, x.view(), &[1u8, 0]), Err(Error::LengthMismatch { .. })));
    let mut xn = x.clone();
    xn[[1, 1]] = f64::NAN;
    assert!(matches!(RandomForest::fit(&p, xn.view(), &[1u8, 0, 1]), Err(Error::NonFinite { index: 3, .. })));
    assert!(matches!(RandomForest::fit(&p, Array2::<f64>::zeros((0, 2)).view(), &[] as &[u8]), Err(Error::Empty { .. })));
    assert!(matches!(RandomForest::fit(&p.clone().n_trees(0), x.view(), &[1u8, 0, 1]), Err(Error::InvalidParam { name: "n_trees", .. })));
    assert!(RandomForestParams::default().max_features(MaxFeatures::Fraction(1.5)).check().is_err());
    let f = RandomForest::fit(&p, x.view(), &[1u8, 0, 1]).unwrap();
    assert!(matches!(f.predict_classes(array![[1.0]].view()), Err(Error::LengthMismatch { expected: 2, got: 1, .. })));
}

#[test]
fn synthetic_tables_must_match_the_real_schema() {
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    // Write a few real rows as CSV, then break them.
    let mut buf = Vec::new();
    german.train.select_rows(&(0..40).collect::<Vec<_>>()).write_csv(&mut buf).unwrap();
    let good = String::from_utf8(buf).unwrap();
    let synth = parse_table_like(good.as_bytes(), "synth.csv", &german.train).unwrap();
    let ev = Evaluator::new(&german, EvaluationParams { forest: RandomForestParams::default().n_trees(10), ..EvaluationParams::default() }).unwrap();
    let table = ev.run(&[("synth".into(), synth)]).unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1].n_train, 40);

    // A missing column.
    let header = good.lines().next().unwrap();
    let no_purpose: String = good
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let i = header.split(',').position(|h| h == "purpose").unwrap();
            cells.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect::<Vec<_>>().join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let err = parse_table_like(no_purpose.as_bytes(), "synth.csv", &german.train).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "purpose"), "{err}");

    // An unseen category: refused when the file is read, naming its line and the known ones.
    let unseen = good.replacen(",A43,", ",A4X,", 1);
    let err = parse_table_like(unseen.as_bytes(), "synth.csv", &german.train).unwrap_err().to_string();
    assert!(err.starts_with("synth.csv: line ") && err.contains("column `purpose`: unknown category `A4X`; known categories: `A40`"), "{err}");
    // The evaluator still refuses one in a table built otherwise.
    let mut t = german.train.select_rows(&(0..40).collect::<Vec<_>>());
    let purpose = t.columns().iter().position(|c| c.name == "purpose").unwrap();
    let mut cols = t.columns().to_vec();
    if let fairdistill::data::ColumnData::Categorical(v) = &mut cols[purpose].data {
        v[0] = "A4X".into();
    }
    t = fairdistill::data::Table::new(cols, t.label().to_vec(), t.label_spec().clone(), t.sensitive_names().to_vec()).unwrap();
    let err = ev.evaluate("synth", &t).unwrap_err();
    assert!(matches!(&err, Error::UnseenCategory { value, .. } if value == "A4X"), "{err}");

    // A label outside the two classes names its line.
    let bad_label = {
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let l = lines[3].clone();
        lines[3] = format!("{},7", &l[..l.rfind(',').unwrap()]);
        lines.join("\n")
    };
    let err = parse_table_like(bad_label.as_bytes(), "synth.csv", &german.train).unwrap_err();
    assert!(err.to_string().starts_with("synth.csv: line 4: label column `credit` has value `7`"), "{err}");
}

#[test]
fn the_encoder_of_the_evaluator_is_fitted_on_real_train() {
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    let ev = Evaluator::new(&german, EvaluationParams::default()).unwrap();
    assert_eq!(ev.encoder(), &Encoder::fit(&german.train).unwrap());
}

#[test]
fn evaluation_hands_back_its_predictions() {
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    let ev = Evaluator::new(&german, EvaluationParams { forest: RandomForestParams::default().n_trees(10), ..EvaluationParams::default() }).unwrap();
    let (row, y_pred, proba) = ev.evaluate_with_predictions("real", &german.train).unwrap();
    assert_eq!((y_pred.len(), proba.len()), (300, 300));
    let acc = y_pred.iter().zip(german.test.label()).filter(|(p, y)| p == y).count() as f64 / 300.0;
    assert_eq!(row.accuracy.get(), Some(acc));
    assert_eq!(row, ev.evaluate("real", &german.train).unwrap(), "the same seed, the same row");
}
