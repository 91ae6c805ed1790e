//! Synthetic-data quality (precision / recall / density / coverage, Naeem et al. 2020) against
//! prdc 0.2's golden values, hand-worked cases, properties, and every input error.
//! (The k-th neighbour radii and the neighbour lists are tested in `src/audit/knn.rs`.)


use fairdistill::audit::{synthetic_quality, QualityParams, QualityReport};
use fairdistill::Error;
use ndarray::{array, s, Array2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const TOL: f64 = 1e-9;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/prdc_cases.json"
    );
    let text = std::fs::read_to_string(path).expect("fixtures/golden/prdc_cases.json is readable");
    serde_json::from_str(&text).expect("prdc_cases.json parses")
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows = v.as_array().expect("a list of rows");
    let d = rows[0].as_array().expect("a row").len();
    let flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .expect("a row")
                .iter()
                .map(|x| x.as_f64().expect("a number"))
        })
        .collect();
    Array2::from_shape_vec((rows.len(), d), flat).expect("rectangular")
}

fn quality(real: &Array2<f64>, fake: &Array2<f64>, k: usize) -> QualityReport {
    synthetic_quality(
        real.view(),
        fake.view(),
        &QualityParams::default().with_k(k),
    )
    .expect("valid input")
}

/// `shift + scale · (sum of four uniforms on [−1, 1))` per coordinate: a cheap bell shape.
fn noise(rng: &mut ChaCha8Rng, n: usize, d: usize, shift: f64, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn((n, d), |_| {
        let s: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
        shift + scale * s
    })
}

#[test]
fn matches_prdc_golden_cases() {
    let json = fixture();
    let cases = json["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 6, "the fixture holds six prdc cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let k = case["nearest_k"].as_u64().expect("nearest_k") as usize;
        let (real, fake) = (matrix(&case["real"]), matrix(&case["fake"]));
        let q = quality(&real, &fake, k);
        assert_eq!(
            (q.k, q.n_real, q.n_synthetic),
            (k, real.nrows(), fake.nrows()),
            "{name}"
        );
        for (key, got) in [
            ("precision", q.precision),
            ("recall", q.recall),
            ("density", q.density),
            ("coverage", q.coverage),
        ] {
            let want = case[key].as_f64().expect("a number");
            assert!(
                (got - want).abs() <= TOL,
                "{name} {key}: got {got}, prdc {want}"
            );
        }
    }
}

#[test]
fn hand_worked_one_dimensional_cases() {
    // Each case was worked out by hand (see the comments) and checked against prdc 0.2.
    let col = |v: &[f64]| Array2::from_shape_vec((v.len(), 1), v.to_vec()).expect("column");

    // Real {0, 1, 3}: radii (1, 1, 2). Fake {0.5, 2.5, 10}: radii (2, 2, 7.5).
    // 0.5 is in the balls of 0 and 1, 2.5 in the ball of 3, 10 in none.
    let q = quality(&col(&[0.0, 1.0, 3.0]), &col(&[0.5, 2.5, 10.0]), 1);
    assert_eq!(
        (q.precision, q.recall, q.density, q.coverage),
        (2.0 / 3.0, 1.0, 1.0, 1.0)
    );

    // Strictness at the rim: real {0, 1, 2} (radii 1), fake {0.5, 3, 3.5} (radii 2.5, 0.5, 0.5).
    // Fake 3 is exactly 1 from real 2: not inside its ball, and real 2's ball holds no fake.
    let q = quality(&col(&[0.0, 1.0, 2.0]), &col(&[0.5, 3.0, 3.5]), 1);
    assert_eq!(
        (q.precision, q.recall, q.density, q.coverage),
        (1.0 / 3.0, 1.0, 2.0 / 3.0, 2.0 / 3.0)
    );

    // Duplicates: real {0, 0, 4} has radii (0, 0, 4), so the two balls at 0 are empty even for a
    // fake point exactly at 0. Fake {0, 4, 9}: radii (4, 4, 5).
    let q = quality(&col(&[0.0, 0.0, 4.0]), &col(&[0.0, 4.0, 9.0]), 1);
    assert_eq!(
        (q.precision, q.recall, q.density, q.coverage),
        (1.0 / 3.0, 1.0, 1.0 / 3.0, 1.0 / 3.0)
    );
}

