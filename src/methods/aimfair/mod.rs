//! AIM-Fair (Zhao et al., CVPR 2025, arXiv 2503.05665; SPEC part B): a classifier pretrained on
//! biased real data is fine-tuned on balanced synthetic data, updating only the parameter tensors
//! chosen by a gradient differential: little sensitive to the real/synthetic domain gap, much
//! sensitive to the bias gap.

mod algorithm;
mod examples;
mod finetune;
mod image_classifier;
mod mask;
mod params;

pub use algorithm::AimFair;
pub use examples::Examples;
pub use finetune::{Classifier, TrainLog};
pub use image_classifier::{check_resnet, ResNetClassifier, SgdSchedule};
pub use mask::{default_top_k, gradient_differential, mean_gradients, score_tensors, select_tensors, TensorScore};
pub use params::AimFairParams;
