//! The run's settings: where to start from, the model's size and the schedule.

use glassbox_model::Preset;
use leptos::prelude::*;

use crate::components::common::{NumberField, parse};
use crate::state::AppState;
use crate::state::train::{StartFrom, TrainForm, TrainState};

type Apply = fn(TrainState, &str) -> Result<(), String>;

/// A form setting's current value, as its field shows it.
fn shown(train: TrainState, get: fn(&TrainForm) -> String) -> Signal<String> {
    Signal::derive(move || train.form.with(get))
}

/// Applies a field's text to the form through `set`.
fn setting(
    train: TrainState,
    set: Apply,
) -> impl Fn(&str) -> Result<(), String> + Copy + Send + Sync + 'static {
    move |text| set(train, text)
}

/// Sets a whole-number setting of the form.
fn set_whole(
    train: TrainState,
    text: &str,
    apply: fn(&mut TrainForm, usize),
) -> Result<(), String> {
    let n = parse(text, "a whole number")?;
    train.form.update(|f| apply(f, n));
    Ok(())
}

#[component]
pub fn RunSetup() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="panel controls train-setup">
            <h2>"Model and schedule"</h2>
            <StartFromField />
            <SizeFields />
            <ScheduleFields />
            <p class="hint">{move || format!(
                "Trains on {} (the backend chosen at the top), in a background worker: the page stays usable. These settings are in the address bar: share it to share them.",
                app.backend.get().label()
            )}</p>
        </section>
    }
}

#[component]
fn StartFromField() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let start_value = move || match train.form.with(|f| f.start.clone()) {
        StartFrom::Scratch => "scratch".to_string(),
        StartFrom::Shipped => "shipped".into(),
        StartFrom::Uploaded(_) => "uploaded".into(),
        StartFrom::Open => "open".into(),
    };
    let uploaded_name = move || match train.form.with(|f| f.start.clone()) {
        StartFrom::Uploaded(name) => Some(name),
        _ => None,
    };
    view! {
        <label class="field wide" title="Start from random weights (a vocabulary built from the corpus), or continue training the model that ships with the app, the model open in Generate (e.g. a GPT-2 you opened, with its own tokenizer), or a checkpoint you uploaded: each keeps its vocabulary and size.">
            <span>"Start from"</span>
            <select data-testid="train-start-from" prop:value=start_value
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    train.form.update(|f| f.start = match value.as_str() {
                        "shipped" => StartFrom::Shipped,
                        "open" => StartFrom::Open,
                        "uploaded" => uploaded_name().map(StartFrom::Uploaded).unwrap_or(StartFrom::Scratch),
                        _ => StartFrom::Scratch,
                    });
                }>
                <option value="scratch">"scratch"</option>
                <option value="shipped">"shipped model"</option>
                <option value="open">"the model open in Generate"</option>
                <option value="uploaded" disabled=move || uploaded_name().is_none()>
                    {move || uploaded_name().map_or("an uploaded checkpoint".into(), |n| format!("upload: {n}"))}
                </option>
            </select>
        </label>
    }
}

/// The preset and the architecture's numbers (fixed unless starting from scratch with `custom`).
#[component]
fn SizeFields() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let architecture_fixed =
        Signal::derive(move || train.form.with(|f| f.start != StartFrom::Scratch));
    let custom_fixed = Signal::derive(move || {
        architecture_fixed.get() || train.form.with(|f| f.preset != "custom")
    });
    view! {
        <label class="field wide" title="Model size. tiny: 2 layers × 2 heads, width 32, context 32 (trains in seconds). small and shipped: 4 × 4, width 128, context 128. custom: your own numbers.">
            <span>"Size"</span>
            <select data-testid="train-preset" prop:value=move || train.form.with(|f| f.preset.clone())
                disabled=architecture_fixed
                on:change=move |ev| train.form.update(|f| f.apply_preset(&event_target_value(&ev)))>
                {Preset::ALL.map(|p| view! { <option value=p.name()>{p.name()}</option> }).collect_view()}
                <option value="custom">"custom"</option>
            </select>
        </label>
        <NumberField label="Layers" testid="train-layers" disabled=custom_fixed
            tip="Transformer blocks stacked on top of each other (depth)."
            value=shown(train, |f| f.layers.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.layers = n)) />
        <NumberField label="Heads" testid="train-heads" disabled=custom_fixed
            tip="Attention heads per layer; they split the width between them."
            value=shown(train, |f| f.heads.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.heads = n)) />
        <NumberField label="Width" testid="train-width" disabled=custom_fixed
            tip="Size of the residual stream (d_model); must be a multiple of the heads."
            value=shown(train, |f| f.width.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.width = n)) />
        <NumberField label="Context" testid="train-context" disabled=custom_fixed
            tip="How many tokens the model sees at once."
            value=shown(train, |f| f.context.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.context = n)) />
    }
}

fn set_learning_rate(train: TrainState, text: &str) -> Result<(), String> {
    let rate: f64 = parse(text, "a number")?;
    if !(rate > 0.0 && rate.is_finite()) {
        return Err("must be a positive number".into());
    }
    train.set_learning_rate(rate);
    Ok(())
}

fn set_steps(train: TrainState, text: &str) -> Result<(), String> {
    let n: usize = parse(text, "a whole number ≥ 1")?;
    if n == 0 {
        return Err("must be at least 1".into());
    }
    train.set_steps(n);
    Ok(())
}

#[component]
fn ScheduleFields() -> impl IntoView {
    let train = expect_context::<TrainState>();
    view! {
        <NumberField label="Learning rate" testid="train-lr"
            tip="Peak step size of AdamW (after warm-up; a cosine decay follows). Changing it during a run takes effect at the next step, without resetting the model."
            value=shown(train, |f| f.learning_rate.to_string())
            apply=setting(train, set_learning_rate) />
        <NumberField label="Warm-up" testid="train-warmup"
            tip="Steps over which the learning rate ramps up from zero."
            value=shown(train, |f| f.warmup.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.warmup = n)) />
        <NumberField label="Batch" testid="train-batch"
            tip="Windows of text per step; each step trains on batch × context tokens."
            value=shown(train, |f| f.batch.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.batch = n)) />
        <NumberField label="Steps" testid="train-steps"
            tip="Optimizer steps of the run (can be raised during a run to train longer)."
            value=shown(train, |f| f.steps.to_string())
            apply=setting(train, set_steps) />
        <NumberField label="Seed" testid="train-seed"
            tip="Fixes the initial weights and the order of the batches: the same seed gives the same curve."
            value=shown(train, |f| f.seed.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.seed = n as u64)) />
        <NumberField label="Report every" testid="train-every"
            tip="Validation loss, a sample, an attention snapshot and a save to browser storage every this many steps."
            value=shown(train, |f| f.report_every.to_string())
            apply=setting(train, |t, v| set_whole(t, v, |f, n| f.report_every = n)) />
    }
}
