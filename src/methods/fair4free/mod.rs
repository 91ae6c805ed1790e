//! Fair4Free (Sikder et al., arXiv 2410.01423): a VAE teacher whose latent is made independent of
//! the sensitive attribute by a distance-correlation penalty, a smaller student distilled from
//! noise alone, and generation through the teacher's decoder.

mod algorithm;
mod fairdisco;
mod image_model;
mod image_vae;
mod layout;
mod params;
mod penalty;
mod student;
mod teacher;
mod training;

pub use algorithm::{EpochLog, Fair4Free, LatentSource, GENERATE_CHUNK};
pub use image_model::{is_image_model, Fair4FreeImage, Fair4FreeImageParams, ImageMix};
pub use image_vae::ImageVae;
pub use layout::Layout;
pub use params::{Fair4FreeParams, GroupSampling, Penalty, StudentLoss};
