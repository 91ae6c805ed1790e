//! A seeded procedural stand-in for the Trifeature images of Hermann & Lampinen (2020), the
//! dataset of the distillation paper's Table 2 (SPEC part C).
//!
//! Each image is one shape (the label, 10 classes) in one colour (the protected attribute, 10
//! groups) and one texture, on a grey 0.5 background, rotated by a random angle in [-45°, 45°],
//! scaled and placed at a random position. The shape and colour names are the original's; the
//! RGB values, the polygons and the textures are ours (the original renders 224 px images from a
//! 128 px template; ours are drawn directly at `size` px with 2x2 supersampling). Four of the
//! original's ten textures are drawn: solid, stripes, grid and dots.
//!
//! **Colour bias.** With `colour_bias = b`, each image independently takes its shape's own colour
//! (shape k → colour k) with probability b; the others cycle through a seeded permutation of the
//! ten colours per shape, so with `b = 0` and `n` a multiple of 100 every (shape, colour) cell has
//! exactly `n / 100` images. A biased training split makes colour a shortcut for the shape; an
//! unbiased test split (b = 0) then shows how much a model's predictions depend on colour.
//!
//! ```
//! use fairdistill::data::TrifeatureParams;
//! let set = TrifeatureParams::default().n(100).size(16).generate().unwrap();
//! assert_eq!(set.images.len(), 100 * 16 * 16 * 3);
//! assert!(set.images.iter().all(|v| (0.0..=1.0).contains(v)));
//! ```

use std::fmt::Write;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The ten shapes, in label order.
pub const TRIFEATURE_SHAPES: [&str; 10] =
    ["triangle", "square", "plus", "circle", "tee", "rhombus", "pentagon", "star", "fivesquare", "trapezoid"];

/// The ten colours, in group order.
pub const TRIFEATURE_COLOURS: [&str; 10] =
    ["red", "green", "blue", "yellow", "pink", "cyan", "purple", "ocean", "orange", "white"];

/// The textures drawn (a subset of the original's ten).
pub const TRIFEATURE_TEXTURES: [&str; 4] = ["solid", "stripes", "grid", "dots"];

/// Our RGB values of [`TRIFEATURE_COLOURS`] (in [0, 1]).
const RGB: [[f32; 3]; 10] = [
    [0.90, 0.10, 0.10],
    [0.10, 0.75, 0.15],
    [0.15, 0.25, 0.95],
    [0.95, 0.90, 0.10],
    [1.00, 0.55, 0.75],
    [0.10, 0.90, 0.90],
    [0.55, 0.15, 0.75],
    [0.10, 0.50, 0.60],
    [1.00, 0.55, 0.05],
    [1.00, 1.00, 1.00],
];

const BACKGROUND: f32 = 0.5;
/// Brightness of a shape's pixels where its texture is "off".
const TEXTURE_OFF: f32 = 0.35;

/// Settings of one generated set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrifeatureParams {
    /// Images (at least 10).
    pub n: usize,
    /// Height and width in pixels (16 to 224).
    pub size: usize,
    /// Probability that an image takes its shape's own colour (see the module docs), in [0, 1].
    pub colour_bias: f64,
    pub seed: u64,
}

impl Default for TrifeatureParams {
    /// 1000 unbiased 32x32 images, seed 0.
    fn default() -> Self {
        TrifeatureParams { n: 1000, size: 32, colour_bias: 0.0, seed: 0 }
    }
}

