//! AIM-Fair on images: the ResNet classifier trains, a mask freezes what it leaves out bit for
//! bit, the mean gradients leave the model untouched, a saved model loads to the same logits, a
//! seed reproduces the bits, and the tiny study has every strategy with its JSON keys.

use fairdistill::data::images::{load_image_dataset, ColouredParams, ImageSplit};
use fairdistill::methods::aimfair::{ResNetClassifier, SgdSchedule};
use fairdistill::nn::{ResNetConfig, Trainable};
use fairdistill::studies::{reproduce_aimfair_images, AimFairImageStudyParams, AIMFAIR_IMAGE_STRATEGIES};

fn resnet8() -> ResNetConfig {
    ResNetConfig { in_channels: 3, depth: 8, widths: [4, 8, 8], classes: 1 }
}

/// 8 x 8 images whose label is whether the bright square is in the left half; colour random.
fn images(n: usize, seed: u64) -> ImageSplit {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let (mut px, mut labels, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (x0, y0, c) = (next() % 6, next() % 6, next() % 3);
        let mut img = vec![0f32; 8 * 8 * 3];
        for y in y0..y0 + 2 {
            for x in x0..x0 + 2 {
                img[(y * 8 + x) * 3 + c] = 1.0;
            }
        }
        px.extend(img);
        labels.push((x0 < 3) as u32);
        groups.push((c % 2) as u32);
    }
    ImageSplit::new(8, 8, 3, px, labels, groups).unwrap()
}

fn flat(m: &ResNetClassifier) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    m.net.clone().visit_params(&mut |p| {
        out.push(match p {
            fairdistill::nn::ParamMut::Matrix(x) => x.as_vec(),
            fairdistill::nn::ParamMut::Vector(x) => x.as_vec(),
        }
        .iter()
        .map(|v| v.to_bits())
        .collect())
    });
    out
}


#[test]
fn resnet_tensors_are_named_and_partitioned() {
    let m = ResNetClassifier::new(&ResNetConfig { in_channels: 3, depth: 20, widths: [16, 32, 64], classes: 1 }, 0).unwrap();
    let names = m.tensor_names();
    assert_eq!(names.len(), 59, "ResNet-20 without conv biases: 1 + 2 + 9 x 6 + 2");
    assert_eq!(m.tensor_sizes().len(), 59);
    assert_eq!(&names[..4], &["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"]);
    assert_eq!(names[58], "linear.bias");
    let parts = m.tensor_parts();
    assert_eq!(parts.iter().filter(|&&p| p == 1).count(), 18);
    assert_eq!(parts[57..], [4, 4]);
    assert!(ResNetClassifier::new(&ResNetConfig { depth: 21, ..resnet8() }, 0).is_err(), "depth must be 6n + 2: an error, not a panic");
}

#[test]
fn training_lowers_the_loss_masks_freeze_bits_and_a_seed_reproduces() {
    let train = images(256, 1);
    let val = images(64, 2);
    let sched = SgdSchedule::new(4, 0.05, vec![3]).batch_size(32);
    let run = || {
        let mut m = ResNetClassifier::new(&resnet8(), 3).unwrap();
        let all = vec![true; m.tensor_sizes().len()];
        let log = m.train("pre", &train, &val, &all, &sched, 5, &mut |_| {}).unwrap();
        (m, log)
    };
    let (m, log) = run();
    assert!(log.last().unwrap().loss < log[0].loss, "loss {:?}", log.iter().map(|l| l.loss).collect::<Vec<_>>());
    let (m2, _) = run();
    assert_eq!(flat(&m), flat(&m2), "same seed, same bits");

    let before = flat(&m);
    let n = before.len();
    let mask: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
    let mut tuned = m.clone();
    tuned.train("tune", &images(128, 7), &val, &mask, &SgdSchedule::new(1, 0.05, vec![]).batch_size(32), 9, &mut |_| {}).unwrap();
    let after = flat(&tuned);
    for i in 0..n {
        if mask[i] {
            assert_ne!(before[i], after[i], "selected tensor {i} did not change");
        } else {
            assert_eq!(before[i], after[i], "frozen tensor {i} changed");
        }
    }
    assert_eq!(flat(&m), before, "the model it started from is untouched");

    // Mean gradients: one vector per tensor of its size, the model unchanged (running stats too).
    let logits = m.logits(&val).unwrap();
    let g = m.mean_gradients(&train, 32, 0).unwrap();
    assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), m.tensor_sizes());
    assert!(g.iter().flatten().any(|v| *v != 0.0));
    assert_eq!(m.logits(&val).unwrap(), logits);
    assert!(m.mean_gradients(&train, 1, 0).is_err());
}

