//! The one Fair4Free algorithm, over any data kind: the teacher's loss and training loop, its
//! latents, the data-free student and the label head. Tables and images differ only in the
//! [`Backbone`] (the encoder/decoder pair and its reconstruction likelihood); the penalty, the
//! student and the head are this file's, so a fix here reaches both.
//!
//! Teacher loss of a batch (Fair4Free, Sikder et al. 2024, section 3.1):
//! `L = NLL(x | decoder(z, s)) + w KL(q(z|x) || N(0, I)) + beta dCor^2(mu, s) [+ lambda CE(head(z), y)]`
//! with `z = mu + sigma eps`. The student (section 3.2) maps noise to latents whose distribution
//! matches the teacher's (MMD, or the paper-literal MSE), without ever seeing x.

use dfdx::losses::{binary_cross_entropy_with_logits_loss, cross_entropy_with_logits_loss};
use dfdx::prelude::*;
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::audit::distance_correlation_sq;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::methods::fair4free::algorithm::EpochLog;
use crate::methods::fair4free::fairdisco::{fairdisco, GroupWeights};
use crate::methods::fair4free::params::{Fair4FreeParams, Penalty, StudentLoss};
use crate::methods::fair4free::penalty::{centred_constant, dcor_sq, Traced};
use crate::methods::fair4free::student::{kernel_mean_const, median_bandwidths, mmd_sq};
use crate::nn::{Adam, Matrix, Mlp, MlpConfig, Trainable};

/// A scalar on the tape.
pub(crate) type Scalar = Tensor<(), f32, Device, Traced>;

/// The data-kind part of a Fair4Free teacher: an encoder from a batch (and its groups s, one-hot)
/// to the posterior `(mu, log sigma^2)`, and a decoder from `(z, s)` scored by the negative
/// log-likelihood of the batch.
pub(crate) trait Backbone: Trainable {
    /// A batch of inputs on the device (a matrix of encoded rows, or feature maps).
    type Input;
    /// `(mu, log sigma^2)` of a batch, on a fresh tape.
    fn encode(&self, x: &Self::Input, s: &Matrix) -> (Matrix<Traced>, Matrix<Traced>);
    /// `(mu, log sigma^2)` without a tape.
    fn encode_mean(&self, x: &Self::Input, s: &Matrix) -> (Matrix, Matrix);
    /// Negative log-likelihood of `x` under the decoder at `(z, s)`, summed over the values of a
    /// row (or image) and averaged over the batch.
    fn reconstruction(&self, z: Matrix<Traced>, s: &Matrix, x: &Self::Input) -> Scalar;
}

/// The parts of one batch's loss, for logs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LossParts {
    pub recon: f32,
    pub kl: f32,
    pub penalty: f32,
    /// The label head's loss on z, before its weight (0 without the label term).
    pub label: f32,
}

/// The penalty of one batch, with its constant parts and beta.
pub(crate) enum BatchPenalty<'a> {
    /// The centred distance matrix of s, its distance variance, beta.
    DCor(&'a Matrix, f32, f32),
    /// The group weights, beta.
    FairDisCo(&'a GroupWeights, f32),
}

/// The optional label term of one batch: the label head, the batch's targets (`(b, 1)` in {0, 1}
/// for a binary head, `(b, k)` one-hot for a k-class head), and the term's weight.
pub(crate) struct BatchLabels<'a> {
    pub head: &'a Mlp,
    pub y: &'a Matrix,
    pub weight: f32,
}

/// The label head's loss: binary cross-entropy for one output, softmax cross-entropy for more.
pub(crate) fn head_loss(logits: Matrix<Traced>, y: &Matrix) -> Scalar {
    if y.shape().1 == 1 {
        binary_cross_entropy_with_logits_loss(logits, y.clone())
    } else {
        cross_entropy_with_logits_loss(logits, y.clone())
    }
}

/// The head's targets for `rows`: a `(b, 1)` column of 0/1 labels (`outputs == 1`) or one-hot
/// rows of width `outputs`.
pub(crate) fn head_targets(dev: &Device, labels: &[u32], rows: &[usize], outputs: usize) -> Matrix {
    if outputs == 1 {
        return dev.tensor_from_vec(rows.iter().map(|&i| labels[i] as f32).collect(), (rows.len(), 1));
    }
    let mut v = vec![0f32; rows.len() * outputs];
    for (r, &i) in rows.iter().enumerate() {
        v[r * outputs + labels[i] as usize] = 1.0;
    }
    dev.tensor_from_vec(v, (rows.len(), outputs))
}

