//! Convolutional networks built from the crate's layers: LeNet-5 and the CIFAR ResNets of He et al. (2016) (ResNet-20 and friends), each a device-free
//! config that builds on a device.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::nn::batch_norm::BatchNorm2d;
use crate::nn::conv::{Conv2d, Conv2dConfig};
use crate::nn::dense::{Dense, Matrix};
use crate::nn::maps::{conv_taps, gather_windows, FeatureMaps, IndexCache, WindowIndex};
use crate::nn::params::{ParamMut, Trainable};
use crate::nn::pool::{MaxPool2d, Pool2dConfig};

/// LeNet-5 in its common modern form: conv 5x5 (6) - ReLU - max pool 2 - conv 5x5 (16) - ReLU -
/// max pool 2 - dense 120 - ReLU - dense 84 - ReLU - dense `classes`. For 3x32x32 inputs and 10
/// classes it has 62 006 parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeNet5Config {
    pub in_channels: usize,
    /// Height and width of the (square) input images; at least 16.
    pub image_size: usize,
    pub classes: usize,
}

impl Default for LeNet5Config {
    /// CIFAR-10: 3x32x32 images, 10 classes.
    fn default() -> Self {
        LeNet5Config { in_channels: 3, image_size: 32, classes: 10 }
    }
}

impl LeNet5Config {
    pub fn build(&self, dev: &Device) -> LeNet5 {
        assert!(self.image_size >= 16, "LeNet5Config: image_size {} < 16", self.image_size);
        let s = ((self.image_size - 4) / 2 - 4) / 2;
        LeNet5 {
            conv1: Conv2dConfig::new(self.in_channels, 6, 5).build(dev),
            conv2: Conv2dConfig::new(6, 16, 5).build(dev),
            pool: Pool2dConfig::new(2).build_max(dev),
            fc1: Dense::new(dev, 16 * s * s, 120),
            fc2: Dense::new(dev, 120, 84),
            fc3: Dense::new(dev, 84, self.classes),
        }
    }
}

/// See [`LeNet5Config`].
#[derive(Clone, Debug)]
pub struct LeNet5 {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub pool: MaxPool2d,
    pub fc1: Dense,
    pub fc2: Dense,
    pub fc3: Dense,
}

impl LeNet5 {
    /// Logits `(N, classes)`.
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        self.fc3.forward(self.features(x))
    }

    /// The penultimate layer's activations `(N, 84)` (after its ReLU): the feature space in which
    /// synthetic images are compared with real ones.
    pub fn features<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        let h = self.pool.forward(self.conv1.forward(x).relu());
        let h = self.pool.forward(self.conv2.forward(h).relu()).flatten();
        self.fc2.forward(self.fc1.forward(h).relu()).relu()
    }

    /// Multiply-adds of one forward pass per image (convolutions and dense layers).
    pub fn macs_per_image(&self, image_size: usize) -> usize {
        let mut macs = 0;
        let mut s = image_size;
        for conv in [&self.conv1, &self.conv2] {
            let (o, _) = conv.config.output_size(s, s);
            macs += o * o * conv.weight.shape().0 * conv.weight.shape().1;
            s = o / 2;
        }
        for d in [&self.fc1, &self.fc2, &self.fc3] {
            macs += d.input() * d.output();
        }
        macs
    }
}

impl Trainable for LeNet5 {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.conv1.visit_params(f);
        self.conv2.visit_params(f);
        self.fc1.visit_params(f);
        self.fc2.visit_params(f);
        self.fc3.visit_params(f);
    }
}

/// The CIFAR ResNets of He et al. (2016), section 4.2: a 3x3 convolution, three stages of
/// `(depth - 2) / 6` basic blocks (two 3x3 convolutions with batch normalisation) of widths
/// `widths`, the second and third starting with stride 2, global average pooling, and a dense
/// layer. Shortcuts are parameter-free ("option A"): identity, or a stride-2 subsample with zero
/// channels appended (PyTorch ports often put half the zero channels before and half after; here
/// all come after, which only matters when importing such weights). ResNet-20 (the default) has
/// 269 722 parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResNetConfig {
    pub in_channels: usize,
    /// `6 n + 2`: 20, 32, 44, 56, 110.
    pub depth: usize,
    pub widths: [usize; 3],
    pub classes: usize,
}

impl Default for ResNetConfig {
    /// ResNet-20 for CIFAR-10.
    fn default() -> Self {
        ResNetConfig { in_channels: 3, depth: 20, widths: [16, 32, 64], classes: 10 }
    }
}

