//! AIM-Fair: the selective fine-tuning freezes what the mask leaves out, the biased sets have
//! the requested cells, a seed reproduces the bits, the study produces every row, bad settings
//! are errors.

use fairdistill::data::{cell_counts, draw_cells, load_builtin, LoadOptions};
use fairdistill::methods::aimfair::{AimFair, AimFairParams, Classifier, Examples};
use fairdistill::studies::{cells_for, reproduce_aimfair, AimFairStudyParams, AIMFAIR_METHODS, AIMFAIR_REFERENCES};

/// Rows whose label is a noisy linear function of 6 features, with a "group" feature that the
/// label leans on more in `biased` sets.
fn examples(n: usize, seed: u64, lean: f32) -> Examples {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let row: Vec<f32> = (0..6).map(|_| next()).collect();
        let score = row[0] + 0.5 * row[1] - row[2] + lean * row[5] + 0.3 * next();
        y.push((score > 0.0) as u8);
        x.extend(row);
    }
    Examples { x, width: 6, y }
}

fn tiny() -> AimFairParams {
    AimFairParams::default().hidden(vec![8, 8]).pretrain_epochs(3).finetune_epochs(2).batch_size(32)
}

#[test]
fn fine_tuning_changes_the_selected_tensors_and_leaves_the_others_bit_for_bit() {
    let train = examples(300, 1, 2.0);
    let val = examples(100, 2, 0.0);
    let p = tiny();
    let (model, _) = AimFair::train_from_scratch(&p, "pretrain", &train, &val, &mut |_| {}).unwrap();
    let before = model.tensors();
    assert_eq!(model.tensor_names(), ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias", "layer3.weight", "layer3.bias"]);
    let mask = [true, false, false, true, false, true];
    let balanced = examples(300, 3, 0.0);
    let (tuned, log) = AimFair::fine_tune(&p, "tune", &model, &mask, &balanced, &val, &mut |_| {}).unwrap();
    assert_eq!(log.len(), 2);
    let after = tuned.tensors();
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if mask[i] {
            assert_ne!(b, a, "selected tensor {i} did not change");
        } else {
            let same = b.iter().zip(a).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "frozen tensor {i} changed");
        }
    }
    // The model it started from is untouched.
    assert_eq!(model.tensors(), before);
}

#[test]
fn the_mask_comes_from_the_gradient_differential_and_a_seed_reproduces_the_bits() {
    let real = examples(300, 1, 2.0);
    let biased = examples(300, 4, 2.0);
    let balanced = examples(300, 5, 0.0);
    let val = examples(100, 2, 0.0);
    let p = tiny().top_k(Some(4));
    let a = AimFair::fit(&p, &real, &biased, &balanced, &val, &mut |_| {}).unwrap();
    let b = AimFair::fit(&p, &real, &biased, &balanced, &val, &mut |_| {}).unwrap();
    assert_eq!(a.tensors, b.tensors);
    assert_eq!(a.finetuned.tensors(), b.finetuned.tensors());
    let selected = a.selected();
    let n = selected.iter().filter(|&&s| s).count();
    assert!((1..=4).contains(&n), "{selected:?}");
    for t in &a.tensors {
        assert!(t.delta_domain.is_finite() && t.delta_domain >= 0.0 && t.delta_bias.is_finite() && t.delta_bias >= 0.0, "{t:?}");
    }
    // The mask is the selection rule applied to the reported Δ values.
    let d1: Vec<f64> = a.tensors.iter().map(|t| t.delta_domain).collect();
    let d2: Vec<f64> = a.tensors.iter().map(|t| t.delta_bias).collect();
    assert_eq!(fairdistill::methods::aimfair::select_tensors(&d1, &d2, 4).unwrap(), selected);
    // Identical sets give Δ = 0 exactly (same rows, same batches).
    let g = fairdistill::methods::aimfair::mean_gradients(&a.pretrained, &real, 32, 9).unwrap();
    let (d1, _) = fairdistill::methods::aimfair::gradient_differential(&g, &g, &g).unwrap();
    assert!(d1.iter().all(|&d| d == 0.0));
    let c = AimFair::fit(&p.clone().seed(1), &real, &biased, &balanced, &val, &mut |_| {}).unwrap();
    assert_ne!(a.pretrained.tensors(), c.pretrained.tensors(), "another seed, other bits");
}