/// One batch's loss: reconstruction + w KL(q(z|x,s) || N(0, I)) + beta dCor^2(mu(x, s), s)
/// [+ lambda head loss(head(z), y)].
///
/// KL = -1/2 sum (1 + log sigma^2 - mu^2 - sigma^2), averaged over rows; z = mu + sigma eps. The
/// label term reads the sampled z only, never s, so it asks the latent to keep what it can of the
/// label without undoing the penalty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn teacher_loss<B: Backbone>(
    net: &B,
    dev: &Device,
    x: &B::Input,
    s: &Matrix,
    penalty: Option<BatchPenalty<'_>>,
    kl_weight: f32,
    labels: Option<BatchLabels<'_>>,
) -> (Scalar, LossParts) {
    let (mu, lv) = net.encode(x, s);
    let b = mu.shape().0;
    let eps: Matrix = dev.sample_normal_like(mu.shape());
    let z = mu.with_empty_tape() + (lv.with_empty_tape() * 0.5).exp() * eps;
    let lv_pen = lv.with_empty_tape();
    let kl = ((lv.with_empty_tape().exp() + mu.with_empty_tape().square() - lv - 1.0) * 0.5).sum::<(), _>() / b as f32;
    let label_loss = labels.map(|l| (head_loss(l.head.forward(z.with_empty_tape()), l.y), l.weight));
    let recon = net.reconstruction(z, s, x);
    let mut parts = LossParts { recon: recon.array(), kl: kl.array(), penalty: 0.0, label: 0.0 };
    let mut loss = recon + kl * kl_weight;
    if let Some((l, weight)) = label_loss {
        parts.label = l.array();
        loss = loss + l * weight;
    }
    // The penalty acts on the posterior mean: on a sampled z the encoder could hide the
    // dependence under inflated noise while mu still encodes s.
    match penalty {
        Some(BatchPenalty::DCor(bs, var_s, beta)) => {
            let pen = dcor_sq(mu, bs, var_s);
            parts.penalty = pen.array();
            loss = loss + pen * beta;
        }
        Some(BatchPenalty::FairDisCo(w, beta)) => {
            let pen = fairdisco(mu, lv_pen, w);
            parts.penalty = pen.array();
            loss = loss + pen * beta;
        }
        None => loss = loss + mu.sum::<(), _>() * 0.0 + lv_pen.sum::<(), _>() * 0.0,
    }
    (loss, parts)
}

pub(crate) fn one_hot(dev: &Device, idx: &[usize], k: usize) -> Matrix {
    let mut v = vec![0f32; idx.len() * k];
    for (i, &g) in idx.iter().enumerate() {
        v[i * k + g] = 1.0;
    }
    dev.tensor_from_vec(v, (idx.len(), k))
}

/// Shuffled mini-batches of `0..n`; every batch has at least 8 rows (a short last one is merged
/// into the one before).
pub(crate) fn batches(n: usize, batch: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut out: Vec<Vec<usize>> = order.chunks(batch).map(|c| c.to_vec()).collect();
    if out.len() > 1 && out.last().is_some_and(|b| b.len() < 8) {
        let last = out.pop().unwrap_or_default();
        if let Some(prev) = out.last_mut() {
            prev.extend(last);
        }
    }
    out
}

/// What the teacher trains on: `n` rows (or images), fetched as device batches by `batch`, with
/// a group index and a label each.
pub(crate) struct TrainingData<'a, I> {
    pub n: usize,
    pub batch: &'a dyn Fn(&[usize]) -> I,
    /// Group index of each row, `0..k`.
    pub groups: &'a [usize],
    pub k: usize,
    /// Label of each row (0/1 for a binary head, `0..outputs` otherwise).
    pub labels: &'a [u32],
    /// Outputs of the label head: 1 (binary) or the number of classes.
    pub head_outputs: usize,
}

