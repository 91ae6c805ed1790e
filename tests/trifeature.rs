//! The procedural Trifeature generator: reproducible, balanced as configured, shapes that differ,
//! counterfactual colour pairs, and bad parameters as errors.

use fairdistill::data::{TrifeatureParams, TRIFEATURE_COLOURS};
use fairdistill::Error;

#[test]
fn same_seed_same_bits_other_seed_other_images() {
    let p = TrifeatureParams::default().n(50).size(16).colour_bias(0.5).seed(3);
    let a = p.generate().unwrap();
    let b = p.generate().unwrap();
    assert_eq!(a, b);
    let c = p.clone().seed(4).generate().unwrap();
    assert_ne!(a.images, c.images);
}

#[test]
fn unbiased_sets_are_balanced_in_every_shape_colour_cell() {
    let set = TrifeatureParams::default().n(400).size(16).generate().unwrap();
    let mut cells = [[0usize; 10]; 10];
    for (&y, &c) in set.labels.iter().zip(&set.colours) {
        cells[y as usize][c as usize] += 1;
    }
    assert!(cells.iter().flatten().all(|&k| k == 4), "{cells:?}");
    assert_eq!(set.colour_names().len(), 400);
    assert!(set.colour_names().iter().all(|c| TRIFEATURE_COLOURS.contains(c)));
}

#[test]
fn colour_bias_makes_colour_predict_shape() {
    let n = 2000;
    let matched = |b: f64| {
        let set = TrifeatureParams::default().n(n).size(16).colour_bias(b).seed(1).generate().unwrap();
        set.labels.iter().zip(&set.colours).filter(|(y, c)| y == c).count() as f64 / n as f64
    };
    // P(colour = shape) = b + (1 - b) / 10.
    assert!((matched(0.0) - 0.1).abs() < 1e-9);
    assert!((matched(0.8) - 0.82).abs() < 0.03, "{}", matched(0.8));
    assert_eq!(matched(1.0), 1.0);
}

#[test]
fn shapes_differ_and_pixels_stay_in_range() {
    let set = TrifeatureParams::default().n(1000).size(16).seed(2).generate().unwrap();
    let m = set.pixels_per_image();
    assert_eq!(set.images.len(), 1000 * m);
    assert!(set.images.iter().all(|v| (0.0..=1.0).contains(v)));
    // Mean "foreground" mask (pixels away from the grey background) per shape.
    let mut masks = vec![vec![0f64; 16 * 16]; 10];
    let mut counts = [0usize; 10];
    for i in 0..set.len() {
        let img = set.image(i);
        let k = set.labels[i] as usize;
        counts[k] += 1;
        for p in 0..16 * 16 {
            let fg = img[p * 3..p * 3 + 3].iter().any(|v| (v - 0.5).abs() > 0.02);
            masks[k][p] += fg as u8 as f64;
        }
    }
    let area: Vec<f64> = (0..10).map(|k| masks[k].iter().sum::<f64>() / counts[k] as f64).collect();
    assert!(area.iter().all(|&a| a > 10.0 && a < 200.0), "{area:?}");
    // Every pair of shapes has a different mean area or mask.
    for a in 0..10 {
        for b in a + 1..10 {
            let d: f64 = masks[a].iter().zip(&masks[b]).map(|(x, y)| (x / counts[a] as f64 - y / counts[b] as f64).abs()).sum();
            assert!(d > 2.0, "shapes {a} and {b} look alike: {d}");
        }
    }
}

#[test]
fn counterfactuals_change_only_the_colour() {
    let set = TrifeatureParams::default().n(20).size(16).seed(5).generate().unwrap();
    let pairs = set.counterfactual_pairs(30, 9).unwrap();
    assert_eq!(pairs.images.len(), 30 * set.pixels_per_image());
    let m = set.pixels_per_image();
    for (k, (&i, &c)) in pairs.index.iter().zip(&pairs.colours).enumerate() {
        assert_ne!(c, set.colours[i]);
        let cf = &pairs.images[k * m..(k + 1) * m];
        let orig = set.image(i);
        // Background pixels are identical; some shape pixels change.
        let mut changed = 0;
        for p in 0..16 * 16 {
            let bg = orig[p * 3..p * 3 + 3].iter().all(|v| *v == 0.5);
            if bg {
                assert_eq!(&cf[p * 3..p * 3 + 3], &orig[p * 3..p * 3 + 3]);
            } else if cf[p * 3..p * 3 + 3] != orig[p * 3..p * 3 + 3] {
                changed += 1;
            }
        }
        assert!(changed > 0);
    }
    assert_eq!(pairs, set.counterfactual_pairs(30, 9).unwrap());
}

#[test]
fn sample_grid_is_svg() {
    let set = TrifeatureParams::default().n(10).size(16).generate().unwrap();
    let svg = set.sample_grid_svg(10, 5, 3);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("fill=\"#808080\""), "grey background");
}

#[test]
fn bad_params_are_errors() {
    for (p, name) in [
        (TrifeatureParams::default().n(5), "n"),
        (TrifeatureParams::default().size(8), "size"),
        (TrifeatureParams::default().colour_bias(1.5), "colour_bias"),
        (TrifeatureParams::default().colour_bias(f64::NAN), "colour_bias"),
    ] {
        match p.generate() {
            Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    let set = TrifeatureParams::default().n(10).size(16).generate().unwrap();
    assert!(set.counterfactual_pairs(0, 1).is_err());
}

/// Regenerates `docs/trifeature-sample.svg`: `cargo test --test trifeature -- --ignored`.
#[test]
#[ignore]
fn write_the_sample_grid_of_the_docs() {
    let set = TrifeatureParams::default().n(20).size(32).colour_bias(0.0).seed(0).generate().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trifeature-sample.svg");
    std::fs::write(path, set.sample_grid_svg(20, 10, 3)).unwrap();
}
