//! Pooling on channels-last [`FeatureMaps`]: max and average over sliding windows (a row gather of
//! the windows, then `max`/`mean` over the window axis), global average pooling, and flattening.
//! dfdx 0.13's `Pool2D` needs its `nightly` feature, which does not build on stable.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::Result;
use crate::nn::conv::check_positive;
use crate::nn::dense::Matrix;
use crate::nn::maps::{conv_taps, gather_windows, window_out, FeatureMaps, IndexCache, WindowIndex};
use crate::nn::params::{ParamMut, Trainable};

/// Window of a pooling layer (device-free). Pairs are `(vertical, horizontal)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool2dConfig {
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
}

impl Pool2dConfig {
    /// A square `kernel x kernel` window with stride `kernel` (PyTorch's default) and no padding.
    pub fn new(kernel: usize) -> Self {
        Pool2dConfig { kernel: (kernel, kernel), stride: (kernel, kernel), padding: (0, 0) }
    }

    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = (stride, stride);
        self
    }

    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = (padding, padding);
        self
    }

    /// Checks that kernel and stride are positive and that padding is at most half the kernel
    /// (as PyTorch requires), so no window lies wholly in the padding.
    pub fn validate(&self) -> Result<()> {
        check_positive(&[("kernel", self.kernel.0.min(self.kernel.1)), ("stride", self.stride.0.min(self.stride.1))])?;
        if 2 * self.padding.0 > self.kernel.0 || 2 * self.padding.1 > self.kernel.1 {
            return Err(crate::error::Error::invalid("padding", format!("{:?}", self.padding), "must be at most half the kernel"));
        }
        Ok(())
    }

    /// Output `(height, width)` for an input of `(height, width)` (floor mode).
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        (
            window_out(h, self.kernel.0, self.stride.0, self.padding.0, 1),
            window_out(w, self.kernel.1, self.stride.1, self.padding.1, 1),
        )
    }

    /// A max pooling layer on `dev`. Panics if [`Pool2dConfig::validate`] fails.
    pub fn build_max(&self, dev: &Device) -> MaxPool2d {
        MaxPool2d(self.build(dev))
    }

    /// An average pooling layer on `dev`. Panics if [`Pool2dConfig::validate`] fails.
    pub fn build_avg(&self, dev: &Device) -> AvgPool2d {
        AvgPool2d(self.build(dev))
    }

    fn build(&self, _dev: &Device) -> Windows {
        if let Err(e) = self.validate() {
            panic!("Pool2dConfig: {e}");
        }
        Windows { config: self.clone(), cache: IndexCache::default() }
    }
}

/// Gathered windows `(output pixels, taps, channels)`.
type Windowed<T> = Tensor<(usize, usize, usize), f32, Device, T>;

#[derive(Clone, Debug)]
struct Windows {
    config: Pool2dConfig,
    cache: IndexCache,
}

impl Windows {
    /// `(out pixels, taps, c)` windows, padding taps reading `pad_value`.
    fn gather<T: Tape<f32, Device> + Merge<NoneTape>>(
        &self,
        x: FeatureMaps<T>,
        pad_value: f32,
    ) -> (Windowed<T>, usize, usize, usize) {
        let cfg = &self.config;
        let (n, h, w, c) = (x.n, x.h, x.w, x.channels());
        let dev = x.data.device().clone();
        let index = self.cache.get_or_build((n, h, w), || {
            let (oh, ow) = cfg.output_size(h, w);
            let ty = conv_taps(h, oh, cfg.kernel.0, cfg.stride.0, cfg.padding.0, 1);
            let tx = conv_taps(w, ow, cfg.kernel.1, cfg.stride.1, cfg.padding.1, 1);
            WindowIndex::build(&dev, n, h, w, &ty, &tx)
        });
        let rows = n * index.out_h * index.out_w;
        let win = gather_windows(x.data, &index, pad_value).reshape_like(&(rows, index.taps, c));
        (win, n, index.out_h, index.out_w)
    }
}

/// Maximum over each window. Padding never wins (it reads `-f32::MAX`). Where several entries of a
/// window tie for the maximum, each gets the gradient (dfdx's `max` backward), unlike PyTorch,
/// which picks one.
#[derive(Clone, Debug)]
pub struct MaxPool2d(Windows);

impl MaxPool2d {
    pub fn config(&self) -> &Pool2dConfig {
        &self.0.config
    }

    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let (win, n, oh, ow) = self.0.gather(x, -f32::MAX);
        FeatureMaps::new(win.max::<_, Axis<1>>(), n, oh, ow)
    }
}

/// Mean over each window, padding counted as zeros (PyTorch's default `count_include_pad=True`).
#[derive(Clone, Debug)]
pub struct AvgPool2d(Windows);

impl AvgPool2d {
    pub fn config(&self) -> &Pool2dConfig {
        &self.0.config
    }

    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let (win, n, oh, ow) = self.0.gather(x, 0.0);
        FeatureMaps::new(win.mean::<_, Axis<1>>(), n, oh, ow)
    }
}

/// Mean over all pixels of each image and channel: `(N, C)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalAvgPool2d;

impl GlobalAvgPool2d {
    pub fn forward<T: Tape<f32, Device>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        x.global_avg_pool()
    }
}

/// `(N, H*W*C)`, each row one image in `(y, x, c)` order (channels fastest). Note that PyTorch's
/// `Flatten` on `NCHW` gives `(c, y, x)` order: a dense layer imported from PyTorch after a flatten
/// needs its input columns permuted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flatten;

impl Flatten {
    pub fn forward<T: Tape<f32, Device>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        x.flatten()
    }
}

macro_rules! no_params {
    ($($t:ty),*) => {$(
        impl Trainable for $t {
            fn visit_params(&mut self, _f: &mut dyn FnMut(ParamMut<'_>)) {}
        }
    )*};
}
no_params!(MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten);
