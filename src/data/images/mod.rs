//! Image datasets: the IDX reader and the MNIST family, Colored-MNIST (and the same colouring of
//! Fashion-MNIST), and loaders for the released CelebA and UTKFace layouts. Every loader yields
//! [`ImageSplit`]s: channels-last `f32` pixels in `[0, 1]` with a class label and a sensitive
//! group per image, the layout `nn::FeatureMaps` and `methods::distill::ImageSet` read.

mod celeba;
mod coloured;
mod dataset;
mod grey;
mod idx;
mod utkface;

pub use celeba::{load_celeba, CelebaParams, CELEBA_ATTRIBUTES_FILE, CELEBA_IMAGE_DIR, CELEBA_PARTITION_FILE, MAX_IMAGE_SIZE};
pub use coloured::{colourise, counterfactual_split, ColouredParams, COLOUR_NAMES};
pub use dataset::{load_image_dataset, ImageDataset, ImageSummary, IMAGE_DATASETS};
pub use grey::{embedded_fashion_mnist, load_fashion_mnist, load_mnist, GreyImages, FASHION_MNIST_CLASSES};
pub use idx::{read_idx, read_idx_bytes, write_idx, IdxArray};
pub use utkface::{load_utkface, UtkTarget, UtkfaceParams, UTKFACE_GENDERS, UTKFACE_RACES};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One split of an image dataset: `n` images of `height x width x channels` values in `[0, 1]`,
/// channels-last (`((i*height + y)*width + x)*channels + c`), a class label and a sensitive group
/// (an index into the dataset's group names) per image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSplit {
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    /// `n * height * width * channels` values.
    pub pixels: Vec<f32>,
    pub labels: Vec<u32>,
    pub groups: Vec<u32>,
}

impl ImageSplit {
    /// Checks that the lengths agree and every value is finite and in `[0, 1]`.
    pub fn new(height: usize, width: usize, channels: usize, pixels: Vec<f32>, labels: Vec<u32>, groups: Vec<u32>) -> Result<Self> {
        let per = height * width * channels;
        if per == 0 {
            return Err(Error::invalid("image shape", format!("{height}x{width}x{channels}"), "no pixels"));
        }
        if labels.len() != groups.len() {
            return Err(Error::LengthMismatch { what: "sensitive groups against labels".into(), expected: labels.len(), got: groups.len() });
        }
        if pixels.len() != labels.len() * per {
            return Err(Error::LengthMismatch { what: "pixel values against images x pixels per image".into(), expected: labels.len() * per, got: pixels.len() });
        }
        if let Some(i) = pixels.iter().position(|v| !(v.is_finite() && (0.0..=1.0).contains(v))) {
            return Err(Error::NonFinite { what: "image values (each must lie in [0, 1])".into(), index: i });
        }
        Ok(ImageSplit { height, width, channels, pixels, labels, groups })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values of one image.
    pub fn pixels_per_image(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// The values of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let m = self.pixels_per_image();
        &self.pixels[i * m..(i + 1) * m]
    }

    /// The images `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> ImageSplit {
        let m = self.pixels_per_image();
        let mut pixels = Vec::with_capacity(idx.len() * m);
        for &i in idx {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSplit {
            height: self.height,
            width: self.width,
            channels: self.channels,
            pixels,
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            groups: idx.iter().map(|&i| self.groups[i]).collect(),
        }
    }

    /// At most `m` images drawn without replacement by a ChaCha8 stream of `seed`, kept in their
    /// original order (all of them when `m >= len`).
    pub fn sample(&self, m: usize, seed: u64) -> ImageSplit {
        use rand::seq::index::sample;
        use rand::SeedableRng;
        if m >= self.len() {
            return self.clone();
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut idx = sample(&mut rng, self.len(), m).into_vec();
        idx.sort_unstable();
        self.select(&idx)
    }

    /// Images per (class, group): `counts[class][group]`.
    pub fn cell_counts(&self, n_classes: usize, n_groups: usize) -> Vec<Vec<usize>> {
        let mut c = vec![vec![0usize; n_groups]; n_classes];
        for (&y, &s) in self.labels.iter().zip(&self.groups) {
            if (y as usize) < n_classes && (s as usize) < n_groups {
                c[y as usize][s as usize] += 1;
            }
        }
        c
    }

    /// The same images with colour removed: each pixel's channels replaced by their maximum,
    /// repeated over the channels (a coloured grey image becomes the grey image in every channel).
    pub fn without_colour(&self) -> ImageSplit {
        let c = self.channels;
        let mut pixels = Vec::with_capacity(self.pixels.len());
        for px in self.pixels.chunks_exact(c) {
            let m = px.iter().copied().fold(0f32, f32::max);
            pixels.extend(std::iter::repeat_n(m, c));
        }
        ImageSplit { pixels, ..self.clone() }
    }
}
