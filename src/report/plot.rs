//! SVG charts made with plotters (no font files needed: text is written as SVG `<text>`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// One series of a grouped bar chart: a value per category and an optional interval per value.
#[derive(Clone, Debug)]
pub struct BarSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub intervals: Vec<Option<(f64, f64)>>,
}


/// A grouped bar chart of rates: one cluster per category, one bar per series, error bars where
/// intervals are given, undefined values without a bar. At least 720 px wide, the legend in its
/// own column right of the plot (never on the bars), text of at least 12 px, Okabe and Ito's
/// colour-blind-safe palette; the y axis ("rate") runs from 0 to 1, or to just above the largest
/// value or interval when one exceeds 1 (e.g. density). Under the title, `caption`: one line
/// saying what to read from the chart.
pub fn grouped_bar_chart(title: &str, caption: &str, categories: &[String], series: &[BarSeries]) -> Result<String> {
    grouped_bar_chart_with(title, caption, "rate", categories, series)
}

/// [`grouped_bar_chart`] with another y-axis label.
pub fn grouped_bar_chart_with(title: &str, caption: &str, y_label: &str, categories: &[String], series: &[BarSeries]) -> Result<String> {
    if categories.is_empty() || series.is_empty() {
        return Err(Error::Empty { what: "a chart needs at least one category and one series".into() });
    }
    let mut svg = String::new();
    {
        let width = (LEGEND_WIDTH + 160 + 90 * categories.len() as u32 * series.len().min(3) as u32 / 2).clamp(720, 1200);
        let root = SVGBackend::with_string(&mut svg, (width, 476)).into_drawing_area();
        let map = |e: DrawingAreaErrorKind<std::io::Error>| Error::Schema(format!("drawing the chart: {e}"));
        root.fill(&WHITE).map_err(map)?;
        let body = titled(&root, title, caption)?;
        let (plot, legend) = body.split_horizontally(width - LEGEND_WIDTH);
        let n = categories.len();
        let top_value = series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied().chain(s.intervals.iter().flatten().map(|iv| iv.1)))
            .filter(|v| v.is_finite())
            .fold(1.0f64, f64::max);
        let y_top = if top_value > 1.0 { top_value * 1.05 } else { 1.0 };
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n as f64, 0f64..y_top)
            .map_err(map)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(y_label)
            .label_style(("sans-serif", 17))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(map)?;
        // Category names under the centre of each cluster, in pixels of the whole drawing,
        // shortened with an ellipsis when they would overlap their neighbours (about 7 px a
        // character at this size).
        let (left, _) = chart.backend_coord(&(0.0, 0.0));
        let (right, _) = chart.backend_coord(&(n as f64, 0.0));
        let max_chars = (((right - left) as f64 / n as f64) / 8.5).floor().max(3.0) as usize;
        for (i, cat) in categories.iter().enumerate() {
            let cat = if cat.chars().count() > max_chars {
                format!("{}…", cat.chars().take(max_chars - 1).collect::<String>())
            } else {
                cat.clone()
            };
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            let style = TextStyle::from(("sans-serif", 17).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
            plot.draw(&Text::new(cat.clone(), (px, py + 8), style)).map_err(map)?;
        }
        let k = series.len() as f64;
        let bar_w = 0.8 / k;
        for (s_idx, s) in series.iter().enumerate() {
            let color = SAFE_PALETTE[s_idx % SAFE_PALETTE.len()];
            let x0 = |c: usize| c as f64 + 0.1 + bar_w * s_idx as f64;
            let bars = s.values.iter().enumerate().filter_map(|(c, v)| {
                v.map(|v| Rectangle::new([(x0(c), 0.0), (x0(c) + bar_w * 0.92, v)], color.filled()))
            });
            chart.draw_series(bars).map_err(map)?;
            let whiskers = s.intervals.iter().enumerate().filter_map(|(c, iv)| {
                iv.map(|(lo, hi)| {
                    let xm = x0(c) + bar_w * 0.46;
                    PathElement::new(vec![(xm, lo), (xm, hi)], BLACK.stroke_width(1))
                })
            });
            chart.draw_series(whiskers).map_err(map)?;
            let mut caps = Vec::new();
            for (c, iv) in s.intervals.iter().enumerate() {
                if let Some((lo, hi)) = *iv {
                    let xm = x0(c) + bar_w * 0.46;
                    let half = bar_w * 0.2;
                    for y in [lo, hi] {
                        caps.push(PathElement::new(vec![(xm - half, y), (xm + half, y)], BLACK.stroke_width(1)));
                    }
                }
            }
            chart.draw_series(caps).map_err(map)?;
        }
        let entries: Vec<(String, RGBColor, Key)> =
            series.iter().enumerate().map(|(i, s)| (s.name.clone(), SAFE_PALETTE[i % SAFE_PALETTE.len()], Key::Bar)).collect();
        legend_column(&legend, &entries)?;
        root.present().map_err(map)?;
    }
    Ok(svg)
}

