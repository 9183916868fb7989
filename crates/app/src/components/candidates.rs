//! The candidate panel: the top-N next tokens with their raw softmax probability and the
//! probability after temperature / top-k / top-p, the tokens those cut, the choice, the entropy
//! and the mass outside the list; and the live beams in beam search.

use glassbox_model::decode::sampling::{Candidate, CandidateSummary};
use leptos::prelude::*;

use crate::components::common::percent;
use crate::state::AppState;
use crate::state::inside::InsideState;

#[component]
pub fn Candidates() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    // With heads switched off: the distribution without them, and each row's with every head.
    let ablated = Memo::new(move |_| inside.ablated_candidates());
    let summary = Memo::new(move |_| inside.shown_candidates());
    let step = Memo::new(move |_| {
        let selected = state.selected.get();
        state.snapshot.with(|s| s.shown_step(selected).cloned())
    });
    let header = move || {
        step.get().map(|step| {
            let how = step.settings.strategy.name();
            format!(
                "Step {}: read {} tokens, picked “{}” ({how})",
                step.index + 1,
                step.context_len - step.window_start,
                state.label(step.chosen),
            )
        })
    };
    let rows = move || {
        let chosen = step.with(|s| s.as_ref().map(|s| s.chosen));
        let base = ablated.with(|a| a.as_ref().map(|(_, base)| base.clone()));
        summary
            .get()
            .map(|s| s.top)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(move |(i, c)| {
                let base = base.as_ref().map(|b| b[i]);
                let is_chosen = Some(c.id) == chosen;
                view! { <CandidateRow candidate=c chosen=is_chosen base=base /> }
            })
            .collect_view()
    };
    view! {
        <section class="panel candidates-panel">
            <h2 title="The model's output for the last position is one logit per vocabulary token; the softmax turns logits into probabilities. Temperature, top-k and top-p reshape them before the strategy picks.">
                "Next-token candidates"
            </h2>
            <p class="step-header">{move || header().unwrap_or_else(|| "No step yet.".into())}</p>
            <AblationNote />
            <Entropy summary=summary />
            // Multi-character tokens (GPT-2's BPE) get a wider label column.
            <ol class="candidates" data-testid="candidates" class:wide=move || summary.with(|s| {
                s.as_ref().is_some_and(|s| s.top.iter().any(|c| state.label(c.id).chars().count() > 2))
            })>{rows}</ol>
            <Show when=move || summary.with(Option::is_some)>
                <p class="rest" data-testid="candidates-rest"
                    data-prob=move || summary.with(|s| s.as_ref().map(|s| s.rest_prob.to_string()))
                    data-raw-prob=move || summary.with(|s| s.as_ref().map(|s| s.rest_raw_prob.to_string()))>
                    {move || summary.with(|s| s.as_ref().map(|s| format!(
                        "all other tokens: {} raw, {} after the transforms",
                        percent(s.rest_raw_prob), percent(s.rest_prob))))}
                </p>
                <label class="field inline">
                    <span>"Show"</span>
                    <select on:change=move |ev| state.top_n.set(event_target_value(&ev).parse().unwrap_or(20))>
                        <option value="10">"top 10"</option>
                        <option value="20" selected>"top 20"</option>
                        <option value="50">"top 50"</option>
                    </select>
                </label>
            </Show>
            <Beams />
        </section>
    }
}

#[component]
fn Beams() -> impl IntoView {
    let state = expect_context::<AppState>();
    let beams = move || {
        let selected = state.selected.get();
        state
            .snapshot
            .with(|s| s.shown_step(selected).and_then(|step| step.beams.clone()))
    };
    view! {
        <Show when=move || beams().is_some()>
            <h3 title="Beam search keeps the W best partial sequences by summed log-probability (a log-probability of 0 is certainty). A finished beam's score divides that sum by its length^penalty.">
                "Beams after this step"
            </h3>
            <ol class="beams" data-testid="beams">
                {move || beams().unwrap_or_default().into_iter().enumerate().map(|(rank, b)| view! {
                    <li class="beam" class:finished=b.score.is_some() data-testid="beam" data-rank=rank>
                        <code>{b.text}</code>
                        <span class="num">{format!("Σ log p = {:.3}", b.sum_logprob)}</span>
                        <span class="num">{b.score.map(|s| format!("finished, score {s:.3}")).unwrap_or_else(|| "live".into())}</span>
                    </li>
                }).collect_view()}
            </ol>
        </Show>
    }
}

