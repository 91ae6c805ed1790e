//! One folder per method: its params, its training and its generation.

pub mod aimfair;
pub mod distill;
pub mod fair4free;
