//! Fair4Free behaviour with tiny configurations: the penalty lowers the measured dependence, the
//! losses fall, a seed reproduces the same bits, generation writes valid rows.

use fairdistill::data::{Column, ColumnData, LabelSpec, Table};
use fairdistill::methods::fair4free::{Fair4Free, Fair4FreeParams, LatentSource};
use fairdistill::Error;

/// 600 rows where the sensitive attribute leaks into every feature.
fn leaky_table(n: usize) -> Table {
    let mut s = Vec::new();
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut c = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let g = i % 2;
        let u = ((i * 7919) % 1000) as f64 / 1000.0;
        let v = ((i * 104729 + 17) % 997) as f64 / 997.0;
        s.push(if g == 0 { "f" } else { "m" }.to_string());
        a.push(((u + 1.5 * g as f64) * 100.0).round() / 100.0);
        b.push(((v - 1.0 * g as f64 + 0.3 * u) * 100.0).round() / 100.0);
        c.push(if (u + 0.4 * g as f64) > 0.7 { "hi" } else if v > 0.5 { "mid" } else { "lo" }.to_string());
        y.push(((u + 0.5 * g as f64) > 0.8) as u8);
    }
    Table::new(
        vec![
            Column::categorical("s", s),
            Column::numeric("a", a).with_decimals(Some(2)),
            Column::numeric("b", b).with_decimals(Some(2)),
            Column::categorical("c", c),
        ],
        y,
        LabelSpec { name: "y".into(), positive: "1".into(), negative: "0".into() },
        vec!["s".into()],
    )
    .unwrap()
}

fn tiny() -> Fair4FreeParams {
    Fair4FreeParams::default().epochs(25).student_epochs(5).head_epochs(5).batch_size(100).hidden(vec![32]).latent(4)
}

#[test]
fn the_penalty_lowers_the_dependence_of_z_on_s_at_least_threefold() {
    let t = leaky_table(600);
    let unfair = Fair4Free::fit(&tiny().beta_log10(None), &t, &mut |_| {}).unwrap();
    let fair = Fair4Free::fit(&tiny().beta_log10(Some(1.5)), &t, &mut |_| {}).unwrap();
    let d0 = unfair.latent_dcor_sq(&t, 600).unwrap();
    let d1 = fair.latent_dcor_sq(&t, 600).unwrap();
    assert!(d1 * 3.0 <= d0, "dCor^2 with beta 0: {d0:.4}, with the penalty: {d1:.4}");
}

#[test]
fn losses_fall_and_a_seed_reproduces_the_same_rows() {
    let t = leaky_table(400);
    let p = tiny().epochs(10).seed(9);
    let m1 = Fair4Free::fit(&p, &t, &mut |_| {}).unwrap();
    let teacher: Vec<f64> = m1.log.iter().filter(|e| e.stage == "teacher").map(|e| e.loss).collect();
    assert!(teacher.last().unwrap() < &(teacher[0] * 0.9), "reconstruction {teacher:?}");
    let student: Vec<f64> = m1.log.iter().filter(|e| e.stage == "student").map(|e| e.loss).collect();
    assert!(student.last().unwrap() < &student[0], "student {student:?}");
    // The training curve carries every loss term of every stage, one value per epoch.
    let curve = m1.training_curve("fair4free", 9);
    let terms: Vec<(&str, usize)> = curve.terms.iter().map(|t| (t.name.as_str(), t.values.len())).collect();
    let mut expected = vec![("teacher reconstruction NLL", 10), ("teacher KL", 10), ("teacher penalty", 10)];
    if p.label_weight > 0.0 {
        expected.push(("teacher label cross-entropy", 10));
    }
    expected.extend([("held-out dCor² (μ, s)", 10), ("student MMD²", p.student_epochs), ("head cross-entropy", p.head_epochs)]);
    assert_eq!(terms, expected);
    assert_eq!(curve.term("teacher reconstruction NLL").unwrap(), teacher.as_slice());
    let m2 = Fair4Free::fit(&p, &t, &mut |_| {}).unwrap();
    let g1 = m1.generate(300, 4, LatentSource::Student).unwrap();
    let g2 = m2.generate(300, 4, LatentSource::Student).unwrap();
    assert_eq!(g1, g2, "same seeds, same synthetic rows");
    let g3 = m1.generate(300, 5, LatentSource::Student).unwrap();
    assert_ne!(g1, g3);
    // Generated rows carry the original columns, label and sensitive values.
    assert_eq!(g1.column_names(), t.column_names());
    assert_eq!(g1.n_rows(), 300);
    let groups = g1.group_counts();
    assert_eq!(groups.len(), 2, "both groups are generated");
}