/// One candidate: its token, its bars (softmax, after the transforms, with every head on) and
/// its numbers. `base`: (softmax, after the transforms) with every head on, while heads are off.
#[component]
fn CandidateRow(candidate: Candidate, chosen: bool, base: Option<(f32, f32)>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (c, is_chosen) = (candidate, chosen);
    let why = if c.cut_by_top_k {
        "cut by top-k"
    } else {
        "cut by top-p"
    };
    view! {
        <li data-testid="candidate" class="candidate"
            class:chosen=is_chosen class:excluded=c.excluded
            data-token=state.text(c.id) data-id=c.id data-logit=c.logit.to_string()
            data-prob=c.prob.to_string() data-raw-prob=c.raw_prob.to_string()
            data-chosen=is_chosen.to_string() data-excluded=c.excluded.to_string()
            data-prob-base=base.map(|b| b.1.to_string()) data-raw-prob-base=base.map(|b| b.0.to_string())
            title=format!("logit {:.3} · softmax {} · after the transforms {}{}",
                c.logit, percent(c.raw_prob), percent(c.prob),
                if c.excluded { format!(" · {why}") } else { String::new() })>
            <span class="tok">{state.label(c.id)}</span>
            <span class="bars">
                <span class="bar raw" style=format!("width: {:.2}%", c.raw_prob * 100.0)></span>
                <span class="bar final" style=format!("width: {:.2}%", c.prob * 100.0)></span>
                {base.map(|b| view! {
                    <span class="bar base" title="with every head on" style=format!("width: {:.2}%", b.1 * 100.0)></span>
                })}
            </span>
            <span class="num">{percent(c.raw_prob)}</span>
            <span class="num strong">{if c.excluded { why.to_string() } else { percent(c.prob) }}</span>
        </li>
    }
}

/// While heads are switched off: how many, the KL, and a button to switch them back on.
#[component]
fn AblationNote() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let heads_off = move || state.head_mask.with(|m| m.ablated.len());
    view! {
        <Show when=move || { heads_off() > 0 }>
            <p class="ablation-note" data-testid="ablation-note">
                {move || format!(
                    "{} head(s) switched off (Inside → Head ablation): the bars show the distribution without them, the outlined bar with every head on{}.",
                    heads_off(),
                    inside.ablation.done().map(|e| format!("; KL {:.4} nats", e.kl)).unwrap_or_default(),
                )}
                <button class="small secondary" data-testid="ablation-clear-generate" on:click=move |_| inside.clear_mask()>"Switch all back on"</button>
            </p>
        </Show>
    }
}

/// The distribution's entropy (raw and after the transforms) and the bars' legend.
#[component]
fn Entropy(summary: Memo<Option<CandidateSummary>>) -> impl IntoView {
    view! {
        <Show when=move || summary.with(Option::is_some)>
            <p class="entropy" data-testid="entropy"
                data-value=move || summary.with(|s| s.as_ref().map(|s| s.entropy.to_string()))
                data-raw-value=move || summary.with(|s| s.as_ref().map(|s| s.raw_entropy.to_string()))
                title="Entropy measures how spread out the distribution is, in nats: 0 when one token has all the mass, ln(vocabulary) when all are equal.">
                {move || summary.with(|s| s.as_ref().map(|s| format!(
                    "entropy {:.2} nats (raw softmax {:.2}) · {} tokens kept after top-k / top-p",
                    s.entropy, s.raw_entropy, s.kept)))}
            </p>
            <div class="candidate-legend">
                <span><i class="swatch raw"></i>"softmax(logits)"</span>
                <span><i class="swatch final"></i>"after temperature / top-k / top-p"</span>
                <span><i class="swatch chosen"></i>"chosen"</span>
            </div>
        </Show>
    }
}
