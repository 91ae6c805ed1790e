//! The teacher: a VAE on [x, onehot(s)] whose latent is pushed towards independence of s.

use dfdx::prelude::*;

use crate::device::Device;
use crate::methods::fair4free::layout::Layout;
use crate::methods::fair4free::fairdisco::{fairdisco, GroupWeights};
use crate::methods::fair4free::penalty::{dcor_sq, Traced};
use crate::nn::{Dense, Matrix, Mlp, ParamMut, Trainable, Vector};
use dfdx::losses::binary_cross_entropy_with_logits_loss;

/// Encoder [x, s] -> (mu, log sigma^2) and decoder [z, s] -> x-logits. A layer fed by two inputs
/// is two dense maps summed (the same as one map of the concatenation), and mu and log sigma^2
/// are two heads on the last hidden layer (the same as one head split in two): neither needs
/// dfdx's `slice`, whose backward overwrites gradients on the CPU in 0.13.
#[derive(Clone, Debug)]
pub struct Teacher {
    pub enc_x: Dense,
    pub enc_s: Dense,
    pub enc_hidden: Vec<Dense>,
    pub mu: Dense,
    pub logvar: Dense,
    pub dec_z: Dense,
    pub dec_s: Dense,
    pub dec_hidden: Vec<Dense>,
    pub dec_out: Dense,
    /// Learned log-variance of each numeric column's Gaussian likelihood (one per column of x;
    /// the entries of categorical columns are unused). Starts at 0 (unit variance).
    pub num_logvar: Vector,
}

impl Teacher {
    pub fn new(dev: &Device, x_width: usize, n_groups: usize, hidden: &[usize], latent: usize) -> Teacher {
        let h0 = hidden[0];
        let last = *hidden.last().unwrap_or(&h0);
        let chain = |dev: &Device| hidden.windows(2).map(|w| Dense::new(dev, w[0], w[1])).collect::<Vec<_>>();
        Teacher {
            enc_x: Dense::new(dev, x_width, h0),
            enc_s: Dense::new(dev, n_groups, h0),
            enc_hidden: chain(dev),
            mu: Dense::new(dev, last, latent),
            logvar: Dense::new(dev, last, latent),
            dec_z: Dense::new(dev, latent, h0),
            dec_s: Dense::new(dev, n_groups, h0),
            dec_hidden: chain(dev),
            dec_out: Dense::new(dev, last, x_width),
            num_logvar: dev.zeros_like(&(x_width,)),
        }
    }

    /// (mu, log sigma^2) of a traced batch.
    pub fn encode(&self, x: Matrix<Traced>, s: &Matrix) -> (Matrix<Traced>, Matrix<Traced>) {
        let mut h = (self.enc_x.forward(x) + self.enc_s.forward(s.leaky_trace())).relu();
        for l in &self.enc_hidden {
            h = l.forward(h).relu();
        }
        let lv = self.logvar.forward(h.with_empty_tape());
        (self.mu.forward(h), lv)
    }

    /// mu of a constant batch (no graph).
    pub fn encode_mean(&self, x: &Matrix, s: &Matrix) -> (Matrix, Matrix) {
        let mut h = (self.enc_x.forward(x.clone()) + self.enc_s.forward(s.clone())).relu();
        for l in &self.enc_hidden {
            h = l.forward(h).relu();
        }
        (self.mu.forward(h.clone()), self.logvar.forward(h))
    }

    /// Decoder logits of a traced latent batch.
    pub fn decode(&self, z: Matrix<Traced>, s: &Matrix) -> Matrix<Traced> {
        let mut h = (self.dec_z.forward(z) + self.dec_s.forward(s.leaky_trace())).relu();
        for l in &self.dec_hidden {
            h = l.forward(h).relu();
        }
        self.dec_out.forward(h)
    }

    /// Decoder output of a constant latent batch.
    pub fn decode_const(&self, z: &Matrix, s: &Matrix) -> Matrix {
        let mut h = (self.dec_z.forward(z.clone()) + self.dec_s.forward(s.clone())).relu();
        for l in &self.dec_hidden {
            h = l.forward(h).relu();
        }
        self.dec_out.forward(h)
    }
}

impl Trainable for Teacher {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.enc_x.visit_params(f);
        self.enc_s.visit_params(f);
        for l in &mut self.enc_hidden {
            l.visit_params(f);
        }
        self.mu.visit_params(f);
        self.logvar.visit_params(f);
        self.dec_z.visit_params(f);
        self.dec_s.visit_params(f);
        for l in &mut self.dec_hidden {
            l.visit_params(f);
        }
        self.dec_out.visit_params(f);
        f(ParamMut::Vector(&mut self.num_logvar));
    }
}

/// Constant tensors describing the reconstruction loss of a layout.
pub(crate) struct LossMasks {
    /// 1 on categorical columns of x.
    cat: Option<Vector>,
    /// x-width x n_blocks: 1 where a column belongs to a block.
    blocks: Option<Matrix>,
    /// 1 on numeric columns of x.
    num: Option<Vector>,
}

