//! Attention: every head of every layer at a glance (layers as rows, heads as columns, plus each
//! layer's mean), a focus row shared by all thumbnails, and large labelled heatmaps: one head,
//! or two side by side with their difference.

use std::sync::Arc;

use glassbox_model::trace::attention_map::difference;
use glassbox_model::{AttentionMatrix, HeadView};
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::common::{HeadGrid, chart_effect, draw_grid, grid_canvases};
use crate::draw::heatmap::{self, Layout, Scale};
use crate::state::AppState;
use crate::web::clock::now_ms;

type Attention = Memo<Option<Arc<AttentionMatrix>>>;

fn head_attr(view: HeadView) -> String {
    match view {
        HeadView::Head { head, .. } => head.to_string(),
        HeadView::LayerMean { .. } => "mean".into(),
    }
}

/// Window labels of the shown step.
fn window_labels(state: AppState) -> Vec<String> {
    let selected = state.selected.get();
    state.snapshot.with(|s| {
        s.shown_step(selected)
            .map(|step| step.window_labels.clone())
            .unwrap_or_default()
    })
}

/// The attention of the step on screen, shared by every attention view.
pub fn provide_attention(state: AppState) {
    provide_context(state.attention_memo());
}

fn use_attention() -> Attention {
    expect_context::<Attention>()
}

#[component]
pub fn AttentionPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let attention = use_attention();
    view! {
        <section class="panel attention-panel">
            <h2 title="Self-attention: each position (query) takes a weighted average of the earlier positions (keys). Every layer has several heads, each with its own weights. Rows are queries, columns keys; the hatched triangle is the causal mask (a token cannot look ahead).">
                "Attention: every layer, every head"
            </h2>
            <Grid attention=attention />
            <FocusTokens attention=attention />
            <CompareBar />
            // Compared views need the page's width: they move to a row of their own.
            <Show when=move || !state.compare.get()>
                <Details />
            </Show>
        </section>
    }
}

#[component]
fn Grid(attention: Attention) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (n_layer, n_head) = state.shape();
    let thumbs = grid_canvases(n_layer, n_head);
    let refs = StoredValue::new_local(thumbs.clone());

    Effect::new(move |_| {
        let focus = state.focus.get();
        let Some(matrix) = attention.get() else {
            // No step (yet, or any more): blank thumbnails, not a stale picture.
            refs.with_value(|rows| {
                for canvas in rows.iter().flatten().filter_map(NodeRef::get) {
                    canvas.set_width(0);
                }
            });
            return;
        };
        let start = now_ms();
        refs.with_value(|rows| draw_grid(rows, &matrix, focus));
        state.grid_render_ms.set(Some(now_ms() - start));
    });

    let pick = move |view: HeadView| {
        if state.compare.get_untracked() && state.pick_secondary.get_untracked() {
            state.secondary.set(view);
        } else {
            state.primary.set(view);
        }
    };
    let save = move |_| {
        let canvases: Vec<Vec<_>> = refs.with_value(|rows| {
            rows.iter()
                .map(|r| r.iter().filter_map(NodeRef::get).collect())
                .collect()
        });
        heatmap::save_grid_png(&canvases, 96, "glassbox-attention-grid.png");
    };

    let cell = move |layer: usize, column: usize, view: HeadView, node: NodeRef<Canvas>| {
        let testid = if column < n_head {
            "attention-thumb"
        } else {
            "attention-mean"
        };
        let off = move || {
            state
                .head_mask
                .with(|m| m.ablated.contains(&(layer, column)))
        };
        view! {
            <button class="thumb" data-testid=testid data-layer=layer data-head=head_attr(view)
                class:off=off data-off=move || off().to_string()
                class:primary=move || state.primary.get() == view
                class:secondary=move || state.compare.get() && state.secondary.get() == view
                title=format!("{}: click to open it large", view.label())
                on:click=move |_| pick(view)>
                <canvas node_ref=node></canvas>
            </button>
        }
    };
    let render_ms = Signal::derive(move || state.grid_render_ms.get().map(|ms| format!("{ms:.2}")));

    view! {
        <HeadGrid testid="attention-grid" n_head=n_head canvases=thumbs cell=cell
            mean_tip="The average of the layer's heads" render_ms=render_ms />
        <div class="row-actions">
            <button class="small secondary" on:click=save title="Download all thumbnails as one PNG">"Save grid as PNG"</button>
            <span class="hint">{move || state.grid_render_ms.get().map(|ms| format!("grid drawn in {ms:.1} ms"))}</span>
        </div>
    }
}

