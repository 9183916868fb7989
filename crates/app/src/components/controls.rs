//! Prompt, stepping buttons and decoding controls. Each control's tooltip explains it in the
//! words of the seed document (logits, softmax, temperature, top-k, nucleus, beam).

use glassbox_model::{DecodeSettings, Strategy};
use leptos::prelude::*;

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

/// A numeric field that edits one decoding setting, refusing values it cannot parse.
#[component]
fn NumberField(
    label: &'static str,
    testid: &'static str,
    tip: &'static str,
    step: &'static str,
    get: fn(&DecodeSettings) -> String,
    set: fn(&mut DecodeSettings, &str) -> Result<(), String>,
    #[prop(optional)] hidden: Option<Signal<bool>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label class="field" title=tip class:hidden=move || hidden.is_some_and(|h| h.get())>
            <span>{label}</span>
            <input type="number" step=step data-testid=testid
                prop:value=move || state.settings.with(get)
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    if text.trim().is_empty() {
                        return; // half-typed: wait for a value
                    }
                    let mut next = state.settings.get_untracked();
                    match set(&mut next, text.trim()).and_then(|()| next.validate()) {
                        Ok(()) => {
                            state.error.set(None);
                            state.settings.set(next);
                        }
                        Err(msg) => state.error.set(Some(format!("{label}: {msg}"))),
                    }
                } />
        </label>
    }
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("`{text}` is not {what}"))
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
            <NumberField label="Temperature" testid="temperature-input" step="0.1"
                tip="Divides the logits before the softmax. Below 1 sharpens the distribution (more predictable), above 1 flattens it (more surprising); 0 is greedy."
                get=|s| s.temperature.to_string()
                set=|s, t| { s.temperature = parse(t, "a number")?; Ok(()) } />
            <NumberField label="Top-k" testid="top-k-input" step="1"
                tip="Keep only the k most likely tokens and renormalise; 0 keeps all."
                get=|s| s.top_k.to_string()
                set=|s, t| { s.top_k = parse(t, "a whole number ≥ 0")?; Ok(()) } />
            <NumberField label="Top-p" testid="top-p-input" step="0.05"
                tip="Nucleus sampling: keep the smallest set of most likely tokens whose probabilities add up to at least p; 1 keeps all."
                get=|s| s.top_p.to_string()
                set=|s, t| { s.top_p = parse(t, "a number")?; Ok(()) } />
            <NumberField label="Beam width" testid="beam-width-input" step="1" hidden=not_beam
                tip="How many candidate sequences beam search keeps at every step."
                get=|s| s.beam_width.to_string()
                set=|s, t| { s.beam_width = parse(t, "a whole number ≥ 1")?; Ok(()) } />
            <NumberField label="Seed" testid="seed-input" step="1"
                tip="Fixes the random draws of sampling: the same seed gives the same text, and Back then Step picks the same token again."
                get=|s| s.seed.to_string()
                set=|s, t| { s.seed = parse(t, "a whole number ≥ 0")?; Ok(()) } />
            <p class="hint">{move || match state.settings.with(|s| s.strategy) {
                Strategy::Greedy => "Greedy ignores temperature, top-k and top-p when choosing; the panel still shows what they would do.",
                Strategy::Sample => "Sampling draws from the transformed distribution (the solid bars).",
                Strategy::Beam => "Beam search ranks whole sequences by their summed log-probability.",
            }}</p>
        </section>
    }
}
