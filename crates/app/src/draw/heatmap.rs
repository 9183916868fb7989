//! Attention heatmaps drawn straight onto canvases. Thumbnails are one `putImageData` of
//! `size × size` pixels scaled up by CSS (a grid of 16–144 of them redraws every step); the
//! large view draws labelled cells, a hatch for masked future cells and a colour legend.
//! Plotters (used for charts) would issue one path per cell here, which is what we avoid.

use crate::draw::theme::{Theme, theme};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// How values map to colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Attention weights in [0, 1]; colour follows √weight so small weights stay visible.
    Weights,
    /// Signed differences in [-max, max]: blue below zero, red above.
    Difference { max: f32 },
    /// Distances in [0, 1] between heads: a full matrix (no causal mask), colour linear.
    Distance,
}

/// Viridis, sampled at nine stops.
const VIRIDIS: [[f32; 3]; 9] = [
    [68.0, 1.0, 84.0],
    [71.0, 44.0, 122.0],
    [59.0, 81.0, 139.0],
    [44.0, 113.0, 142.0],
    [33.0, 144.0, 141.0],
    [39.0, 173.0, 129.0],
    [92.0, 200.0, 99.0],
    [170.0, 220.0, 50.0],
    [253.0, 231.0, 37.0],
];

fn viridis(t: f32) -> [u8; 3] {
    let x = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f32;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f32;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    [0, 1, 2].map(|c| (a[c] + (b[c] - a[c]) * f).round() as u8)
}

thread_local! {
    /// Viridis at 256 levels of √weight: thumbnails colour ~300k cells a step.
    static WEIGHT_COLOURS: [[u8; 3]; 256] = std::array::from_fn(|i| viridis(i as f32 / 255.0));
}

impl Scale {
    pub fn colour(self, value: f32) -> [u8; 3] {
        match self {
            Scale::Weights => {
                let level = (value.clamp(0.0, 1.0).sqrt() * 255.0).round() as usize;
                WEIGHT_COLOURS.with(|colours| colours[level])
            }
            Scale::Distance => viridis(value),
            Scale::Difference { max } => {
                let t = if max > 0.0 {
                    (value / max).clamp(-1.0, 1.0)
                } else {
                    0.0
                };
                let fade = |full: f32| (255.0 - (255.0 - full) * t.abs()).round() as u8;
                if t >= 0.0 {
                    [fade(214.0), fade(39.0), fade(40.0)]
                } else {
                    [fade(31.0), fade(119.0), fade(180.0)]
                }
            }
        }
    }

    /// Legend range (bottom, top).
    fn range(self) -> (f32, f32) {
        match self {
            Scale::Weights | Scale::Distance => (0.0, 1.0),
            Scale::Difference { max } => (-max, max),
        }
    }

    /// Whether the matrix is queries × keys under the causal mask.
    fn is_causal(self) -> bool {
        !matches!(self, Scale::Distance)
    }

    /// Value shown at fraction `t` of the legend bar (inverse of the colour mapping).
    fn legend_value(self, t: f32) -> f32 {
        match self {
            Scale::Weights => t * t,
            Scale::Distance => t,
            Scale::Difference { max } => (2.0 * t - 1.0) * max,
        }
    }
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn rgb(c: [u8; 3]) -> String {
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// Draws one head at one pixel per cell. Masked (future) cells are left transparent so the
/// element's hatched CSS background shows through; with `focus`, other query rows are dimmed.
pub fn draw_thumbnail(canvas: &HtmlCanvasElement, size: usize, data: &[f32], focus: Option<usize>) {
    put_cells(canvas, size, |q, k| {
        let rgb = Scale::Weights.colour(data[q * size + k]);
        // With a focused query the other rows fade to grey (opaque: the hatch marks only the mask).
        let dimmed = focus.is_some_and(|f| f != q);
        (k <= q).then(|| {
            if dimmed {
                rgb.map(|c| (0.25 * c as f32 + 0.75 * 140.0) as u8)
            } else {
                rgb
            }
        })
    });
}

/// A `size × size` canvas with one pixel per cell (`None`: transparent).
fn cells_image(
    size: usize,
    colour: impl Fn(usize, usize) -> Option<[u8; 3]>,
) -> Option<HtmlCanvasElement> {
    let document = web_sys::window()?.document()?;
    let image: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    put_cells(&image, size, colour);
    Some(image)
}

/// Sizes `canvas` to `size × size` and writes one pixel per cell in a single `putImageData`.
fn put_cells(
    canvas: &HtmlCanvasElement,
    size: usize,
    colour: impl Fn(usize, usize) -> Option<[u8; 3]>,
) {
    canvas.set_width(size as u32);
    canvas.set_height(size as u32);
    let Some(ctx) = context(canvas) else { return };
    let mut pixels = vec![0u8; size * size * 4];
    for q in 0..size {
        for k in 0..size {
            if let Some([r, g, b]) = colour(q, k) {
                pixels[(q * size + k) * 4..][..4].copy_from_slice(&[r, g, b, 255]);
            }
        }
    }
    if let Ok(image) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), size as u32, size as u32)
    {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}

/// Where the cells of a detail heatmap lie, for mapping the pointer back to (query, key).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Layout {
    pub left: f64,
    pub top: f64,
    pub cell: f64,
    pub size: usize,
}

