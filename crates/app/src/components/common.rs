//! Widgets the panels share: a number field, the layers × heads grid of thumbnails, a chart
//! canvas that follows the theme, and how a probability is written.

use glassbox_model::{AttentionMatrix, HeadView};
use glassbox_page::shortcuts::grid_move;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::draw::heatmap;
use crate::state::AppState;

pub use glassbox_model::units::percent;

/// Parses a field's text (surrounding blanks ignored), saying what was expected when it fails.
pub fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not {what}"))
}

/// A numeric field. `apply` takes the typed text; its error (prefixed with the label) goes to
/// the page's error line and leaves the setting alone. `live` fields apply on every keystroke
/// (waiting while the field is empty), the others when the value is committed.
#[component]
pub fn NumberField<A>(
    label: &'static str,
    testid: &'static str,
    tip: &'static str,
    #[prop(into)] value: Signal<String>,
    apply: A,
    #[prop(default = "any")] step: &'static str,
    #[prop(optional)] live: bool,
    #[prop(optional, into)] hidden: Option<Signal<bool>>,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView
where
    A: Fn(&str) -> Result<(), String> + Copy + Send + Sync + 'static,
{
    let state = expect_context::<AppState>();
    let report = move |text: String| match apply(&text) {
        Ok(()) => state.error.set(None),
        Err(msg) => state.error.set(Some(format!("{label}: {msg}"))),
    };
    view! {
        <label class="field" title=tip class:hidden=move || hidden.is_some_and(|h| h.get())>
            <span>{label}</span>
            <input type="number" step=step data-testid=testid
                prop:value=value
                disabled=move || disabled.is_some_and(|d| d.get())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    // Half-typed: wait for a value.
                    if live && !text.trim().is_empty() {
                        report(text.trim().to_string());
                    }
                }
                on:change=move |ev| if !live { report(event_target_value(&ev)) } />
        </label>
    }
}

/// The view a grid cell shows: a head, or in the last column the layer's mean.
pub fn grid_view(layer: usize, column: usize, n_head: usize) -> HeadView {
    if column < n_head {
        HeadView::Head {
            layer,
            head: column,
        }
    } else {
        HeadView::LayerMean { layer }
    }
}

/// Canvas slots of a layers × (heads + mean) grid.
pub fn grid_canvases(n_layer: usize, n_head: usize) -> Vec<Vec<NodeRef<Canvas>>> {
    (0..n_layer)
        .map(|_| (0..=n_head).map(|_| NodeRef::new()).collect())
        .collect()
}

/// Draws every thumbnail of a grid from `matrix`, highlighting the `focus` query's row.
pub fn draw_grid(rows: &[Vec<NodeRef<Canvas>>], matrix: &AttentionMatrix, focus: Option<usize>) {
    for (layer, row) in rows.iter().enumerate() {
        for (column, node) in row.iter().enumerate() {
            if let Some(canvas) = node.get() {
                let view = grid_view(layer, column, matrix.n_head);
                match matrix.view(view) {
                    Some(cells) => heatmap::draw_thumbnail(&canvas, matrix.size, &cells, focus),
                    // A grid drawn for another shape than this matrix: blank, not a panic.
                    None => canvas.set_width(0),
                }
            }
        }
    }
}

/// The layers × (heads + mean) grid of thumbnails: `cell(layer, column, view, canvas)` renders
/// one cell around its canvas.
#[component]
pub fn HeadGrid<C, V>(
    testid: &'static str,
    n_head: usize,
    canvases: Vec<Vec<NodeRef<Canvas>>>,
    cell: C,
    #[prop(optional)] mean_tip: Option<&'static str>,
    #[prop(optional, into)] render_ms: Option<Signal<Option<String>>>,
) -> impl IntoView
where
    C: Fn(usize, usize, HeadView, NodeRef<Canvas>) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let rows = canvases
        .into_iter()
        .enumerate()
        .map(|(layer, row)| {
            let cells = row
                .into_iter()
                .enumerate()
                .map(move |(column, node)| {
                    cell(layer, column, grid_view(layer, column, n_head), node)
                })
                .collect_view();
            view! {
                <div class="grid-row">
                    <span class="row-label">{format!("L{}", layer + 1)}</span>
                    {cells}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="grid-head">
            <span class="row-label"></span>
            {(0..n_head).map(|h| view! { <span class="col-label">{format!("H{}", h + 1)}</span> }).collect_view()}
            <span class="col-label" title=mean_tip>"mean"</span>
        </div>
        <div class="attention-grid" data-testid=testid style=format!("--heads: {}", n_head + 1)
            data-render-ms=move || render_ms.and_then(|ms| ms.get())
            on:keydown=move |ev| move_in_grid(&ev, n_head + 1)>
            {rows}
        </div>
    }
}

/// Arrow keys on a focused cell focus and press its neighbour (the page's own arrow shortcuts
/// then leave the key alone).
fn move_in_grid(ev: &web_sys::KeyboardEvent, columns: usize) {
    let element = |node: Option<web_sys::Element>| {
        node.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
    };
    let index = |parent: &web_sys::Element, child: &web_sys::Element| {
        let children = parent.children();
        (0..children.length()).position(|i| children.item(i).as_ref() == Some(child))
    };
    let Some(cell) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Some(row) = cell.parent_element() else {
        return;
    };
    let Some(grid) = row.parent_element() else {
        return;
    };
    // A row is its label, then the cells.
    let (Some(r), Some(c)) = (
        index(&grid, &row),
        index(&row, &cell).and_then(|c| c.checked_sub(1)),
    ) else {
        return;
    };
    let rows = grid.child_element_count() as usize;
    if let Some((r, c)) = grid_move(&ev.key(), (r, c), (rows, columns)) {
        ev.prevent_default();
        let next = grid
            .children()
            .item(r as u32)
            .and_then(|row| row.children().item(c as u32 + 1));
        if let Some(next) = element(next) {
            // Focus failing leaves the old cell focused: nothing to report.
            let _ = next.focus();
            next.click();
        }
    }
}

/// Redraws a chart: `draw` runs on the canvas once it is mounted, again whenever anything it
/// reads changes, and when the theme does.
pub fn chart_effect(canvas: NodeRef<Canvas>, draw: impl Fn(web_sys::HtmlCanvasElement) + 'static) {
    theme_effect(move || {
        if let Some(el) = canvas.get() {
            draw(el);
        }
    });
}

/// Runs `draw` now, again whenever anything it reads changes, and when the theme does.
pub fn theme_effect(draw: impl Fn() + 'static) {
    let state = expect_context::<AppState>();
    Effect::new(move |_| {
        state.theme_version.track();
        draw();
    });
}

/// The width of `el`'s parent (`fallback` before layout).
pub fn parent_width(el: &web_sys::HtmlCanvasElement, fallback: i32) -> i32 {
    el.parent_element().map_or(fallback, |p| p.client_width())
}

/// Sizes a chart canvas to its panel's width (at least `min`) and to `height`.
pub fn fit_to_parent(el: &web_sys::HtmlCanvasElement, fallback: i32, min: i32, height: u32) {
    el.set_width(parent_width(el, fallback).max(min) as u32);
    el.set_height(height);
}
