//! The fairness audit: group fairness (a MetricFrame-like by-group table and fairlearn's
//! disparities), AIM-Fair's cell metrics, individual fairness and synthetic-data quality.
//!
//! **The audit depends on nothing else in the crate** but the error type: it takes plain slices
//! and ndarray views, so users can audit predictions from any model.

mod aimfair;
mod bootstrap;
mod by_group;
mod conclusions;
mod counts;
mod consistency;
mod dependence;
mod derived;
mod frame;
mod groups;
mod individual;
mod kd_tree;
pub(crate) mod knn;
mod multiclass;
mod params;
mod render;
mod roc;
mod utility;
mod quality;
mod value;

pub use aimfair::{Cell, CellSummary};
pub use by_group::GroupRow;
pub use dependence::distance_correlation_sq;
pub use derived::{Agg, DerivedMetric, Method, UndefinedPolicy};
#[doc(hidden)]
pub use consistency::consistency_brute_force;
pub use counts::{CountRow, CountsBuilder, CountsTable, RowsRead, COUNTS_COLUMNS};
pub use frame::{AuditReport, FairnessAudit, GroupIntervals, Progress};
pub use groups::{Confusion, GroupKey};
pub use individual::{pairwise_lipschitz, standardize, Lipschitz};
pub use multiclass::{multiclass_fairness, ClassDisparity, GroupAccuracy, MulticlassReport};
pub use params::AuditParams;
pub use quality::{synthetic_quality, QualityParams, QualityReport};
pub use utility::{roc_auc, utility, Utility};
pub use roc::{roc_curve, GroupRoc, ROC_POINTS};
pub use value::{Interval, Value};
