//! The MLP view's charts (plotters on canvases): each hidden unit's value before vs after the
//! activation, against the identity line, and the two histograms.

use glassbox_model::analysis::nonlinearity::Histogram;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::draw::loss_chart::{Chart, TRAIN, VALIDATION, colour, legend, themed};
use crate::draw::theme::theme;

fn axes(chart: &mut Chart, x: &str, y: &str, text: RGBColor) -> Option<()> {
    themed(chart.configure_mesh().x_desc(x).y_desc(y), text, 11)
}

fn padded((lo, hi): (f32, f32)) -> std::ops::Range<f64> {
    let pad = ((hi - lo) * 0.05).max(1e-3) as f64;
    lo as f64 - pad..hi as f64 + pad
}

/// Every unit as a point (pre-activation, post-activation), the identity line behind them.
pub fn draw_scatter(canvas: &HtmlCanvasElement, pre: &[f32], post: &[f32]) -> Option<()> {
    let theme = theme();
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&colour(theme.background)).ok()?;
    let text = colour(theme.text);
    let range = padded(Histogram::range(&[pre, post]));
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(44)
        .build_cartesian_2d(range.clone(), range.clone())
        .ok()?;
    axes(&mut chart, "before the activation", "after", text)?;
    chart
        .draw_series(LineSeries::new(
            [(range.start, range.start), (range.end, range.end)],
            text.mix(0.35),
        ))
        .ok()?
        .label("identity (a linear MLP)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], text.mix(0.35)));
    chart
        .draw_series(
            pre.iter()
                .zip(post)
                .map(|(&x, &y)| Circle::new((x as f64, y as f64), 2, TRAIN.mix(0.6).filled())),
        )
        .ok()?
        .label("hidden units")
        .legend(|(x, y)| Circle::new((x + 8, y), 3, TRAIN.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperLeft, text, 11)?;
    root.present().ok()
}

/// The histograms of the values before and after the activation, over one shared range.
pub fn draw_histograms(
    canvas: &HtmlCanvasElement,
    before: &Histogram,
    after: &Histogram,
) -> Option<()> {
    let theme = theme();
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&colour(theme.background)).ok()?;
    let text = colour(theme.text);
    let top = before
        .counts
        .iter()
        .chain(&after.counts)
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(44)
        .build_cartesian_2d(before.lo as f64..before.hi as f64, 0f64..top as f64 * 1.1)
        .ok()?;
    axes(&mut chart, "value", "units", text)?;
    let width = (before.hi - before.lo) as f64 / before.counts.len().max(1) as f64;
    for (histogram, style, name) in [
        (before, TRAIN.mix(0.45), "before the activation"),
        (after, VALIDATION.mix(0.45), "after"),
    ] {
        chart
            .draw_series(histogram.counts.iter().enumerate().map(|(i, &n)| {
                let x = histogram.lo as f64 + i as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, n as f64)], style.filled())
            }))
            .ok()?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], style.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, text, 11)?;
    root.present().ok()
}