/// The title and the one-line caption (what to read from the chart) at the top of `root`, the
/// caption wrapped at word boundaries when it is wider than the drawing; returns the area below.
fn titled<'a>(root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>, title: &str, caption: &str) -> Result<DrawingArea<SVGBackend<'a>, plotters::coord::Shift>> {
    let map = |e: DrawingAreaErrorKind<std::io::Error>| Error::Schema(format!("drawing the chart: {e}"));
    let (width, _) = root.dim_in_pixel();
    // About 7.5 px a character at 17 px (plotters writes 3/4 of it, 12.75 px, into the SVG).
    let max_chars = ((width as f64 - 24.0) / 7.5).max(20.0) as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in caption.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max_chars => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    let (head, body) = root.split_vertically(34 + 22 * lines.len().max(1) as u32);
    head.draw(&Text::new(title.to_string(), (12, 6), ("sans-serif", 22).into_font())).map_err(map)?;
    for (i, line) in lines.iter().enumerate() {
        head.draw(&Text::new(line.clone(), (12, 32 + 22 * i as i32), ("sans-serif", 17).into_font().color(&RGBColor(60, 60, 60)))).map_err(map)?;
    }
    Ok(body)
}

/// The grid, ticks and axis titles of a line or scatter chart, in text of at least 12 px.
fn draw_axes(chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>, x_label: &str, y_label: &str) -> Result<()> {
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 17))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(|e| Error::Schema(format!("drawing the chart: {e}")))
}

/// Width of the legend column right of a chart's plot.
const LEGEND_WIDTH: u32 = 190;

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Key {
    Bar,
    Line { dashed: bool },
}

/// The legend in its own column (never on the data): one entry a line, text of at least 12 px.
fn legend_column(area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>, entries: &[(String, RGBColor, Key)]) -> Result<()> {
    let map = |e: DrawingAreaErrorKind<std::io::Error>| Error::Schema(format!("drawing the chart: {e}"));
    let mut y = 44;
    for (name, color, key) in entries {
        let lines = wrap_label(name, LEGEND_CHARS);
        match key {
            Key::Bar => area.draw(&Rectangle::new([(6, y + 1), (20, y + 13)], color.filled())).map_err(map)?,
            Key::Line { dashed: false } => {
                area.draw(&PathElement::new(vec![(4, y + 7), (22, y + 7)], color.stroke_width(2))).map_err(map)?;
                area.draw(&Circle::new((13, y + 7), 3, color.filled())).map_err(map)?;
            }
            Key::Line { dashed: true } => {
                for x in [4, 14] {
                    area.draw(&PathElement::new(vec![(x, y + 7), (x + 6, y + 7)], color.stroke_width(2))).map_err(map)?;
                }
            }
        }
        for (k, line) in lines.iter().enumerate() {
            area.draw(&Text::new(line.clone(), (28, y + 20 * k as i32), ("sans-serif", 17).into_font())).map_err(map)?;
        }
        y += 26 + 20 * (lines.len() as i32 - 1);
    }
    Ok(())
}

