//! Reading a tensor's values on the host for the CPU kernels.

#![cfg_attr(feature = "cuda", allow(dead_code))]

use dfdx::prelude::*;

use crate::device::Device;

/// The values of a contiguous tensor in memory order, by one copy of its buffer. dfdx's `as_vec`
/// walks the tensor element by element through its strides, several times slower; callers make a
/// tensor contiguous first (`.contiguous()` is free when it already is, as every layer's output
/// and every parameter is).
pub(crate) fn host_values<S: Shape, T>(t: &Tensor<S, f32, Device, T>) -> Vec<f32> {
    let mut v = vec![0.0f32; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}
