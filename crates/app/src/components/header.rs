//! Title bar: opening a model, the model's load status, the backend badge with both backends'
//! timings, and the switch between them.

use leptos::prelude::*;

use crate::components::shortcuts::DisplayButtons;
use crate::state::AppState;
use glassbox_browser::backend::Backend;

#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let timing = move |ms: Option<f64>| {
        ms.map(|ms| format!("{ms:.1} ms"))
            .unwrap_or_else(|| "—".into())
    };
    // `detailed`: with the full reason WebGPU is missing (for tooltips; the status bar stays short).
    let timings = move |detailed: bool| {
        state.timings.with(|t| {
            let webgpu = match (&t.webgpu_ms, &t.webgpu_unavailable) {
                (Some(ms), _) => format!("{ms:.1} ms"),
                (None, Some(why)) if detailed => format!("unavailable: {why}"),
                (None, Some(_)) => "unavailable (hover for why)".into(),
                (None, None) => "not measured".into(),
            };
            format!(
                "16-token forward pass: CPU {} · WebGPU {webgpu}",
                timing(t.cpu_ms)
            )
        })
    };
    let timings_text = move || timings(true);
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        state.open_files(files_of(input.files()));
        input.set_value("");
    };
    view! {
        <header class="top">
            <h1>"Glassbox"</h1>
            <p class="tagline">"A GPT you can see through, running in this tab."</p>
            <label class="file-button secondary" data-testid="open-model"
                title="A Glassbox checkpoint (.safetensors), or a Hugging Face GPT-2 folder's config.json, model.safetensors, vocab.json and merges.txt (select all four). Or drop them anywhere on the page.">
                "Open model"
                <input type="file" multiple accept=".safetensors,.json,.txt" data-testid="open-model-input" on:change=on_pick />
            </label>
            <label class="file-button secondary" data-testid="open-folder"
                title="A Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, merges.txt)">
                "Open folder"
                <input type="file" prop:webkitdirectory=true data-testid="open-folder-input" on:change=on_pick />
            </label>
            <span class="badge" data-testid="backend-badge" title=timings_text>
                {move || state.backend.get().label()}
            </span>
            <select class="backend-select" data-testid="backend-select" aria-label="Backend"
                title=move || format!("Where the model runs. {}", timings_text())
                prop:value=move || state.backend.get().param()
                disabled=move || state.busy.get() || !state.is_ready()
                on:change=move |ev| if let Some(b) = Backend::from_param(&event_target_value(&ev)) {
                    state.switch_backend(b);
                }>
                <option value="cpu">"CPU (wasm)"</option>
                <option value="webgpu" disabled=move || state.timings.with(|t| t.webgpu_unavailable.is_some())>"WebGPU"</option>
            </select>
            <DisplayButtons />
        </header>
        <div class="status-bar">
            <p class="status" data-testid="model-status" data-state=move || state.status.with(|s| s.state())>
                {move || state.status.with(|s| s.text())}
            </p>
            <p class="timings" data-testid="backend-timings" title=timings_text>{move || timings(false)}</p>
            <p class="step-status" data-testid="step-status"
                data-steps=move || state.snapshot.with(|s| s.steps.len())
                data-busy=move || state.busy.get().to_string()
                data-step-ms=move || state.last_step_ms.get().map(|ms| format!("{ms:.2}"))>
                {move || state.last_step_ms.get().map(|ms| format!("last step {ms:.1} ms"))}
            </p>
        </div>
    }
}

/// The files of a file input or a drop.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}
