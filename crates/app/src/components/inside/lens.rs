//! Logit lens: the residual stream after each block read out through the final LayerNorm and the
//! LM head: what the model would predict if it stopped there.

use std::sync::Arc;

use glassbox_model::analysis::lens::LogitLens;
use leptos::prelude::*;

use super::{JobStatus, PositionPicker};
use crate::components::common::percent;
use crate::state::AppState;
use crate::state::inside::InsideState;

/// Positions the every-position table shows (the last ones).
const GRID_POSITIONS: usize = 64;

fn depth_name(depth: usize, n_layer: usize) -> String {
    match depth {
        0 => "embeddings".into(),
        d if d == n_layer => format!("layer {d} (output)"),
        d => format!("layer {d}"),
    }
}

#[component]
pub fn LensPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let lens = inside.lens;
    let target_label = move || {
        let lens = lens.done()?;
        lens.ids
            .get(lens.position + 1)
            .map(|&id| format!("rank · prob of “{}”", state.label(id)))
    };
    view! {
        <section class="panel inside-panel" id="lens" data-testid="logit-lens">
            <h2>"Logit lens: what each layer would predict"</h2>
            <p class="caption">
                "The model keeps a running vector per position, the residual stream; every layer adds to it. Here each layer's stream goes straight to the output (the final LayerNorm, with that stream's own statistics, then the LM head), as if the model stopped there. Early layers tend to guess from the current token alone; later ones use more of the context. The last row is the model's real prediction."
            </p>
            <PositionPicker />
            <JobStatus analysis=lens what="the logit lens" />
            <table class="lens">
                <thead><tr><th>"after"</th><th>"top 5 next tokens"</th><th>{move || target_label().unwrap_or_else(|| "next token".into())}</th></tr></thead>
                <tbody>{move || lens.done().map(|lens| view! { <LensRows lens=lens /> })}</tbody>
            </table>
            <h3>"Every position at once"</h3>
            <p class="hint">"Each cell is a layer's most likely next token after that position, shaded by its probability; outlined cells match the text's actual next token. Click a column to detail it above."</p>
            {move || lens.done().map(|lens| view! { <LensGrid lens=lens /> })}
        </section>
    }
}

/// One row per depth: its top tokens and the rank of the text's next token.
#[component]
fn LensRows(lens: Arc<LogitLens>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let n_layer = lens.rows.len() - 1;
    lens.rows
        .iter()
        .map(|row| {
            let chips = row
                .top
                .iter()
                .map(|&(id, p)| {
                    view! {
                        <span class="chip" style=format!("--w: {p:.3}") data-id=id data-prob=p.to_string()
                            title=format!("{} {}", state.label(id), percent(p))>
                            <code>{state.label(id)}</code>" "{percent(p)}
                        </span>
                    }
                })
                .collect_view();
            let target = row.target.clone();
            let target_rank = target.as_ref().map(|t| t.rank.to_string());
            let target_prob = target.as_ref().map(|t| t.prob.to_string());
            let target_text = target.map(|t| format!("#{} · {}", t.rank + 1, percent(t.prob)));
            let (testid, layer) = match row.depth {
                0 => ("lens-embedding-row", None),
                d => ("lens-row", Some(d - 1)),
            };
            view! {
                <tr data-testid=testid data-layer=layer.map(|l| l.to_string())
                    data-top-id=row.top[0].0 data-top-prob=row.top[0].1.to_string()
                    data-target-rank=target_rank data-target-prob=target_prob>
                    <th>{depth_name(row.depth, n_layer)}</th>
                    <td class="chips">{chips}</td>
                    <td class="num">{target_text}</td>
                </tr>
            }
        })
        .collect_view()
}

/// Every depth's top-1 token after every position (the last `GRID_POSITIONS`).
#[component]
fn LensGrid(lens: Arc<LogitLens>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let ids = lens.ids.clone();
    let n_layer = lens.rows.len() - 1;
    // A long window (GPT-2 reads 1024 tokens) would make a table of thousands of cells.
    let first = ids.len().saturating_sub(GRID_POSITIONS);
    let position = lens.position;
    let header = ids
        .iter()
        .enumerate()
        .skip(first)
        .map(|(i, &id)| {
            view! {
                <th class:focus=i == position title=format!("position {}", i + 1)>
                    <button class="link" on:click=move |_| inside.position.set(Some(i))><code>{state.label(id)}</code></button>
                </th>
            }
        })
        .collect_view();
    let body = lens
        .grid
        .iter()
        .enumerate()
        .map(|(depth, cells)| {
            let cells = cells
                .iter()
                .enumerate()
                .skip(first)
                .map(|(i, &(id, p))| {
                    let correct = ids.get(i + 1) == Some(&id);
                    view! {
                        <td style=format!("--p: {p:.3}") class:focus=i == position class:correct=correct
                            title=format!("{} after position {}: “{}” {}{}", depth_name(depth, n_layer), i + 1,
                                state.label(id), percent(p), if correct { " (the text's next token)" } else { "" })
                            on:click=move |_| inside.position.set(Some(i))>
                            <code>{state.label(id)}</code>
                        </td>
                    }
                })
                .collect_view();
            view! { <tr><th>{depth_name(depth, n_layer)}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        {(first > 0).then(|| view! {
            <p class="hint">{format!("The last {GRID_POSITIONS} of {} positions.", ids.len())}</p>
        })}
        <div class="scroll-x">
            <table class="lens-grid" data-testid="lens-grid">
                <thead><tr><th>"top-1 after"</th>{header}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}
