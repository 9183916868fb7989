//! Prompt, stepping buttons and decoding controls. Each control's tooltip explains it in the
//! words of the seed document (logits, softmax, temperature, top-k, nucleus, beam).

use glassbox_model::{DecodeSettings, Strategy};
use leptos::prelude::*;

use crate::components::common::{NumberField, parse};
use crate::state::AppState;

#[component]
pub fn PromptBox() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <section class="panel prompt-panel">
            <label for="prompt" title="The text the model continues. Every character is one token for the shipped model.">"Prompt"</label>
            <textarea id="prompt" data-testid="prompt-input" rows="3" spellcheck="false"
                prop:value=move || state.prompt.get()
                on:input=move |ev| state.prompt.set(event_target_value(&ev))></textarea>
            <div class="buttons">
                <button data-testid="step-button" on:click=move |_| state.step_clicked()
                    disabled=move || state.busy.get() || !state.is_ready()
                    title="Run the model once: one forward pass gives logits for every token in the vocabulary; the strategy picks one and appends it.">
                    "Step"
                </button>
                <button data-testid="play-button"
                    on:click=move |_| if state.playing.get_untracked() { state.playing.set(false) } else { state.play() }
                    disabled=move || !state.is_ready() || (state.busy.get() && !state.playing.get())
                    title="Step again and again at the chosen speed (auto-regressive generation: each new token is fed back in). Press again to pause.">
                    {move || if state.playing.get() { "Pause" } else { "Play" }}
                </button>
                <select class="speed" title="Pause between automatic steps" aria-label="Play speed"
                    on:change=move |ev| state.play_delay_ms.set(event_target_value(&ev).parse().unwrap_or(250))>
                    <option value="800">"slow"</option>
                    <option value="250" selected>"medium"</option>
                    <option value="0">"fast"</option>
                </select>
                <button data-testid="back-button" class="secondary" on:click=move |_| state.back()
                    disabled=move || state.busy.get() || state.snapshot.with(|s| s.steps.is_empty())
                    title="Undo the last token: the sequence, the distribution and the attention return to the step before.">
                    "Back"
                </button>
                <button data-testid="reset-button" class="secondary" on:click=move |_| state.reset()
                    disabled=move || state.busy.get() || !state.is_ready()
                    title="Drop every generated token and start again from the prompt.">
                    "Reset"
                </button>
            </div>
        </section>
    }
}

/// Applies a field's text to one decoding setting, refusing settings that do not validate.
fn setting(
    state: AppState,
    set: fn(&mut DecodeSettings, &str) -> Result<(), String>,
) -> impl Fn(&str) -> Result<(), String> + Copy + Send + Sync + 'static {
    move |text| {
        let mut next = state.settings.get_untracked();
        set(&mut next, text).and_then(|()| next.validate())?;
        state.settings.set(next);
        Ok(())
    }
}

/// A decoding setting's current value, as its field shows it.
fn shown(state: AppState, get: fn(&DecodeSettings) -> String) -> Signal<String> {
    Signal::derive(move || state.settings.with(get))
}

#[component]
pub fn DecodingControls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let is = move |strategy: Strategy| state.settings.with(|s| s.strategy == strategy);
    let not_beam = Signal::derive(move || !is(Strategy::Beam));
    view! {
        <section class="panel controls">
            <h2>"Decoding"</h2>
            <label class="field" title="How the next token is chosen from the model's distribution. Greedy: always the most likely. Sampling: draw at random from the (transformed) distribution. Beam search: keep the W most likely sequences so far and extend all of them.">
                <span>"Strategy"</span>
                <select data-testid="strategy-select"
                    prop:value=move || state.settings.with(|s| s.strategy.name())
                    on:change=move |ev| {
                        if let Ok(strategy) = Strategy::from_name(&event_target_value(&ev)) {
                            state.settings.update(|s| s.strategy = strategy);
                        }
                    }>
                    <option value="greedy">"greedy"</option>
                    <option value="sample">"sampling"</option>
                    <option value="beam">"beam search"</option>
                </select>
            </label>
            <NumberField live=true label="Temperature" testid="temperature-input" step="0.1"
                tip="Divides the logits before the softmax. Below 1 sharpens the distribution (more predictable), above 1 flattens it (more surprising); 0 is greedy."
                value=shown(state, |s| s.temperature.to_string())
                apply=setting(state, |s, t| { s.temperature = parse(t, "a number")?; Ok(()) }) />
            <NumberField live=true label="Top-k" testid="top-k-input" step="1"
                tip="Keep only the k most likely tokens and renormalise; 0 keeps all."
                value=shown(state, |s| s.top_k.to_string())
                apply=setting(state, |s, t| { s.top_k = parse(t, "a whole number ≥ 0")?; Ok(()) }) />
            <NumberField live=true label="Top-p" testid="top-p-input" step="0.05"
                tip="Nucleus sampling: keep the smallest set of most likely tokens whose probabilities add up to at least p; 1 keeps all."
                value=shown(state, |s| s.top_p.to_string())
                apply=setting(state, |s, t| { s.top_p = parse(t, "a number")?; Ok(()) }) />
            <NumberField live=true label="Beam width" testid="beam-width-input" step="1" hidden=not_beam
                tip="How many candidate sequences beam search keeps at every step."
                value=shown(state, |s| s.beam_width.to_string())
                apply=setting(state, |s, t| { s.beam_width = parse(t, "a whole number ≥ 1")?; Ok(()) }) />
            <NumberField live=true label="Seed" testid="seed-input" step="1"
                tip="Fixes the random draws of sampling: the same seed gives the same text, and Back then Step picks the same token again."
                value=shown(state, |s| s.seed.to_string())
                apply=setting(state, |s, t| { s.seed = parse(t, "a whole number ≥ 0")?; Ok(()) }) />
            <p class="hint">{move || match state.settings.with(|s| s.strategy) {
                Strategy::Greedy => "Greedy ignores temperature, top-k and top-p when choosing; the panel still shows what they would do.",
                Strategy::Sample => "Sampling draws from the transformed distribution (the solid bars).",
                Strategy::Beam => "Beam search ranks whole sequences by their summed log-probability.",
            }}</p>
        </section>
    }
}
