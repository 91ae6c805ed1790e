//! Fair4Free (Sikder et al., arXiv 2410.01423): a VAE teacher whose latent is made independent of
//! the sensitive attribute by a distance-correlation penalty, a smaller student distilled from
//! noise alone, and generation through the teacher's decoder.

mod algorithm;
mod fairdisco;
mod layout;
mod params;
mod penalty;
mod student;
mod teacher;

pub use algorithm::{EpochLog, Fair4Free, LatentSource};
pub use layout::Layout;
pub use params::{Fair4FreeParams, GroupSampling, Penalty, StudentLoss};
