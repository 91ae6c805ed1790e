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

    /// x W + b. On the CPU one op with its own backward (`gemm` 0.19): `dW += xᵀ dy`,
    /// `db += column sums of dy`, `dx += dy Wᵀ`; on CUDA dfdx's `matmul` and a broadcast.
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: Matrix<T>) -> Matrix<T> {
        assert_eq!(x.shape().1, self.input(), "Dense: input has {} columns, the layer takes {}", x.shape().1, self.input());
        #[cfg(not(feature = "cuda"))]
        {
            cpu::affine(x, &self.weight, &self.bias)
        }
        #[cfg(feature = "cuda")]
        {
            let batch = x.shape().0;
            x.matmul(self.weight.clone()) + self.bias.clone().broadcast_like::<_, Axis<0>>(&(batch, self.output()))
        }
    }
}

#[cfg(not(feature = "cuda"))]
mod cpu {
    use super::*;
    use crate::nn::gemm::{matmul, MatRef};
    use crate::nn::host::{add_column_sums, host_values, with_output_grad};

    /// `x W + b` with its backward.
    pub(super) fn affine<T: Tape<f32, Cpu> + Merge<NoneTape>>(x: Matrix<T>, weight: &Matrix, bias: &Vector) -> Matrix<T> {
        let (rows, input) = *x.shape();
        let output = weight.shape().1;
        let (x, mut tape) = x.contiguous().split_tape();
        let xv = host_values(&x);
        let w = host_values(weight);
        let b = host_values(bias);
        let mut y = Vec::with_capacity(rows * output);
        for _ in 0..rows {
            y.extend_from_slice(&b);
        }
        matmul(&mut y, MatRef::new(&xv, rows, input), MatRef::new(&w, input, output), true);
        let out: Matrix = x.device().tensor_from_vec(y, (rows, output));
        if T::OWNS_TAPE {
            let out_id = out.clone();
            let (weight_id, bias_id) = (weight.clone(), bias.clone());
            tape.add_backward_op(move |grads| {
                with_output_grad(grads, &out_id, |grads, gy| {
                    let gy_m = MatRef::new(gy, rows, output);
                    matmul(grads.get_or_alloc_mut(&weight_id)?, MatRef::new(&xv, rows, input).t(), gy_m, true);
                    add_column_sums(grads.get_or_alloc_mut(&bias_id)?, gy);
                    matmul(grads.get_or_alloc_mut(&x)?, gy_m, MatRef::new(&w, input, output).t(), true);
                    Ok(())
                })
            });
        }
        out.put_tape(tape)
    }
}

impl Trainable for Dense {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        f(ParamMut::Matrix(&mut self.weight));
        f(ParamMut::Vector(&mut self.bias));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::seeded_device;

    #[test]
    fn forward_and_gradients_agree_with_dfdx_ops() {
        let dev = seeded_device(5);
        let layer = Dense::new(&dev, 7, 5);
        let x: Matrix = dev.sample_normal_like(&(9, 7));
        let r: Matrix = dev.sample_normal_like(&(9, 5));
        let y = layer.forward(x.leaky_trace());
        let reference = x.leaky_trace().matmul(layer.weight.clone()) + layer.bias.clone().broadcast_like::<_, Axis<0>>(&(9, 5));
        let close = |a: Vec<f32>, b: Vec<f32>, what: &str| {
            for (p, q) in a.iter().zip(&b) {
                assert!((p - q).abs() < 1e-5 * (1.0 + q.abs()), "{what}: {p} vs {q}");
            }
        };
        close(y.as_vec(), reference.as_vec(), "forward");
        let g1 = (y * r.clone()).sum().backward();
        let g2 = (reference * r).sum().backward();
        close(g1.get(&x).as_vec(), g2.get(&x).as_vec(), "dx");
        close(g1.get(&layer.weight).as_vec(), g2.get(&layer.weight).as_vec(), "dW");
        close(g1.get(&layer.bias).as_vec(), g2.get(&layer.bias).as_vec(), "db");
    }
}