/// Characters of a legend line (the column fits about this many at 17 px).
const LEGEND_CHARS: usize = 26;

/// `label` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
fn wrap_label(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// One series of a line chart: points in x order, drawn solid with markers, or dashed without.
#[derive(Clone, Debug)]
pub struct LineSeries {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// Index into the chart palette (series that belong together share a colour).
    pub colour: usize,
    /// Vertical error bars as (low, high), one per point (e.g. mean ± one std over seeds, or a
    /// bootstrap interval); empty for none.
    pub y_err: Vec<Option<(f64, f64)>>,
}

/// A line chart 720 px wide with its legend in its own column right of the plot; the x axis spans
/// the points, the y axis runs from 0 to 1 when every value is at most 1 (rates), else to just
/// above the largest value; it starts at 0, or just below the smallest value when one is negative
/// (a log-likelihood). Text of at least 12 px, Okabe and Ito's palette. Series with no points
/// are left out. Under the title, `caption`: one line saying what to read from the chart.
pub fn line_chart(title: &str, caption: &str, x_label: &str, y_label: &str, series: &[LineSeries]) -> Result<String> {
    line_chart_with(title, caption, x_label, y_label, series, YAxis::Rates)
}

/// How a line chart chooses its y axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YAxis {
    /// 0 to 1 when every value is at most 1 (rates), else 0 to just above the largest value.
    Rates,
    /// 0 (or just below the smallest value, when one is negative) to just above the largest:
    /// quantities on their own scale, such as a loss term of 0.004.
    Fitted,
}

/// [`line_chart`] with the y axis chosen by `y_axis`.
pub fn line_chart_with(title: &str, caption: &str, x_label: &str, y_label: &str, series: &[LineSeries], y_axis: YAxis) -> Result<String> {
    let pts: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().copied()).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    if pts.is_empty() {
        return Err(Error::Empty { what: "a line chart needs at least one finite point".into() });
    }
    let (x_min, x_max) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().zip(s.y_err.iter().chain(std::iter::repeat(&None))).map(|(p, e)| e.map_or(p.1, |(_, hi)| hi.max(p.1))))
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max);
    let y_min = series
        .iter()
        .flat_map(|s| s.points.iter().zip(s.y_err.iter().chain(std::iter::repeat(&None))).map(|(p, e)| e.map_or(p.1, |(lo, _)| lo.min(p.1))))
        .filter(|v| v.is_finite())
        .fold(0f64, f64::min);
    let (x_min, x_max) = if x_max > x_min { (x_min, x_max) } else { (x_min - 1.0, x_max + 1.0) };
    let y_top = match y_axis {
        _ if y_max <= 0.0 && y_min < 0.0 => 0.0,
        YAxis::Rates if y_max <= 1.0 => 1.0,
        _ if y_max > 0.0 => y_max * 1.05,
        _ => 1.0,
    };
    let y_bottom = if y_min < 0.0 { y_min - 0.05 * (y_top - y_min) } else { 0.0 };
    let mut svg = String::new();
    {
        let width = 720 + LEGEND_WIDTH;
        let root = SVGBackend::with_string(&mut svg, (width, 496)).into_drawing_area();
        let map = |e: DrawingAreaErrorKind<std::io::Error>| Error::Schema(format!("drawing the chart: {e}"));
        root.fill(&WHITE).map_err(map)?;
        let body = titled(&root, title, caption)?;
        let (plot, legend) = body.split_horizontally(720);
        let pad = (x_max - x_min) * 0.03;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d((x_min - pad)..(x_max + pad), y_bottom..y_top)
            .map_err(map)?;
        draw_axes(&mut chart, x_label, y_label)?;
        let mut entries = Vec::new();
        for s in series {
            let points: Vec<(f64, f64)> = s.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
            if points.is_empty() {
                continue;
            }
            let color = SAFE_PALETTE[s.colour % SAFE_PALETTE.len()];
            let style = color.stroke_width(2);
            let cap = (x_max - x_min) * 0.008;
            let mut bars = Vec::new();
            for (&(x, y), e) in s.points.iter().zip(&s.y_err) {
                if let Some((lo, hi)) = e.filter(|(lo, hi)| lo.is_finite() && hi.is_finite() && hi > lo && x.is_finite() && y.is_finite()) {
                    bars.push(PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(1)));
                    for yy in [lo, hi] {
                        bars.push(PathElement::new(vec![(x - cap, yy), (x + cap, yy)], color.stroke_width(1)));
                    }
                }
            }
            chart.draw_series(bars).map_err(map)?;
            if s.dashed {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, style)).map_err(map)?;
            } else {
                chart.draw_series(plotters::series::LineSeries::new(points.clone(), style)).map_err(map)?;
                chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled()))).map_err(map)?;
            }
            entries.push((s.name.clone(), color, Key::Line { dashed: s.dashed }));
        }
        legend_column(&legend, &entries)?;
        root.present().map_err(map)?;
    }
    Ok(svg)
}

