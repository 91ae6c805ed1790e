//! Building blocks on dfdx 0.13 with run-time widths: a dense layer, an MLP, convolutions and
//! pooling on channels-last feature maps, LeNet-5 and ResNet, Adam, and the parameter visiting
//! that the optimiser and model files use. Each module is a device-free config
//! built on [`crate::device::Device`].

mod adam;
mod batch_norm;
mod cnn;
mod conv;
mod conv_vae;
mod convtrans;
mod dense;
mod gemm;
mod host;
mod io;
mod maps;
mod mlp;
mod params;
mod pool;
mod row_gather;
mod sgd;
mod windows_linear;

pub use adam::Adam;
pub use batch_norm::BatchNorm2d;
pub use cnn::{BasicBlock, LeNet5, LeNet5Config, ResNet, ResNetConfig, RunningStats};
pub use conv::{Conv2d, Conv2dConfig};
pub use conv_vae::{ConvDecoder, ConvEncoder, ConvVaeConfig};
pub use convtrans::{ConvTranspose2d, ConvTranspose2dConfig};
pub use dense::{Dense, Matrix, Vector};
#[cfg(not(feature = "cuda"))]
pub(crate) use host::host_values;
pub use io::{load_params, save_params};
pub use maps::{FeatureMaps, Tensor4};
pub use mlp::{Mlp, MlpConfig};
pub use params::{Masked, ParamMut, Trainable};
pub use pool::{AvgPool2d, Flatten, GlobalAvgPool2d, MaxPool2d, Pool2dConfig};
pub use sgd::Sgd;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::seeded_device;
    use dfdx::prelude::*;

    #[test]
    fn a_regression_mlp_learns_and_a_seed_reproduces_it() {
        let run = |seed: u64| {
            let dev = seeded_device(seed);
            let mut mlp = MlpConfig { input: 3, hidden: vec![16], output: 1 }.build(&dev);
            let x: Matrix = dev.sample_normal_like(&(64, 3));
            // Target: a fixed nonlinear function of x.
            let xs = x.as_vec();
            let y: Vec<f32> = xs.chunks(3).map(|r| (r[0] * r[1]).tanh() + 0.5 * r[2]).collect();
            let y: Matrix = dev.tensor_from_vec(y, (64, 1));
            let mut adam = Adam::new(1e-2);
            let mut losses = Vec::new();
            for _ in 0..200 {
                let pred = mlp.forward(x.leaky_trace());
                let loss = (pred - y.clone()).square().mean();
                losses.push(loss.array());
                let grads = loss.backward();
                adam.step(&mut mlp, &grads);
            }
            (losses, mlp.flat_params())
        };
        let (l1, p1) = run(1);
        assert!(l1[199] < 0.2 * l1[0], "loss {} -> {}", l1[0], l1[199]);
        let (l2, p2) = run(1);
        assert_eq!(p1, p2, "same seed, same bits");
        assert_eq!(l1, l2);
    }
}