impl<I> TrainingData<'_, I> {
    fn s(&self, dev: &Device, rows: &[usize]) -> Matrix {
        one_hot(dev, &rows.iter().map(|&i| self.groups[i]).collect::<Vec<_>>(), self.k)
    }
}

/// dCor^2 between the mean latent of `rows` and their one-hot groups.
pub(crate) fn measured_dcor_sq<B: Backbone>(net: &B, data: &TrainingData<'_, B::Input>, dev: &Device, rows: &[usize]) -> Result<f64> {
    let mut mu_all: Vec<f64> = Vec::new();
    let mut width = 0;
    for chunk in rows.chunks(512) {
        let (mu, _) = net.encode_mean(&(data.batch)(chunk), &data.s(dev, chunk));
        width = mu.shape().1;
        mu_all.extend(mu.as_vec().into_iter().map(f64::from));
    }
    let mu64 = Array2::from_shape_vec((rows.len(), width), mu_all).map_err(|e| Error::Schema(e.to_string()))?;
    let s64 = Array2::from_shape_fn((rows.len(), data.k), |(i, c)| (data.groups[rows[i]] == c) as u8 as f64);
    distance_correlation_sq(mu64.view(), s64.view(), 0.0)
}

/// What every training stage shares: the settings, the device, the seeded stream of batch orders
/// and draws, the caller's observer and the log.
pub(crate) struct Run<'a> {
    pub params: &'a Fair4FreeParams,
    pub dev: &'a Device,
    pub rng: ChaCha8Rng,
    pub observe: &'a mut dyn FnMut(&EpochLog),
    pub log: Vec<EpochLog>,
}

impl Run<'_> {
    /// Shows a finished epoch to the observer and keeps it in the log.
    fn record(&mut self, entry: EpochLog) {
        (self.observe)(&entry);
        self.log.push(entry);
    }
}

/// Trains the teacher (and, with a label weight, the head jointly) on the rows `fit_rows`,
/// logging the held-out dCor^2 of `hold` after every epoch.
pub(crate) fn fit_teacher<B: Backbone>(
    net: &mut B,
    head: &mut Mlp,
    data: &TrainingData<'_, B::Input>,
    fit_rows: &[usize],
    hold: &[usize],
    run: &mut Run<'_>,
) -> Result<()> {
    let (params, dev) = (run.params, run.dev);
    let beta = params.beta() as f32;
    let k = data.k;
    let mut adam = Adam::new(params.learning_rate as f32);
    let mut head_adam = Adam::new(params.learning_rate as f32);
    let label_weight = params.label_weight as f32;
    for epoch in 0..params.epochs {
        let (mut r, mut kl, mut pen, mut lab, mut nb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0usize);
        for b in batches(fit_rows.len(), params.batch_size, &mut run.rng) {
            let rows: Vec<usize> = b.iter().map(|&i| fit_rows[i]).collect();
            let x = (data.batch)(&rows);
            let s = data.s(dev, &rows);
            let s_host = s.as_vec();
            let centred = (beta > 0.0 && params.penalty == Penalty::DCor).then(|| centred_constant(dev, &s_host, rows.len(), k));
            let weights = (beta > 0.0 && params.penalty == Penalty::FairDisCo).then(|| GroupWeights::new(dev, &s_host, rows.len(), k));
            let pen_arg = match (&centred, &weights) {
                (Some((bs, var)), _) => Some(BatchPenalty::DCor(bs, *var, beta)),
                (_, Some(w)) => Some(BatchPenalty::FairDisCo(w, beta)),
                _ => None,
            };
            let y = head_targets(dev, data.labels, &rows, data.head_outputs);
            let label_arg = (label_weight > 0.0).then_some(BatchLabels { head, y: &y, weight: label_weight });
            let (loss, parts) = teacher_loss(net, dev, &x, &s, pen_arg, params.kl_weight as f32, label_arg);
            if !loss.array().is_finite() {
                return Err(Error::NonFinite { what: format!("teacher loss at epoch {epoch}"), index: nb });
            }
            let grads = loss.backward();
            adam.step(net, &grads);
            if label_weight > 0.0 {
                head_adam.step(head, &grads);
            }
            r += parts.recon as f64;
            kl += parts.kl as f64;
            pen += parts.penalty as f64;
            lab += parts.label as f64;
            nb += 1;
        }
        let d = measured_dcor_sq(net, data, dev, hold)?;
        let entry = EpochLog {
            stage: "teacher".into(),
            epoch: epoch + 1,
            epochs: params.epochs,
            loss: r / nb as f64,
            kl: kl / nb as f64,
            penalty: pen / nb as f64,
            label: (label_weight > 0.0).then(|| lab / nb as f64),
            heldout_dcor_sq: Some(d),
        };
        run.record(entry);
    }
    Ok(())
}

