//! Settings of a distillation (or plain cross-entropy) training run.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a student (or, without a teacher, any classifier) is trained.
///
/// The loss is in [`distillation_loss`](crate::methods::distill::distillation_loss); training is
/// Adam on shuffled mini-batches ([`fit_classifier`](crate::methods::distill::fit_classifier)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillParams {
    /// Weight of the hard-label cross-entropy; the soft term gets `1 - alpha`. The paper uses
    /// 0.8 for all experiments (the default).
    pub alpha: f64,
    /// Softmax temperature T of the soft term (> 0). The paper sweeps 1 to 10.
    pub temperature: f64,
    /// Multiply the soft term by T² (Hinton et al.'s correction, which keeps its gradient scale
    /// independent of T). Off by default: the paper's loss as written in the authors' blog has no
    /// T², and whether their code had it is not stated.
    pub scale_soft_by_t_squared: bool,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of the mini-batch order.
    pub seed: u64,
}

impl Default for DistillParams {
    /// alpha 0.8, T 4, no T², 10 epochs, batch 64 (the paper's Trifeature batch size), Adam 1e-3.
    fn default() -> Self {
        DistillParams {
            alpha: 0.8,
            temperature: 4.0,
            scale_soft_by_t_squared: false,
            epochs: 10,
            batch_size: 64,
            learning_rate: 1e-3,
            seed: 0,
        }
    }
}

impl DistillParams {
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = t;
        self
    }
    pub fn scale_soft_by_t_squared(mut self, on: bool) -> Self {
        self.scale_soft_by_t_squared = on;
        self
    }
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The params if valid, or the first bad one.
    pub fn check(&self) -> Result<&Self> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Error::invalid("alpha", self.alpha, "the hard-label weight must lie in [0, 1]"));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(Error::invalid("temperature", self.temperature, "must be a positive number"));
        }
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "train for at least one epoch"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::invalid("learning_rate", self.learning_rate, "must be a positive number"));
        }
        Ok(self)
    }

    /// Weight of the soft term: `(1 - alpha)`, times T² when that option is on.
    pub fn soft_weight(&self) -> f64 {
        let w = 1.0 - self.alpha;
        if self.scale_soft_by_t_squared {
            w * self.temperature * self.temperature
        } else {
            w
        }
    }
}
