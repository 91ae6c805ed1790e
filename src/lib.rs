//! # fairdistill
//!
//! Fair synthetic data, knowledge distillation and fairness auditing in one typed, reproducible
//! toolkit: the models of Fair4Free, AIM-Fair and the distillation-and-fairness study, and a
//! MetricFrame-like audit that judges them.
//!
//! The data flow (see `docs/ARCHITECTURE.md`): a loader gives a [`data::Table`]; an
//! [`data::Encoder`] turns it into a model-space matrix and back; models train on the matrix;
//! the audit judges predictions.
//!
//! ```
//! use fairdistill::data::{load_builtin, LoadOptions};
//! let german = load_builtin("german", &LoadOptions::default())?;
//! let summary = german.summary()?;
//! assert_eq!(summary.rows_train + summary.rows_test, 1000);
//! # Ok::<(), fairdistill::Error>(())
//! ```

pub mod atomic;
pub mod audit;
pub mod data;
pub mod device;
pub mod evaluate;
pub mod forest;
pub mod hash;
pub mod memory;
pub mod methods;
pub mod nn;
pub mod report;
pub mod studies;
mod error;

pub use audit::{AuditParams, AuditReport, FairnessAudit};
pub use data::{Dataset, Encoder, LoadOptions, Table};
pub use device::{seeded_device, Device};
pub use error::{Error, Result};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