/// One point of a scatter chart, with optional error bars and a label written beside it.
#[derive(Clone, Debug)]
pub struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    /// Half-widths of the error bars (e.g. one std over seeds).
    pub x_err: Option<f64>,
    pub y_err: Option<f64>,
    pub label: Option<String>,
}

/// A named set of points drawn in one colour and marker.
#[derive(Clone, Debug)]
pub struct ScatterSeries {
    pub name: String,
    pub points: Vec<ScatterPoint>,
}

/// Okabe and Ito's colour-blind-safe palette.
const SAFE_PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(0, 0, 0),
];

/// A scatter chart 720 px wide: the plot on the left, the legend in its own column on the right
/// (never on the data), point labels beside the points, error bars where given, text of at least
/// 12 px (plotters writes 3/4 of the requested size into the SVG), and a one-line caption under the title saying what to read from it. The axes span the
/// points and their error bars with a margin.
pub fn scatter_chart(title: &str, caption: &str, x_label: &str, y_label: &str, series: &[ScatterSeries]) -> Result<String> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for p in series.iter().flat_map(|s| &s.points) {
        if p.x.is_finite() && p.y.is_finite() {
            let (ex, ey) = (p.x_err.unwrap_or(0.0).abs(), p.y_err.unwrap_or(0.0).abs());
            xs.extend([p.x - ex, p.x + ex]);
            ys.extend([p.y - ey, p.y + ey]);
        }
    }
    if xs.is_empty() {
        return Err(Error::Empty { what: "a scatter chart needs at least one finite point".into() });
    }
    let span = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let pad = if hi > lo { (hi - lo) * 0.08 } else { lo.abs().max(1.0) * 0.1 };
        (lo - pad, hi + pad)
    };
    let (x0, x1) = span(&xs);
    let (y0, y1) = span(&ys);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        let map = |e: DrawingAreaErrorKind<std::io::Error>| Error::Schema(format!("drawing the chart: {e}"));
        root.fill(&WHITE).map_err(map)?;
        let body = titled(&root, title, caption)?;
        let (plot, legend) = body.split_horizontally(560);
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(map)?;
        draw_axes(&mut chart, x_label, y_label)?;
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let color = SAFE_PALETTE[i % SAFE_PALETTE.len()];
            let pts: Vec<&ScatterPoint> = s.points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()).collect();
            let mut bars = Vec::new();
            for p in &pts {
                if let Some(e) = p.x_err.filter(|e| *e > 0.0) {
                    bars.push(PathElement::new(vec![(p.x - e, p.y), (p.x + e, p.y)], color.stroke_width(1)));
                }
                if let Some(e) = p.y_err.filter(|e| *e > 0.0) {
                    bars.push(PathElement::new(vec![(p.x, p.y - e), (p.x, p.y + e)], color.stroke_width(1)));
                }
            }
            chart.draw_series(bars).map_err(map)?;
            if i % 2 == 0 {
                chart.draw_series(pts.iter().map(|p| Circle::new((p.x, p.y), 5, color.filled()))).map_err(map)?;
            } else {
                chart.draw_series(pts.iter().map(|p| TriangleMarker::new((p.x, p.y), 6, color.filled()))).map_err(map)?;
            }
            for p in &pts {
                if let Some(l) = &p.label {
                    let at = place_label(chart.backend_coord(&(p.x, p.y)), l, &mut placed);
                    // `backend_coord` is in the whole drawing's pixels: draw on the root area.
                    root.draw(&Text::new(l.clone(), at, ("sans-serif", 16).into_font())).map_err(map)?;
                }
            }
            let y = 30 + 24 * i as i32;
            // The same marker as the points: circles for even series, triangles for odd ones.
            if i % 2 == 0 {
                legend.draw(&Circle::new((12, y + 7), 5, color.filled())).map_err(map)?;
            } else {
                legend.draw(&TriangleMarker::new((12, y + 7), 6, color.filled())).map_err(map)?;
            }
            legend.draw(&Text::new(s.name.clone(), (24, y), ("sans-serif", 17).into_font())).map_err(map)?;
        }
        root.present().map_err(map)?;
    }
    Ok(svg)
}

