//! Fair4Free behaviour with tiny configurations: the penalty lowers the measured dependence, the
//! losses fall, a seed reproduces the same bits, generation writes valid rows.

use fairdistill::data::{Column, LabelSpec, Table};
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
