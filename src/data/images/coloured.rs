//! Colored-MNIST (and the same colouring of any grey images): the grey image is written into one
//! of the red, green or blue channels, the colour being the sensitive attribute s and the class
//! the label y. Images stay at the source's 28 x 28 pixels (FairX renders 64 x 64; 28 keeps the
//! CPU budget and the LeNet-5 and conv-VAE shapes of this crate).
//!
//! Two ways to choose the colour of image i:
//! - balanced (FairX's loader): `s = i mod 3`;
//! - biased (a colour shortcut): each class y has a home colour `y mod 3`, taken with
//!   probability `rho`; otherwise the colour is drawn uniformly from the three (so the home
//!   colour's share is `rho + (1 - rho) / 3`). Seeded (ChaCha8).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::images::grey::GreyImages;
use crate::data::images::ImageSplit;
use crate::error::{Error, Result};

/// The colours, in the order of s (and of the channels).
pub const COLOUR_NAMES: [&str; 3] = ["red", "green", "blue"];

/// How the training split is coloured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColouredParams {
    /// Probability that a training image takes its class's home colour; `None` colours the
    /// training split as FairX does (`s = i mod 3`). Default `Some(0.9)`.
    pub rho: Option<f64>,
    /// Seed of the colour draws. Default 0.
    pub seed: u64,
}

impl Default for ColouredParams {
    fn default() -> Self {
        ColouredParams { rho: Some(0.9), seed: 0 }
    }
}

impl ColouredParams {
    pub fn check(&self) -> Result<&Self> {
        if let Some(r) = self.rho {
            if !(0.0..=1.0).contains(&r) {
                return Err(Error::invalid("rho", r, "a probability in [0, 1]"));
            }
        }
        Ok(self)
    }

    /// The colour of every image of a split with these labels (`rho` applies when `biased`).
    pub fn colours(&self, labels: &[u8], biased: bool) -> Vec<u32> {
        match (self.rho, biased) {
            (Some(rho), true) => {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                labels
                    .iter()
                    .map(|&y| {
                        let home = rng.gen::<f64>() < rho;
                        let uniform = rng.gen_range(0..3u32);
                        if home {
                            y as u32 % 3
                        } else {
                            uniform
                        }
                    })
                    .collect()
            }
            _ => (0..labels.len()).map(|i| (i % 3) as u32).collect(),
        }
    }
}

/// Grey images coloured by `colours` (one of 0, 1, 2 per image): 3 channels, the grey value
/// (`byte / 255`) in channel s and 0 in the other two.
pub fn colourise(grey: &GreyImages, colours: &[u32]) -> Result<ImageSplit> {
    if colours.len() != grey.len() {
        return Err(Error::LengthMismatch { what: "colours against images".into(), expected: grey.len(), got: colours.len() });
    }
    if let Some(i) = colours.iter().position(|&c| c > 2) {
        return Err(Error::invalid("colour", colours[i], "0 (red), 1 (green) or 2 (blue)"));
    }
    let per = grey.size * grey.size;
    let mut pixels = vec![0f32; grey.len() * per * 3];
    for (i, &c) in colours.iter().enumerate() {
        let src = &grey.pixels[i * per..(i + 1) * per];
        let dst = &mut pixels[i * per * 3..(i + 1) * per * 3];
        for (p, &v) in src.iter().enumerate() {
            dst[p * 3 + c as usize] = v as f32 / 255.0;
        }
    }
    ImageSplit::new(grey.size, grey.size, 3, pixels, grey.labels.iter().map(|&l| l as u32).collect(), colours.to_vec())
}

/// The first `n` images of `grey` (all if fewer) in each of the three colours (image i in colour
/// c at index `3 i + c`): the counterfactual test set on which a classifier that ignores colour
/// has every group gap exactly 0.
pub fn counterfactual_split(grey: &GreyImages, n: usize) -> Result<ImageSplit> {
    let n = grey.len().min(n);
    let tripled = GreyImages {
        size: grey.size,
        pixels: (0..n).flat_map(|i| std::iter::repeat_n(&grey.pixels[i * grey.size * grey.size..(i + 1) * grey.size * grey.size], 3).flatten().copied()).collect(),
        labels: grey.labels[..n].iter().flat_map(|&l| [l; 3]).collect(),
    };
    colourise(&tripled, &(0..3 * n).map(|i| (i % 3) as u32).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grey_value_goes_to_the_colour_channel() {
        let grey = GreyImages { size: 2, pixels: vec![0, 255, 51, 0, 10, 20, 30, 40], labels: vec![4, 7] };
        let c = colourise(&grey, &[1, 2]).unwrap();
        assert_eq!(&c.pixels[0..6], &[0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(c.pixels[3 * 4 + 2], 10.0 / 255.0);
        assert_eq!(c.groups, vec![1, 2]);
        let cf = counterfactual_split(&grey, 10).unwrap();
        assert_eq!(cf.len(), 6);
        assert_eq!(cf.groups, vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(cf.without_colour().pixels[..12], cf.without_colour().pixels[12..24]);
    }

    #[test]
    fn the_home_colour_share_is_rho_plus_a_third_of_the_rest() {
        let labels: Vec<u8> = (0..30_000).map(|i| (i % 10) as u8).collect();
        let p = ColouredParams { rho: Some(0.9), seed: 3 };
        let s = p.colours(&labels, true);
        let home = labels.iter().zip(&s).filter(|(y, s)| **y as u32 % 3 == **s).count() as f64 / 30_000.0;
        assert!((home - (0.9 + 0.1 / 3.0)).abs() < 0.01, "{home}");
        assert_eq!(p.colours(&labels, false)[..4], [0, 1, 2, 0]);
        assert!(ColouredParams { rho: Some(1.5), seed: 0 }.check().is_err());
    }
}