/// Where to write a point's label: the first of eight spots around the point (right, left,
/// above, below, and the diagonals) whose box overlaps no label placed before, else the spot that
/// overlaps least. `placed` collects the boxes `(x0, y0, x1, y1)` in pixels.
fn place_label((px, py): (i32, i32), label: &str, placed: &mut Vec<(i32, i32, i32, i32)>) -> (i32, i32) {
    let (w, h) = (8 * label.chars().count() as i32, 14);
    let spots = [(8, -7), (-8 - w, -7), (-w / 2, -22), (-w / 2, 8), (8, -20), (8, 6), (-8 - w, -20), (-8 - w, 6)];
    let overlap = |b: (i32, i32, i32, i32)| -> i32 {
        placed
            .iter()
            .map(|q| ((b.2.min(q.2) - b.0.max(q.0)).max(0)) * ((b.3.min(q.3) - b.1.max(q.1)).max(0)))
            .sum()
    };
    let boxes = spots.map(|(dx, dy)| (px + dx, py + dy, px + dx + w, py + dy + h));
    let best = boxes.iter().copied().find(|&b| overlap(b) == 0).unwrap_or_else(|| *boxes.iter().min_by_key(|&&b| overlap(b)).expect("eight spots"));
    placed.push(best);
    (best.0, best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_close_points_do_not_overlap() {
        let mut placed = Vec::new();
        let spots: Vec<(i32, i32)> = (0..4).map(|i| place_label((100 + 3 * i, 100), "random-mask", &mut placed)).collect();
        for i in 0..placed.len() {
            for j in i + 1..placed.len() {
                let (a, b) = (placed[i], placed[j]);
                let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
                assert!(apart, "{spots:?}");
            }
        }
    }

    #[test]
    fn chart_is_svg_with_labels_and_error_bars() {
        let svg = grouped_bar_chart(
            "Rates by group",
            "Taller bars: more of the group selected.",
            &["Female".into(), "Male".into()],
            &[BarSeries {
                name: "selection rate".into(),
                values: vec![Some(0.2), None],
                intervals: vec![Some((0.1, 0.3)), None],
            }],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Female") && svg.contains("selection rate") && svg.contains("Rates by group"));
        assert!(svg.contains("Taller bars: more of the group selected."), "the caption");
        // One whisker and two caps for the one interval.
        let black_lines = svg.matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#000000\" stroke-width=\"1\" points=").count();
        assert!(black_lines >= 3, "{svg}");
    }

    #[test]
    fn line_chart_draws_solid_and_dashed_series() {
        let svg = line_chart(
            "EOD against T",
            "Falling lines: distillation narrows the gap. This caption is long enough to be wrapped onto a second line by the chart.",
            "T",
            "%",
            &[
                super::LineSeries { name: "ours".into(), points: vec![(1.0, 2.0), (4.0, 1.5), (10.0, 1.0)], dashed: false, colour: 0, y_err: vec![Some((1.8, 2.2)), None, Some((0.9, 1.1))] },
                super::LineSeries { name: "paper".into(), points: vec![(1.0, 1.7), (10.0, 1.0)], dashed: true, colour: 1, y_err: vec![] },
            ],
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("EOD against T") && svg.contains("paper"));
        assert!(svg.matches("<circle").count() >= 3, "markers of the solid series");
        assert!(svg.contains("Falling lines: distillation") && svg.contains("onto a second line"), "the caption, wrapped");
        assert!(!svg.contains("This caption is long enough to be wrapped onto a second line by the chart."), "not one overlong line");
        assert!(line_chart("empty", "", "x", "y", &[]).is_err());
    }

    #[test]
    fn long_legend_labels_wrap_at_spaces() {
        assert_eq!(wrap_label("fair4free (log10 β = 1, the study)", 26), ["fair4free (log10 β = 1,", "the study)"]);
        assert_eq!(wrap_label("short", 26), ["short"]);
        let s = vec![super::LineSeries { name: "fair4free (log10 β = 1, the study)".into(), points: vec![(1.0, 0.004), (2.0, 0.002)], dashed: false, colour: 0, y_err: vec![] }];
        let svg = line_chart_with("loss", "", "epoch", "nats", &s, YAxis::Fitted).unwrap();
        assert!(svg.contains("the study)") && !svg.contains("1, the study)"), "the label on two lines");
        // Fitted: the axis ends near the data (0.0042), not at 1.
        let ticks: Vec<f64> = svg.lines().filter_map(|l| l.trim().parse::<f64>().ok()).collect();
        // (the x ticks are the epochs 1.0 to 2.0; a rate axis would have ticks 0.1 to 0.9)
        assert!(ticks.iter().any(|&t| t > 0.0 && t < 0.005) && !ticks.iter().any(|&t| t > 0.005 && t < 0.99), "{ticks:?}");
    }

    #[test]
    fn negative_values_extend_the_axis_below_zero() {
        let series = |points: Vec<(f64, f64)>| vec![super::LineSeries { name: "NLL".into(), points, dashed: false, colour: 0, y_err: vec![] }];
        let tick_below_zero = |svg: &str| svg.lines().any(|l| l.trim().parse::<f64>().is_ok_and(|v| v < 0.0));
        let negative = line_chart("log-likelihood", "", "epoch", "nats", &series(vec![(1.0, -40.0), (2.0, -60.0)])).unwrap();
        assert!(tick_below_zero(&negative), "a negative tick label");
        let positive = line_chart("loss", "", "epoch", "nats", &series(vec![(1.0, 40.0), (2.0, 60.0)])).unwrap();
        assert!(!tick_below_zero(&positive), "the axis starts at 0");
    }

    #[test]
    fn values_above_one_widen_the_axis_and_the_label_is_ours() {
        let svg = grouped_bar_chart_with(
            "Quality",
            "Density above 1: synthetic rows crowd the real ones.",
            "value",
            &["density".into()],
            &[BarSeries { name: "synthetic".into(), values: vec![Some(2.4)], intervals: vec![None] }],
        )
        .unwrap();
        assert!(svg.contains(">\nvalue\n<") || svg.contains("value"), "y label");
        assert!(svg.contains("2.5") || svg.contains("3.0"), "the axis reaches past 2.4");
    }
}
