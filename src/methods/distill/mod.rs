//! Knowledge distillation (Hinton et al. 2015) as the distillation paper uses it (SPEC part C):
//! a frozen teacher's temperature-softened outputs beside the hard labels.
//!
//! `params.rs` holds the settings, `loss.rs` the loss, `classifier.rs` the image classifiers it
//! trains (LeNet-5, ResNet) and the image view they read, `algorithm.rs` the training loop and the
//! teacher's logits.

mod algorithm;
mod classifier;
mod loss;
mod params;

pub use algorithm::{fit_classifier, predict_logits, predict_probabilities, EpochLog};
pub use classifier::{ImageClassifier, ImageSet};
pub use loss::{distillation_loss, distillation_loss_terms, softmax_rows, LossTerms};
pub use params::DistillParams;
