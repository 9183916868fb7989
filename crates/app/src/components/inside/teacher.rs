//! Training vs inference: the teacher-forced pass predicts every position of the text at once
//! (the causal mask hides later tokens), generation reads it one token per pass; the predictions
//! agree.

use glassbox_model::HeadView;
use leptos::html::Canvas;
use leptos::prelude::*;

use super::JobStatus;
use crate::components::common::{chart_effect, percent};
use crate::draw::heatmap::{self, Scale};
use crate::state::AppState;
use crate::state::inside::InsideState;

#[component]
pub fn TeacherPanel() -> impl IntoView {
    let inside = expect_context::<InsideState>();
    let pass = inside.pass;
    let replay = move || inside.replay.get();
    let passes = move || replay().predictions.len();
    view! {
        <section class="panel inside-panel" id="teacher" data-testid="teacher-forcing-view">
            <h2>"Training vs inference"</h2>
            <p class="caption">
                "Training shows the model a whole text at once and asks for the next token at every position in a single pass: the causal mask (hatched) stops each position from seeing the ones after it, so every row is a fair prediction, and the loss is their average cross-entropy. Generation has no text to read ahead: it must run the model once per token and feed each choice back. Replay this text one token per pass, as generation would: the predictions are the same, only the work is sequential."
            </p>
            <JobStatus analysis=pass what="the parallel pass" />
            <p data-testid="tf-loss" data-value=move || pass.done().and_then(|p| p.loss).map(|l| l.to_string())>
                {move || pass.done().map(|p| match p.loss {
                    Some(loss) => format!("One pass, {} predictions, training loss {loss:.4} nats (mean of the cross-entropy column).", p.predictions.len()),
                    None => "One token: nothing to predict within the text.".into(),
                })}
            </p>
            <div class="row">
                // Focusable, so keyboard users can scroll the table.
                <div class="scroll-y" tabindex="0" role="region" aria-label="Predictions of the one pass">
                    <table class="tf-table">
                        <thead><tr><th>"pos"</th><th>"token"</th><th>"predicted next"</th><th>"actual next"</th><th>"cross-entropy"</th>
                            <th>"one token per pass"</th></tr></thead>
                        <tbody><PredictionRows /></tbody>
                    </table>
                </div>
                <PassAttention />
            </div>
            <p class="actions">
                <button data-testid="tf-replay" disabled=move || replay().running on:click=move |_| inside.replay()>"Replay one token per pass"</button>
                <span class="num" data-testid="tf-passes" data-value=passes>
                    {move || format!("parallel: 1 pass · one at a time: {} of {} passes", passes(), inside.subject.with(|s| s.as_ref().map_or(0, |s| s.ids.len())))}
                </span>
            </p>
        </section>
    }
}

/// Every position's prediction from the one pass, beside the one-token-per-pass replay's.
#[component]
fn PredictionRows() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    move || {
        let pass = inside.pass.done()?;
        let replayed = inside.replay.get().predictions;
        Some(
            pass.predictions
                .iter()
                .map(|p| {
                    let (top, top_p) = p.top[0];
                    let again = replayed.get(p.position).map(|r| r.top[0]);
                    let matches = again.map(|(id, q)| id == top && (q - top_p).abs() < 1e-4);
                    view! {
                        <tr data-testid="tf-row" data-position=p.position data-top-id=top data-top-prob=top_p.to_string()
                            data-loss=p.next.map(|n| n.2.to_string())>
                            <td class="num">{p.position + 1}</td>
                            <td><code>{state.label(p.token)}</code></td>
                            <td><code>{state.label(top)}</code>" "{percent(top_p)}</td>
                            <td>{p.next.map(|(id, prob, _)| view! { <code>{state.label(id)}</code>" "{percent(prob)} })}</td>
                            <td class="num">{p.next.map(|n| format!("{:.3}", n.2))}</td>
                            <td data-testid="replay-cell" data-match=matches.map(|m| m.to_string()) class:match=matches == Some(true)>
                                {again.map(|(id, q)| format!("{} {}{}", state.label(id), percent(q), if matches == Some(true) { " ✓" } else { " ✗" }))}
                            </td>
                        </tr>
                    }
                })
                .collect_view(),
        )
    }
}

/// The pass's attention (a layer's mean or one head), every query at once.
#[component]
fn PassAttention() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let head = RwSignal::new(HeadView::LayerMean { layer: 0 });
    let canvas = NodeRef::<Canvas>::new();
    chart_effect(canvas, move |el| {
        let (Some(pass), Some(attention)) = (inside.pass.done(), inside.attention.get()) else {
            return;
        };
        let view = Some(head.get())
            .filter(|&v| attention.contains(v))
            .unwrap_or(HeadView::LayerMean { layer: 0 });
        let Some(cells) = attention.view(view) else {
            return;
        };
        let labels: Vec<String> = pass.ids().iter().map(|&id| state.label(id)).collect();
        heatmap::draw_detail(
            &el,
            attention.size,
            &cells,
            &labels,
            Scale::Weights,
            &format!("{}: one pass, every query at once", view.label()),
            380.0,
        );
    });
    let views = move || {
        let (n_layer, n_head) = state.model_shape.get().unwrap_or((0, 0));
        (0..n_layer)
            .flat_map(|l| {
                std::iter::once(HeadView::LayerMean { layer: l })
                    .chain((0..n_head).map(move |h| HeadView::Head { layer: l, head: h }))
            })
            .collect::<Vec<_>>()
    };
    let head_options = move || {
        views()
            .into_iter()
            .enumerate()
            .map(|(i, v)| view! { <option value=i.to_string()>{v.label()}</option> })
            .collect_view()
    };
    let pick_head = move |index: usize| {
        if let Some(&v) = views().get(index) {
            head.set(v);
        }
    };
    view! {
        <div>
            <label class="field inline">
                <span>"Attention of"</span>
                <select data-testid="tf-head" on:change=move |ev| pick_head(event_target_value(&ev).parse().unwrap_or(0))>{head_options}</select>
            </label>
            <canvas node_ref=canvas class="heatmap-canvas" data-testid="tf-attention"></canvas>
        </div>
    }
}
