//! The one place that picks the compute device.
//!
//! Models are configs built on [`Device`]: `dfdx`'s `Cpu` by default, `Cuda` (through cudarc) when
//! the crate is built with the `cuda` feature. The only other `cfg(feature = "cuda")` switches
//! choose, inside one function each, between a hand-written CPU kernel and the dfdx ops that the
//! CUDA build runs (see docs/ARCHITECTURE.md).

/// The device every model is built on.
#[cfg(not(feature = "cuda"))]
pub type Device = dfdx::tensor::Cpu;

/// The device every model is built on.
#[cfg(feature = "cuda")]
pub type Device = dfdx::tensor::Cuda;

/// A device whose random stream (parameter initialisation, sampled tensors) starts from `seed`:
/// the same seed gives the same bits.
pub fn seeded_device(seed: u64) -> Device {
    Device::seed_from_u64(seed)
}

/// The device's name, for logs and reports.
pub fn device_name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else {
        "cpu"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;

    #[test]
    fn same_seed_same_random_tensor() {
        let a: Tensor<Rank1<16>, f32, _> = seeded_device(7).sample_normal();
        let b: Tensor<Rank1<16>, f32, _> = seeded_device(7).sample_normal();
        let c: Tensor<Rank1<16>, f32, _> = seeded_device(8).sample_normal();
        assert_eq!(a.as_vec(), b.as_vec());
        assert_ne!(a.as_vec(), c.as_vec());
    }
}
