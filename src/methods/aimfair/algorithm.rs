//! AIM-Fair end to end: pretrain on biased real rows, build the mask from the gradient
//! differential, fine-tune the selected tensors on balanced synthetic rows.

use crate::error::{Error, Result};
use crate::methods::aimfair::examples::Examples;
use crate::methods::aimfair::finetune::{Classifier, TrainLog};
use crate::methods::aimfair::mask::{mean_gradients, score_tensors, TensorScore};
use crate::methods::aimfair::params::AimFairParams;

/// A fitted AIM-Fair run: the pretrained (biased) classifier, the tensors' sensitivities and
/// mask, and the selectively fine-tuned classifier.
#[derive(Clone, Debug)]
pub struct AimFair {
    pub params: AimFairParams,
    pub pretrained: Classifier,
    pub tensors: Vec<TensorScore>,
    pub finetuned: Classifier,
    pub log: Vec<TrainLog>,
}

impl AimFair {
    /// Step 1: a classifier trained from scratch on `train` (all tensors), best epoch by
    /// accuracy on `val`.
    pub fn train_from_scratch(
        params: &AimFairParams,
        stage: &str,
        train: &Examples,
        val: &Examples,
        observe: &mut dyn FnMut(&TrainLog),
    ) -> Result<(Classifier, Vec<TrainLog>)> {
        params.check()?;
        let mut model = Classifier::new(train.width, &params.hidden, params.seed);
        let all = vec![true; model.tensor_names().len()];
        let log = model.train(stage, train, val, &all, params.pretrain_epochs, params.pretrain_lr, params.batch_size, params.seed, observe)?;
        Ok((model, log))
    }

    /// Step 2: Δ1, Δ2 and the selection of every tensor of `model` (k = `params.k()`).
    pub fn mask(params: &AimFairParams, model: &Classifier, real: &Examples, biased: &Examples, balanced: &Examples) -> Result<Vec<TensorScore>> {
        params.check()?;
        let b = params.batch_size;
        let s = params.seed.wrapping_add(17);
        let g_r = mean_gradients(model, real, b, s)?;
        let g_1 = mean_gradients(model, biased, b, s.wrapping_add(1))?;
        let g_2 = mean_gradients(model, balanced, b, s.wrapping_add(2))?;
        score_tensors(&model.tensor_names(), &model.tensor_sizes(), &g_r, &g_1, &g_2, params.k())
    }

    /// Step 3: a copy of `model` with the tensors of `mask` fine-tuned on `train` (the others
    /// keep their bits), best epoch by accuracy on `val`.
    pub fn fine_tune(
        params: &AimFairParams,
        stage: &str,
        model: &Classifier,
        mask: &[bool],
        train: &Examples,
        val: &Examples,
        observe: &mut dyn FnMut(&TrainLog),
    ) -> Result<(Classifier, Vec<TrainLog>)> {
        params.check()?;
        let mut tuned = model.clone();
        let log = tuned.train(stage, train, val, mask, params.finetune_epochs, params.finetune_lr, params.batch_size, params.seed.wrapping_add(1), observe)?;
        Ok((tuned, log))
    }

    /// The whole method: pretrain on `real` (D_R), mask from `real`, `biased` (D_S1) and
    /// `balanced` (D_S2), fine-tune the selected tensors on `balanced`. An empty selection (the
    /// two top-k lists do not meet) is an error naming k.
    pub fn fit(
        params: &AimFairParams,
        real: &Examples,
        biased: &Examples,
        balanced: &Examples,
        val: &Examples,
        observe: &mut dyn FnMut(&TrainLog),
    ) -> Result<AimFair> {
        let (pretrained, mut log) = Self::train_from_scratch(params, "pretrain", real, val, observe)?;
        let tensors = Self::mask(params, &pretrained, real, biased, balanced)?;
        let mask: Vec<bool> = tensors.iter().map(|t| t.selected).collect();
        if !mask.iter().any(|&m| m) {
            return Err(Error::invalid("top_k", params.k(), "the k smallest Δ1 and the k largest Δ2 share no tensor; raise k"));
        }
        let (finetuned, tune_log) = Self::fine_tune(params, "aim-fair", &pretrained, &mask, balanced, val, observe)?;
        log.extend(tune_log);
        Ok(AimFair { params: params.clone(), pretrained, tensors, finetuned, log })
    }

    /// The mask as booleans in tensor order.
    pub fn selected(&self) -> Vec<bool> {
        self.tensors.iter().map(|t| t.selected).collect()
    }
}