#[test]
fn bad_settings_are_errors() {
    let t = leaky_table(100);
    let err = Fair4Free::fit(&tiny().batch_size(4), &t, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { name: "batch_size", .. }), "{err}");
    let err = Fair4Free::fit(&tiny().latent(0), &t, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { name: "latent", .. }), "{err}");
    let small = t.select_rows(&(0..10).collect::<Vec<_>>());
    assert!(matches!(Fair4Free::fit(&tiny(), &small, &mut |_| {}), Err(Error::Empty { .. })));
    let one_group = t.select_rows(&(0..100).step_by(2).collect::<Vec<_>>());
    let err = Fair4Free::fit(&tiny(), &one_group, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("single group"), "{err}");
}

#[test]
fn a_saved_model_loads_and_generates_the_same_rows() {
    let t = leaky_table(300);
    let mut m = Fair4Free::fit(&tiny().epochs(3).seed(2), &t, &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let loaded = Fair4Free::load(dir.path()).unwrap();
    assert_eq!(
        m.generate(200, 7, LatentSource::Student).unwrap(),
        loaded.generate(200, 7, LatentSource::Student).unwrap()
    );
    std::fs::write(dir.path().join("model.json"), "{}").unwrap();
    assert!(Fair4Free::load(dir.path()).is_err());
    assert!(matches!(Fair4Free::load(&dir.path().join("nope")), Err(Error::Io { .. })));
}

#[test]
fn the_fairdisco_penalty_also_lowers_the_dependence() {
    use fairdistill::methods::fair4free::Penalty;
    let t = leaky_table(600);
    let unfair = Fair4Free::fit(&tiny().beta_log10(None), &t, &mut |_| {}).unwrap();
    let d0 = unfair.latent_dcor_sq(&t, 600).unwrap();
    let fair = Fair4Free::fit(&tiny().penalty(Penalty::FairDisCo).beta_log10(Some(4.0)), &t, &mut |_| {}).unwrap();
    let d1 = fair.latent_dcor_sq(&t, 600).unwrap();
    assert!(d1 * 3.0 <= d0, "dCor^2 with beta 0: {d0:.4}, with the FairDisCo penalty: {d1:.4}");
}

fn numeric_std(t: &Table, name: &str) -> f64 {
    let v = match &t.column(name).unwrap().data {
        fairdistill::data::ColumnData::Numeric(v) => v.clone(),
        _ => panic!("{name} is not numeric"),
    };
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn numeric_noise_draws_from_the_learned_variance_and_label_weight_is_validated() {
    let t = leaky_table(400);
    let p = tiny().epochs(8).seed(3);
    let mean_only = Fair4Free::fit(&p, &t, &mut |_| {}).unwrap();
    let noisy = Fair4Free::fit(&p.clone().numeric_noise(1.0), &t, &mut |_| {}).unwrap();
    let (a, b) = (mean_only.generate(500, 1, LatentSource::Student).unwrap(), noisy.generate(500, 1, LatentSource::Student).unwrap());
    for col in ["a", "b"] {
        let (s0, s1) = (numeric_std(&a, col), numeric_std(&b, col));
        assert!(s1 > s0, "{col}: spread {s0:.3} with the mean only, {s1:.3} with the learned noise");
    }
    for bad in [-1.0, f64::NAN] {
        let err = Fair4Free::fit(&tiny().label_weight(bad), &t, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::InvalidParam { name: "label_weight", .. }), "{err}");
        let err = Fair4Free::fit(&tiny().numeric_noise(bad), &t, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::InvalidParam { name: "numeric_noise", .. }), "{err}");
    }
}