#[test]
fn a_saved_classifier_loads_with_the_same_logits() {
    let train = images(128, 1);
    let mut m = ResNetClassifier::new(&resnet8(), 0).unwrap();
    let all = vec![true; m.tensor_sizes().len()];
    m.train("pre", &train, &train, &all, &SgdSchedule::new(1, 0.05, vec![]).batch_size(32), 0, &mut |_| {}).unwrap();
    let dir = std::env::temp_dir().join(format!("fairdistill-resnet-{}", std::process::id()));
    m.save(&dir).unwrap();
    let loaded = ResNetClassifier::load(&dir).unwrap();
    assert_eq!(loaded.logits(&train).unwrap(), m.logits(&train).unwrap(), "parameters and running statistics both restored");
    std::fs::write(dir.join("classifier.json"), "{\"depth\": 21}").unwrap();
    assert!(ResNetClassifier::load(&dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_tiny_image_study_has_every_strategy_and_its_json_keys() {
    let dataset = load_image_dataset("colored-fashion-mnist", Some(std::path::Path::new("/nonexistent")), &ColouredParams::default()).unwrap();
    let p = AimFairImageStudyParams::tiny();
    let cache = std::env::temp_dir().join(format!("fairdistill-aimcache-{}", std::process::id()));
    let r = reproduce_aimfair_images(&dataset, &p, "test", Some(&cache), &mut |_, _| {}).unwrap();
    assert_eq!(r.rows.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), AIMFAIR_IMAGE_STRATEGIES.to_vec());
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    for row in json["rows"].as_array().unwrap() {
        for key in ["accuracy", "wst", "eo", "std"] {
            assert!(row[key]["mean"].is_number(), "{} {key}", row["method"]);
            assert!(row[key].get("std").is_some());
        }
    }
    assert_eq!(r.sets[0].cells, [10, 90, 90, 10], "D_R has the paper's fractions");
    assert_eq!(r.sets[2].cells, [30, 30, 30, 30], "D_S2 has equal cells");
    assert_eq!(r.n_tensors, 23, "ResNet-8: 1 + 2 + 3 x 6 + 2");
    assert!(r.selected_tensors.iter().any(|t| t.score.selected));
    assert!(!r.conclusions.is_empty());
    assert!(r.to_html().contains("<svg"));
    // A rerun reads the cached generator and pre-trained model: same numbers.
    let again = reproduce_aimfair_images(&dataset, &p, "test", Some(&cache), &mut |_, _| {}).unwrap();
    assert_eq!(again.rows, r.rows);
    assert!(std::fs::read_dir(&cache).unwrap().count() >= 2);
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn a_dataset_with_a_recorded_attribute_runs_with_a_protected_group() {
    // CelebA's and UTKFace's shape: a binary label and a recorded attribute (here three colour
    // groups, s = 1 for green), no grey images, so no counterfactual test set.
    let mut d = load_image_dataset("colored-fashion-mnist", Some(std::path::Path::new("/nonexistent")), &ColouredParams::default()).unwrap();
    d.grey_train = None;
    d.grey_test = None;
    for split in [&mut d.train, &mut d.test] {
        split.labels = split.labels.iter().map(|&c| (c >= 5) as u32).collect();
    }
    d.label = "class >= 5".into();
    d.class_names = vec!["no".into(), "yes".into()];
    let mut p = AimFairImageStudyParams::tiny();
    let err = reproduce_aimfair_images(&d, &p, "test", None, &mut |_, _| {}).unwrap_err().to_string();
    assert!(err.contains("protected_group") && err.contains("3 groups"), "{err}");
    p.protected_group = Some("purple".into());
    let err = reproduce_aimfair_images(&d, &p, "test", None, &mut |_, _| {}).unwrap_err().to_string();
    assert!(err.contains("purple") && err.contains("green"), "{err}");
    p.protected_group = Some("green".into());
    let r = reproduce_aimfair_images(&d, &p, "test", None, &mut |_, _| {}).unwrap();
    assert_eq!(r.s_values, ["not green".to_string(), "green".to_string()]);
    assert_eq!(r.sets[0].cells, [10, 90, 90, 10]);
    let test = &r.sets[5].cells;
    assert!(test.iter().all(|&c| c == test[0] && c > 0), "the test split cut to equal cells: {test:?}");
    assert_eq!(r.rows.len(), AIMFAIR_IMAGE_STRATEGIES.len());
    assert!(r.notes[0].contains("no counterfactual"));
}

#[test]
fn image_study_cells_run_apart_assemble_to_the_single_run() {
    use fairdistill::studies::{aimfair_images_seed, assemble_aimfair_images, AimFairImageData, AimFairImageSeedCell};
    let dataset = load_image_dataset("colored-fashion-mnist", Some(std::path::Path::new("/nonexistent")), &ColouredParams::default()).unwrap();
    let mut p = AimFairImageStudyParams::tiny();
    p.seeds = 2;
    let single = reproduce_aimfair_images(&dataset, &p, "test", None, &mut |_, _| {}).unwrap();
    // Seed 1 first, each with its own data, through JSON (as a cell file carries it).
    let cells: Vec<AimFairImageSeedCell> = [1u64, 0]
        .into_iter()
        .map(|seed| {
            let cell = aimfair_images_seed(&AimFairImageData::new(&dataset, &p).unwrap(), &p, seed, None, &mut |_, _| {}).unwrap();
            serde_json::from_str(&serde_json::to_string(&cell).unwrap()).unwrap()
        })
        .collect();
    let mut merged = assemble_aimfair_images(&p, &cells, "test").unwrap();
    merged.seconds = single.seconds;
    assert_eq!(merged, single);
    assert!(assemble_aimfair_images(&p, &cells[1..], "test").unwrap_err().to_string().contains("seeds 0..2"));
}
