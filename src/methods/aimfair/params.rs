//! Settings of AIM-Fair's classifier, pretraining, mask and fine-tuning.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Settings of [`AimFair`](crate::methods::aimfair::AimFair) and of its baselines.
///
/// The paper trains a ResNet-18 with SGD (momentum 0.9; lr 0.01 for 15 epochs of pretraining,
/// 0.06 for 10 epochs of fine-tuning, batch 128). On tabular rows we train an MLP with the
/// crate's Adam; epochs and batch follow the paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AimFairParams {
    /// Hidden widths of the MLP classifier (one logit out). Default [64, 64, 32]: 8 parameter
    /// tensors (a weight and a bias per layer), the units the mask selects among.
    pub hidden: Vec<usize>,
    /// Rows per batch (training and the mask's mean gradients). Default 128.
    pub batch_size: usize,
    /// Epochs on the biased real rows. Default 15.
    pub pretrain_epochs: usize,
    /// Adam's learning rate when training from scratch. Default 1e-3.
    pub pretrain_lr: f64,
    /// Epochs of fine-tuning on the balanced synthetic rows. Default 10.
    pub finetune_epochs: usize,
    /// Adam's learning rate when fine-tuning. Default 1e-3.
    pub finetune_lr: f64,
    /// k of the selection (k smallest Δ1 ∩ k largest Δ2); `None` = the paper's ratio 55 of 62
    /// tensors applied to our tensor count, rounded ([`default_top_k`](crate::methods::aimfair::default_top_k)).
    pub top_k: Option<usize>,
    /// Seed of initialisation, batch order and the random mask.
    pub seed: u64,
}

impl Default for AimFairParams {
    fn default() -> Self {
        AimFairParams {
            hidden: vec![64, 64, 32],
            batch_size: 128,
            pretrain_epochs: 15,
            pretrain_lr: 1e-3,
            finetune_epochs: 10,
            finetune_lr: 1e-3,
            top_k: None,
            seed: 0,
        }
    }
}

impl AimFairParams {
    pub fn hidden(mut self, h: Vec<usize>) -> Self {
        self.hidden = h;
        self
    }

    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }

    pub fn pretrain_epochs(mut self, e: usize) -> Self {
        self.pretrain_epochs = e;
        self
    }

    pub fn finetune_epochs(mut self, e: usize) -> Self {
        self.finetune_epochs = e;
        self
    }

    pub fn pretrain_lr(mut self, lr: f64) -> Self {
        self.pretrain_lr = lr;
        self
    }

    pub fn finetune_lr(mut self, lr: f64) -> Self {
        self.finetune_lr = lr;
        self
    }

    pub fn top_k(mut self, k: Option<usize>) -> Self {
        self.top_k = k;
        self
    }

    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    /// The number of parameter tensors of the classifier (2 per layer).
    pub fn n_tensors(&self) -> usize {
        2 * (self.hidden.len() + 1)
    }

    /// k: the given one, or the paper's ratio.
    pub fn k(&self) -> usize {
        self.top_k.unwrap_or_else(|| crate::methods::aimfair::default_top_k(self.n_tensors()))
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<&Self> {
        if self.hidden.contains(&0) {
            return Err(Error::invalid("hidden", format!("{:?}", self.hidden), "widths must be > 0"));
        }
        if self.batch_size < 2 {
            return Err(Error::invalid("batch_size", self.batch_size, "must be at least 2"));
        }
        if self.pretrain_epochs == 0 {
            return Err(Error::invalid("pretrain_epochs", 0, "must be at least 1"));
        }
        if self.finetune_epochs == 0 {
            return Err(Error::invalid("finetune_epochs", 0, "must be at least 1"));
        }
        for (name, lr) in [("pretrain_lr", self.pretrain_lr), ("finetune_lr", self.finetune_lr)] {
            if !(lr > 0.0 && lr < 1.0) {
                return Err(Error::invalid(name, lr, "must lie in (0, 1)"));
            }
        }
        if let Some(k) = self.top_k {
            if k == 0 || k > self.n_tensors() {
                return Err(Error::invalid(
                    "top_k",
                    k,
                    format!("must lie in 1..={} (the classifier's parameter tensors)", self.n_tensors()),
                ));
            }
        }
        Ok(self)
    }
}
