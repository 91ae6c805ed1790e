//! A multilayer perceptron of [`Dense`] layers with ReLU between them.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::nn::dense::{Dense, Matrix};
use crate::nn::params::{ParamMut, Trainable};

/// Widths of an MLP: input, hidden layers, output (device-free, like dfdx's configs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub input: usize,
    pub hidden: Vec<usize>,
    pub output: usize,
}

impl MlpConfig {
    /// Builds the MLP on a device (initialised from the device's seeded stream).
    pub fn build(&self, dev: &Device) -> Mlp {
        let mut widths = vec![self.input];
        widths.extend(&self.hidden);
        widths.push(self.output);
        Mlp { layers: widths.windows(2).map(|w| Dense::new(dev, w[0], w[1])).collect() }
    }
}

/// Dense -> ReLU -> ... -> Dense (no activation after the last layer).
#[derive(Clone, Debug)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

impl Mlp {
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: Matrix<T>) -> Matrix<T> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = h.relu();
            }
        }
        h
    }
}

impl Trainable for Mlp {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        for l in &mut self.layers {
            l.visit_params(f);
        }
    }
}