#[test]
fn bad_settings_and_inputs_are_errors() {
    let d = examples(50, 1, 0.0);
    for p in [
        tiny().top_k(Some(0)),
        tiny().top_k(Some(7)),
        tiny().pretrain_epochs(0),
        tiny().finetune_lr(1.5),
        tiny().batch_size(1),
        tiny().hidden(vec![8, 0]),
    ] {
        assert!(AimFair::fit(&p, &d, &d, &d, &d, &mut |_| {}).is_err(), "{p:?}");
    }
    let model = Classifier::new(6, &[4], 0);
    let wide = Examples { x: vec![0.0; 7 * 3], width: 7, y: vec![0, 1, 0] };
    assert!(model.predict(&wide).is_err());
    let empty = Examples { x: vec![], width: 6, y: vec![] };
    assert!(AimFair::train_from_scratch(&tiny(), "x", &empty, &d, &mut |_| {}).is_err());
    let mut m = model.clone();
    assert!(m.train("x", &d, &d, &[false; 4], 1, 1e-3, 8, 0, &mut |_| {}).is_err(), "an empty mask trains nothing");
    assert!(m.train("x", &d, &d, &[true; 3], 1, 1e-3, 8, 0, &mut |_| {}).is_err(), "mask of the wrong length");
}

#[test]
fn the_biased_real_set_has_the_papers_cells() {
    let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
    let s = ["Male".to_string(), "Female".to_string()];
    let cells = cells_for(2000, &[0.05, 0.45, 0.45, 0.05], &s);
    let d = draw_cells(&adult.train, "sex", &cells, 3).unwrap();
    let c = cell_counts(&d, "sex").unwrap();
    assert_eq!(c[&(0, "Male".to_string())], 100);
    assert_eq!(c[&(0, "Female".to_string())], 900);
    assert_eq!(c[&(1, "Male".to_string())], 900);
    assert_eq!(c[&(1, "Female".to_string())], 100);
    // 9,000 women with income <=50K is more than Adult has (8,670), the first cell to fail.
    let too_many = cells_for(20_000, &[0.05, 0.45, 0.45, 0.05], &s);
    let e = draw_cells(&adult.train, "sex", &too_many, 3).unwrap_err().to_string();
    assert!(e.contains("(y = 0, sex = Female) x 9000") && e.contains("only 8670 rows"), "{e}");
}

fn tiny_study() -> AimFairStudyParams {
    let mut p = AimFairStudyParams::quick();
    p.real_rows = 400;
    p.synthetic_rows = 400;
    p.pool_rows = 3000;
    p.generator = p.generator.clone().epochs(1).head_epochs(1);
    p.model = p.model.clone().hidden(vec![16, 8]).pretrain_epochs(2).finetune_epochs(2);
    p
}