impl ResNetConfig {
    pub fn build(&self, dev: &Device) -> ResNet {
        assert!(self.depth >= 8 && (self.depth - 2).is_multiple_of(6), "ResNetConfig: depth {} is not 6n + 2", self.depth);
        let per_stage = (self.depth - 2) / 6;
        let conv3 = |i: usize, o: usize, s: usize| Conv2dConfig::new(i, o, 3).stride(s).padding(1).bias(false).build(dev);
        let mut blocks = Vec::new();
        let mut c = self.widths[0];
        for (stage, &width) in self.widths.iter().enumerate() {
            for b in 0..per_stage {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                blocks.push(BasicBlock {
                    conv1: conv3(c, width, stride),
                    bn1: BatchNorm2d::new(dev, width),
                    conv2: conv3(width, width, 1),
                    bn2: BatchNorm2d::new(dev, width),
                    shortcut: (stride != 1 || c != width).then(|| Subsample { stride, extra: width - c, cache: IndexCache::default() }),
                });
                c = width;
            }
        }
        ResNet {
            stem: conv3(self.in_channels, self.widths[0], 1),
            stem_bn: BatchNorm2d::new(dev, self.widths[0]),
            blocks,
            fc: Dense::new(dev, c, self.classes),
        }
    }
}

/// See [`ResNetConfig`].
#[derive(Clone, Debug)]
pub struct ResNet {
    pub stem: Conv2d,
    pub stem_bn: BatchNorm2d,
    pub blocks: Vec<BasicBlock>,
    pub fc: Dense,
}

/// Two 3x3 convolutions with batch normalisation and a parameter-free shortcut.
#[derive(Clone, Debug)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm2d,
    pub conv2: Conv2d,
    pub bn2: BatchNorm2d,
    shortcut: Option<Subsample>,
}

/// Option-A shortcut: every `stride`-th pixel, `extra` zero channels appended.
#[derive(Clone, Debug)]
struct Subsample {
    stride: usize,
    extra: usize,
    cache: IndexCache,
}

impl Subsample {
    fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let (n, h, w) = (x.n, x.h, x.w);
        let dev = x.data.device().clone();
        let s = self.stride;
        let index = self.cache.get_or_build((n, h, w), || {
            let (oh, ow) = ((h - 1) / s + 1, (w - 1) / s + 1);
            WindowIndex::build(&dev, n, h, w, &conv_taps(h, oh, 1, s, 0, 1), &conv_taps(w, ow, 1, s, 0, 1))
        });
        let mut d = gather_windows(x.data, &index, 0.0);
        if self.extra > 0 {
            let rows = d.shape().0;
            let zeros: Matrix = dev.zeros_like(&(rows, self.extra));
            d = (d, zeros).concat_along(Axis::<1>);
        }
        FeatureMaps::new(d, n, index.out_h, index.out_w)
    }
}

impl BasicBlock {
    /// With batch statistics in the normalisations (running ones updated).
    pub fn forward_train<T: Tape<f32, Device> + Merge<NoneTape>>(&mut self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let (bn1, bn2) = (&mut self.bn1, &mut self.bn2);
        residual(&self.conv1, &self.conv2, self.shortcut.as_ref(), x, |y| bn1.forward_train(y), |y| bn2.forward_train(y))
    }

    /// With the running statistics.
    pub fn forward_eval<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        residual(&self.conv1, &self.conv2, self.shortcut.as_ref(), x, |y| self.bn1.forward_eval(y), |y| self.bn2.forward_eval(y))
    }
}

/// `relu(shortcut(x) + norm2(conv2(relu(norm1(conv1(x))))))`, one tape through both branches.
fn residual<T: Tape<f32, Device> + Merge<NoneTape>>(
    conv1: &Conv2d,
    conv2: &Conv2d,
    shortcut: Option<&Subsample>,
    x: FeatureMaps<T>,
    norm1: impl FnOnce(FeatureMaps<T>) -> FeatureMaps<T>,
    norm2: impl FnOnce(FeatureMaps<T>) -> FeatureMaps<T>,
) -> FeatureMaps<T> {
    let (n, h, w) = (x.n, x.h, x.w);
    let (xd, tape) = x.data.split_tape();
    let y = conv1.forward(FeatureMaps::new(xd.clone().put_tape(tape), n, h, w));
    let y = norm2(conv2.forward(norm1(y).relu()));
    let (yn, yh, yw) = (y.n, y.h, y.w);
    let (yd, tape) = y.data.split_tape();
    let skip = FeatureMaps::new(xd.put_tape(tape), n, h, w);
    let skip = match shortcut {
        Some(s) => s.forward(skip),
        None => skip,
    };
    FeatureMaps::new((skip.data + yd).relu(), yn, yh, yw)
}

