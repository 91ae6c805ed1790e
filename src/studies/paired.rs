//! Paired comparisons over seeds: two methods run with the same seeds, compared by the mean of
//! their per-seed differences and a 95 % Student-t interval, with a verdict that says "not
//! resolved" whenever the interval covers zero.

/// Mean and a 95 % t-interval of paired per-seed differences a - b (None with fewer than 2
/// seeds or an undefined value).
pub(crate) fn paired_interval(a: &[Option<f64>], b: &[Option<f64>]) -> Option<(f64, Option<(f64, f64)>)> {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| Some((*x)? - (*y)?)).collect::<Option<Vec<_>>>()?;
    if d.is_empty() {
        return None;
    }
    let n = d.len() as f64;
    let m = d.iter().sum::<f64>() / n;
    if d.len() < 2 {
        return Some((m, None));
    }
    let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Two-sided 97.5 % quantiles of Student's t for 1..=9 degrees of freedom, then the normal.
    const T: [f64; 9] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
    let t = T.get(d.len() - 2).copied().unwrap_or(1.96);
    let half = t * sd / n.sqrt();
    Some((m, Some((m - half, m + half))))
}

/// "lower (better)", "higher (worse)", "not resolved (the interval covers 0)" or "one seed: no
/// interval" for a paired difference a - b, given whether lower is better for the metric.
pub(crate) fn paired_verdict(interval: Option<(f64, f64)>, lower_is_better: bool) -> String {
    match interval {
        None => "one seed: no interval".to_string(),
        Some((_, hi)) if hi < 0.0 => format!("lower{}", if lower_is_better { " (better)" } else { " (worse)" }),
        Some((lo, _)) if lo > 0.0 => format!("higher{}", if lower_is_better { " (worse)" } else { " (better)" }),
        Some(_) => "not resolved (the interval covers 0)".to_string(),
    }
}

/// `-0.123 (95 % interval -0.200 to -0.046): lower (better)` with `decimals` decimals; `None`
/// when a seed's value is undefined.
pub(crate) fn describe_paired(a: &[Option<f64>], b: &[Option<f64>], decimals: usize, lower_is_better: bool) -> Option<String> {
    let (mean, interval) = paired_interval(a, b)?;
    let range = interval.map_or(String::new(), |(lo, hi)| format!(" (95 % interval {lo:+.decimals$} to {hi:+.decimals$})"));
    Some(format!("{mean:+.decimals$}{range}: {}", paired_verdict(interval, lower_is_better)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_t_interval_of_the_differences() {
        // Differences 1, 2, 3: mean 2, sample sd 1, t(2 df) = 4.303, half-width 4.303 / sqrt(3).
        let (m, i) = paired_interval(&[Some(2.0), Some(4.0), Some(6.0)], &[Some(1.0), Some(2.0), Some(3.0)]).unwrap();
        let half = 4.303 / 3f64.sqrt();
        assert!((m - 2.0).abs() < 1e-12);
        let (lo, hi) = i.unwrap();
        assert!((lo - (2.0 - half)).abs() < 1e-12 && (hi - (2.0 + half)).abs() < 1e-12);
        assert_eq!(paired_verdict(i, true), "not resolved (the interval covers 0)", "2 ± 2.48 covers 0");
        let (_, tight) = paired_interval(&[Some(2.0), Some(2.1), Some(1.9)], &[Some(1.0), Some(1.0), Some(1.0)]).unwrap();
        assert_eq!(paired_verdict(tight, true), "higher (worse)");
        assert_eq!(paired_verdict(Some((-1.0, 1.0)), true), "not resolved (the interval covers 0)");
        assert_eq!(paired_verdict(Some((-2.0, -1.0)), false), "lower (worse)");
        assert_eq!(paired_verdict(None, true), "one seed: no interval");
        assert!(paired_interval(&[Some(1.0), None], &[Some(0.0), Some(0.0)]).is_none());
        assert_eq!(describe_paired(&[Some(1.0)], &[Some(0.5)], 2, true).unwrap(), "+0.50: one seed: no interval");
    }
}
