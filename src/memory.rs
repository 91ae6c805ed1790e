//! Estimated memory, checked before allocating: a size that cannot fit is an error that says the
//! estimate and what the machine has, instead of an out-of-memory kill.

use crate::error::{Error, Result};

/// Bytes the kernel reports as available for new allocations (`MemAvailable` in
/// `/proc/meminfo`); `None` where that is unknown (not Linux), and then nothing is refused.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// An error when `bytes` exceed [`available`] memory: "`what` needs about X GiB of memory and Y
/// GiB are available; ask for less" followed by `hint` (e.g. how to override).
pub fn check(what: &str, bytes: u128, hint: &str) -> Result<()> {
    let Some(avail) = available() else { return Ok(()) };
    if bytes > avail as u128 {
        let gib = |b: u128| b as f64 / (1u128 << 30) as f64;
        return Err(Error::invalid(
            "size",
            what,
            format!("needs about {:.1} GiB of memory and {:.1} GiB are available; ask for less{hint}", gib(bytes), gib(avail as u128)),
        ));
    }
    Ok(())
}

/// Parameters of a chain of dense layers of the given widths (weights and biases).
pub fn dense_chain_parameters(widths: &[usize]) -> u128 {
    widths.windows(2).map(|w| (w[0] as u128 + 1) * w[1] as u128).sum()
}

/// Training memory of `parameters` f32 parameters with Adam: the weights, their gradients and
/// two moments (16 bytes each), plus the activations of a batch of `batch` rows through layers
/// of total width `width_sum` (kept for the backward pass, with their gradients: 8 bytes each).
pub fn adam_training_bytes(parameters: u128, batch: usize, width_sum: u128) -> u128 {
    16 * parameters + 8 * batch as u128 * width_sum
}
