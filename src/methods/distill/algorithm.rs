//! Training a classifier with or without a teacher, and its outputs on a set of images.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::methods::distill::classifier::{ImageClassifier, ImageSet};
use crate::methods::distill::loss::{distillation_loss_terms, softmax_rows};
use crate::report::TrainingCurve;
use crate::methods::distill::params::DistillParams;
use crate::nn::Adam;
use dfdx::prelude::*;

/// One epoch of training.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochLog {
    pub epoch: usize,
    /// Mean loss over the epoch's mini-batches (weighted by batch size).
    pub loss: f64,
    /// Its hard term, `alpha CE` (the whole loss without a teacher), likewise averaged.
    pub hard: f64,
    /// Its soft term, `w KL(teacher || student)` at the temperature; `None` without a teacher.
    pub soft: Option<f64>,
}

impl EpochLog {
    /// The loss terms of a run's epochs as the curve of `model` and `seed`: `cross-entropy`
    /// without a teacher; `hard term (α CE)` and `soft term (w KL)` with one.
    pub fn curve(log: &[EpochLog], model: &str, seed: u64) -> TrainingCurve {
        let mut c = TrainingCurve::new(model, seed);
        for e in log {
            match e.soft {
                None => {
                    c.push("cross-entropy", e.hard);
                }
                Some(soft) => {
                    c.push("hard term (α CE)", e.hard).push("soft term (w KL)", soft);
                }
            }
        }
        c
    }
}

/// Trains `model` on `data` with Adam for `p.epochs` epochs of shuffled mini-batches (the order
/// from a ChaCha8 stream of `p.seed`). With `teacher_logits` (row-major `(n, classes)`, one row
/// per image of `data`, computed once: the teacher is frozen) the loss is the distillation loss;
/// without, plain cross-entropy. Returns each epoch's log (the mean loss and its terms); `observe`
/// sees each epoch.
pub fn fit_classifier<M: ImageClassifier>(
    model: &mut M,
    dev: &Device,
    data: &ImageSet,
    teacher_logits: Option<&[f32]>,
    p: &DistillParams,
    observe: &mut dyn FnMut(&EpochLog),
) -> Result<Vec<EpochLog>> {
    p.check()?;
    let classes = teacher_logits.map(|z| z.len() / data.n.max(1));
    if let (Some(z), Some(k)) = (teacher_logits, classes) {
        if k == 0 || z.len() != data.n * k {
            return Err(Error::LengthMismatch { what: "teacher logits against images x classes".into(), expected: data.n * k.max(1), got: z.len() });
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut order: Vec<usize> = (0..data.n).collect();
    let mut adam = Adam::new(p.learning_rate as f32);
    let mut losses = Vec::with_capacity(p.epochs);
    for epoch in 0..p.epochs {
        order.shuffle(&mut rng);
        let (mut sum, mut hard, mut soft) = (0.0, 0.0, 0.0);
        for idx in order.chunks(p.batch_size) {
            let x = data.batch(dev, idx).leaky_trace();
            let labels: Vec<u32> = idx.iter().map(|&i| data.labels[i]).collect();
            let zt: Option<Vec<f32>> = teacher_logits.zip(classes).map(|(z, k)| idx.iter().flat_map(|&i| z[i * k..(i + 1) * k].iter().copied()).collect());
            let logits = model.logits_train(x);
            let (loss, terms) = distillation_loss_terms(logits, &labels, zt.as_deref(), p)?;
            let value = loss.array();
            if !value.is_finite() {
                return Err(Error::NonFinite { what: format!("training loss (epoch {epoch})"), index: losses.len() });
            }
            sum += value as f64 * idx.len() as f64;
            hard += terms.hard as f64 * idx.len() as f64;
            soft += terms.soft.unwrap_or(0.0) as f64 * idx.len() as f64;
            let grads = loss.backward();
            adam.step(model, &grads);
        }
        let n = data.n as f64;
        let log = EpochLog { epoch, loss: sum / n, hard: hard / n, soft: teacher_logits.map(|_| soft / n) };
        observe(&log);
        losses.push(log);
    }
    Ok(losses)
}

/// The model's logits on every image of `data` (evaluation pass, batches of `batch_size`),
/// row-major `(n, classes)`.
pub fn predict_logits<M: ImageClassifier>(model: &M, dev: &Device, data: &ImageSet, batch_size: usize) -> Vec<f32> {
    let order: Vec<usize> = (0..data.n).collect();
    let mut out = Vec::new();
    for idx in order.chunks(batch_size.max(1)) {
        out.extend(model.logits_eval(data.batch(dev, idx)).as_vec());
    }
    out
}

/// Softmax probabilities (`T = 1`) of [`predict_logits`].
pub fn predict_probabilities<M: ImageClassifier>(model: &M, dev: &Device, data: &ImageSet, batch_size: usize) -> (Vec<f64>, usize) {
    let z = predict_logits(model, dev, data, batch_size);
    let classes = z.len() / data.n;
    (softmax_rows(&z, classes, 1.0), classes)
}