impl LossMasks {
    pub fn new(dev: &Device, layout: &Layout) -> LossMasks {
        let w = layout.x_width();
        let nb = layout.categorical_blocks.len();
        let (cat, blocks) = if nb == 0 {
            (None, None)
        } else {
            let mut cat = vec![0f32; w];
            let mut blocks = vec![0f32; w * nb];
            for (b, r) in layout.categorical_blocks.iter().enumerate() {
                for c in r.clone() {
                    cat[c] = 1.0;
                    blocks[c * nb + b] = 1.0;
                }
            }
            (Some(dev.tensor_from_vec(cat, (w,))), Some(dev.tensor_from_vec(blocks, (w, nb))))
        };
        let num = if layout.numeric.is_empty() {
            None
        } else {
            let mut m = vec![0f32; w];
            layout.numeric.iter().for_each(|&c| m[c] = 1.0);
            Some(dev.tensor_from_vec(m, (w,)))
        };
        LossMasks { cat, blocks, num }
    }
}

/// The parts of one batch's loss, for logs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LossParts {
    pub recon: f32,
    pub kl: f32,
    pub penalty: f32,
}

/// Negative log-likelihood of x under the decoder's logits, summed over columns and averaged over
/// rows: cross-entropy of each one-hot block (log-sum-exp over the block minus the logit of the
/// observed level) plus 0.5 ((logit - x)^2 / sigma_j^2 + log sigma_j^2) for each standardised
/// numeric column j (a Gaussian with the learned variance `num_logvar`, up to a constant).
/// Logits are clamped to [-30, 30] inside the exponential.
pub(crate) fn reconstruction(logits: Matrix<Traced>, x: &Matrix, m: &LossMasks, num_logvar: &Vector) -> Tensor<(), f32, Device, Traced> {
    let (b, w) = *logits.shape();
    let mut total: Option<Tensor<(), f32, Device, Traced>> = None;
    let mut add = |t: Tensor<(), f32, Device, Traced>| {
        total = Some(match total.take() {
            Some(acc) => acc + t,
            None => t,
        })
    };
    if let (Some(cat), Some(blocks)) = (&m.cat, &m.blocks) {
        let observed = x.clone() * cat.clone().broadcast_like::<_, Axis<0>>(&(b, w));
        let picked = (logits.with_empty_tape() * observed).sum::<(), _>();
        let lse = logits.with_empty_tape().clamp(-30.0, 30.0).exp().matmul(blocks.clone()).ln().sum::<(), _>();
        add(lse - picked);
    }
    if let Some(num) = &m.num {
        let mask = num.clone().broadcast_like::<_, Axis<0>>(&(b, w));
        let lv = num_logvar.leaky_trace().broadcast_like::<_, Axis<0>>(&(b, w));
        let precision = (lv.with_empty_tape() * -1.0).exp();
        let nll = ((logits.with_empty_tape() - x.clone()).square() * precision + lv) * mask;
        add(nll.sum::<(), _>() * 0.5);
    }
    // Tie the logits' own tape in (a zero-weight term), so the graph is whole whichever parts exist.
    add(logits.sum::<(), _>() * 0.0);
    total.expect("at least the tie term") / b as f32
}

/// The penalty of one batch, with its constant parts and beta.
pub(crate) enum BatchPenalty<'a> {
    /// The centred distance matrix of s, its distance variance, beta.
    DCor(&'a Matrix, f32, f32),
    /// The group weights, beta.
    FairDisCo(&'a GroupWeights, f32),
}

/// The optional label term of one batch: the label head, the batch's labels `(b, 1)` in {0, 1},
/// and the term's weight.
pub(crate) struct BatchLabels<'a> {
    pub head: &'a Mlp,
    pub y: &'a Matrix,
    pub weight: f32,
}

/// One batch's loss: reconstruction + w KL(q(z|x,s) || N(0, I)) + beta dCor^2(mu(x, s), s)
/// [+ lambda BCE(head(z), y)].
///
/// KL = -1/2 sum (1 + log sigma^2 - mu^2 - sigma^2), averaged over rows; z = mu + sigma eps. The
/// label term reads the sampled z only, never s, so it asks the latent to keep what it can of the
/// label without undoing the penalty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn teacher_loss(
    teacher: &Teacher,
    dev: &Device,
    x: &Matrix,
    s: &Matrix,
    masks: &LossMasks,
    penalty: Option<BatchPenalty<'_>>,
    kl_weight: f32,
    labels: Option<BatchLabels<'_>>,
) -> (Tensor<(), f32, Device, Traced>, LossParts) {
    let b = x.shape().0;
    let (mu, lv) = teacher.encode(x.leaky_trace(), s);
    let eps: Matrix = dev.sample_normal_like(mu.shape());
    let z = mu.with_empty_tape() + (lv.with_empty_tape() * 0.5).exp() * eps;
    let lv_pen = lv.with_empty_tape();
    let kl = ((lv.with_empty_tape().exp() + mu.with_empty_tape().square() - lv - 1.0) * 0.5).sum::<(), _>() / b as f32;
    let label_loss = labels.map(|l| {
        let logit = l.head.forward(z.with_empty_tape());
        binary_cross_entropy_with_logits_loss(logit, l.y.clone()) * l.weight
    });
    let logits = teacher.decode(z, s);
    let recon = reconstruction(logits, x, masks, &teacher.num_logvar);
    let mut parts = LossParts { recon: recon.array(), kl: kl.array(), penalty: 0.0 };
    let mut loss = recon + kl * kl_weight;
    if let Some(l) = label_loss {
        loss = loss + l;
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
    // Tie the numeric log-variances in even when x has no numeric column (Adam reads a gradient
    // for every parameter).
    loss = loss + teacher.num_logvar.leaky_trace().sum::<(), _>() * 0.0;
    (loss, parts)
}