/// The shown step's window as chips: choosing one highlights its attention row in every
/// thumbnail, and shades the chips by how much it attends to each (first view's head).
#[component]
fn FocusTokens(attention: Attention) -> impl IntoView {
    let state = expect_context::<AppState>();
    // The focused query's attention row in the first view's head.
    let weights = Memo::new(move |_| {
        let focus = state.focus.get()?;
        let view = state.primary.get();
        attention.with(|m| {
            let m = m.as_ref()?;
            let data = m.view(view).filter(|_| focus < m.size)?;
            Some(data[focus * m.size..(focus + 1) * m.size].to_vec())
        })
    });
    let weight =
        move |i: usize| weights.with(|w| w.as_ref().and_then(|w| w.get(i)).copied().unwrap_or(0.0));
    let labels = Memo::new(move |_| window_labels(state));
    // Keyed by position: when the window slides, the chips stay and only their text changes.
    let positions = move || 0..labels.with(Vec::len);
    view! {
        <div class="focus" data-testid="focus-tokens"
            title="Pick a query token: its row lights up in every thumbnail, and the tokens here are shaded by how much it attends to them in the selected head (like lines in BertViz's head view).">
            <span class="focus-label">"Focus a query:"</span>
            <For each=positions key=|i| *i let:i>
                <button class="chip" class:focused=move || state.focus.get() == Some(i)
                    style=move || format!("--w: {:.3}", weight(i).sqrt())
                    title=move || format!("position {i}: weight {:.3}", weight(i))
                    on:click=move |_| state.focus.update(|f| *f = if *f == Some(i) { None } else { Some(i) })>
                    {move || labels.with(|l| l.get(i).cloned().unwrap_or_default())}
                </button>
            </For>
        </div>
    }
}

#[component]
fn CompareBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="compare-bar">
            <label title="Show a second head (or a layer's mean) next to the first, and their difference.">
                <input type="checkbox" data-testid="compare-toggle"
                    prop:checked=move || state.compare.get()
                    on:change=move |ev| state.compare.set(event_target_checked(&ev)) />
                " Compare two"
            </label>
            <Show when=move || state.compare.get()>
                <span class="pick">
                    "Clicking a thumbnail sets: "
                    <label><input type="radio" name="pick" prop:checked=move || !state.pick_secondary.get()
                        on:change=move |_| state.pick_secondary.set(false) />" A"</label>
                    <label><input type="radio" name="pick" prop:checked=move || state.pick_secondary.get()
                        on:change=move |_| state.pick_secondary.set(true) />" B"</label>
                </span>
            </Show>
        </div>
    }
}

