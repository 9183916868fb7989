//! Head ablation: switch heads off and watch the next-token distribution and the loss change;
//! rank every head by how much the loss rises without it.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::JobStatus;
use crate::components::common::percent;
use crate::draw::heatmap;
use crate::state::AppState;
use crate::state::inside::InsideState;

/// Rows of the with/without comparison.
const COMPARED: usize = 10;

#[component]
pub fn AblationPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    view! {
        <section class="panel inside-panel" id="ablation" data-testid="head-ablation">
            <h2>"Head ablation: what does a head contribute?"</h2>
            <p class="caption">
                "Each layer splits attention into several heads that look at the text in their own way. Switch heads off (their output becomes zero) and see what the model predicts without them: the distribution with every head on and with the heads off, how far apart they are (KL), and the loss on this text. The Generate view uses the same switches: its candidates and the next steps are computed without these heads."
            </p>
            <table class="head-toggles"><tbody><HeadToggles /></tbody></table>
            <p class="actions">
                <button class="secondary small" data-testid="ablation-clear" on:click=move |_| inside.clear_mask()>"Switch every head on"</button>
                <span class="hint">{move || {
                    let off = state.head_mask.with(|m| m.ablated.len());
                    if off == 0 { "Every head is on: click a head to switch it off.".to_string() } else { format!("{off} head(s) off.") }
                }}</span>
            </p>
            <JobStatus analysis=inside.ablation what="the ablation" />
            <AblationNumbers />
            <AblationComparison />
            <HeadImportance />
        </section>
    }
}

/// The loss increase without head (`layer`, `head`), once the ranking measured it.
fn importance_of(inside: InsideState, layer: usize, head: usize) -> Option<f32> {
    inside.importance.with(|i| {
        i.ranking
            .iter()
            .find(|h| h.layer == layer && h.head == head)
            .map(|h| h.increase)
    })
}

/// The largest loss change of the ranking (0 before it ran).
fn max_increase(inside: InsideState) -> f32 {
    inside.importance.with(|i| {
        i.ranking
            .iter()
            .map(|h| h.increase.abs())
            .fold(0.0f32, f32::max)
    })
}

/// One row of switches per layer.
#[component]
fn HeadToggles() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let (n_layer, n_head) = state.model_shape.get().unwrap_or((0, 0));
        (0..n_layer)
            .map(|layer| {
                let cells = (0..n_head)
                    .map(|head| view! { <HeadToggle layer=layer head=head /> })
                    .collect_view();
                view! { <tr><th>{format!("layer {}", layer + 1)}</th>{cells}</tr> }
            })
            .collect_view()
    }
}

/// One head's switch, over its attention on the text, shaded by its importance.
#[component]
fn HeadToggle(layer: usize, head: usize) -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let off = move || state.head_mask.with(|m| m.ablated.contains(&(layer, head)));
    let heat = move || {
        importance_of(inside, layer, head).map(|inc| {
            let max = max_increase(inside).max(1e-9);
            format!("--heat: {:.3}", (inc / max).clamp(-1.0, 1.0))
        })
    };
    // The head's attention on the text, so the grid shows what is being switched off.
    let thumb = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(canvas), Some(a)) = (thumb.get(), inside.attention.get())
            && layer < a.n_layer
            && head < a.n_head
        {
            heatmap::draw_thumbnail(&canvas, a.size, a.head(layer, head), None);
        }
    });
    let title = move || {
        format!(
            "L{} H{}: {}{}",
            layer + 1,
            head + 1,
            if off() {
                "off (click to switch on)"
            } else {
                "on (click to switch off)"
            },
            importance_of(inside, layer, head)
                .map(|i| format!(" · loss +{i:.4} without it"))
                .unwrap_or_default()
        )
    };
    view! {
        <td class="toggle-cell" style=heat>
            <span class="thumb mini" class:off=off><canvas node_ref=thumb></canvas></span>
            <button data-testid="ablation-toggle" data-layer=layer data-head=head
                class="head-toggle" class:off=off aria-pressed=move || off().to_string()
                title=title
                on:click=move |_| inside.toggle_head(layer, head)>
                {format!("H{}", head + 1)}
            </button>
            <button class="link only" data-testid="ablation-only" data-layer=layer data-head=head
                title="switch every other head off" on:click=move |_| inside.only_head(layer, head)>"only"</button>
        </td>
    }
}

