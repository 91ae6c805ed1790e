//! Stochastic gradient descent with momentum and weight decay (PyTorch's `torch.optim.SGD`,
//! dampening 0, not Nesterov), for the crate's runtime-shaped modules, in tensor ops.

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::dense::{Matrix, Vector};
use crate::nn::params::{ParamMut, Trainable};

/// SGD as PyTorch computes it, per parameter p with gradient g:
///
/// ```text
/// d = g + weight_decay * p
/// b = d                      (first step)
/// b = momentum * b + d       (later steps)
/// p = p - lr * b
/// ```
///
/// The learning rate may change between steps (a step schedule sets `lr`).
pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    buffers: Vec<Buffer>,
}

enum Buffer {
    M(Matrix),
    V(Vector),
}

impl Sgd {
    pub fn new(lr: f32, momentum: f32, weight_decay: f32) -> Sgd {
        Sgd { lr, momentum, weight_decay, buffers: Vec::new() }
    }

    /// One step on `module`'s parameters with gradients from `grads`. Every visited parameter
    /// must have taken part in the loss, and `module` must visit the same parameters in the same
    /// order at every step (the momentum buffers are matched by position).
    pub fn step(&mut self, module: &mut dyn Trainable, grads: &Gradients<f32, Device>) {
        let (lr, mu, wd) = (self.lr, self.momentum, self.weight_decay);
        let buffers = &mut self.buffers;
        let mut i = 0;
        module.visit_params(&mut |p| {
            match p {
                ParamMut::Matrix(w) => {
                    let g: Matrix = grads.get(&*w);
                    let d = if wd != 0.0 { g + w.clone() * wd } else { g };
                    let b = match buffers.get(i) {
                        Some(Buffer::M(b)) if mu != 0.0 => b.clone() * mu + d,
                        _ => d,
                    };
                    *w = w.clone() - b.clone() * lr;
                    if buffers.len() <= i {
                        buffers.push(Buffer::M(b));
                    } else {
                        buffers[i] = Buffer::M(b);
                    }
                }
                ParamMut::Vector(w) => {
                    let g: Vector = grads.get(&*w);
                    let d = if wd != 0.0 { g + w.clone() * wd } else { g };
                    let b = match buffers.get(i) {
                        Some(Buffer::V(b)) if mu != 0.0 => b.clone() * mu + d,
                        _ => d,
                    };
                    *w = w.clone() - b.clone() * lr;
                    if buffers.len() <= i {
                        buffers.push(Buffer::V(b));
                    } else {
                        buffers[i] = Buffer::V(b);
                    }
                }
            }
            i += 1;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::seeded_device;
    use crate::nn::Dense;

    /// Two steps of a 1 x 1 dense layer (w = 1, b = 0) on loss (w x + b)² at x = 1, worked by
    /// hand with lr 0.1, momentum 0.9, weight decay 0.5.
    #[test]
    fn two_steps_match_pytorchs_update_rule() {
        let dev = seeded_device(0);
        let mut layer = Dense::new(&dev, 1, 1);
        layer.weight = dev.tensor_from_vec(vec![1.0], (1, 1));
        layer.bias = dev.tensor_from_vec(vec![0.0], (1,));
        let mut sgd = Sgd::new(0.1, 0.9, 0.5);
        let x: Matrix = dev.tensor_from_vec(vec![1.0], (1, 1));
        let mut seen = Vec::new();
        for _ in 0..2 {
            let y = layer.forward(x.leaky_trace());
            let loss = y.square().sum();
            let grads = loss.backward();
            sgd.step(&mut layer, &grads);
            seen.push(layer.weight.as_vec()[0]);
        }
        // b moves too (its gradient is 2 (w + b)), so the second step of w sees y = w + b.
        // Step 1: w: d = 2 + 0.5 = 2.5 -> 0.75; b: d = 2 -> -0.2.
        assert!((seen[0] - 0.75).abs() < 1e-6, "{seen:?}");
        // Step 2: y = 0.75 - 0.2 = 0.55, g_w = 1.1, d = 1.1 + 0.375 = 1.475,
        // b_w = 0.9 * 2.5 + 1.475 = 3.725, w = 0.75 - 0.3725 = 0.3775.
        assert!((seen[1] - 0.3775).abs() < 1e-6, "{seen:?}");
    }
}