/// The large heatmap of the first view; with Compare on, the second and their difference too.
#[component]
pub fn Details() -> impl IntoView {
    let state = expect_context::<AppState>();
    let attention = use_attention();
    let primary = Signal::derive(move || state.primary.get());
    let secondary = Signal::derive(move || state.secondary.get());
    // One view's matrix, for its heatmap.
    let cells = move |view: Signal<HeadView>| {
        Signal::derive(move || {
            let view = view.get();
            attention.with(|m| {
                let m = m.as_ref()?;
                Some((m.size, m.view(view)?, view.label()))
            })
        })
    };
    // Computed once per change: both the difference heatmap and its colour range read it.
    let diff = Memo::new(move |_| -> Option<(usize, Vec<f32>, String)> {
        let (a, b) = (state.primary.get(), state.secondary.get());
        attention.with(|m| {
            let m = m.as_ref()?;
            Some((
                m.size,
                difference(&m.view(a)?, &m.view(b)?),
                format!("{} − {}", a.label(), b.label()),
            ))
        })
    });
    view! {
        <div class="details" class:comparing=move || state.compare.get()>
            <Heatmap testid="attention-detail" view=Some(primary) attention=attention
                data=cells(primary)
                scale=Signal::derive(|| Scale::Weights) />
            <Show when=move || state.compare.get()>
                <Heatmap testid="attention-detail-b" view=Some(secondary) attention=attention
                    data=cells(secondary)
                    scale=Signal::derive(|| Scale::Weights) />
                <Heatmap testid="attention-difference" view=None attention=attention
                    data=Signal::from(diff)
                    scale=Signal::derive(move || {
                        let max = diff.with(|d| d.as_ref().map(|(_, d, _)| d.iter().fold(0.0f32, |m, v| m.max(v.abs())))).unwrap_or(1.0);
                        Scale::Difference { max: max.max(1e-6) }
                    }) />
            </Show>
        </div>
    }
}

/// The width of the row of large heatmaps, read once: reading it on every step forced a page
/// layout each time.
fn details_width(el: &web_sys::HtmlCanvasElement, cache: StoredValue<Option<f64>>) -> f64 {
    cache.get_value().unwrap_or_else(|| {
        let width = el
            .closest(".details")
            .ok()
            .flatten()
            .map(|d| d.client_width() as f64)
            .unwrap_or(560.0);
        cache.set_value(Some(width));
        width
    })
}

/// Where the mouse is, in the canvas's own pixels.
fn canvas_point(el: &web_sys::HtmlCanvasElement, ev: &web_sys::MouseEvent) -> (f64, f64) {
    let scale_x = el.width() as f64 / el.client_width().max(1) as f64;
    let scale_y = el.height() as f64 / el.client_height().max(1) as f64;
    (
        ev.offset_x() as f64 * scale_x,
        ev.offset_y() as f64 * scale_y,
    )
}

/// `cell` if it lies in a `size × size` map: a cell kept from a longer window may not.
fn in_map(cell: Option<(usize, usize)>, size: usize) -> Option<(usize, usize)> {
    cell.filter(|&(q, k)| q < size && k < size)
}

/// The read-out of cell (query `q`, key `k`); `None` outside the map.
fn cell_text(labels: &[String], size: usize, values: &[f32], q: usize, k: usize) -> Option<String> {
    in_map(Some((q, k)), size)?;
    let (ql, kl) = (labels.get(q)?, labels.get(k)?);
    Some(if k > q {
        format!("query {q} “{ql}” → key {k} “{kl}”: masked (the future is hidden)")
    } else {
        format!(
            "query {q} “{ql}” → key {k} “{kl}”: {:.4}",
            values[q * size + k]
        )
    })
}