impl Layout {
    /// The (query, key) cell under canvas point (x, y), if any.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (col, row) = ((x - self.left) / self.cell, (y - self.top) / self.cell);
        let inside = |v: f64| v >= 0.0 && (v as usize) < self.size;
        (inside(col) && inside(row)).then_some((row as usize, col as usize))
    }
}

const LABEL_MARGIN: f64 = 44.0;
const LEGEND_WIDTH: f64 = 64.0;

/// A token label cut to 8 characters (long BPE tokens would push the heatmap away).
fn short_label(label: &str) -> String {
    match label.char_indices().nth(8) {
        Some((end, _)) => format!("{}…", &label[..end]),
        None => label.to_string(),
    }
}

/// The font of the token labels.
const LABEL_FONT: &str = "11px ui-monospace, monospace";

/// Draws a labelled `size × size` heatmap of `data` (rows = queries, columns = keys) with a
/// legend, into at most `max_side` pixels of heatmap; returns where the cells are.
pub fn draw_detail(
    canvas: &HtmlCanvasElement,
    size: usize,
    data: &[f32],
    labels: &[String],
    scale: Scale,
    title: &str,
    max_side: f64,
) -> Layout {
    let cell = (max_side / size.max(1) as f64).clamp(2.0, 28.0).floor();
    let side = cell * size as f64;
    let Some(ctx) = context(canvas) else {
        return Layout::default();
    };
    // Multi-character tokens (BPE) get a wider margin and vertical column labels.
    let labels: Vec<String> = labels.iter().map(|l| short_label(l)).collect();
    ctx.set_font(LABEL_FONT);
    let widest = labels
        .iter()
        .filter_map(|l| ctx.measure_text(l).ok())
        .map(|m| m.width())
        .fold(0.0, f64::max);
    let margin = (widest + 8.0).max(LABEL_MARGIN);
    let vertical = widest > cell;
    let layout = Layout {
        left: margin,
        top: if vertical {
            margin + 14.0
        } else {
            LABEL_MARGIN
        },
        cell,
        size,
    };
    canvas.set_width((layout.left + side + LEGEND_WIDTH) as u32);
    canvas.set_height((layout.top + side + 8.0) as u32);
    let theme = theme();
    ctx.set_fill_style_str(theme.background);
    ctx.fill_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);

    // The causal mask: hatched, so a hidden cell never reads as a weight of 0. The cells go on
    // top as one scaled image whose future cells are transparent.
    let causal = scale.is_causal();
    draw_hatch(&ctx, &layout, side, &theme);
    if let Some(image) = cells_image(size, |q, k| {
        (!causal || k <= q).then(|| scale.colour(data[q * size + k]))
    }) {
        ctx.set_image_smoothing_enabled(false);
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &image,
            layout.left,
            layout.top,
            side,
            side,
        );
    }

    draw_token_labels(&ctx, &labels, &layout, vertical, &theme);
    ctx.set_text_align("left");
    ctx.set_text_baseline("top");
    ctx.set_font("12px system-ui, sans-serif");
    let axes = if causal {
        "   (rows: queries, columns: keys)"
    } else {
        ""
    };
    let _ = ctx.fill_text(&format!("{title}{axes}"), 4.0, 4.0);

    draw_legend(
        &ctx,
        scale,
        layout.left + side + 12.0,
        layout.top,
        side.max(80.0),
        &theme,
    );
    layout
}

/// A frame around cell (query `q`, key `k`) of a heatmap drawn by [`draw_detail`]: the cell the
/// keyboard has reached.
pub fn outline_cell(canvas: &HtmlCanvasElement, layout: &Layout, (q, k): (usize, usize)) {
    let Some(ctx) = context(canvas) else { return };
    ctx.set_stroke_style_str(theme().text);
    ctx.set_line_width(2.0);
    // Centred on the cell, at least 4 px across so a 2-px cell of a long context still shows.
    let side = layout.cell.max(4.0) + 2.0;
    let centre = |origin: f64, index: usize| origin + (index as f64 + 0.5) * layout.cell;
    let (x, y) = (centre(layout.left, k), centre(layout.top, q));
    ctx.stroke_rect(x - side / 2.0, y - side / 2.0, side, side);
}

