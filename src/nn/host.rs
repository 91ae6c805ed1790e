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

/// The gradient buffer type of the crate's device.
pub(crate) type Grads = dfdx::tensor::Gradients<f32, Device>;

/// Runs a CPU kernel's backward step `f` with the gradient of its output `out` lent out of
/// `grads` (moved, not copied), so that `f` can borrow `grads` mutably for the inputs' gradients;
/// the output's gradient is put back afterwards.
#[cfg(not(feature = "cuda"))]
pub(crate) fn with_output_grad<S: Shape>(
    grads: &mut Grads,
    out: &Tensor<S, f32, Device>,
    f: impl FnOnce(&mut Grads, &[f32]) -> Result<(), dfdx::tensor::CpuError>,
) -> Result<(), dfdx::tensor::CpuError> {
    let grad_out = std::mem::take(&mut **grads.get_or_alloc_mut(out)?);
    let result = f(grads, &grad_out);
    **grads.get_or_alloc_mut(out)? = grad_out;
    result
}

/// Adds the column sums of the row-major `rows` (each `acc.len()` wide) to `acc`: a bias gradient.
pub(crate) fn add_column_sums(acc: &mut [f32], rows: &[f32]) {
    for row in rows.chunks_exact(acc.len().max(1)) {
        for (a, v) in acc.iter_mut().zip(row) {
            *a += *v;
        }
    }
}
