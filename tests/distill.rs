//! The distillation loss against hand and finite-difference computations, and a tiny distilled
//! student that learns and reproduces.

use dfdx::prelude::*;
use fairdistill::data::TrifeatureParams;
use fairdistill::methods::distill::{distillation_loss, fit_classifier, predict_logits, DistillParams, ImageSet};
use fairdistill::nn::{LeNet5Config, Matrix, Trainable};
use fairdistill::{seeded_device, Error};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The loss in f64 on the host, written from the formula.
fn host_loss(z: &[f64], labels: &[u32], zt: &[f64], classes: usize, p: &DistillParams) -> f64 {
    let rows = labels.len();
    let softmax = |r: &[f64], t: f64| -> Vec<f64> {
        let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = r.iter().map(|v| ((v - m) / t).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    };
    let mut total = 0.0;
    for i in 0..rows {
        let zs = &z[i * classes..(i + 1) * classes];
        let ce = -softmax(zs, 1.0)[labels[i] as usize].ln();
        let pt = softmax(&zt[i * classes..(i + 1) * classes], p.temperature);
        let ps = softmax(zs, p.temperature);
        let kl: f64 = pt.iter().zip(&ps).map(|(a, b)| a * (a / b).ln()).sum();
        total += p.alpha * ce + p.soft_weight() * kl;
    }
    total / rows as f64
}

fn case(seed: u64) -> (Vec<f32>, Vec<u32>, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let z: Vec<f32> = (0..12).map(|_| rng.gen_range(-2.0f32..2.0)).collect();
    let zt: Vec<f32> = (0..12).map(|_| rng.gen_range(-4.0f32..4.0)).collect();
    (z, vec![0, 3, 1], zt)
}

#[test]
fn loss_matches_the_formula() {
    let dev = seeded_device(0);
    let (z, y, zt) = case(1);
    for p in [
        DistillParams::default(),
        DistillParams::default().temperature(1.0),
        DistillParams::default().temperature(7.0).scale_soft_by_t_squared(true),
        DistillParams::default().alpha(0.0).temperature(2.5),
    ] {
        let m: Matrix = dev.tensor_from_vec(z.clone(), (3, 4));
        let got = distillation_loss(m, &y, Some(&zt), &p).unwrap().array() as f64;
        let z64: Vec<f64> = z.iter().map(|&v| v as f64).collect();
        let zt64: Vec<f64> = zt.iter().map(|&v| v as f64).collect();
        let want = host_loss(&z64, &y, &zt64, 4, &p);
        assert!((got - want).abs() < 1e-5 * (1.0 + want.abs()), "{p:?}: got {got}, want {want}");
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let dev = seeded_device(0);
    let (z, y, zt) = case(2);
    let zt64: Vec<f64> = zt.iter().map(|&v| v as f64).collect();
    for p in [DistillParams::default().temperature(3.0), DistillParams::default().temperature(5.0).scale_soft_by_t_squared(true)] {
        let m: Matrix = dev.tensor_from_vec(z.clone(), (3, 4));
        let grads = distillation_loss(m.leaky_trace(), &y, Some(&zt), &p).unwrap().backward();
        let g = grads.get(&m).as_vec();
        let eps = 1e-4;
        for i in 0..12 {
            let mut up: Vec<f64> = z.iter().map(|&v| v as f64).collect();
            let mut down = up.clone();
            up[i] += eps;
            down[i] -= eps;
            let fd = (host_loss(&up, &y, &zt64, 4, &p) - host_loss(&down, &y, &zt64, 4, &p)) / (2.0 * eps);
            assert!((g[i] as f64 - fd).abs() < 1e-4, "{p:?} [{i}]: autodiff {}, finite differences {fd}", g[i]);
        }
    }
}

#[test]
fn alpha_one_is_plain_cross_entropy() {
    let dev = seeded_device(0);
    let (z, y, zt) = case(3);
    let p = DistillParams::default().alpha(1.0).temperature(6.0);
    let m: Matrix = dev.tensor_from_vec(z.clone(), (3, 4));
    let kd = distillation_loss(m.leaky_trace(), &y, Some(&zt), &p).unwrap();
    let ce = distillation_loss(m.leaky_trace(), &y, None, &p).unwrap();
    let mut onehot = vec![0f32; 12];
    for (r, &c) in y.iter().enumerate() {
        onehot[r * 4 + c as usize] = 1.0;
    }
    let reference = dfdx::losses::cross_entropy_with_logits_loss(m.clone(), dev.tensor_from_vec(onehot, (3, 4))).array();
    assert!((kd.array() - reference).abs() < 1e-6);
    assert!((ce.array() - reference).abs() < 1e-6);
    let (gk, gc) = (kd.backward().get(&m).as_vec(), ce.backward().get(&m).as_vec());
    for (a, b) in gk.iter().zip(&gc) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn bad_inputs_are_errors() {
    let dev = seeded_device(0);
    let (z, y, zt) = case(4);
    let m: Matrix = dev.tensor_from_vec(z, (3, 4));
    let p = DistillParams::default();
    let bad = |r: fairdistill::Result<_>| r.map(|_: Tensor<Rank0, f32, _>| ()).unwrap_err();
    assert!(matches!(bad(distillation_loss(m.clone(), &y[..2], Some(&zt), &p)), Error::LengthMismatch { .. }));
    assert!(matches!(bad(distillation_loss(m.clone(), &[0, 1, 9], Some(&zt), &p)), Error::InvalidParam { name: "labels", .. }));
    assert!(matches!(bad(distillation_loss(m.clone(), &y, Some(&zt[..6]), &p)), Error::LengthMismatch { .. }));
    let mut nan = zt.clone();
    nan[5] = f32::NAN;
    assert!(matches!(bad(distillation_loss(m.clone(), &y, Some(&nan), &p)), Error::NonFinite { .. }));
    for (q, name) in [
        (p.clone().alpha(1.2), "alpha"),
        (p.clone().temperature(0.0), "temperature"),
        (p.clone().temperature(f64::INFINITY), "temperature"),
        (p.clone().epochs(0), "epochs"),
        (p.clone().batch_size(0), "batch_size"),
        (p.clone().learning_rate(-1.0), "learning_rate"),
    ] {
        match q.check() {
            Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(ImageSet::new(&[0.0; 10], &[0], 2, 2, 3).is_err());
}

#[test]
fn a_tiny_distilled_student_learns_and_a_seed_reproduces_it() {
    let set = TrifeatureParams::default().n(200).size(16).colour_bias(1.0).seed(1).generate().unwrap();
    let data = ImageSet::new(&set.images, &set.labels, 16, 16, 3).unwrap();
    // Colour = shape (bias 1): an easy task. A "teacher" that knows the labels: logits 4 on the true class.
    let zt: Vec<f32> = set.labels.iter().flat_map(|&y| (0..10).map(move |c| if c == y { 4.0 } else { 0.0 })).collect();
    let run = || {
        let dev = seeded_device(7);
        let mut net = LeNet5Config { in_channels: 3, image_size: 16, classes: 10 }.build(&dev);
        let p = DistillParams::default().temperature(2.0).epochs(6).batch_size(32).learning_rate(3e-3).seed(3);
        let mut seen = 0;
        let losses = fit_classifier(&mut net, &dev, &data, Some(&zt), &p, &mut |_| seen += 1).unwrap();
        assert_eq!(seen, 6);
        (losses, net.flat_params(), predict_logits(&net, &dev, &data, 64))
    };
    let (l1, p1, z1) = run();
    assert!(l1[5].loss < 0.8 * l1[0].loss, "loss {l1:?}");
    for e in &l1 {
        // The logged terms add up to the loss (each an epoch mean of the batch values).
        let soft = e.soft.expect("a teacher gives a soft term");
        assert!((e.hard + soft - e.loss).abs() < 1e-4 * e.loss.abs().max(1.0), "{e:?}");
    }
    let (l2, p2, z2) = run();
    assert_eq!(l1, l2);
    assert_eq!(p1, p2, "same seed, same bits");
    assert_eq!(z1, z2);
    assert_eq!(z1.len(), 200 * 10);
}