/// The whole square hatched, so a hidden cell never reads as a weight of 0.
fn draw_hatch(ctx: &CanvasRenderingContext2d, layout: &Layout, side: f64, theme: &Theme) {
    ctx.set_fill_style_str(theme.masked);
    ctx.fill_rect(layout.left, layout.top, side, side);
    ctx.save();
    ctx.begin_path();
    ctx.rect(layout.left, layout.top, side, side);
    ctx.clip();
    ctx.set_stroke_style_str(theme.hatch);
    ctx.begin_path();
    let spacing = 7.0;
    let mut offset = 0.0;
    while offset < 2.0 * side {
        ctx.move_to(layout.left + offset, layout.top);
        ctx.line_to(layout.left + offset - side, layout.top + side);
        offset += spacing;
    }
    ctx.stroke();
    ctx.restore();
}

/// Token labels along both axes: every one when they fit, else every n-th; `vertical` turns the
/// column labels upright.
fn draw_token_labels(
    ctx: &CanvasRenderingContext2d,
    labels: &[String],
    layout: &Layout,
    vertical: bool,
    theme: &Theme,
) {
    ctx.set_fill_style_str(theme.text);
    ctx.set_font(LABEL_FONT);
    let every = (12.0 / layout.cell).ceil().max(1.0) as usize;
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let y = layout.top + (i as f64 + 0.5) * layout.cell;
        let _ = ctx.fill_text(label, layout.left - 4.0, y);
    }
    ctx.set_text_align(if vertical { "left" } else { "center" });
    ctx.set_text_baseline(if vertical { "middle" } else { "bottom" });
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = layout.left + (i as f64 + 0.5) * layout.cell;
        if vertical {
            ctx.save();
            let _ = ctx.translate(x, layout.top - 4.0);
            let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
            let _ = ctx.fill_text(label, 0.0, 0.0);
            ctx.restore();
        } else {
            let _ = ctx.fill_text(label, x, layout.top - 3.0);
        }
    }
}

fn draw_legend(
    ctx: &CanvasRenderingContext2d,
    scale: Scale,
    x: f64,
    top: f64,
    height: f64,
    theme: &Theme,
) {
    let steps = 64;
    let h = height / steps as f64;
    for i in 0..steps {
        let t = 1.0 - (i as f32 + 0.5) / steps as f32;
        ctx.set_fill_style_str(&rgb(scale.colour(scale.legend_value(t))));
        ctx.fill_rect(x, top + i as f64 * h, 14.0, h + 0.5);
    }
    ctx.set_fill_style_str(theme.text);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("left");
    ctx.set_text_baseline("middle");
    let (low, high) = scale.range();
    let mid = scale.legend_value(0.5);
    for (value, frac) in [(high, 0.0), (mid, 0.5), (low, 1.0)] {
        let _ = ctx.fill_text(&format!("{value:.2}"), x + 18.0, top + frac * height);
    }
}

/// Offers the canvas as a PNG download.
pub fn save_png(canvas: &HtmlCanvasElement, file_name: &str) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        crate::web::download::offer(&url, file_name);
    }
}

/// A square attention matrix as CSV: a header of key labels, then one row per query (label, then
/// the weights at full f32 precision; masked cells are 0).
pub fn matrix_csv(size: usize, values: &[f32], labels: &[String]) -> String {
    let quote = |label: &str| format!("\"{}\"", label.replace('"', "\"\""));
    let mut csv = std::iter::once("query \\ key".to_string())
        .chain(labels.iter().take(size).map(|l| quote(l)))
        .collect::<Vec<_>>()
        .join(",");
    for (q, row) in values.chunks(size).enumerate() {
        csv.push('\n');
        csv.push_str(&quote(labels.get(q).map_or("", String::as_str)));
        for v in row {
            csv.push(',');
            csv.push_str(&v.to_string());
        }
    }
    csv.push('\n');
    csv
}

/// Copies several canvases side by side into one PNG (the whole attention grid at once).
pub fn save_grid_png(rows: &[Vec<HtmlCanvasElement>], cell: u32, file_name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(out) = document.create_element("canvas") else {
        return;
    };
    let out: HtmlCanvasElement = out.unchecked_into();
    let gap = 4;
    let n_cols = rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
    out.set_width(n_cols * (cell + gap));
    out.set_height(rows.len() as u32 * (cell + gap));
    let Some(ctx) = context(&out) else { return };
    ctx.set_image_smoothing_enabled(false);
    ctx.set_fill_style_str(theme().background);
    ctx.fill_rect(0.0, 0.0, out.width() as f64, out.height() as f64);
    for (r, row) in rows.iter().enumerate() {
        for (c, thumb) in row.iter().enumerate() {
            let (x, y) = (
                (c as u32 * (cell + gap)) as f64,
                (r as u32 * (cell + gap)) as f64,
            );
            let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                thumb,
                x,
                y,
                cell as f64,
                cell as f64,
            );
        }
    }
    save_png(&out, file_name);
}
