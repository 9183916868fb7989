//! The attention of the probe sentence while the model learns: the grid of every head at the
//! snapshot on screen, one head large, and a scrubber over the saved snapshots.

use glassbox_model::HeadView;
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::common::{
    HeadGrid, chart_effect, draw_grid, grid_canvases, parent_width, percent, theme_effect,
};
use crate::draw::heatmap::{self, Scale};
use crate::state::train::TrainState;

/// (index, step) of the snapshot on screen.
type Shown = Memo<Option<(usize, usize)>>;

#[component]
pub fn ProbeAttention() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let count = Memo::new(move |_| {
        train
            .record
            .with(|r| r.as_ref().map_or(0, |r| r.snapshots.len()))
    });
    // The heatmaps redraw when the snapshot on screen changes, not at every training step.
    let shown = Memo::new(move |_| {
        let n = count.get();
        let index = train.scrub.get().unwrap_or(n.max(1) - 1).min(n.max(1) - 1);
        train.record.with(|r| {
            r.as_ref()
                .and_then(|r| r.snapshots.get(index))
                .map(|s| (index, s.step))
        })
    });
    let selected = RwSignal::new(HeadView::Head { layer: 0, head: 0 });
    view! {
        <section class="panel attention-panel">
            <h2 title="The attention of every head on a fixed sentence, from the weights being trained. At step 0 the heads attend almost uniformly; as the loss falls they specialise (the previous character, the start of a word, the same letter earlier).">
                "Attention while learning"
            </h2>
            <SnapshotGrid shown=shown selected=selected />
            <Scrubber shown=shown count=count />
            <SnapshotDetail shown=shown selected=selected />
            <HeadPatterns shown=shown />
        </section>
    }
}

/// Every head's thumbnail at the snapshot on screen; a click opens one large.
#[component]
fn SnapshotGrid(shown: Shown, selected: RwSignal<HeadView>) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let shape = Memo::new(move |_| {
        train.record.with(|r| {
            r.as_ref()
                .map(|r| (r.settings.model.n_layer, r.settings.model.n_head))
        })
    });
    move || {
        let (n_layer, n_head) = shape.get()?;
        let thumbs = grid_canvases(n_layer, n_head);
        let refs = thumbs.clone();
        theme_effect(move || {
            let Some((index, _)) = shown.get() else {
                return;
            };
            train.record.with_untracked(|r| {
                if let Some(snapshot) = r.as_ref().and_then(|r| r.snapshots.get(index)) {
                    draw_grid(&refs, &snapshot.attention, None);
                }
            });
        });
        let cell = move |layer: usize, _column: usize, view: HeadView, node: NodeRef<Canvas>| {
            view! {
                <button class="thumb" data-testid="train-thumb" data-layer=layer
                    class:primary=move || selected.get() == view
                    title=format!("{}: click to open it large", view.label())
                    on:click=move |_| selected.set(view)>
                    <canvas node_ref=node></canvas>
                </button>
            }
        };
        Some(
            view! { <HeadGrid testid="train-attention" n_head=n_head canvases=thumbs cell=cell /> },
        )
    }
}

/// The heads the pattern detector names at the snapshot on screen.
#[component]
fn HeadPatterns(shown: Shown) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let named = move || {
        let (index, _) = shown.get()?;
        let found = train
            .record
            .with(|r| r.as_ref().map(|r| r.head_patterns(index)))?;
        Some(if found.is_empty() {
            "No head follows a pattern the detector knows yet (previous token, itself, first token, same token earlier, induction).".to_string()
        } else {
            let names: Vec<String> = found
                .iter()
                .map(|&(layer, head, pattern, score)| {
                    format!(
                        "{}: {} ({})",
                        HeadView::Head { layer, head }.label(),
                        pattern.label(),
                        percent(score)
                    )
                })
                .collect();
            format!("Heads with a pattern: {}.", names.join("; "))
        })
    };
    view! { <p class="hint" data-testid="train-head-patterns">{named}</p> }
}

#[component]
fn Scrubber(shown: Shown, count: Memo<usize>) -> impl IntoView {
    let train = expect_context::<TrainState>();
    view! {
        <label class="field scrubber" title="Replay the saved snapshots of the grid over training; at the right end it follows the run live.">
            <span>{move || match (shown.get(), train.scrub.get()) {
                (Some((_, step)), None) => format!("step {step} (live)"),
                (Some((_, step)), Some(_)) => format!("step {step}"),
                _ => "no snapshot yet".into(),
            }}</span>
            <input type="range" data-testid="train-scrubber" min="0"
                max=move || count.get().saturating_sub(1)
                prop:value=move || shown.get().map_or(0, |(index, _)| index)
                disabled=move || count.get() < 2
                on:input=move |ev| {
                    let index: usize = event_target_value(&ev).parse().unwrap_or(0);
                    train.scrub.set((index + 1 < count.get_untracked()).then_some(index));
                } />
        </label>
    }
}

/// The selected head large, at the snapshot on screen.
#[component]
fn SnapshotDetail(shown: Shown, selected: RwSignal<HeadView>) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let detail = NodeRef::<Canvas>::new();
    chart_effect(detail, move |el| {
        let view = selected.get();
        let Some((index, _)) = shown.get() else {
            return;
        };
        train.record.with_untracked(|r| {
            let Some(r) = r.as_ref() else { return };
            let Some(snapshot) = r.snapshots.get(index) else {
                return;
            };
            let m = &snapshot.attention;
            // A head picked for a run of another shape shows nothing.
            let Some(cells) = m.view(view) else {
                return;
            };
            let width = parent_width(&el, 400) as f64;
            heatmap::draw_detail(
                &el,
                m.size,
                &cells,
                &r.probe_labels,
                Scale::Weights,
                &format!("{} at step {}", view.label(), snapshot.step),
                (width - 120.0).clamp(120.0, 480.0),
            );
        });
    });
    view! { <figure class="heatmap"><canvas node_ref=detail data-testid="train-attention-detail"></canvas></figure> }
}