/// KL and loss with the heads off.
#[component]
fn AblationNumbers() -> impl IntoView {
    let inside = expect_context::<InsideState>();
    move || {
        let effect = inside.ablation.done()?;
        let loss = match (effect.base_loss, effect.ablated_loss) {
            (Some(base), Some(ablated)) => view! {
                <p data-testid="ablation-loss" data-base=base.to_string() data-ablated=ablated.to_string()>
                    {format!("Loss on this text: {base:.4} → {ablated:.4} nats ({:+.4})", ablated - base)}
                </p>
            }.into_any(),
            _ => view! { <p class="hint">"The text has one token: no loss to measure."</p> }.into_any(),
        };
        Some(view! {
            <p data-testid="ablation-kl" data-value=effect.kl.to_string()
                title="Kullback–Leibler divergence of the next-token distribution with the heads off from the one with every head on: 0 when nothing changes.">
                {format!("KL(every head ‖ heads off) = {:.4} nats", effect.kl)}
            </p>
            {loss}
        })
    }
}

/// The most likely next tokens, with every head on and with the heads off.
#[component]
fn AblationComparison() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    move || {
        let effect = inside.ablation.done()?;
        let rows = effect
            .compared_tokens(COMPARED)
            .into_iter()
            .map(|t| {
                let (id, with, without) = (t.id, t.base, t.ablated);
                view! {
                    <tr data-testid="ablation-candidate" data-id=id data-prob=without.to_string() data-prob-base=with.to_string()>
                        <td><code>{state.label(id)}</code></td>
                        <td class="bar-cell"><span class="bar base" style=format!("width: {:.1}%", with * 100.0)></span>{percent(with)}</td>
                        <td class="bar-cell"><span class="bar final" style=format!("width: {:.1}%", without * 100.0)></span>{percent(without)}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <table class="compare-table">
                <thead><tr><th>"next token"</th><th>"every head on"</th><th>"with the heads off"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    }
}

/// Every head switched off alone, ranked by how much the loss rises.
#[component]
fn HeadImportance() -> impl IntoView {
    let inside = expect_context::<InsideState>();
    let progress = move || inside.importance.get();
    view! {
        <div class="importance" data-testid="head-importance">
            <h3>"Which heads matter most?"</h3>
            <p class="hint">"Switches each head off alone and ranks the heads by how much the loss on this text rises (one forward pass per head). The toggles above are shaded by the result."</p>
            <p class="actions">
                <button data-testid="head-importance-run" disabled=move || progress().running
                    on:click=move |_| inside.rank_heads()>"Rank heads by importance"</button>
                // Cancel first: the count after it changes width as heads are measured, and a
                // button that moves is hard to press.
                <Show when=move || progress().running>
                    <button class="secondary small" data-testid="head-importance-cancel" on:click=move |_| inside.cancel_ranking()>"Cancel"</button>
                    <progress data-testid="head-importance-progress" max=move || progress().total.max(1)
                        value=move || progress().measured></progress>
                    <span class="num">{move || format!("{} / {}", progress().measured, progress().total)}</span>
                </Show>
                <Show when=move || progress().cancelled>
                    <span class="hint" data-testid="head-importance-cancelled">"Cancelled: the heads measured so far are listed."</span>
                </Show>
            </p>
            <Show when=move || progress().base_loss.is_some()>
                <p class="hint">{move || format!("Loss with every head on: {:.4} nats. Increase without each head:", progress().base_loss.unwrap_or_default())}</p>
            </Show>
            <ol class="importance-list"><ImportanceRanking /></ol>
        </div>
    }
}

/// The top 20 of the ranking.
#[component]
fn ImportanceRanking() -> impl IntoView {
    let inside = expect_context::<InsideState>();
    move || {
        let importance = inside.importance.get();
        let max = max_increase(inside).max(1e-9);
        importance
            .ranking
            .into_iter()
            .take(20)
            .enumerate()
            .map(|(rank, h)| {
                view! {
                    <li data-testid="importance-row" data-layer=h.layer data-head=h.head data-increase=h.increase.to_string()>
                        <span class="rank">{rank + 1}</span>
                        <button class="link" on:click=move |_| inside.toggle_head(h.layer, h.head)>{format!("L{} H{}", h.layer + 1, h.head + 1)}</button>
                        <span class="bar-track"><span class="bar final" style=format!("width: {:.1}%", (h.increase.max(0.0) / max) * 100.0)></span></span>
                        <span class="num">{format!("{:+.4}", h.increase)}</span>
                    </li>
                }
            })
            .collect_view()
    }
}