/// The teacher's fair latents `z = mu + sigma eps` of every row, row-major `(n, latent)`.
pub(crate) fn teacher_latents<B: Backbone>(net: &B, data: &TrainingData<'_, B::Input>, dev: &Device, chunk: usize) -> Vec<f32> {
    let rows: Vec<usize> = (0..data.n).collect();
    let mut out = Vec::new();
    for c in rows.chunks(chunk.max(1)) {
        let (mu, lv) = net.encode_mean(&(data.batch)(c), &data.s(dev, c));
        let eps: Matrix = dev.sample_normal_like(mu.shape());
        out.extend((mu + (lv * 0.5).exp() * eps).as_vec());
    }
    out
}

/// The student: noise -> latent, distilled from the teacher's latents `z_teacher` (`n` rows of
/// width `l`), never seeing x.
pub(crate) fn fit_student(
    z_teacher: &[f32],
    n: usize,
    l: usize,
    run: &mut Run<'_>,
) -> Mlp {
    let (params, dev) = (run.params, run.dev);
    let mut student = MlpConfig { input: l, hidden: params.student_hidden.clone(), output: l }.build(dev);
    let mut adam = Adam::new(params.learning_rate as f32);
    let bs = params.batch_size.min(n);
    let steps = (n / bs).max(1);
    for epoch in 0..params.student_epochs {
        let mut total = 0.0f64;
        for _ in 0..steps {
            let rows: Vec<usize> = (0..bs).map(|_| run.rng.gen_range(0..n)).collect();
            let target: Vec<f32> = rows.iter().flat_map(|&i| z_teacher[i * l..(i + 1) * l].iter().copied()).collect();
            let noise: Matrix = dev.sample_normal_like(&(bs, l));
            let out = student.forward(noise.leaky_trace());
            let loss = match params.student_loss {
                StudentLoss::Mmd => {
                    let bw = median_bandwidths(&target, bs, l);
                    let kcc = kernel_mean_const(&target, bs, l, &bw);
                    let c: Matrix = dev.tensor_from_vec(target, (bs, l));
                    mmd_sq(out, &c, &bw, kcc)
                }
                StudentLoss::Mse => {
                    let c: Matrix = dev.tensor_from_vec(target, (bs, l));
                    (out - c).square().mean::<(), _>()
                }
            };
            total += loss.array() as f64;
            let grads = loss.backward();
            adam.step(&mut student, &grads);
        }
        let entry = EpochLog::stage("student", epoch + 1, params.student_epochs, total / steps as f64);
        run.record(entry);
    }
    student
}

/// The label head: reads the fair latent only (never s), trained (on from the joint training, if
/// any) on the teacher's latents.
pub(crate) fn fit_head(
    head: &mut Mlp,
    z_teacher: &[f32],
    labels: &[u32],
    outputs: usize,
    l: usize,
    run: &mut Run<'_>,
) {
    let (params, dev) = (run.params, run.dev);
    let n = labels.len();
    let mut adam = Adam::new(params.learning_rate as f32 * 3.0);
    for epoch in 0..params.head_epochs {
        let mut total = 0.0f64;
        let bl = batches(n, params.batch_size, &mut run.rng);
        for b in &bl {
            let z: Vec<f32> = b.iter().flat_map(|&i| z_teacher[i * l..(i + 1) * l].iter().copied()).collect();
            let z: Matrix = dev.tensor_from_vec(z, (b.len(), l));
            let y = head_targets(dev, labels, b, outputs);
            let loss = head_loss(head.forward(z.leaky_trace()), &y);
            total += loss.array() as f64;
            let grads = loss.backward();
            adam.step(head, &grads);
        }
        let entry = EpochLog::stage("head", epoch + 1, params.head_epochs, total / bl.len() as f64);
        run.record(entry);
    }
}
