//! The teacher: a VAE on [x, onehot(s)] whose latent is pushed towards independence of s.

use dfdx::prelude::*;

use crate::device::Device;
use crate::methods::fair4free::layout::Layout;
use crate::methods::fair4free::penalty::Traced;
use crate::methods::fair4free::training::{Backbone, Scalar};
use crate::nn::{Dense, Matrix, ParamMut, Trainable, Vector};

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
    /// Constant masks of the layout's column kinds (not parameters).
    pub(crate) masks: LossMasks,
}

impl Teacher {
    pub fn new(dev: &Device, layout: &Layout, hidden: &[usize], latent: usize) -> Teacher {
        let (x_width, n_groups) = (layout.x_width(), layout.n_groups());
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
            masks: LossMasks::new(dev, layout),
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
#[derive(Clone, Debug)]
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

/// Negative log-likelihood of x under the decoder's logits, summed over columns and averaged over
/// rows: cross-entropy of each one-hot block (log-sum-exp over the block minus the logit of the
/// observed level) plus 0.5 ((logit - x)^2 / sigma_j^2 + log sigma_j^2) for each standardised
/// numeric column j (a Gaussian with the learned variance `num_logvar`, up to a constant).
/// Logits are clamped to [-30, 30] inside the exponential.
pub(crate) fn reconstruction(logits: Matrix<Traced>, x: &Matrix, m: &LossMasks, num_logvar: &Vector) -> Scalar {
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

impl Backbone for Teacher {
    type Input = Matrix;

    fn encode(&self, x: &Matrix, s: &Matrix) -> (Matrix<Traced>, Matrix<Traced>) {
        Teacher::encode(self, x.leaky_trace(), s)
    }

    fn encode_mean(&self, x: &Matrix, s: &Matrix) -> (Matrix, Matrix) {
        Teacher::encode_mean(self, x, s)
    }

    fn reconstruction(&self, z: Matrix<Traced>, s: &Matrix, x: &Matrix) -> Scalar {
        let logits = self.decode(z, s);
        // Tie the numeric log-variances in even when x has no numeric column (Adam reads a
        // gradient for every parameter).
        reconstruction(logits, x, &self.masks, &self.num_logvar) + self.num_logvar.leaky_trace().sum::<(), _>() * 0.0
    }
}
