//! Saving and loading module parameters as safetensors (f32, little-endian), named
//! `<module>.<index>` in each module's visiting order.

use std::path::Path;

use dfdx::prelude::*;
use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::error::{Error, Result};
use crate::nn::params::{ParamMut, Trainable};

fn st_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Schema(format!("{}: safetensors: {e}", path.display()))
}

/// Writes the parameters of the named modules to `path`.
pub fn save_params(modules: &mut [(&str, &mut dyn Trainable)], path: &Path) -> Result<()> {
    let mut entries: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, module) in modules.iter_mut() {
        let mut i = 0;
        module.visit_params(&mut |p| {
            let (shape, values) = match p {
                ParamMut::Matrix(m) => (vec![m.shape().0, m.shape().1], m.as_vec()),
                ParamMut::Vector(v) => (vec![v.shape().0], v.as_vec()),
            };
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            entries.push((format!("{name}.{i}"), shape, bytes));
            i += 1;
        });
    }
    let views: Vec<(String, TensorView<'_>)> = entries
        .iter()
        .map(|(n, shape, bytes)| TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (n.clone(), v)))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| st_err(path, e))?;
    let buffer = ::safetensors::tensor::serialize(views, &None).map_err(|e| st_err(path, e))?;
    crate::atomic::write_atomic(path, &buffer)
}

/// Loads parameters written by [`save_params`] into modules of the same shapes.
pub fn load_params(modules: &mut [(&str, &mut dyn Trainable)], path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| st_err(path, e))?;
    for (name, module) in modules.iter_mut() {
        let mut i = 0;
        let mut failure: Option<Error> = None;
        module.visit_params(&mut |p| {
            if failure.is_some() {
                return;
            }
            let key = format!("{name}.{i}");
            i += 1;
            let view = match st.tensor(&key) {
                Ok(v) => v,
                Err(e) => {
                    failure = Some(st_err(path, format!("{key}: {e}")));
                    return;
                }
            };
            let values: Vec<f32> = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let (expected, ok) = match &p {
                ParamMut::Matrix(m) => (vec![m.shape().0, m.shape().1], view.shape() == [m.shape().0, m.shape().1]),
                ParamMut::Vector(v) => (vec![v.shape().0], view.shape() == [v.shape().0]),
            };
            if !ok || view.dtype() != Dtype::F32 {
                failure = Some(st_err(path, format!("{key}: shape {:?} ({:?}), expected {expected:?} (F32)", view.shape(), view.dtype())));
                return;
            }
            match p {
                ParamMut::Matrix(m) => m.copy_from(&values),
                ParamMut::Vector(v) => v.copy_from(&values),
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(())
}
