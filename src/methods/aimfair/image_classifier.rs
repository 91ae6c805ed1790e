//! AIM-Fair's image classifier: a CIFAR-style ResNet (ResNet-20 by default, option-A shortcuts,
//! 59 parameter tensors) trained with SGD as the authors train theirs, selectively fine-tuned
//! through a tensor mask, and the mean gradients its mask is built from.

use std::path::Path;

use dfdx::losses::{binary_cross_entropy_with_logits_loss, cross_entropy_with_logits_loss};
use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::images::ImageSplit;
use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::aimfair::finetune::TrainLog;
use crate::methods::aimfair::mask::{add_gradients, divided};
use crate::nn::{load_params, save_params, FeatureMaps, Masked, Matrix, ParamMut, ResNet, ResNetConfig, Sgd, Trainable};

/// SGD with a step schedule: `lr` for the first epochs, multiplied by `gamma` at each epoch of
/// `milestones` (PyTorch's `MultiStepLR`), momentum and weight decay as `torch.optim.SGD`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdSchedule {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    /// Epochs (1-based: the lr of epoch e > m is multiplied once for each milestone m < e).
    pub milestones: Vec<usize>,
    pub gamma: f64,
}

impl SgdSchedule {
    /// The authors' pre-training: momentum 0.9, weight decay 1e-4, lr divided by 10 at each
    /// milestone.
    pub fn new(epochs: usize, lr: f64, milestones: Vec<usize>) -> SgdSchedule {
        SgdSchedule { epochs, batch_size: 128, lr, momentum: 0.9, weight_decay: 1e-4, milestones, gamma: 0.1 }
    }

    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }

    /// The learning rate of epoch `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let drops = self.milestones.iter().filter(|&&m| m < epoch).count();
        self.lr * self.gamma.powi(drops as i32)
    }

    pub fn check(&self) -> Result<&Self> {
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "must be at least 1"));
        }
        if self.batch_size < 2 {
            return Err(Error::invalid("batch_size", self.batch_size, "must be at least 2 (batch normalisation)"));
        }
        if !(self.lr > 0.0 && self.lr < 10.0) {
            return Err(Error::invalid("lr", self.lr, "must lie in (0, 10)"));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(Error::invalid("momentum", self.momentum, "must lie in [0, 1)"));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay < 1.0) {
            return Err(Error::invalid("weight_decay", self.weight_decay, "must lie in [0, 1)"));
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(Error::invalid("gamma", self.gamma, "must lie in (0, 1]"));
        }
        Ok(self)
    }
}

/// A ResNet image classifier (class logits; predicted class = argmax).
#[derive(Clone, Debug)]
pub struct ResNetClassifier {
    pub config: ResNetConfig,
    pub net: ResNet,
    dev: Device,
}

/// Checks a ResNet config before building (the builder asserts).
pub fn check_resnet(config: &ResNetConfig) -> Result<()> {
    if config.depth < 8 || (config.depth - 2) % 6 != 0 {
        return Err(Error::invalid("depth", config.depth, "a CIFAR ResNet has depth 6 n + 2 (20, 32, 44, 56, 110)"));
    }
    if config.widths.contains(&0) || config.in_channels == 0 {
        return Err(Error::invalid("widths", format!("{:?}", config.widths), "widths and input channels must be at least 1"));
    }
    if config.widths[0] > config.widths[1] || config.widths[1] > config.widths[2] {
        return Err(Error::invalid("widths", format!("{:?}", config.widths), "option-A shortcuts need non-decreasing widths"));
    }
    if config.classes == 0 {
        return Err(Error::invalid("classes", 0, "one logit (binary) or at least 2 classes"));
    }
    Ok(())
}

/// The batch-mean loss: binary cross-entropy with logits for one logit (the authors' fc -> 1),
/// cross-entropy over the classes otherwise.
fn cross_entropy(logits: Matrix<OwnedTape<f32, Device>>, labels: &[u32], dev: &Device) -> Tensor<Rank0, f32, Device, OwnedTape<f32, Device>> {
    let (rows, classes) = *logits.shape();
    if classes == 1 {
        let y: Matrix = dev.tensor_from_vec(labels.iter().map(|&v| v as f32).collect(), (rows, 1));
        return binary_cross_entropy_with_logits_loss(logits, y);
    }
    let mut onehot = vec![0f32; rows * classes];
    for (r, &y) in labels.iter().enumerate() {
        onehot[r * classes + y as usize] = 1.0;
    }
    let onehot: Matrix = dev.tensor_from_vec(onehot, (rows, classes));
    cross_entropy_with_logits_loss(logits, onehot)
}

