//! The loss curves, drawn with plotters on a canvas: the training loss of every step (raw and
//! faint, and smoothed), the validation loss at every evaluation, ln(vocabulary) for reference.
//! The log scale plots log10(loss) on a linear axis (plotters 0.3.7's log axis cannot map a pixel
//! back to a value, which the hover read-out needs).

use glassbox_model::train::run::RunRecord;
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::draw::theme::theme;

/// Weight of the moving average drawn over the raw training loss.
pub const SMOOTHING: f64 = 0.9;

/// Where the plot sits in the canvas, to turn a pointer position into a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotArea {
    left: f64,
    right: f64,
    first_step: f64,
    last_step: f64,
}

impl PlotArea {
    /// The step under canvas x-coordinate `x`, if it is inside the plot.
    pub fn step_at(&self, x: f64) -> Option<usize> {
        if x < self.left || x > self.right || self.right <= self.left {
            return None;
        }
        let t = (x - self.left) / (self.right - self.left);
        Some((self.first_step + t * (self.last_step - self.first_step)).round() as usize)
    }
}

pub fn colour(hex: &str) -> RGBColor {
    let channel =
        |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    RGBColor(channel(1), channel(3), channel(5))
}

pub const TRAIN: RGBColor = RGBColor(31, 119, 180);
pub const VALIDATION: RGBColor = RGBColor(230, 85, 13);

/// The theme's axis, grid and label styles on a chart's mesh.
pub fn themed<'a, 'b, X, Y, XT, YT, DB>(
    mesh: &mut MeshStyle<'a, 'b, X, Y, DB>,
    text: RGBColor,
    font_size: u32,
) -> Option<()>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    mesh.axis_style(text.mix(0.6))
        .bold_line_style(text.mix(0.08))
        .light_line_style(text.mix(0.0))
        .label_style(("sans-serif", font_size).into_font().color(&text))
        .draw()
        .ok()
}

/// A chart over two f64 axes on a canvas (every chart here).
pub type Chart<'a> = ChartContext<'a, CanvasBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The series legend in the theme's colours.
pub fn legend(
    chart: &mut Chart,
    position: SeriesLabelPosition,
    text: RGBColor,
    font_size: u32,
) -> Option<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(colour(theme().background).mix(0.85))
        .border_style(text.mix(0.2))
        .label_font(("sans-serif", font_size).into_font().color(&text))
        .draw()
        .ok()
}

/// A validation curve: a line with a dot at each evaluation.
fn draw_validation(
    chart: &mut Chart,
    points: &[(f64, f64)],
    colour: RGBColor,
    label: String,
) -> Option<()> {
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))
        .ok()?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
        .ok()?;
    Some(())
}

/// The step and loss axes (loss labels in nats even on the log scale).
fn draw_axes(chart: &mut Chart, log_scale: bool, last_step: f64, text: RGBColor) -> Option<()> {
    let label = move |v: &f64| {
        let loss = if log_scale { 10f64.powf(*v) } else { *v };
        format!("{loss:.2}")
    };
    themed(
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc(if log_scale {
                "loss (log scale)"
            } else {
                "loss (nats)"
            })
            .y_label_formatter(&label)
            // At most one label per step: a short run would otherwise repeat rounded labels.
            .x_labels((last_step as usize + 1).min(10))
            .x_label_formatter(&|v| format!("{v:.0}")),
        text,
        12,
    )
}

/// The lowest and highest loss of `record` (training and validation), and `uniform`.
fn loss_range(record: &RunRecord, uniform: f64) -> (f64, f64) {
    let curve = &record.curve;
    curve
        .iter()
        .map(|p| p.loss as f64)
        .chain(curve.iter().filter_map(|p| p.val_loss.map(f64::from)))
        .filter(|v| v.is_finite())
        .fold((uniform, uniform), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// The training loss, raw (faint) and `smoothed`, on the chart's `scale`.
fn draw_training(
    chart: &mut Chart,
    record: &RunRecord,
    smoothed: &[f64],
    scale: &dyn Fn(f64) -> f64,
) -> Option<()> {
    let curve = &record.curve;
    chart
        .draw_series(LineSeries::new(
            curve.iter().map(|p| (p.step as f64, scale(p.loss as f64))),
            TRAIN.mix(0.25),
        ))
        .ok()?
        .label("training loss")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], TRAIN.mix(0.25)));
    chart
        .draw_series(LineSeries::new(
            curve
                .iter()
                .zip(smoothed)
                .map(|(p, s)| (p.step as f64, scale(*s))),
            TRAIN.stroke_width(2),
        ))
        .ok()?
        .label("training loss, smoothed")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], TRAIN.stroke_width(2)));
    Some(())
}