#[test]
fn generated_rows_stay_in_the_training_range_and_whole_columns_stay_whole() {
    // Column `n` holds whole numbers in 0..=9, `a` two-decimal numbers; the prior (not the
    // student) as latent source pushes the decoder outside the data's range.
    let mut t = leaky_table(400);
    let whole: Vec<f64> = (0..400).map(|i| (i % 10) as f64).collect();
    let mut cols = t.columns().to_vec();
    cols.push(Column::numeric("n", whole));
    t = Table::new(cols, t.label().to_vec(), t.label_spec().clone(), vec!["s".into()]).unwrap();
    let m = Fair4Free::fit(&tiny().epochs(3).seed(4), &t, &mut |_| {}).unwrap();
    let (g, clipped) = m.generate_counted(3000, 1, LatentSource::Prior).unwrap();
    let range = |table: &Table, name: &str| {
        let ColumnData::Numeric(v) = table.columns().iter().find(|c| c.name == name).unwrap().data.clone() else { panic!("{name} is numeric") };
        (v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(f64::NEG_INFINITY, f64::max), v)
    };
    for name in ["a", "b", "n"] {
        let (lo, hi, _) = range(&t, name);
        let (glo, ghi, _) = range(&g, name);
        assert!(glo >= lo && ghi <= hi, "{name}: generated [{glo}, {ghi}] outside the data's [{lo}, {hi}]");
    }
    let (_, _, n) = range(&g, "n");
    assert!(n.iter().all(|v| v.fract() == 0.0), "whole numbers stay whole");
    assert_eq!(clipped.iter().map(|c| c.column.as_str()).collect::<Vec<_>>(), ["a", "b", "n"]);
    assert!(clipped.iter().any(|c| c.cells > 0), "the prior leaves the range somewhere: {clipped:?}");
    // The same rows as before clipping where they were in range: clipping moves only the
    // out-of-range cells, so the count equals the cells on the boundary at most.
    let (_, _, a) = range(&g, "a");
    let (lo, hi, _) = range(&t, "a");
    let on_bounds = a.iter().filter(|&&v| v == lo || v == hi).count();
    assert!(clipped[0].cells <= on_bounds, "{} clipped, {on_bounds} on the bounds", clipped[0].cells);
}

#[test]
fn rows_streamed_in_chunks_are_the_rows_generated_at_once() {
    let t = leaky_table(300);
    let m = Fair4Free::fit(&tiny().epochs(2).seed(5), &t, &mut |_| {}).unwrap();
    let n = 2 * fairdistill::methods::fair4free::GENERATE_CHUNK + 17;
    let whole = m.generate(n, 3, LatentSource::Student).unwrap();
    let mut expected = Vec::new();
    whole.write_csv(&mut expected).unwrap();
    let mut streamed = csv::Writer::from_writer(Vec::new());
    let mut chunks = 0;
    m.generate_chunks(n, 3, LatentSource::Student, &mut |table| {
        table.write_csv_records(&mut streamed, chunks == 0)?;
        chunks += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(chunks, 3);
    assert_eq!(String::from_utf8(streamed.into_inner().unwrap()).unwrap(), String::from_utf8(expected).unwrap());
}

#[test]
fn absurd_widths_are_refused_before_allocating() {
    if fairdistill::memory::available().is_none() {
        return; // not Linux: nothing to compare with
    }
    let t = leaky_table(100);
    for p in [tiny().hidden(vec![1 << 36]), tiny().latent(1 << 36)] {
        let e = Fair4Free::fit(&p, &t, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("network widths") && e.contains("GiB of memory"), "{e}");
    }
}
