//! Parameters of the crate's own modules, visited in a fixed order (for the optimiser and for
//! saving).

use dfdx::shapes::HasShape;

use crate::nn::dense::{Matrix, Vector};

/// A mutable parameter tensor.
pub enum ParamMut<'a> {
    Matrix(&'a mut Matrix),
    Vector(&'a mut Vector),
}

/// A module with parameters. `visit_params` must visit them in the same order every time.
pub trait Trainable {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>));

    /// Count of scalar parameters.
    fn num_params(&mut self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| {
            n += match p {
                ParamMut::Matrix(m) => m.shape().0 * m.shape().1,
                ParamMut::Vector(v) => v.shape().0,
            }
        });
        n
    }

    /// All parameters flattened into one vector, in visiting order.
    fn flat_params(&mut self) -> Vec<f32> {
        let mut out = Vec::new();
        self.visit_params(&mut |p| match p {
            ParamMut::Matrix(m) => out.extend(m.as_vec()),
            ParamMut::Vector(v) => out.extend(v.as_vec()),
        });
        out
    }
}

/// The parameters of `module` whose `mask` entry is true, in `module`'s visiting order: an
/// optimiser stepping this updates those tensors and leaves the others' bits untouched (selective
/// fine-tuning; PyTorch's `requires_grad = False` on the others).
pub struct Masked<'a> {
    pub module: &'a mut dyn Trainable,
    pub mask: &'a [bool],
}

impl Trainable for Masked<'_> {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        let mask = self.mask;
        let mut i = 0;
        self.module.visit_params(&mut |p| {
            if mask.get(i).copied().unwrap_or(false) {
                f(p);
            }
            i += 1;
        });
    }
}
