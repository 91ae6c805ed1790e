//! Downstream evaluation: a random forest trained on real (TRTR) or synthetic (TSTR) rows,
//! tested on the real test set, judged by utility and fairness side by side.

mod protocol;
mod render;

pub use protocol::{score_predictions, Evaluation, EvaluationParams, EvaluationRow, Evaluator};