impl ResNetClassifier {
    /// A freshly initialised network (initialisation from `seed`).
    pub fn new(config: &ResNetConfig, seed: u64) -> Result<ResNetClassifier> {
        check_resnet(config)?;
        let dev = seeded_device(seed);
        let net = config.build(&dev);
        Ok(ResNetClassifier { config: config.clone(), net, dev })
    }

    /// Parameter tensor names in visiting order (see [`ResNet::tensor_names`]).
    pub fn tensor_names(&self) -> Vec<String> {
        self.net.tensor_names()
    }

    /// Scalars per parameter tensor, in visiting order.
    pub fn tensor_sizes(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.net.clone().visit_params(&mut |p| {
            out.push(match p {
                ParamMut::Matrix(m) => m.shape().0 * m.shape().1,
                ParamMut::Vector(v) => v.shape().0,
            })
        });
        out
    }

    /// Stem 0, stages 1..=3, dense layer 4, per tensor (see [`ResNet::tensor_parts`]).
    pub fn tensor_parts(&self) -> Vec<usize> {
        self.net.tensor_parts()
    }

    fn check_images(&self, what: &str, images: &ImageSplit) -> Result<()> {
        if images.is_empty() {
            return Err(Error::Empty { what: format!("{what}: no images") });
        }
        if images.channels != self.config.in_channels {
            return Err(Error::LengthMismatch { what: format!("{what}: channels"), expected: self.config.in_channels, got: images.channels });
        }
        let classes = self.config.classes.max(2);
        if let Some(i) = images.labels.iter().position(|&y| y as usize >= classes) {
            return Err(Error::invalid("labels", images.labels[i], format!("{what}: image {i} has a label not below the {classes} classes")));
        }
        Ok(())
    }

    fn batch(&self, images: &ImageSplit, idx: &[usize]) -> FeatureMaps {
        FeatureMaps::gather_images(&self.dev, &images.pixels, images.height, images.width, images.channels, idx)
    }

    /// Class logits of every image (evaluation mode: running statistics), row-major
    /// `(n, classes)`.
    pub fn logits(&self, images: &ImageSplit) -> Result<Vec<f32>> {
        if images.is_empty() {
            return Err(Error::Empty { what: "images to classify: none".into() });
        }
        if images.channels != self.config.in_channels {
            return Err(Error::LengthMismatch { what: "channels of the images to classify".into(), expected: self.config.in_channels, got: images.channels });
        }
        let all: Vec<usize> = (0..images.len()).collect();
        let mut out = Vec::with_capacity(images.len() * self.config.classes);
        for idx in all.chunks(256) {
            out.extend(self.net.forward_eval(self.batch(images, idx)).as_vec());
        }
        Ok(out)
    }

    /// The predicted class of every image: logit > 0 with one logit, else the argmax of the
    /// logits (the first on ties).
    pub fn predict(&self, images: &ImageSplit) -> Result<Vec<u32>> {
        let k = self.config.classes;
        if k == 1 {
            return Ok(self.logits(images)?.iter().map(|&z| (z > 0.0) as u32).collect());
        }
        Ok(self
            .logits(images)?
            .chunks_exact(k)
            .map(|row| row.iter().enumerate().fold((0usize, f32::NEG_INFINITY), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0 as u32)
            .collect())
    }

    /// Share of images whose predicted class is their label.
    pub fn accuracy(&self, images: &ImageSplit) -> Result<f64> {
        let p = self.predict(images)?;
        Ok(p.iter().zip(&images.labels).filter(|(a, b)| a == b).count() as f64 / images.len() as f64)
    }

    /// Trains the tensors whose `mask` entry is true with cross-entropy and SGD on the schedule,
    /// batches shuffled from `seed` (the last short batch dropped when it holds one image, which
    /// batch normalisation cannot use), and keeps the epoch with the best accuracy on `val` (the
    /// first best; the starting point is not a candidate). Tensors outside the mask keep their
    /// bits; the running statistics of every batch normalisation are updated, as in PyTorch's
    /// train mode with `requires_grad = False` on the frozen tensors.
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &mut self,
        stage: &str,
        train: &ImageSplit,
        val: &ImageSplit,
        mask: &[bool],
        schedule: &SgdSchedule,
        seed: u64,
        observe: &mut dyn FnMut(&TrainLog),
    ) -> Result<Vec<TrainLog>> {
        schedule.check()?;
        let n_tensors = self.tensor_sizes().len();
        if mask.len() != n_tensors {
            return Err(Error::LengthMismatch { what: "mask entries against parameter tensors".into(), expected: n_tensors, got: mask.len() });
        }
        if !mask.iter().any(|&m| m) {
            return Err(Error::invalid("mask", "no tensor", "select at least one parameter tensor to train"));
        }
        self.check_images(stage, train)?;
        self.check_images("validation images", val)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sgd = Sgd::new(schedule.lr as f32, schedule.momentum as f32, schedule.weight_decay as f32);
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut best: Option<(f64, ResNet)> = None;
        let mut log = Vec::with_capacity(schedule.epochs);
        for epoch in 1..=schedule.epochs {
            sgd.lr = schedule.lr_at(epoch) as f32;
            order.shuffle(&mut rng);
            let (mut total, mut seen) = (0.0f64, 0usize);
            for idx in order.chunks(schedule.batch_size) {
                if idx.len() < 2 {
                    continue;
                }
                let x = self.batch(train, idx).leaky_trace();
                let labels: Vec<u32> = idx.iter().map(|&i| train.labels[i]).collect();
                let loss = cross_entropy(self.net.forward_train(x), &labels, &self.dev);
                let value = loss.array() as f64;
                if !value.is_finite() {
                    return Err(Error::NonFinite { what: format!("{stage}: training loss (epoch {epoch})"), index: seen });
                }
                total += value * idx.len() as f64;
                seen += idx.len();
                let grads = loss.backward();
                sgd.step(&mut Masked { module: &mut self.net, mask }, &grads);
            }
            let val_accuracy = self.accuracy(val)?;
            let entry = TrainLog { stage: stage.to_string(), epoch, epochs: schedule.epochs, loss: total / seen.max(1) as f64, val_accuracy };
            observe(&entry);
            log.push(entry);
            if best.as_ref().map_or(true, |(b, _)| val_accuracy > *b) {
                best = Some((val_accuracy, self.net.clone()));
            }
        }
        if let Some((_, net)) = best {
            self.net = net;
        }
        Ok(log)
    }

