//! The loss curves (training and validation, with a hover read-out), the head diversity over
//! training, and the samples.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::common::{chart_effect, fit_to_parent};
use crate::draw::heatmap;
use crate::draw::loss_chart::{self, PlotArea};
use crate::state::train::TrainState;

#[component]
pub fn LossPanel() -> impl IntoView {
    let train = expect_context::<TrainState>();
    view! {
        <section class="panel loss-panel">
            <h2 title="Cross-entropy of the next token, in nats: how surprised the model is by the real next character. A uniform guess scores ln(vocabulary); learning pushes it down. Validation loss is measured on the held-out last 10% of the text: when it stops falling while training loss still does, the model is memorising.">
                "Loss"
                <label class="inline-check"><input type="checkbox" data-testid="train-log"
                    prop:checked=move || train.log_scale.get()
                    on:change=move |ev| train.log_scale.set(event_target_checked(&ev)) />"log scale"</label>
            </h2>
            <LossChart />
            <h3 title="All heads start from random weights; the loss pushes them apart. Each point compares how two heads of the same layer attend to the probe sentence (Jensen–Shannon distance, 0 = the same pattern, 1 = disjoint), averaged over the heads and layers, at each attention snapshot. The Inside view shows the whole heads × heads matrix.">
                "Head diversity"
            </h3>
            <DiversityChart />
        </section>
    }
}

/// The hovered step's numbers.
fn readout(train: TrainState, step: usize) -> Option<String> {
    train.record.with(|r| {
        let r = r.as_ref()?;
        let index = r.curve.iter().position(|p| p.step >= step)?;
        let point = &r.curve[index];
        let smoothed = r.smoothed_loss(loss_chart::SMOOTHING)[index];
        let val = r.curve[..=index]
            .iter()
            .rev()
            .find_map(|p| p.val_loss.map(|v| (p.step, v)));
        Some(format!(
            "step {}: training loss {:.4} (smoothed {:.4}){}, learning rate {:.2e}",
            point.step,
            point.loss,
            smoothed,
            val.map_or(String::new(), |(s, v)| format!(
                ", validation {v:.4} at step {s}"
            )),
            point.learning_rate
        ))
    })
}

#[component]
fn LossChart() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let canvas = NodeRef::<Canvas>::new();
    let hover = RwSignal::new(None::<usize>);
    let area = StoredValue::new(None::<PlotArea>);
    chart_effect(canvas, move |el| {
        let (log_scale, hover) = (train.log_scale.get(), hover.get());
        fit_to_parent(&el, 600, 300, 300);
        train.record.with(|record| match record {
            Some(record) => area.set_value(loss_chart::draw(&el, record, log_scale, hover)),
            None => {
                el.set_height(0);
                area.set_value(None);
            }
        });
    });
    let on_move = move |ev: web_sys::MouseEvent| {
        let Some(el) = canvas.get() else { return };
        let rect = el.get_bounding_client_rect();
        let x = (ev.client_x() as f64 - rect.left()) * el.width() as f64 / rect.width().max(1.0);
        hover.set(area.get_value().and_then(|a| a.step_at(x)));
    };
    view! {
        <canvas node_ref=canvas data-testid="loss-chart" class="loss-chart"
            data-points=move || train.record.with(|r| r.as_ref().map_or(0, |r| r.curve.len()))
            on:mousemove=on_move on:mouseleave=move |_| hover.set(None)></canvas>
        <div class="row-actions">
            <button class="small secondary" data-testid="train-curve-csv"
                disabled=move || train.record.with(Option::is_none)
                on:click=move |_| train.record.with(|r| if let Some(r) = r {
                    crate::web::download::save_bytes(r.curve_csv().as_bytes(), "glassbox-loss-curve.csv");
                })
                title="Every step's training loss, the validation losses, learning rate and time, as the CLI writes them.">"Curve as CSV"</button>
            <button class="small secondary" disabled=move || train.record.with(Option::is_none)
                on:click=move |_| if let Some(el) = canvas.get() { heatmap::save_png(&el, "glassbox-loss-curve.png") }>"Chart as PNG"</button>
        </div>
        <p class="hint" data-testid="loss-hover">{move || hover.get().and_then(|step| readout(train, step)).unwrap_or_else(|| {
            if train.record.with(Option::is_none) { "Start a run: the curves appear here as it trains.".into() } else { "Hover over the chart to read the values.".into() }
        })}</p>
    }
}

#[component]
fn DiversityChart() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let canvas = NodeRef::<Canvas>::new();
    chart_effect(canvas, move |el| {
        train.record.with(|record| match record {
            Some(record) => {
                fit_to_parent(&el, 600, 300, 150);
                loss_chart::draw_diversity(&el, record);
            }
            None => el.set_height(0),
        });
    });
    view! {
        <canvas node_ref=canvas data-testid="train-head-diversity" class="loss-chart"
            data-points=move || train.record.with(|r| r.as_ref().map_or(0, |r| r.snapshots.len()))
            data-last=move || train.record.with(|r| r.as_ref().and_then(|r| r.head_diversity().last().map(|d| d.1.to_string())))></canvas>
    }
}

#[component]
pub fn SamplePanel() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let samples = move || {
        train.record.with(|r| {
            r.as_ref()
                .map(|r| r.samples.iter().rev().take(4).cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel sample-panel">
            <h2 title="Every report, the model continues a fixed prompt greedily (always the most likely next character). Early samples are noise; watch words, then names and line breaks appear.">"Samples"</h2>
            <pre class="sample" data-testid="train-sample">{move || samples().first().map(|s| s.text.clone()).unwrap_or_default()}</pre>
            <p class="hint">{move || samples().first().map(|s| format!("step {}, greedy", s.step))}</p>
            <details>
                <summary>"earlier samples"</summary>
                {move || samples().into_iter().skip(1).map(|s| view! {
                    <p class="hint">{format!("step {}", s.step)}</p><pre class="sample old">{s.text}</pre>
                }).collect_view()}
            </details>
        </section>
    }
}