/// Draws `record`'s curves; `hover` marks one step. Returns the plot's position.
pub fn draw(
    canvas: &HtmlCanvasElement,
    record: &RunRecord,
    log_scale: bool,
    hover: Option<usize>,
) -> Option<PlotArea> {
    let theme = theme();
    let backend = CanvasBackend::with_canvas_object(canvas.clone())?;
    let root = backend.into_drawing_area();
    root.fill(&colour(theme.background)).ok()?;
    let text = colour(theme.text);
    let scale = |loss: f64| {
        if log_scale {
            loss.max(1e-6).log10()
        } else {
            loss
        }
    };
    let smoothed = record.smoothed_loss(SMOOTHING);
    let uniform = (record.settings.model.vocab_size.max(2) as f64).ln();

    let last_step = record.chart_end() as f64;
    let (low, high) = loss_range(record, uniform);
    let (low, high) = (scale(low * 0.9), scale(high * 1.05));

    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(46)
        .build_cartesian_2d(0f64..last_step, low..high.max(low + 1e-3))
        .ok()?;
    draw_axes(&mut chart, log_scale, last_step, text)?;

    // ln(vocabulary): the loss of a uniform guess.
    chart
        .draw_series(LineSeries::new(
            [(0.0, scale(uniform)), (last_step, scale(uniform))],
            text.mix(0.3).stroke_width(1),
        ))
        .ok()?
        .label(format!(
            "uniform guess, ln {}",
            record.settings.model.vocab_size
        ))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], text.mix(0.3)));
    draw_training(&mut chart, record, &smoothed, &scale)?;
    let validation: Vec<(f64, f64)> = (record.curve.iter())
        .filter_map(|p| p.val_loss.map(|v| (p.step as f64, scale(v as f64))))
        .collect();
    draw_validation(
        &mut chart,
        &validation,
        VALIDATION,
        "validation loss".into(),
    )?;
    if let Some(step) = hover {
        chart
            .draw_series(LineSeries::new(
                [(step as f64, low), (step as f64, high)],
                text.mix(0.5),
            ))
            .ok()?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, text, 12)?;
    root.present().ok()?;

    let (x_range, _) = chart.plotting_area().get_pixel_range();
    Some(PlotArea {
        left: x_range.start as f64,
        right: x_range.end as f64,
        first_step: 0.0,
        last_step,
    })
}

/// How diverse the heads were over the run: the mean Jensen–Shannon distance between two heads of
/// the same layer on the probe sentence, at each attention snapshot, on the loss chart's steps.
pub fn draw_diversity(canvas: &HtmlCanvasElement, record: &RunRecord) -> Option<()> {
    let theme = theme();
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&colour(theme.background)).ok()?;
    let text = colour(theme.text);
    let points = record.head_diversity();
    let last_step = record.chart_end() as f64;
    let high = points.iter().map(|p| p.1 as f64).fold(0.1, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(46)
        .build_cartesian_2d(0f64..last_step, 0f64..high.min(1.0))
        .ok()?;
    themed(
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("head distance")
            .x_labels((last_step as usize + 1).min(10))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_labels(4),
        text,
        12,
    )?;
    let series: Vec<(f64, f64)> = points.iter().map(|&(s, d)| (s as f64, d as f64)).collect();
    chart
        .draw_series(LineSeries::new(
            series.iter().copied(),
            DIVERSITY.stroke_width(2),
        ))
        .ok()?;
    chart
        .draw_series(
            series
                .iter()
                .map(|&p| Circle::new(p, 3, DIVERSITY.filled())),
        )
        .ok()?;
    root.present().ok()
}

const DIVERSITY: RGBColor = RGBColor(117, 66, 198);

/// One colour per experiment variant.
const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 85, 13),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

pub fn variant_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The validation-loss curves of an experiment's variants in one chart (the training loss faint).
pub fn draw_experiment(canvas: &HtmlCanvasElement, runs: &[(String, &RunRecord)]) -> Option<()> {
    let theme = theme();
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&colour(theme.background)).ok()?;
    let text = colour(theme.text);
    let last_step = runs.iter().map(|(_, r)| r.chart_end()).max().unwrap_or(1) as f64;
    let losses = runs.iter().flat_map(|(_, r)| {
        r.curve
            .iter()
            .flat_map(|p| [Some(p.loss), p.val_loss])
            .flatten()
            .map(f64::from)
    });
    let (low, high) = losses
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (low, high) = if low <= high {
        (low * 0.95, high * 1.02)
    } else {
        (0.0, 5.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(46)
        .build_cartesian_2d(0f64..last_step, low..high.max(low + 1e-3))
        .ok()?;
    themed(
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("loss (nats)")
            .x_label_formatter(&|v| format!("{v:.0}")),
        text,
        12,
    )?;
    for (i, (name, record)) in runs.iter().enumerate() {
        let c = variant_colour(i);
        chart
            .draw_series(LineSeries::new(
                record.curve.iter().map(|p| (p.step as f64, p.loss as f64)),
                c.mix(0.18),
            ))
            .ok()?;
        let validation: Vec<(f64, f64)> = record
            .curve
            .iter()
            .filter_map(|p| p.val_loss.map(|v| (p.step as f64, v as f64)))
            .collect();
        draw_validation(&mut chart, &validation, c, format!("{name} (validation)"))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, text, 12)?;
    root.present().ok()
}
