//! The encoder's inverse gives back exactly what was encoded.

use fairdistill::data::{load_builtin, Column, Encoder, LabelSpec, LoadOptions, Table};
use fairdistill::Error;
use ndarray::Array2;

fn csv_text(t: &Table) -> String {
    let mut buf = Vec::new();
    t.write_csv(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn adult_round_trips_exactly() {
    let d = load_builtin("adult", &LoadOptions::default()).unwrap();
    let enc = Encoder::fit(&d.train).unwrap();
    for t in [&d.train, &d.test] {
        let x = enc.transform(t).unwrap();
        assert_eq!(x.ncols(), 104);
        let back = enc.inverse(x.view(), t.label(), t.sensitive_names()).unwrap();
        assert_eq!(&back, t);
        assert_eq!(csv_text(&back), csv_text(t));
    }
}

#[test]
fn german_round_trips_exactly() {
    let d = load_builtin("german", &LoadOptions::default()).unwrap();
    let enc = Encoder::fit(&d.train).unwrap();
    let x = enc.transform(&d.test).unwrap();
    let back = enc.inverse(x.view(), d.test.label(), d.test.sensitive_names()).unwrap();
    assert_eq!(back, d.test);
}

fn small() -> Table {
    Table::new(
        vec![
            Column::categorical("s", vec!["a".into(), "b".into(), "c".into()]),
            Column::numeric("x", vec![0.1, 2.35, -7.0]).with_decimals(Some(2)),
        ],
        vec![1, 0, 1],
        LabelSpec {
            name: "y".into(),
            positive: "yes".into(),
            negative: "no".into(),
        },
        vec!["s".into()],
    )
    .unwrap()
}

#[test]
fn standardised_numerics_and_one_hot_by_hand() {
    let t = small();
    let enc = Encoder::fit(&t).unwrap();
    let x = enc.transform(&t).unwrap();
    let mean = (0.1 + 2.35 - 7.0) / 3.0;
    let std = (([0.1f64, 2.35, -7.0].iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()) / 3.0).sqrt();
    assert!((x[[1, 3]] - (2.35 - mean) / std).abs() < 1e-12);
    assert_eq!(x.row(2).to_vec()[..3], [0.0, 0.0, 1.0]);
    assert_eq!(enc.column_range("x").unwrap(), 3..4);
}

#[test]
fn decoding_soft_outputs_picks_the_arg_max_and_rounds() {
    let t = small();
    let enc = Encoder::fit(&t).unwrap();
    let mut x = enc.transform(&t).unwrap();
    // A generator's soft output: probabilities and a perturbed numeric.
    let z = x[[0, 3]] + 1e-9;
    x.row_mut(0).assign(&ndarray::arr1(&[0.2, 0.7, 0.1, z]));
    let back = enc.inverse(x.view(), t.label(), &["s"]).unwrap();
    let csv = csv_text(&back);
    assert!(csv.starts_with("s,x,y\nb,0.10,yes\n"), "{csv}");
}

#[test]
fn unseen_category_is_named() {
    let t = small();
    let enc = Encoder::fit(&t.select_rows(&[0, 1])).unwrap();
    let err = enc.transform(&t).unwrap_err();
    assert!(matches!(&err, Error::UnseenCategory { column, value, .. } if column == "s" && value == "c"), "{err}");
}

#[test]
fn bad_matrices_are_errors() {
    let t = small();
    let enc = Encoder::fit(&t).unwrap();
    let err = enc.inverse(Array2::zeros((3, 5)).view(), t.label(), &["s"]).unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { expected: 4, got: 5, .. }));
    let err = enc.inverse(Array2::zeros((2, 4)).view(), t.label(), &["s"]).unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { .. }));
    let mut x = Array2::zeros((3, 4));
    x[[1, 3]] = f64::NAN;
    let err = enc.inverse(x.view(), t.label(), &["s"]).unwrap_err();
    assert!(matches!(err, Error::NonFinite { index: 7, .. }), "{err}");
    let empty = t.select_rows(&[]);
    assert!(matches!(Encoder::fit(&empty), Err(Error::Empty { .. })));
}

#[test]
fn missing_column_at_transform_is_named() {
    let t = small();
    let enc = Encoder::fit(&t).unwrap();
    let other = Table::new(
        vec![Column::categorical("s", vec!["a".into()])],
        vec![1],
        t.label_spec().clone(),
        vec!["s".into()],
    )
    .unwrap();
    let err = enc.transform(&other).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "x"), "{err}");
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Table>();
    assert_send_sync::<Encoder>();
    assert_send_sync::<fairdistill::Dataset>();
    assert_send_sync::<fairdistill::data::DatasetSummary>();
    assert_send_sync::<Error>();
}
