//! Random forest classifier on linfa's traits, built for speed: features binned once, a
//! histogram split search per node, trees grown in parallel, a seeded stream per tree.

mod algorithm;
mod binning;
mod params;
mod tree;

pub use algorithm::RandomForest;
pub use params::{MaxFeatures, RandomForestParams};
