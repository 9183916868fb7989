//! Head diversity: how differently the heads attend to the same text (Jensen–Shannon distance
//! between their attention patterns), and the patterns some follow.

use std::sync::Arc;

use glassbox_model::analysis::diversity::{
    HeadSimilarity, PATTERN_THRESHOLD, detect_pattern, mean_within_layer_distance,
};
use leptos::html::Canvas;
use leptos::prelude::*;

use super::JobStatus;
use crate::components::common::chart_effect;
use crate::draw::heatmap::{self, Scale};
use crate::state::AppState;
use crate::state::inside::InsideState;

#[component]
pub fn DiversityPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    // `None`: every layer.
    let layer_filter = RwSignal::new(None::<usize>);
    let similarity = Memo::new(move |_| {
        inside
            .attention
            .get()
            .map(|attention| Arc::new(HeadSimilarity::of(&attention)))
    });
    let layer_options = move || {
        let (n_layer, _) = state.model_shape.get().unwrap_or((0, 0));
        (0..n_layer)
            .map(|l| view! { <option value=l.to_string()>{format!("layer {}", l + 1)}</option> })
            .collect_view()
    };
    let mean = move || {
        inside
            .pass
            .done()
            .map(|p| mean_within_layer_distance(&p.attention()))
    };
    view! {
        <section class="panel inside-panel" id="similarity" data-testid="head-similarity">
            <h2>"Head diversity: do the heads look at different things?"</h2>
            <p class="caption">
                "All heads start from random weights and see the same input; only the training loss pushes them to attend differently. Each cell compares two heads' attention patterns on this text (the Jensen–Shannon distance of each query row, averaged over the last 64 positions): dark means the two heads attend alike, bright means they look at different tokens. The Train view plots the same-layer average as the model learns."
            </p>
            <label class="field inline">
                <span>"Heads of"</span>
                <select data-testid="head-similarity-layer" on:change=move |ev| layer_filter.set(event_target_value(&ev).parse().ok())>
                    <option value="all">"every layer"</option>
                    {layer_options}
                </select>
            </label>
            <JobStatus analysis=inside.pass what="the attention on this text" />
            <p data-testid="head-similarity-mean" data-value=move || mean().map(|m| m.to_string())>
                {move || mean().map(|m| format!("Mean distance between two heads of the same layer: {m:.3}"))}
            </p>
            <SimilarityChart similarity=similarity layer_filter=layer_filter />
            <h3>"Recognisable patterns"</h3>
            <p class="hint">{format!(
                "A head is labelled when, averaged over this text's positions (from the third on), at least {:.0}% of its attention goes to the previous token, to itself, to the first token, or to earlier copies of the current token.",
                PATTERN_THRESHOLD * 100.0
            )}</p>
            <ul class="patterns"><HeadPatterns /></ul>
        </section>
    }
}

/// The heads × heads distances, of one layer or of every layer.
#[component]
fn SimilarityChart(
    similarity: Memo<Option<Arc<HeadSimilarity>>>,
    layer_filter: RwSignal<Option<usize>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    chart_effect(canvas, move |el| {
        let Some(sim) = similarity.get() else {
            return;
        };
        let heads: Vec<(usize, usize)> = (0..sim.n_layer)
            .filter(|l| layer_filter.get().is_none_or(|f| f == *l))
            .flat_map(|l| (0..sim.n_head).map(move |h| (l, h)))
            .collect();
        let values: Vec<f32> = heads
            .iter()
            .flat_map(|&a| heads.iter().map(move |&b| (a, b)))
            .map(|(a, b)| sim.get(a, b))
            .collect();
        let labels: Vec<String> = heads
            .iter()
            .map(|(l, h)| format!("L{}H{}", l + 1, h + 1))
            .collect();
        heatmap::draw_detail(
            &el,
            heads.len(),
            &values,
            &labels,
            Scale::Distance,
            "Jensen–Shannon distance between heads (0 = same pattern, 1 = disjoint)",
            420.0,
        );
    });
    view! { <canvas node_ref=canvas class="heatmap-canvas" data-testid="head-similarity-canvas"></canvas> }
}

/// Each head's recognisable pattern, if any.
#[component]
fn HeadPatterns() -> impl IntoView {
    let inside = expect_context::<InsideState>();
    move || {
        let ids = inside.pass.done()?.ids();
        let attention = inside.attention.get()?;
        Some(
            (0..attention.n_layer)
                .flat_map(|l| (0..attention.n_head).map(move |h| (l, h)))
                .map(|(l, h)| {
                    let found = detect_pattern(&attention, l, h, &ids);
                    view! {
                        <li data-testid="head-pattern" data-layer=l data-head=h
                            data-pattern=found.map(|(p, _)| p.label()) class:none=found.is_none()>
                            <b>{format!("L{} H{}", l + 1, h + 1)}</b>" "
                            {match found {
                                Some((pattern, score)) => format!("{} ({:.0}% of its attention)", pattern.label(), score * 100.0),
                                None => "no simple pattern".into(),
                            }}
                        </li>
                    }
                })
                .collect_view(),
        )
    }
}