impl TrifeatureParams {
    pub fn n(mut self, n: usize) -> Self {
        self.n = n;
        self
    }
    pub fn size(mut self, size: usize) -> Self {
        self.size = size;
        self
    }
    pub fn colour_bias(mut self, b: f64) -> Self {
        self.colour_bias = b;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The params if valid, or the first bad one.
    pub fn check(&self) -> Result<&Self> {
        if self.n < 10 {
            return Err(Error::invalid("n", self.n, "generate at least 10 images (one per shape)"));
        }
        if !(16..=224).contains(&self.size) {
            return Err(Error::invalid("size", self.size, "image size must be 16 to 224 pixels"));
        }
        if !(0.0..=1.0).contains(&self.colour_bias) {
            return Err(Error::invalid("colour_bias", self.colour_bias, "a probability in [0, 1]"));
        }
        Ok(self)
    }

    /// Draws the images.
    pub fn generate(&self) -> Result<Trifeature> {
        self.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut labels: Vec<u32> = (0..self.n).map(|i| (i % 10) as u32).collect();
        labels.shuffle(&mut rng);
        let perms: Vec<Vec<u32>> = (0..10)
            .map(|_| {
                let mut p: Vec<u32> = (0..10).collect();
                p.shuffle(&mut rng);
                p
            })
            .collect();
        let mut next = [0usize; 10];
        let s = self.size as f32;
        let mut scenes = Vec::with_capacity(self.n);
        for &shape in &labels {
            let k = shape as usize;
            let colour = if rng.gen::<f64>() < self.colour_bias {
                shape
            } else {
                next[k] += 1;
                perms[k][(next[k] - 1) % 10]
            };
            let radius = s * rng.gen_range(0.28f32..0.42);
            let margin = radius * 1.02;
            scenes.push(Scene {
                shape,
                colour,
                texture: rng.gen_range(0..TRIFEATURE_TEXTURES.len() as u32),
                cx: rng.gen_range(margin..(s - margin).max(margin + 1e-3)),
                cy: rng.gen_range(margin..(s - margin).max(margin + 1e-3)),
                radius,
                rotation: rng.gen_range(-45f32..45.0).to_radians(),
                texture_rotation: rng.gen_range(-45f32..45.0).to_radians(),
            });
        }
        let mut images = Vec::with_capacity(self.n * self.size * self.size * 3);
        for sc in &scenes {
            images.extend(render(sc, sc.colour, self.size));
        }
        Ok(Trifeature {
            size: self.size,
            images,
            labels,
            colours: scenes.iter().map(|s| s.colour).collect(),
            textures: scenes.iter().map(|s| s.texture).collect(),
            scenes,
        })
    }
}

/// Everything that decides one image.
#[derive(Clone, Debug, PartialEq)]
struct Scene {
    shape: u32,
    colour: u32,
    texture: u32,
    cx: f32,
    cy: f32,
    radius: f32,
    rotation: f32,
    texture_rotation: f32,
}

/// A generated set: RGB images in channels-last order, `(i*size + y)*size + x` the pixel row of
/// image `i` (the row order of `nn::FeatureMaps`), 3 values in [0, 1] each.
#[derive(Clone, Debug, PartialEq)]
pub struct Trifeature {
    pub size: usize,
    /// `n * size * size * 3` values.
    pub images: Vec<f32>,
    /// Shape index (the label), `0..10`.
    pub labels: Vec<u32>,
    /// Colour index (the protected attribute), `0..10`.
    pub colours: Vec<u32>,
    /// Texture index into [`TRIFEATURE_TEXTURES`].
    pub textures: Vec<u32>,
    scenes: Vec<Scene>,
}

/// Images that differ from images of a set only in colour (the individual-fairness pairs).
#[derive(Clone, Debug, PartialEq)]
pub struct CounterfactualPairs {
    /// The image of the set each pair starts from.
    pub index: Vec<usize>,
    /// The other colour each counterfactual is drawn in.
    pub colours: Vec<u32>,
    /// The counterfactual images, in the layout of [`Trifeature::images`].
    pub images: Vec<f32>,
}

impl Trifeature {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values of one image.
    pub fn pixels_per_image(&self) -> usize {
        self.size * self.size * 3
    }

    /// The values of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let m = self.pixels_per_image();
        &self.images[i * m..(i + 1) * m]
    }

