//! Hyperparameters of Fair4Free (linfa's checked-params pattern).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the student is distilled from the teacher's fair latents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudentLoss {
    /// Distribution matching: multi-bandwidth RBF maximum mean discrepancy between the student's
    /// batch and a batch of teacher latents (bandwidths: the median pairwise distance times 0.25,
    /// 0.5, 1, 2, 4). The default.
    Mmd,
    /// The paper-literal variant: MSE between the student's output for noise and the teacher
    /// latents of the current batch (pairs are arbitrary, so it pulls the student to the mean).
    Mse,
}

/// The teacher's fairness penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Penalty {
    /// beta dCor^2(mu(x, s), s), the squared sample distance correlation of the batch (the
    /// default; Fair4Free).
    DCor,
    /// beta Dis, FairDisCo's kernel distance covariance between the Gaussian posteriors and s
    /// (the Fair4Free authors' related code; SPEC part A).
    FairDisCo,
}

/// How the sensitive group of a synthetic row is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSampling {
    /// The training marginal (the default).
    Marginal,
    /// Every group equally often.
    Balanced,
}

/// Settings of [`Fair4Free`](crate::methods::fair4free::Fair4Free).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeParams {
    /// Hidden widths of the teacher's encoder and decoder. Default [64].
    pub hidden: Vec<usize>,
    /// Latent dimension. Default 8.
    pub latent: usize,
    /// log10 of the penalty weight beta (the authors' scale); `None` for beta = 0 (an unfair
    /// VAE). Default Some(1.0): beta = 10, chosen by the sweep in docs/FAIR4FREE.md.
    pub beta_log10: Option<f64>,
    /// Which penalty beta weighs. Default `DCor`.
    pub penalty: Penalty,
    /// Weight of the KL term of the teacher's loss (1 = the plain VAE evidence bound; below 1
    /// keeps more information about x in the latent). Default 1.
    pub kl_weight: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Hidden widths of the student (smaller than the teacher's). Default [32].
    pub student_hidden: Vec<usize>,
    pub student_epochs: usize,
    pub student_loss: StudentLoss,
    /// Hidden widths of the label head (reads the fair latent only). Default [16].
    pub head_hidden: Vec<usize>,
    pub head_epochs: usize,
    /// Weight of a label term in the teacher's loss: the binary cross-entropy of the label head
    /// on the sampled fair latent z (never s), trained jointly with the VAE, so that the latent
    /// keeps the information about the label that is independent of s. 0 trains the head only
    /// after the teacher (on its frozen latents). Default 1 (chosen in docs/FAIR4FREE.md).
    pub label_weight: f64,
    pub group_sampling: GroupSampling,
    /// Decoding of categorical columns at generation: 0 takes the decoder's arg-max level; t > 0
    /// draws from softmax(logits / t). Default 1 (the trained likelihood): with the joint label
    /// term the sampled rows keep the label signal and cover the real rows far better than
    /// arg-max rows (numbers in docs/FAIR4FREE.md).
    pub categorical_temperature: f64,
    /// Decoding of numeric columns at generation: the decoder's mean plus `numeric_noise` times
    /// a draw from the learned Gaussian N(0, sigma_j^2) (0: the mean only; 1: the trained
    /// likelihood). Default 0.5 (docs/FAIR4FREE.md).
    pub numeric_noise: f64,
    pub seed: u64,
}

impl Default for Fair4FreeParams {
    fn default() -> Self {
        Fair4FreeParams {
            hidden: vec![64],
            latent: 8,
            beta_log10: Some(1.0),
            penalty: Penalty::DCor,
            kl_weight: 1.0,
            epochs: 20,
            batch_size: 128,
            learning_rate: 1e-3,
            student_hidden: vec![32],
            student_epochs: 20,
            student_loss: StudentLoss::Mmd,
            head_hidden: vec![16],
            head_epochs: 20,
            label_weight: 1.0,
            group_sampling: GroupSampling::Marginal,
            categorical_temperature: 1.0,
            numeric_noise: 0.5,
            seed: 0,
        }
    }
}

impl Fair4FreeParams {
    /// beta = 10^beta_log10, or 0.
    pub fn beta(&self) -> f64 {
        self.beta_log10.map_or(0.0, |b| 10f64.powf(b))
    }

    pub fn beta_log10(mut self, b: Option<f64>) -> Self {
        self.beta_log10 = b;
        self
    }
    pub fn epochs(mut self, e: usize) -> Self {
        self.epochs = e;
        self
    }
    pub fn student_epochs(mut self, e: usize) -> Self {
        self.student_epochs = e;
        self
    }
    pub fn head_epochs(mut self, e: usize) -> Self {
        self.head_epochs = e;
        self
    }
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    pub fn hidden(mut self, h: Vec<usize>) -> Self {
        self.hidden = h;
        self
    }
    pub fn latent(mut self, l: usize) -> Self {
        self.latent = l;
        self
    }
    pub fn student_loss(mut self, l: StudentLoss) -> Self {
        self.student_loss = l;
        self
    }
    pub fn group_sampling(mut self, g: GroupSampling) -> Self {
        self.group_sampling = g;
        self
    }
    pub fn categorical_temperature(mut self, t: f64) -> Self {
        self.categorical_temperature = t;
        self
    }
    pub fn numeric_noise(mut self, a: f64) -> Self {
        self.numeric_noise = a;
        self
    }

    pub fn penalty(mut self, p: Penalty) -> Self {
        self.penalty = p;
        self
    }
    pub fn label_weight(mut self, w: f64) -> Self {
        self.label_weight = w;
        self
    }

    pub fn kl_weight(mut self, w: f64) -> Self {
        self.kl_weight = w;
        self
    }
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<&Self> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(Error::invalid("hidden", format!("{:?}", self.hidden), "at least one hidden layer, widths > 0"));
        }
        if self.latent == 0 {
            return Err(Error::invalid("latent", 0, "must be at least 1"));
        }
        if let Some(b) = self.beta_log10 {
            if !b.is_finite() || b > 12.0 {
                return Err(Error::invalid("beta_log10", b, "must be finite and at most 12"));
            }
        }
        if !(self.kl_weight > 0.0 && self.kl_weight.is_finite()) {
            return Err(Error::invalid("kl_weight", self.kl_weight, "must be finite and > 0"));
        }
        if !(self.label_weight >= 0.0 && self.label_weight.is_finite()) {
            return Err(Error::invalid("label_weight", self.label_weight, "must be finite and >= 0"));
        }
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "must be at least 1"));
        }
        if self.batch_size < 8 {
            return Err(Error::invalid("batch_size", self.batch_size, "must be at least 8 (the penalty compares rows of a batch)"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate < 1.0) {
            return Err(Error::invalid("learning_rate", self.learning_rate, "must lie in (0, 1)"));
        }
        if self.student_hidden.contains(&0) || self.head_hidden.contains(&0) {
            return Err(Error::invalid("student_hidden", format!("{:?}", self.student_hidden), "widths must be > 0"));
        }
        if !(self.categorical_temperature >= 0.0 && self.categorical_temperature.is_finite()) {
            return Err(Error::invalid("categorical_temperature", self.categorical_temperature, "must be finite and >= 0"));
        }
        if !(self.numeric_noise >= 0.0 && self.numeric_noise.is_finite()) {
            return Err(Error::invalid("numeric_noise", self.numeric_noise, "must be finite and >= 0"));
        }
        if self.student_epochs == 0 || self.head_epochs == 0 {
            return Err(Error::invalid("student_epochs", self.student_epochs, "student and head need at least one epoch"));
        }
        Ok(self)
    }
}
