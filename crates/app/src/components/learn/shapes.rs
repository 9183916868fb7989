//! The table of real model shapes: your own row (edit its blocks, width and heads), the open
//! model (beside the count of its actual weights), and GPT-2 to Llama 3, each counted live by
//! the model crate's formula, with a bar of where the parameters go.

use burn::module::Module;
use glassbox_model::ParamCounts;
use glassbox_model::shapes::{ModelShape, REAL_MODELS};
use glassbox_model::units::format_large_count;
use glassbox_page::learn::facts::CustomShape;
use leptos::prelude::*;

use crate::components::common::{NumberField, parse, percent};
use crate::state::AppState;
use crate::state::learn::LearnState;

/// "124M", "1.6B", "70.6B": a parameter count at a glance.
fn short_count(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.1}B", n / 1e9),
        n if n >= 1e6 => format!("{:.1}M", n / 1e6),
        n if n >= 1e3 => format!("{:.1}k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

/// Embeddings | attention | MLP as a bar of shares.
fn share_bar(p: &ParamCounts) -> impl IntoView + use<> {
    let total = p.total().max(1.0);
    let part = |class: &'static str, value: f64, what: &'static str| {
        let share = (value / total) as f32;
        view! {
            <span class=class style=format!("width:{:.2}%", share * 100.0)
                title=format!("{what}: {} ({})", format_large_count(value), percent(share))></span>
        }
    };
    view! {
        <span class="share-bar" role="img"
            aria-label=format!("embeddings {}, attention {}, MLP {}",
                percent((p.embeddings / total) as f32), percent((p.attention / total) as f32), percent((p.mlp / total) as f32))>
            {part("share-embeddings", p.embeddings, "embeddings")}
            {part("share-attention", p.attention, "attention")}
            {part("share-mlp", p.mlp, "MLP")}
        </span>
    }
}

/// The total and its shares: the row's first cells, where a narrow screen still shows them.
fn total_cells(shape: &ModelShape) -> impl IntoView + use<> {
    let p = shape.param_counts();
    view! {
        <td class="num strong" data-testid="shape-total">{format_large_count(p.total())}</td>
        <td class="bar-cell">{share_bar(&p)}</td>
    }
}

/// The parts, after the shape's fields.
fn part_cells(shape: &ModelShape) -> impl IntoView + use<> {
    let p = shape.param_counts();
    view! {
        <td class="num">{short_count(p.embeddings)}</td>
        <td class="num">{short_count(p.attention)}</td>
        <td class="num">{short_count(p.mlp)}</td>
    }
}

#[component]
pub fn ModelShapesTable() -> impl IntoView {
    let app = expect_context::<AppState>();
    let learn = expect_context::<LearnState>();
    // The open model's vocabulary and context for your row, GPT-2's before it is ready.
    let open = Memo::new(move |_| {
        app.status.track();
        app.model()
            .map(|m| ModelShape::of_config("open model", m.config()))
    });
    let custom = move || {
        let (vocab, context) = open.get().map_or((50_257, 1024), |o| (o.vocab, o.context));
        learn.custom.get().shape(vocab, context)
    };
    let edit = move |change: fn(&mut CustomShape, usize)| {
        move |text: &str| {
            let mut next = learn.custom.get_untracked();
            change(&mut next, parse(text, "a whole number")?);
            learn
                .custom
                .set(CustomShape::checked(next.layers, next.width, next.heads)?);
            Ok(())
        }
    };
    let real_row = move |shape: ModelShape| {
        let kv = if shape.kv_heads == shape.heads {
            shape.heads.to_string()
        } else {
            format!("{} ({} k/v)", shape.heads, shape.kv_heads)
        };
        view! {
            <tr data-testid="shape-row" data-name=shape.name tabindex="0"
                data-params=shape.param_counts().total().to_string()
                class:selected=move || learn.selected_shape.get() == Some(shape.name)
                aria-selected=move || (learn.selected_shape.get() == Some(shape.name)).to_string()
                on:click=move |_| learn.selected_shape.set(Some(shape.name))
                on:keydown=move |ev| if ev.key() == "Enter" { learn.selected_shape.set(Some(shape.name)) }>
                <th scope="row">{shape.name}</th>
                {total_cells(&shape)}
                <td class="num">{shape.layers}</td>
                <td class="num">{shape.d_model}</td>
                <td class="num">{kv}</td>
                <td class="num">{shape.head_width()}</td>
                {part_cells(&shape)}
            </tr>
        }
    };
    view! {
        <section class="panel shapes-panel" data-testid="model-shapes-table">
            <h2>"Real model shapes, and where their parameters go"</h2>
            <p class="hint">"Every count is computed from the shape by the formula that counts the open model's own weights (Llama's rows add its gated MLP, grouped key/value heads and untied output layer). Edit your row, or click a real one."</p>
            <div class="table-scroll">
                <table class="shapes">
                    <thead><tr>
                        <th scope="col">"model"</th><th scope="col">"parameters"</th><th scope="col">"shares"</th>
                        <th scope="col">"blocks"</th><th scope="col">"width"</th>
                        <th scope="col">"heads"</th><th scope="col">"head width"</th>
                        <th scope="col">"embeddings"</th><th scope="col">"attention"</th><th scope="col">"MLP"</th>
                    </tr></thead>
                    <tbody>
                        <tr class="custom" data-testid="shape-row" data-name="your model"
                            data-params=move || custom().param_counts().total().to_string()>
                            <th scope="row">"your model"</th>
                            {move || total_cells(&custom())}
                            <td><NumberField label="" testid="shape-layers" tip="Blocks" step="1" live=true
                                value=Signal::derive(move || learn.custom.get().layers.to_string())
                                apply=edit(|s, v| s.layers = v) /></td>
                            <td><NumberField label="" testid="shape-width" tip="Width of the residual stream" step="1" live=true
                                value=Signal::derive(move || learn.custom.get().width.to_string())
                                apply=edit(|s, v| s.width = v) /></td>
                            <td><NumberField label="" testid="shape-heads" tip="Heads per block (must divide the width)" step="1" live=true
                                value=Signal::derive(move || learn.custom.get().heads.to_string())
                                apply=edit(|s, v| s.heads = v) /></td>
                            <td class="num">{move || custom().head_width()}</td>
                            {move || part_cells(&custom())}
                        </tr>
                        {move || open.get().map(|shape| {
                            let counted = shape.param_counts().total();
                            view! {
                                <tr class="open" data-testid="shape-row" data-name="open model" data-params=counted.to_string()
                                    data-model-params=app.model().map(|m| m.num_params().to_string())>
                                    <th scope="row">"open model"</th>
                                    {total_cells(&shape)}
                                    <td class="num">{shape.layers}</td>
                                    <td class="num">{shape.d_model}</td>
                                    <td class="num">{shape.heads}</td>
                                    <td class="num">{shape.head_width()}</td>
                                    {part_cells(&shape)}
                                </tr>
                            }
                        })}
                        {REAL_MODELS.into_iter().map(real_row).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint legend">
                <span class="share-embeddings swatch"></span>" embeddings "
                <span class="share-attention swatch"></span>" attention "
                <span class="share-mlp swatch"></span>" MLP"
            </p>
        </section>
    }
}