/// One large heatmap with token labels, a read-out of the cell under the mouse or reached with the
/// arrow keys (the map takes the focus), legend and PNG download.
#[component]
fn Heatmap(
    testid: &'static str,
    view: Option<Signal<HeadView>>,
    attention: Attention,
    data: Signal<Option<(usize, Vec<f32>, String)>>,
    scale: Signal<Scale>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas = NodeRef::<Canvas>::new();
    let layout = StoredValue::new(Layout::default());
    let hover = RwSignal::new(None::<String>);
    // The (query, key) the arrow keys have reached while the map has the focus.
    let cursor = RwSignal::new(None::<(usize, usize)>);
    let comparing = move || state.compare.get();
    let row_width = StoredValue::new(None::<f64>);

    chart_effect(canvas, move |el| {
        let _ = attention.get();
        let labels = window_labels(state);
        let Some((size, values, title)) = data.get() else {
            el.set_width(0);
            el.set_height(0);
            return;
        };
        // As large as the row allows (a third of it each when comparing).
        let width = details_width(&el, row_width);
        let max_side = (width / if comparing() { 3.0 } else { 1.0 } - 120.0).clamp(120.0, 560.0);
        let drawn =
            heatmap::draw_detail(&el, size, &values, &labels, scale.get(), &title, max_side);
        if let Some(cell) = in_map(cursor.get(), size) {
            heatmap::outline_cell(&el, &drawn, cell);
        }
        layout.set_value(drawn);
    });

    let on_move = move |ev: web_sys::MouseEvent| {
        let Some(el) = canvas.get() else { return };
        let (x, y) = canvas_point(&el, &ev);
        let text = layout.get_value().cell_at(x, y).and_then(|(q, k)| {
            let (size, values, _) = data.get_untracked()?;
            cell_text(&window_labels(state), size, &values, q, k)
        });
        hover.set(text);
    };
    // Every arrow key is the map's while it has the focus, even at its edge: the page's own arrow
    // shortcuts (step, back) would otherwise fire from inside it.
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        let Some(size) = data.with_untracked(|d| d.as_ref().map(|d| d.0)) else {
            return;
        };
        if size == 0 || !key.starts_with("Arrow") {
            return;
        }
        ev.prevent_default();
        let from = in_map(cursor.get_untracked(), size).unwrap_or((size - 1, size - 1));
        cursor.set(Some(
            glassbox_page::shortcuts::grid_move(&key, from, (size, size)).unwrap_or(from),
        ));
    };
    // A click picks the cell the arrow keys go on from.
    let on_click = move |ev: web_sys::MouseEvent| {
        let Some(el) = canvas.get() else { return };
        let (x, y) = canvas_point(&el, &ev);
        if let Some(cell) = layout.get_value().cell_at(x, y) {
            cursor.set(Some(cell));
        }
    };
    let cursor_text = move || {
        let (q, k) = cursor.get()?;
        let (size, values, _) = data.get()?;
        cell_text(&window_labels(state), size, &values, q, k)
    };
    let save = move |_| {
        if let Some(el) = canvas.get() {
            heatmap::save_png(&el, &format!("glassbox-{testid}.png"));
        }
    };
    let save_csv = move |_| {
        if let Some((size, values, _)) = data.get_untracked() {
            let csv = heatmap::matrix_csv(size, &values, &window_labels(state));
            crate::web::download::save_bytes(csv.as_bytes(), &format!("glassbox-{testid}.csv"));
        }
    };
    view! {
        <figure class="heatmap" data-testid=testid
            data-layer=move || view.map(|v| v.get().layer().to_string())
            data-head=move || view.map(|v| head_attr(v.get()))>
            <canvas node_ref=canvas tabindex="0" data-testid=format!("{testid}-canvas")
                aria-label="Attention heatmap: the arrow keys move from cell to cell, and the line below reads each one"
                aria-describedby=format!("{testid}-readout")
                on:mousemove=on_move on:mouseleave=move |_| hover.set(None)
                on:keydown=on_key on:click=on_click
                on:focus=move |_| cursor.set(data.with_untracked(|d| {
                    d.as_ref().filter(|d| d.0 > 0).map(|d| (d.0 - 1, d.0 - 1))
                }))
                on:blur=move |_| cursor.set(None)></canvas>
            <figcaption>
                <span class="hover" data-testid=format!("{testid}-hover") id=format!("{testid}-readout")
                    aria-live="polite">
                    {move || hover.get().or_else(cursor_text).unwrap_or_else(|| if data.with(Option::is_some) {
                        "Hover a cell, or focus the map and use the arrow keys, to read (query, key, weight).".into()
                    } else {
                        "Press Step to see attention.".into()
                    })}
                </span>
                <button class="small secondary" on:click=save>"Save PNG"</button>
                <button class="small secondary" data-testid=format!("{testid}-csv") on:click=save_csv
                    title="The weights as numbers (rows: queries, columns: keys)">"CSV"</button>
            </figcaption>
        </figure>
    }
}