#[test]
fn a_tiny_study_produces_every_row_with_finite_values_and_a_seed_reproduces_it() {
    let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
    let mut p = tiny_study();
    p.seeds = 2;
    let mut steps = 0;
    let r = reproduce_aimfair(&adult, &p, "test", &mut |_| steps += 1).unwrap();
    assert_eq!(steps as u64, p.steps());
    let methods: Vec<&str> = r.rows.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods[..6], AIMFAIR_METHODS);
    assert_eq!(methods[6..], AIMFAIR_REFERENCES);
    for row in &r.rows {
        for s in [&row.accuracy, &row.eo, &row.wst, &row.std, &row.balanced_accuracy] {
            let (m, d) = (s.mean.unwrap(), s.std.unwrap());
            assert!(m.is_finite() && (0.0..=100.0).contains(&m) && d.is_finite() && d >= 0.0, "{row:?}");
        }
        assert!(row.wst.mean.unwrap() <= row.accuracy.mean.unwrap() + 1e-9, "{row:?}");
        // The minimum of the mean cells is at least the mean of the per-seed minima.
        let pooled = row.wst_of_mean_cells.unwrap();
        assert!(pooled.is_finite() && pooled + 1e-9 >= row.wst.mean.unwrap(), "{row:?}");
    }
    assert_eq!(r.selected_tensors.len(), 6);
    assert_eq!(r.top_k, 5);
    assert_eq!(r.sets[0].cells, [20, 180, 180, 20]);
    assert_eq!(r.sets[1].cells, [20, 180, 180, 20]);
    assert_eq!(r.sets[2].cells, [100, 100, 100, 100]);
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    for key in ["command", "rows", "selected_tensors", "paper"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert!(json["selected_tensors"][0]["delta_domain"].is_f64());
    // Conclusions from the numbers: AIM-Fair against full fine-tuning and the biased model, paired
    // over the 2 seeds (an interval each).
    assert!(r.conclusions.iter().any(|c| c.starts_with("aim-fair minus full-finetune") && c.contains("95 % interval")), "{:?}", r.conclusions);
    // A curve per trained model: the generator's loss terms, and the classifiers' cross-entropy
    // and validation accuracy over as many epochs as each stage trained, over 2 seeds.
    let models: Vec<&str> = r.training.iter().filter(|c| c.term == "cross-entropy").map(|c| c.model.as_str()).collect();
    assert_eq!(models, ["erm-real", "synthetic-only", "real+synthetic", "full-finetune", "random-mask", "aim-fair", "erm-unbiased-real"]);
    assert!(r.training.iter().any(|c| c.model == "generator (Fair4Free)" && c.term == "teacher KL"));
    for c in &r.training {
        assert_eq!(c.seeds, 2, "{c:?}");
        assert!(c.std.iter().all(|s| s.is_some_and(|s| s >= 0.0)), "{c:?}");
        if c.term == "validation accuracy" {
            assert!(c.mean.iter().all(|a| (0.0..=1.0).contains(a)), "{c:?}");
        }
    }
    let epochs = |m: &str| r.training.iter().find(|c| c.model == m).map(|c| c.mean.len());
    assert_eq!((epochs("erm-real"), epochs("aim-fair")), (Some(2), Some(2)));
    assert!(json["training"].is_array() && json["conclusions"].is_array());
    assert!(r.to_html().contains("<svg"));
    assert!(r.to_markdown().contains("aim-fair"));
    let again = reproduce_aimfair(&adult, &p, "test", &mut |_| {}).unwrap();
    assert_eq!(r, again);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Classifier>();
    check::<AimFair>();
    check::<Examples>();
    check::<fairdistill::studies::AimFairReport>();
    check::<AimFairStudyParams>();
}

#[test]
fn bad_study_settings_are_clear_errors() {
    let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
    let mut cases: Vec<(AimFairStudyParams, &str)> = Vec::new();
    let mut p = tiny_study();
    p.seeds = 0;
    cases.push((p, "seeds"));
    let mut p = tiny_study();
    p.protected_value = "Other".into();
    cases.push((p, "protected_value"));
    let mut p = tiny_study();
    p.real_rows = 20_000;
    cases.push((p, "real_rows"));
    let mut p = tiny_study();
    p.bias_fractions = [0.5, 0.5, 0.5, 0.5];
    cases.push((p, "bias_fractions"));
    let mut p = tiny_study();
    p.model.top_k = Some(9);
    cases.push((p, "top_k"));
    for (p, name) in cases {
        let e = reproduce_aimfair(&adult, &p, "test", &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains(name), "{name}: {e}");
    }
}
