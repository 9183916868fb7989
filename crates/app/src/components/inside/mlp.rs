//! The MLP and its non-linearity: one block's hidden units for one token, before and after the
//! activation, and the prediction when that block's MLP keeps only its linear part.

use glassbox_model::analysis::nonlinearity::{Histogram, MlpActivity};
use leptos::html::Canvas;
use leptos::prelude::*;

use super::{JobStatus, PositionPicker};
use crate::components::common::{percent, theme_effect};
use crate::draw::mlp_chart;
use crate::state::AppState;
use crate::state::inside::InsideState;

const BINS: usize = 40;
const TOP_UNITS: usize = 10;

#[component]
pub fn MlpPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let activity = inside.mlp_activity;
    let layer_options = move || {
        let (n_layer, _) = state.model_shape.get().unwrap_or((0, 0));
        (0..n_layer)
            .map(|l| view! { <option value=l.to_string() selected=move || inside.mlp_layer.get() == l>{format!("layer {}", l + 1)}</option> })
            .collect_view()
    };
    let share = move || activity.get().map(|a| a.near_identity_share());
    view! {
        <section class="panel inside-panel" id="mlp" data-testid="mlp-view">
            <h2>"The MLP: where the non-linearity lives"</h2>
            <p class="caption">
                "Attention only mixes positions with weighted averages; each block's MLP then transforms every position on its own: a wide linear layer, an activation (GELU), and a linear layer back. Without the activation the two linear layers would collapse into one, and a stack of blocks into one linear map. Below: this block's hidden units for the chosen token, before and after GELU (points off the diagonal are where it bends), and what the model predicts if this block's MLP keeps only its linear part."
            </p>
            <div class="row">
                <label class="field inline">
                    <span>"Block"</span>
                    <select data-testid="mlp-layer" on:change=move |ev| inside.mlp_layer.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {layer_options}
                    </select>
                </label>
                <PositionPicker />
            </div>
            <JobStatus analysis=inside.pass what="the hidden units" />
            <p data-testid="mlp-identity-share" data-value=move || share().map(|s| s.to_string())>
                {move || share().map(|s| format!("{:.0}% of the units pass through GELU almost unchanged (within 1%); the rest are bent or cut.", s * 100.0))}
            </p>
            <MlpCharts activity=activity />
            <div class="row">
                <div>
                    <h3>"Most active units"</h3>
                    <table class="units"><thead><tr><th>"unit"</th><th>"before"</th><th>"after"</th></tr></thead><tbody><MostActive activity=activity /></tbody></table>
                </div>
                <div>
                    <h3>"Replace the activation by the identity"</h3>
                    <JobStatus analysis=inside.linear what="the linear MLP's prediction" />
                    <LinearComparison />
                </div>
            </div>
        </section>
    }
}

type Activity = Memo<Option<MlpActivity>>;

/// The units before against after the activation, and both histograms.
#[component]
fn MlpCharts(activity: Activity) -> impl IntoView {
    let (scatter, histogram) = (NodeRef::<Canvas>::new(), NodeRef::<Canvas>::new());
    theme_effect(move || {
        let Some(a) = activity.get() else { return };
        if let (Some(s), Some(h)) = (scatter.get(), histogram.get()) {
            mlp_chart::draw_scatter(&s, &a.pre, &a.post);
            let (lo, hi) = Histogram::range(&[&a.pre, &a.post]);
            mlp_chart::draw_histograms(
                &h,
                &Histogram::new(&a.pre, lo, hi, BINS),
                &Histogram::new(&a.post, lo, hi, BINS),
            );
        }
    });
    view! {
        <div class="charts">
            <canvas node_ref=scatter width="360" height="300" data-testid="mlp-scatter"></canvas>
            <canvas node_ref=histogram width="360" height="300" data-testid="mlp-histogram"></canvas>
        </div>
    }
}

#[component]
fn MostActive(activity: Activity) -> impl IntoView {
    move || {
        activity.get().map(|a| {
            a.most_active(TOP_UNITS)
                .into_iter()
                .map(|u| view! {
                    <tr data-testid="mlp-unit" data-unit=u.index data-pre=u.pre.to_string() data-post=u.post.to_string()>
                        <td>{format!("#{}", u.index)}</td><td class="num">{format!("{:.3}", u.pre)}</td><td class="num">{format!("{:.3}", u.post)}</td>
                    </tr>
                })
                .collect_view()
        })
    }
}

/// The top tokens with the activation and with the block's MLP reduced to its linear part.
#[component]
fn LinearComparison() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    move || {
        let effect = inside.linear.done()?;
        let rows = effect
            .top_shifts(5)
            .into_iter()
            .map(|s| {
                let (id, p, q) = (s.id, s.base, s.linear);
                view! {
                    <tr data-testid="mlp-linear-candidate" data-id=id data-prob=q.to_string() data-prob-base=p.to_string()>
                        <td><code>{state.label(id)}</code></td><td class="num">{percent(p)}</td><td class="num">{percent(q)}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <p data-testid="mlp-linear-kl" data-value=effect.kl.to_string()>
                {format!("KL(with the activation ‖ linear) = {:.4} nats; the linear model's top token: “{}”", effect.kl, state.label(effect.linear_top()))}
            </p>
            <table class="compare-table">
                <thead><tr><th>"next token"</th><th>"with the activation"</th><th>"linear part only"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    }
}