    /// The colour name of every image (the sensitive column of the audit).
    pub fn colour_names(&self) -> Vec<&'static str> {
        self.colours.iter().map(|&c| TRIFEATURE_COLOURS[c as usize]).collect()
    }

    /// For `n_pairs` images drawn uniformly (with replacement, a ChaCha8 stream of `seed`), the
    /// same scene in another colour drawn uniformly from the other nine.
    pub fn counterfactual_pairs(&self, n_pairs: usize, seed: u64) -> Result<CounterfactualPairs> {
        if n_pairs == 0 {
            return Err(Error::invalid("n_pairs", 0, "draw at least one pair"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = CounterfactualPairs { index: Vec::new(), colours: Vec::new(), images: Vec::new() };
        for _ in 0..n_pairs {
            let i = rng.gen_range(0..self.len());
            let mut c = rng.gen_range(0..9u32);
            if c >= self.colours[i] {
                c += 1;
            }
            out.index.push(i);
            out.colours.push(c);
            out.images.extend(render(&self.scenes[i], c, self.size));
        }
        Ok(out)
    }

    /// The first `count` images as one SVG grid of `columns` columns, `scale` px per pixel (rows
    /// of equal pixels are merged into one rectangle).
    pub fn sample_grid_svg(&self, count: usize, columns: usize, scale: usize) -> String {
        let count = count.min(self.len());
        let columns = columns.clamp(1, count.max(1));
        let rows = count.div_ceil(columns);
        let (s, gap) = (self.size, 4);
        let cell = s * scale + gap;
        let label_h = 14;
        let (w, h) = (columns * cell + gap, rows * (cell + label_h) + gap);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" shape-rendering=\"crispEdges\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
        );
        let hex = |p: &[f32]| {
            let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            format!("#{:02x}{:02x}{:02x}", b(p[0]), b(p[1]), b(p[2]))
        };
        for i in 0..count {
            let (ox, oy) = (gap + (i % columns) * cell, gap + (i / columns) * (cell + label_h));
            let img = self.image(i);
            for y in 0..s {
                let mut x = 0;
                while x < s {
                    let c = hex(&img[(y * s + x) * 3..(y * s + x) * 3 + 3]);
                    let mut end = x + 1;
                    while end < s && hex(&img[(y * s + end) * 3..(y * s + end) * 3 + 3]) == c {
                        end += 1;
                    }
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{scale}\" fill=\"{c}\"/>",
                        ox + x * scale,
                        oy + y * scale,
                        (end - x) * scale
                    );
                    x = end;
                }
            }
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"10\">{} / {}</text>",
                ox,
                oy + s * scale + 11,
                TRIFEATURE_SHAPES[self.labels[i] as usize],
                TRIFEATURE_COLOURS[self.colours[i] as usize]
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// The polygons of a shape (their union), in unit coordinates, y pointing down.
fn polygons(shape: u32) -> Vec<Vec<(f32, f32)>> {
    let regular = |k: usize, r: f32| -> Vec<(f32, f32)> {
        (0..k)
            .map(|i| {
                let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::TAU / k as f32;
                (r * a.cos(), r * a.sin())
            })
            .collect()
    };
    let square = |cx: f32, cy: f32, h: f32| vec![(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)];
    match shape {
        0 => vec![vec![(0.0, -1.0), (0.95, 0.75), (-0.95, 0.75)]],
        1 => vec![square(0.0, 0.0, 0.75)],
        2 => {
            let w = 0.3;
            vec![vec![
                (-w, -1.0),
                (w, -1.0),
                (w, -w),
                (1.0, -w),
                (1.0, w),
                (w, w),
                (w, 1.0),
                (-w, 1.0),
                (-w, w),
                (-1.0, w),
                (-1.0, -w),
                (-w, -w),
            ]]
        }
        3 => vec![regular(32, 0.9)],
        4 => vec![vec![
            (-0.95, -0.9),
            (0.95, -0.9),
            (0.95, -0.45),
            (0.22, -0.45),
            (0.22, 0.95),
            (-0.22, 0.95),
            (-0.22, -0.45),
            (-0.95, -0.45),
        ]],
        5 => vec![vec![(0.0, -1.0), (0.65, 0.0), (0.0, 1.0), (-0.65, 0.0)]],
        6 => vec![regular(5, 0.95)],
        7 => vec![(0..10)
            .map(|i| {
                let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
                let r = if i % 2 == 0 { 1.0 } else { 0.42 };
                (r * a.cos(), r * a.sin())
            })
            .collect()],
        8 => [(0.0, 0.0), (-0.6, -0.6), (0.6, -0.6), (0.6, 0.6), (-0.6, 0.6)].iter().map(|&(x, y)| square(x, y, 0.25)).collect(),
        _ => vec![vec![(-0.45, -0.6), (0.45, -0.6), (0.95, 0.6), (-0.95, 0.6)]],
    }
}

/// Even-odd point-in-polygon test.
fn inside(poly: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

/// Whether the texture is "on" at pixel coordinates (x, y).
fn texture_on(texture: u32, rotation: f32, size: usize, x: f32, y: f32) -> bool {
    let period = (size as f32 / 8.0).max(3.0);
    let (s, c) = rotation.sin_cos();
    let u = (x * c + y * s) / period;
    let v = (-x * s + y * c) / period;
    let (fu, fv) = (u - u.floor(), v - v.floor());
    match texture {
        0 => true,
        1 => fu < 0.5,
        2 => fu < 0.3 || fv < 0.3,
        _ => (fu - 0.5).powi(2) + (fv - 0.5).powi(2) < 0.09,
    }
}

/// One image of `scene` in `colour`, channels-last.
fn render(scene: &Scene, colour: u32, size: usize) -> Vec<f32> {
    let polys = polygons(scene.shape);
    let (sin, cos) = scene.rotation.sin_cos();
    let rgb = RGB[colour as usize];
    let mut out = Vec::with_capacity(size * size * 3);
    for py in 0..size {
        for px in 0..size {
            let mut hits = 0;
            for sy in 0..2 {
                for sx in 0..2 {
                    let dx = (px as f32 + 0.25 + 0.5 * sx as f32 - scene.cx) / scene.radius;
                    let dy = (py as f32 + 0.25 + 0.5 * sy as f32 - scene.cy) / scene.radius;
                    // Rotate the sample back into the shape's frame.
                    let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
                    if polys.iter().any(|p| inside(p, u, v)) {
                        hits += 1;
                    }
                }
            }
            let a = hits as f32 / 4.0;
            let t = if texture_on(scene.texture, scene.texture_rotation, size, px as f32 + 0.5, py as f32 + 0.5) {
                1.0
            } else {
                TEXTURE_OFF
            };
            for ch in rgb {
                out.push(BACKGROUND * (1.0 - a) + a * ch * t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_polygons_cover_sensible_areas() {
        // Monte-Carlo-free check on a grid: every shape covers between 15% and 80% of [-1, 1]^2.
        for shape in 0..10 {
            let polys = polygons(shape);
            let mut hits = 0;
            for i in 0..100 {
                for j in 0..100 {
                    let (x, y) = (-1.0 + (i as f32 + 0.5) / 50.0, -1.0 + (j as f32 + 0.5) / 50.0);
                    hits += polys.iter().any(|p| inside(p, x, y)) as usize;
                }
            }
            let frac = hits as f64 / 10_000.0;
            assert!((0.15..0.8).contains(&frac), "{}: {frac}", TRIFEATURE_SHAPES[shape as usize]);
        }
    }
}
