//! The distillation loss.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::prelude::*;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::methods::distill::params::DistillParams;
use crate::nn::Matrix;

/// Row-wise softmax of `logits / temperature` (`(rows, classes)` row-major), in f64 with the
/// maximum subtracted.
pub fn softmax_rows(logits: &[f32], classes: usize, temperature: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks_exact(classes) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let e: Vec<f64> = row.iter().map(|&z| ((z as f64 - m) / temperature).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| v / s));
    }
    out
}

/// The knowledge-distillation loss of the paper (SPEC part C, "KD loss"; the authors' blog):
///
/// ```text
/// L = alpha * CE(y, softmax(z_s)) + w * KL( softmax(z_t / T) || softmax(z_s / T) ),
/// w = (1 - alpha), or (1 - alpha) T² with `scale_soft_by_t_squared`,
/// ```
///
/// averaged over the batch, with `z_s` the student's logits (on the tape), `z_t` the frozen
/// teacher's logits (host values, row-major `(rows, classes)`), `y` the hard labels. The blog writes
/// the KL with the student's distribution first; we use the usual order of Hinton et al. (2015)
/// and PyTorch's `KLDivLoss(log_softmax(z_s/T), softmax(z_t/T))`, teacher first, so the soft term is
/// a cross-entropy against the teacher's soft targets minus their (constant) entropy. Without a
/// teacher (`None`) the loss is the plain cross-entropy, whatever `alpha` is (the non-distilled
/// student).
///
/// Hand-worked case (two classes, one row, alpha = 0.5, T = 2): z_s = (0, 0), z_t = (2 ln 3, 0),
/// y = 0. CE = ln 2; softmax(z_t / 2) = (3/4, 1/4); KL = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.1308;
/// L = 0.5 (0.6931 + 0.1308) = 0.4120.
///
/// ```
/// use dfdx::prelude::*;
/// use fairdistill::methods::distill::{distillation_loss, DistillParams};
/// let dev = fairdistill::seeded_device(0);
/// let z: fairdistill::nn::Matrix = dev.tensor_from_vec(vec![0.0, 0.0], (1, 2));
/// let zt = [2.0 * 3f32.ln(), 0.0];
/// let p = DistillParams::default().alpha(0.5).temperature(2.0);
/// let l = distillation_loss(z, &[0], Some(&zt), &p).unwrap().array();
/// assert!((l - 0.4120).abs() < 1e-4, "{l}");
/// ```
pub fn distillation_loss<T: Tape<f32, Device> + Merge<NoneTape>>(
    student_logits: Matrix<T>,
    labels: &[u32],
    teacher_logits: Option<&[f32]>,
    p: &DistillParams,
) -> Result<Tensor<Rank0, f32, Device, T>> {
    distillation_loss_terms(student_logits, labels, teacher_logits, p).map(|(loss, _)| loss)
}

/// The two terms of a batch's loss, for training curves: the hard term `alpha CE` (the plain
/// cross-entropy without a teacher) and the soft term `w KL` (`None` without a teacher).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossTerms {
    pub hard: f32,
    pub soft: Option<f32>,
}

/// [`distillation_loss`] with the values of its two terms.
pub fn distillation_loss_terms<T: Tape<f32, Device> + Merge<NoneTape>>(
    student_logits: Matrix<T>,
    labels: &[u32],
    teacher_logits: Option<&[f32]>,
    p: &DistillParams,
) -> Result<(Tensor<Rank0, f32, Device, T>, LossTerms)> {
    p.check()?;
    let (rows, classes) = *student_logits.shape();
    if labels.len() != rows {
        return Err(Error::LengthMismatch { what: "labels against student logits".into(), expected: rows, got: labels.len() });
    }
    if let Some(i) = labels.iter().position(|&y| y as usize >= classes) {
        return Err(Error::invalid("labels", labels[i], format!("a label at index {i} is not below the {classes} classes")));
    }
    let dev = student_logits.device().clone();
    let mut onehot = vec![0f32; rows * classes];
    for (r, &y) in labels.iter().enumerate() {
        onehot[r * classes + y as usize] = 1.0;
    }
    let onehot: Matrix = dev.tensor_from_vec(onehot, (rows, classes));
    let Some(zt) = teacher_logits else {
        let loss = cross_entropy_with_logits_loss(student_logits, onehot);
        let hard = loss.array();
        return Ok((loss, LossTerms { hard, soft: None }));
    };
    if zt.len() != rows * classes {
        return Err(Error::LengthMismatch { what: "teacher logits against student logits".into(), expected: rows * classes, got: zt.len() });
    }
    if let Some(i) = zt.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "teacher logits".into(), index: i });
    }
    let t = p.temperature;
    let soft = softmax_rows(zt, classes, t);
    let entropy = -soft.iter().filter(|&&q| q > 0.0).map(|q| q * q.ln()).sum::<f64>() / rows as f64;
    let soft: Matrix = dev.tensor_from_vec(soft.iter().map(|&q| q as f32).collect(), (rows, classes));
    let (alpha, w) = (p.alpha as f32, p.soft_weight() as f32);
    // z_s feeds two branches: the tape goes through the hard one, then on to the soft one.
    let (z, tape) = student_logits.split_tape();
    let hard = cross_entropy_with_logits_loss(z.clone().put_tape(tape), onehot) * alpha;
    let (hard, tape) = hard.split_tape();
    let soft_ce = cross_entropy_with_logits_loss(z.put_tape(tape) * (1.0 / t as f32), soft) * w;
    let shift = (w as f64 * entropy) as f32;
    let terms = LossTerms { hard: hard.array(), soft: Some(soft_ce.array() - shift) };
    Ok(((soft_ce + hard) - shift, terms))
}
