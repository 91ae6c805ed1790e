//! The MLP classifier, its training from scratch and its selective fine-tuning (only the
//! parameter tensors of a mask are updated; the others keep their bits).

use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::aimfair::examples::Examples;
use crate::nn::{Adam, Masked, Matrix, Mlp, MlpConfig, ParamMut, Trainable};

/// One epoch of training: mean batch loss and the accuracy on the validation rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainLog {
    pub stage: String,
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f64,
    pub val_accuracy: f64,
}

impl TrainLog {
    /// A run's epochs as the curve of `model` and `seed`: the training `cross-entropy` and the
    /// `validation accuracy` (not a loss, but what picks the kept epoch).
    pub fn curve(log: &[TrainLog], model: &str, seed: u64) -> crate::report::TrainingCurve {
        let mut c = crate::report::TrainingCurve::new(model, seed);
        for e in log {
            c.push("cross-entropy", e.loss);
            if e.val_accuracy.is_finite() {
                c.push("validation accuracy", e.val_accuracy);
            }
        }
        c
    }
}

/// A binary classifier: an MLP with one logit out (predict 1 when the logit is > 0).
#[derive(Clone, Debug)]
pub struct Classifier {
    pub config: MlpConfig,
    pub mlp: Mlp,
    dev: Device,
}

fn batches(n: usize, batch: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order.chunks(batch).map(|c| c.to_vec()).collect()
}

impl Classifier {
    /// A freshly initialised classifier of `width` inputs (initialisation from `seed`).
    pub fn new(width: usize, hidden: &[usize], seed: u64) -> Classifier {
        let dev = seeded_device(seed);
        let config = MlpConfig { input: width, hidden: hidden.to_vec(), output: 1 };
        let mlp = config.build(&dev);
        Classifier { config, mlp, dev }
    }

    /// Input width.
    pub fn width(&self) -> usize {
        self.config.input
    }

    /// Names of the parameter tensors in visiting order: `layer1.weight`, `layer1.bias`, ...
    pub fn tensor_names(&self) -> Vec<String> {
        (1..=self.mlp.layers.len()).flat_map(|l| [format!("layer{l}.weight"), format!("layer{l}.bias")]).collect()
    }

    /// Scalar count of each parameter tensor, in visiting order.
    pub fn tensor_sizes(&self) -> Vec<usize> {
        self.mlp.layers.iter().flat_map(|l| [l.input() * l.output(), l.output()]).collect()
    }

    /// Each parameter tensor's values, in visiting order.
    pub fn tensors(&self) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        self.mlp.clone().visit_params(&mut |p| match p {
            ParamMut::Matrix(m) => out.push(m.as_vec()),
            ParamMut::Vector(v) => out.push(v.as_vec()),
        });
        out
    }

    pub(crate) fn device(&self) -> &Device {
        &self.dev
    }

    pub(crate) fn matrix(&self, x: Vec<f32>, rows: usize) -> Matrix {
        self.dev.tensor_from_vec(x, (rows, self.width()))
    }

    /// Predicted labels (logit > 0) of every row.
    pub fn predict(&self, data: &Examples) -> Result<Vec<u8>> {
        Ok(self.scores(data)?.iter().map(|&p| (p > 0.5) as u8).collect())
    }

    /// sigmoid(logit) of every row.
    pub fn scores(&self, data: &Examples) -> Result<Vec<f64>> {
        data.check("rows to predict", self.width())?;
        let mut out = Vec::with_capacity(data.len());
        let all: Vec<usize> = (0..data.len()).collect();
        for chunk in all.chunks(4096) {
            let (x, _) = data.rows(chunk);
            let logits = self.mlp.forward(self.matrix(x, chunk.len()));
            out.extend(logits.sigmoid().as_vec().into_iter().map(|v| v as f64));
        }
        Ok(out)
    }

    /// Accuracy on `data`.
    pub fn accuracy(&self, data: &Examples) -> Result<f64> {
        let pred = self.predict(data)?;
        Ok(pred.iter().zip(&data.y).filter(|(p, y)| p == y).count() as f64 / data.len() as f64)
    }

    /// Trains the tensors whose `mask` entry is true (all: `&vec![true; n]`) for `epochs` on
    /// `train` with Adam at `lr` and binary cross-entropy, batches shuffled from `seed`, and keeps
    /// the epoch with the best accuracy on `val` (the first best; the starting point is not a
    /// candidate, as in the paper's checkpoint choice). Tensors outside the mask keep their bits.
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &mut self,
        stage: &str,
        train: &Examples,
        val: &Examples,
        mask: &[bool],
        epochs: usize,
        lr: f64,
        batch_size: usize,
        seed: u64,
        observe: &mut dyn FnMut(&TrainLog),
    ) -> Result<Vec<TrainLog>> {
        let n_tensors = self.tensor_names().len();
        if mask.len() != n_tensors {
            return Err(Error::LengthMismatch { what: "mask entries against parameter tensors".into(), expected: n_tensors, got: mask.len() });
        }
        if !mask.iter().any(|&m| m) {
            return Err(Error::invalid("mask", "no tensor", "select at least one parameter tensor to train"));
        }
        if epochs == 0 {
            return Err(Error::invalid("epochs", 0, "must be at least 1"));
        }
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        train.check(stage, self.width())?;
        val.check("validation rows", self.width())?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut adam = Adam::new(lr as f32);
        let mut best: Option<(f64, Mlp)> = None;
        let mut log = Vec::with_capacity(epochs);
        for epoch in 1..=epochs {
            let (mut total, mut nb) = (0.0f64, 0usize);
            for rows in batches(train.len(), batch_size, &mut rng) {
                let (x, y) = train.rows(&rows);
                let x = self.matrix(x, rows.len());
                let y: Matrix = self.dev.tensor_from_vec(y, (rows.len(), 1));
                let logits = self.mlp.forward(x.leaky_trace());
                let loss = binary_cross_entropy_with_logits_loss(logits, y);
                total += loss.array() as f64;
                nb += 1;
                let grads = loss.backward();
                adam.step(&mut Masked { module: &mut self.mlp, mask }, &grads);
            }
            let val_accuracy = self.accuracy(val)?;
            let entry = TrainLog { stage: stage.to_string(), epoch, epochs, loss: total / nb as f64, val_accuracy };
            observe(&entry);
            log.push(entry);
            if !(total / nb as f64).is_finite() {
                return Err(Error::NonFinite { what: format!("{stage}: training loss"), index: epoch });
            }
            if best.as_ref().map_or(true, |(b, _)| val_accuracy > *b) {
                best = Some((val_accuracy, self.mlp.clone()));
            }
        }
        if let Some((_, mlp)) = best {
            self.mlp = mlp;
        }
        Ok(log)
    }
}
