//! Adam (Kingma & Ba 2015) for the crate's runtime-shaped modules, in tensor ops (so it runs on
//! any device).

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::dense::{Matrix, Vector};
use crate::nn::params::{ParamMut, Trainable};

/// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
///
/// m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
/// p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    t: i32,
    moments: Vec<(Moment, Moment)>,
}

enum Moment {
    M(Matrix),
    V(Vector),
}

impl Adam {
    pub fn new(lr: f32) -> Adam {
        Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 0, moments: Vec::new() }
    }

    /// One step on `module`'s parameters with gradients from `grads`. Every parameter of
    /// `module` must have taken part in the loss (dfdx panics on a missing gradient).
    pub fn step(&mut self, module: &mut dyn Trainable, grads: &Gradients<f32, Device>) {
        self.t += 1;
        let (b1, b2, lr, eps) = (self.beta1, self.beta2, self.lr, self.eps);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        let mut i = 0;
        let moments = &mut self.moments;
        module.visit_params(&mut |p| {
            match p {
                ParamMut::Matrix(w) => {
                    if moments.len() <= i {
                        moments.push((Moment::M(w.device().zeros_like(w)), Moment::M(w.device().zeros_like(w))));
                    }
                    {
                        let g: Matrix = grads.get(&*w);
                        if let (Moment::M(m), Moment::M(v)) = &mut moments[i] {
                            *m = m.clone() * b1 + g.clone() * (1.0 - b1);
                            *v = v.clone() * b2 + g.square() * (1.0 - b2);
                            let update = (m.clone() / c1) / ((v.clone() / c2).sqrt() + eps) * lr;
                            *w = w.clone() - update;
                        }
                    }
                }
                ParamMut::Vector(w) => {
                    if moments.len() <= i {
                        moments.push((Moment::V(w.device().zeros_like(w)), Moment::V(w.device().zeros_like(w))));
                    }
                    {
                        let g: Vector = grads.get(&*w);
                        if let (Moment::V(m), Moment::V(v)) = &mut moments[i] {
                            *m = m.clone() * b1 + g.clone() * (1.0 - b1);
                            *v = v.clone() * b2 + g.square() * (1.0 - b2);
                            let update = (m.clone() / c1) / ((v.clone() / c2).sqrt() + eps) * lr;
                            *w = w.clone() - update;
                        }
                    }
                }
            }
            i += 1;
        });
    }
}