#[test]
fn hand_worked_two_dimensional_case() {
    // Real: the unit square's corners, k = 1, so every real radius is 1 (an adjacent corner).
    // Fake: the centre (0.5, 0.5) is √0.5 ≈ 0.707 < 1 from every corner, so it lies in all four
    // real balls; (3, 0) and (3, 1) are 2 from the nearest corner, so in none.
    // Fake radii: the centre's nearest other fake is √6.5 ≈ 2.55 away; (3, 0) and (3, 1) are 1
    // apart. Every corner is 0.707 < 2.55 from the centre: recall 1, and every real ball holds the
    // centre: coverage 1.
    let real = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let fake = array![[0.5, 0.5], [3.0, 0.0], [3.0, 1.0]];
    let q = quality(&real, &fake, 1);
    assert_eq!(q.precision, 1.0 / 3.0);
    assert_eq!(q.recall, 1.0);
    assert_eq!(q.density, 4.0 / 3.0); // (4 + 0 + 0) / 3 fakes / k = 1
    assert_eq!(q.coverage, 1.0);
}

#[test]
fn precision_and_recall_swap_when_the_roles_swap() {
    // precision(real, fake) counts fakes inside real balls = recall(fake, real), and vice versa.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let real = noise(&mut rng, 700, 5, 0.0, 1.0);
    let fake = noise(&mut rng, 550, 5, 0.3, 1.2);
    let a = quality(&real, &fake, 4);
    let b = quality(&fake, &real, 4);
    assert_eq!(a.precision, b.recall);
    assert_eq!(a.recall, b.precision);
    assert!(
        a.precision > 0.0 && a.precision < 1.0,
        "a non-degenerate case"
    );
}

#[test]
fn a_copy_of_distinct_real_points_is_perfect_on_the_three_shares() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let real = noise(&mut rng, 600, 3, 0.0, 1.0);
    let q = quality(&real, &real.clone(), 5);
    // Each fake point sits at distance 0 < radius from its real twin (and vice versa).
    assert_eq!((q.precision, q.recall, q.coverage), (1.0, 1.0, 1.0));
    assert!(
        q.density >= 1.0 / 5.0,
        "each fake lies in at least its twin's ball"
    );
}

#[test]
fn translation_does_not_change_the_result() {
    // Coordinates on a 2^-20 grid, so adding 1024 is exact and every direct distance is unchanged;
    // the GEMM estimates do change (larger norms), and the exact decisions must not.
    let grid = |x: Array2<f64>| x.mapv(|v| (v * 1048576.0).round() / 1048576.0);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let real = grid(noise(&mut rng, 400, 4, 0.0, 1.0));
    let fake = grid(noise(&mut rng, 300, 4, 0.2, 0.9));
    let base = quality(&real, &fake, 3);
    let shifted = quality(&(&real + 1024.0), &(&fake + 1024.0), 3);
    assert_eq!(base, shifted);
    assert!(
        base.precision > 0.0 && base.coverage < 1.0,
        "a non-degenerate case: {base:?}"
    );
}

#[test]
fn params_default_builder_check_and_serde() {
    let p = QualityParams::default();
    assert_eq!(p.k, 5);
    assert_eq!(p.clone().with_k(3).k, 3);
    assert!(p.check().is_ok());
    assert!(matches!(
        QualityParams::default().with_k(0).check(),
        Err(Error::InvalidParam { name: "k", .. })
    ));
    let json = serde_json::to_string(&p).expect("serialise");
    assert_eq!(
        serde_json::from_str::<QualityParams>(&json).expect("parse"),
        p
    );

    let report = quality(
        &array![[0.0], [1.0], [3.0]],
        &array![[0.5], [2.5], [10.0]],
        1,
    );
    let json = serde_json::to_string(&report).expect("serialise");
    assert_eq!(
        serde_json::from_str::<QualityReport>(&json).expect("parse"),
        report
    );
}

