//! Settings of an audit (linfa-style params with `check`).

use serde::{Deserialize, Serialize};

use crate::audit::derived::UndefinedPolicy;
use crate::error::{Error, Result};

/// Settings of a [`FairnessAudit`](crate::audit::FairnessAudit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditParams {
    /// Bootstrap resamples for the intervals (0 = none). Default 200.
    pub n_boot: usize,
    /// Lower and upper quantiles of the intervals. Default (0.025, 0.975): a 95% interval.
    pub quantiles: (f64, f64),
    /// Seed of the bootstrap and of the Lipschitz pair sampling. Default 0.
    pub seed: u64,
    /// Neighbours of the consistency score (the point itself included, as AIF360). Default 5.
    pub consistency_k: usize,
    /// Pairs sampled for the Lipschitz measure. Default 10,000.
    pub lipschitz_pairs: usize,
    /// What undefined group rates do in the derived metrics. Default `Exclude`.
    pub undefined: UndefinedPolicy,
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams {
            n_boot: 200,
            quantiles: (0.025, 0.975),
            seed: 0,
            consistency_k: 5,
            lipschitz_pairs: 10_000,
            undefined: UndefinedPolicy::Exclude,
        }
    }
}

impl AuditParams {
    pub fn n_boot(mut self, n: usize) -> Self {
        self.n_boot = n;
        self
    }

    pub fn quantiles(mut self, low: f64, high: f64) -> Self {
        self.quantiles = (low, high);
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn consistency_k(mut self, k: usize) -> Self {
        self.consistency_k = k;
        self
    }

    pub fn lipschitz_pairs(mut self, n: usize) -> Self {
        self.lipschitz_pairs = n;
        self
    }

    pub fn undefined(mut self, policy: UndefinedPolicy) -> Self {
        self.undefined = policy;
        self
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<&Self> {
        let (lo, hi) = self.quantiles;
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
            return Err(Error::invalid(
                "quantiles",
                format!("({lo}, {hi})"),
                "need 0 <= low < high <= 1",
            ));
        }
        if self.n_boot == 1 {
            return Err(Error::invalid("n_boot", 1, "use 0 (no intervals) or at least 2 resamples"));
        }
        if self.consistency_k == 0 {
            return Err(Error::invalid("consistency_k", 0, "must be at least 1"));
        }
        if self.lipschitz_pairs == 0 {
            return Err(Error::invalid("lipschitz_pairs", 0, "must be at least 1"));
        }
        Ok(self)
    }
}
