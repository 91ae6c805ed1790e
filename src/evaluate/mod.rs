//! Downstream evaluation: a random forest trained on real (TRTR) or synthetic (TSTR) rows,
//! tested on the real test set, judged by utility and fairness side by side.

mod protocol;
mod render;

pub use protocol::{Evaluation, EvaluationParams, EvaluationRow, Evaluator};