#[test]
fn bad_inputs_give_errors_not_panics() {
    let real = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let fake = array![[0.5, 0.5], [2.0, 0.0], [2.0, 1.0]];
    let run = |r: &Array2<f64>, f: &Array2<f64>, k: usize| {
        synthetic_quality(r.view(), f.view(), &QualityParams::default().with_k(k))
    };

    assert!(matches!(
        run(&real, &fake, 0),
        Err(Error::InvalidParam { name: "k", .. })
    ));

    let no_rows = Array2::<f64>::zeros((0, 2));
    assert!(matches!(run(&no_rows, &fake, 1), Err(Error::Empty { .. })));
    assert!(matches!(run(&real, &no_rows, 1), Err(Error::Empty { .. })));
    let no_cols = Array2::<f64>::zeros((4, 0));
    assert!(matches!(
        run(&no_cols, &no_cols, 1),
        Err(Error::Empty { .. })
    ));

    let three_cols = Array2::<f64>::zeros((3, 3));
    match run(&real, &three_cols, 1) {
        Err(Error::LengthMismatch {
            expected: 2,
            got: 3,
            ..
        }) => {}
        other => panic!("expected a column-count mismatch, got {other:?}"),
    }

    let mut nan = real.clone();
    nan[[2, 1]] = f64::NAN;
    match run(&nan, &fake, 1) {
        Err(Error::NonFinite { index: 5, .. }) => {}
        other => panic!("expected NonFinite at flat index 5, got {other:?}"),
    }
    let mut inf = fake.clone();
    inf[[0, 0]] = f64::NEG_INFINITY;
    assert!(matches!(
        run(&real, &inf, 1),
        Err(Error::NonFinite { index: 0, .. })
    ));

    // Coordinates so large that squared distances overflow.
    let huge = &real * 1e300;
    assert!(matches!(
        run(&huge, &(&fake * 1e300), 1),
        Err(Error::NonFinite { .. })
    ));

    // k must be below each set's size: 4 real points, 3 fake points.
    for k in [3, 4, 10] {
        match run(&real, &fake, k) {
            Err(Error::InvalidParam {
                name: "k", reason, ..
            }) => {
                assert!(reason.contains("more than k points"), "{reason}");
                let set = if k >= 4 { "real" } else { "synthetic" };
                assert!(reason.contains(set), "k = {k}: {reason}");
            }
            other => panic!("k = {k}: expected InvalidParam, got {other:?}"),
        }
    }
    // k = n − 1 in the smaller set is the largest valid value.
    assert!(run(&real, &fake, 2).is_ok());
}

#[test]
fn non_contiguous_views_are_accepted() {
    // A column-major real set and a strided synthetic view (every other column of a wider array
    // whose skipped columns are NaN, which must never be read) give the standard-layout answer.
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let real = noise(&mut rng, 300, 4, 0.0, 1.0);
    let fake = noise(&mut rng, 250, 4, 0.1, 1.0);
    let base = quality(&real, &fake, 5);

    let mut real_f = Array2::zeros(real.raw_dim().f());
    real_f.assign(&real);
    assert!(!real_f.is_standard_layout());
    let mut wide = Array2::from_elem((250, 8), f64::NAN);
    wide.slice_mut(s![.., ..;2]).assign(&fake);
    let q = synthetic_quality(
        real_f.view(),
        wide.slice(s![.., ..;2]),
        &QualityParams::default(),
    )
    .expect("valid input");
    assert_eq!(q, base);
}