impl ResNet {
    /// Logits `(N, classes)`, batch statistics in the normalisations (running ones updated).
    pub fn forward_train<T: Tape<f32, Device> + Merge<NoneTape>>(&mut self, x: FeatureMaps<T>) -> Matrix<T> {
        let h = self.stem.forward(x);
        let mut h = self.stem_bn.forward_train(h).relu();
        for b in &mut self.blocks {
            h = b.forward_train(h);
        }
        self.fc.forward(h.global_avg_pool())
    }

    /// Logits `(N, classes)` with the running statistics.
    pub fn forward_eval<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        let h = self.stem.forward(x);
        let mut h = self.stem_bn.forward_eval(h).relu();
        for b in &self.blocks {
            h = b.forward_eval(h);
        }
        self.fc.forward(h.global_avg_pool())
    }
}

impl ResNet {
    /// Blocks per stage.
    pub fn blocks_per_stage(&self) -> usize {
        self.blocks.len() / 3
    }

    /// Names of the parameter tensors in visiting order, as the CIFAR ResNet ports name them:
    /// `conv1.weight`, `bn1.weight`, `bn1.bias`, `layer{s}.{b}.conv1.weight`, ...,
    /// `linear.weight`, `linear.bias` (batch-norm `weight` is gamma, `bias` is beta). ResNet-20
    /// has 59 tensors (the convolutions have no bias).
    pub fn tensor_names(&self) -> Vec<String> {
        let mut names = vec!["conv1.weight".to_string(), "bn1.weight".into(), "bn1.bias".into()];
        let per = self.blocks_per_stage().max(1);
        for (i, b) in self.blocks.iter().enumerate() {
            let prefix = format!("layer{}.{}", i / per + 1, i % per);
            names.push(format!("{prefix}.conv1.weight"));
            names.extend([format!("{prefix}.bn1.weight"), format!("{prefix}.bn1.bias")]);
            names.push(format!("{prefix}.conv2.weight"));
            names.extend([format!("{prefix}.bn2.weight"), format!("{prefix}.bn2.bias")]);
            debug_assert!(b.conv1.bias.is_none() && b.conv2.bias.is_none());
        }
        names.extend(["linear.weight".to_string(), "linear.bias".into()]);
        names
    }

    /// The part of the network each parameter tensor belongs to, in visiting order: 0 for the
    /// stem (first convolution and its normalisation), 1..=3 for the stages, 4 for the dense
    /// layer.
    pub fn tensor_parts(&self) -> Vec<usize> {
        let per = self.blocks_per_stage().max(1);
        let mut parts = vec![0; 3];
        for i in 0..self.blocks.len() {
            parts.extend([i / per + 1; 6]);
        }
        parts.extend([4, 4]);
        parts
    }

    /// The running statistics of every batch normalisation (mean, then variance, in visiting
    /// order) as a [`Trainable`] view, so that `save_params`/`load_params` store and restore
    /// them beside the parameters. An optimiser must never step this view.
    pub fn running_stats(&mut self) -> RunningStats<'_> {
        RunningStats(self)
    }
}

/// See [`ResNet::running_stats`].
pub struct RunningStats<'a>(&'a mut ResNet);

impl Trainable for RunningStats<'_> {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        let net = &mut *self.0;
        f(ParamMut::Vector(&mut net.stem_bn.running_mean));
        f(ParamMut::Vector(&mut net.stem_bn.running_var));
        for b in &mut net.blocks {
            for bn in [&mut b.bn1, &mut b.bn2] {
                f(ParamMut::Vector(&mut bn.running_mean));
                f(ParamMut::Vector(&mut bn.running_var));
            }
        }
    }
}

impl Trainable for BasicBlock {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.conv1.visit_params(f);
        self.bn1.visit_params(f);
        self.conv2.visit_params(f);
        self.bn2.visit_params(f);
    }
}

impl Trainable for ResNet {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.stem.visit_params(f);
        self.stem_bn.visit_params(f);
        for b in &mut self.blocks {
            b.visit_params(f);
        }
        self.fc.visit_params(f);
    }
}