    /// G_D of AIM-Fair's mask: each parameter tensor's gradient of the batch-mean cross-entropy,
    /// averaged over the batches of `data` (shuffled from `seed`), from the current weights with no
    /// optimiser step, in train mode (batch statistics) on a copy, so the classifier and its
    /// running statistics are not changed.
    pub fn mean_gradients(&self, data: &ImageSplit, batch_size: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
        if batch_size < 2 {
            return Err(Error::invalid("batch_size", batch_size, "must be at least 2 (batch normalisation)"));
        }
        self.check_images("images of the mean gradient", data)?;
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let mut sums: Vec<Vec<f64>> = self.tensor_sizes().iter().map(|&n| vec![0.0; n]).collect();
        let mut n_batches = 0usize;
        let mut net = self.net.clone();
        for idx in order.chunks(batch_size) {
            if idx.len() < 2 {
                continue;
            }
            let labels: Vec<u32> = idx.iter().map(|&i| data.labels[i]).collect();
            let loss = cross_entropy(net.forward_train(self.batch(data, idx).leaky_trace()), &labels, &self.dev);
            add_gradients(&mut sums, &mut net, &loss.backward());
            n_batches += 1;
        }
        Ok(divided(sums, n_batches))
    }

    /// Writes `dir/classifier.json` (the config) and `dir/classifier.safetensors` (parameters
    /// and running statistics), each atomically.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let json = serde_json::to_string_pretty(&self.config)?;
        crate::atomic::write_atomic(&dir.join("classifier.json"), json.as_bytes())?;
        let mut copy = self.net.clone();
        let mut running = copy.running_stats();
        save_params(&mut [("net", &mut self.net), ("running", &mut running)], &dir.join("classifier.safetensors"))
    }

    /// Reads what [`save`](Self::save) wrote.
    pub fn load(dir: &Path) -> Result<ResNetClassifier> {
        let path = dir.join("classifier.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let config: ResNetConfig = serde_json::from_str(&text).map_err(|e| Error::Schema(format!("{}: {e}", path.display())))?;
        let mut model = ResNetClassifier::new(&config, 0)?;
        // Two copies: one receives the parameters, the other the running statistics.
        let mut stats = model.net.clone();
        {
            let mut running = stats.running_stats();
            load_params(&mut [("net", &mut model.net), ("running", &mut running)], &dir.join("classifier.safetensors"))?;
        }
        model.net.stem_bn.running_mean = stats.stem_bn.running_mean;
        model.net.stem_bn.running_var = stats.stem_bn.running_var;
        for (dst, src) in model.net.blocks.iter_mut().zip(stats.blocks) {
            dst.bn1.running_mean = src.bn1.running_mean;
            dst.bn1.running_var = src.bn1.running_var;
            dst.bn2.running_mean = src.bn2.running_mean;
            dst.bn2.running_var = src.bn2.running_var;
        }
        Ok(model)
    }
}
