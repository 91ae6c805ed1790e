//! A fully connected layer whose widths are known at run time (dfdx 0.13's `Linear` takes
//! compile-time widths only, and a dataset's encoded width is known only once it is loaded).

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::params::{ParamMut, Trainable};

/// A 2-D `f32` tensor with run-time shape on the crate's device.
pub type Matrix<T = NoneTape> = Tensor<(usize, usize), f32, Device, T>;
/// A 1-D `f32` tensor with run-time length.
pub type Vector<T = NoneTape> = Tensor<(usize,), f32, Device, T>;

/// y = x W + b, with W of shape (input, output).
#[derive(Clone, Debug)]
pub struct Dense {
    pub weight: Matrix,
    pub bias: Vector,
}

impl Dense {
    /// PyTorch's default initialisation: W and b uniform in [-1/sqrt(input), 1/sqrt(input)],
    /// drawn from the device's seeded random stream.
    pub fn new(dev: &Device, input: usize, output: usize) -> Dense {
        let bound = 1.0 / (input.max(1) as f32).sqrt();
        let weight = dev.sample_uniform_like(&(input, output)) * (2.0 * bound) - bound;
        let bias = dev.sample_uniform_like(&(output,)) * (2.0 * bound) - bound;
        Dense { weight, bias }
    }

    pub fn input(&self) -> usize {
        self.weight.shape().0
    }

    pub fn output(&self) -> usize {
        self.weight.shape().1
    }

    /// x W + b.
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: Matrix<T>) -> Matrix<T> {
        let batch = x.shape().0;
        x.matmul(self.weight.clone()) + self.bias.clone().broadcast_like::<_, Axis<0>>(&(batch, self.output()))
    }

    /// x W (no bias): for the side inputs of a layer fed by several inputs.
    pub fn forward_no_bias<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: Matrix<T>) -> Matrix<T> {
        x.matmul(self.weight.clone())
    }
}

impl Trainable for Dense {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        f(ParamMut::Matrix(&mut self.weight));
        f(ParamMut::Vector(&mut self.bias));
    }
}
