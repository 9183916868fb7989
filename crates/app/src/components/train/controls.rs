//! The run's buttons (start, pause, resume, stop, reset; use, download, upload) and its numbers.

use glassbox_model::train::run::RunRecord;
use leptos::prelude::*;

use crate::state::train::{Phase, TrainState};

#[component]
pub fn RunControls() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let phase = move || train.phase.get();
    let on_upload = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                train.upload(name, js_sys::Uint8Array::new(&buffer).to_vec());
            }
        });
        input.set_value("");
    };
    view! {
        <section class="panel run-panel">
            <h2>
                "Run"
                <span class="badge phase" data-testid="train-phase" data-phase=move || phase().label()
                    title=move || format!("training on {}", train.backend.get().label())>{move || phase().label()}</span>
                <span class="hint">{move || train.summary.get()}</span>
            </h2>
            <div class="buttons">
                <button data-testid="train-start" on:click=move |_| train.start()
                    disabled=move || matches!(phase(), Phase::Starting | Phase::Running)
                    title="Start a new run with these settings (a run in progress is replaced).">"Start"</button>
                <button data-testid="train-pause" on:click=move |_| train.pause()
                    disabled=move || phase() != Phase::Running
                    title="Pause after the current step; the run is saved.">"Pause"</button>
                <button data-testid="train-resume" on:click=move |_| train.resume()
                    disabled=move || !matches!(phase(), Phase::Paused | Phase::Diverged)
                    title="Continue exactly where the run paused: the same curve as if it had never stopped.">"Resume"</button>
                <button class="secondary" data-testid="train-stop" on:click=move |_| train.stop()
                    disabled=move || !matches!(phase(), Phase::Running | Phase::Paused)
                    title="End the run here; its weights stay to look at, download or use.">"Stop"</button>
                <button class="secondary" data-testid="train-reset" on:click=move |_| train.reset()
                    disabled=move || phase() == Phase::Idle
                    title="Throw the run away (also from browser storage).">"Reset"</button>
            </div>
            <Show when=move || train.confirm_replace.with(Option::is_some)>
                <div class="offer" role="alertdialog" data-testid="start-confirm">
                    <span>"Browser storage holds a training run this tab did not save (an earlier visit's, or another tab's). Starting replaces it."</span>
                    <button data-testid="start-confirm-replace" on:click=move |_| train.answer_replace(true)>"Replace it"</button>
                    <button class="secondary" data-testid="start-confirm-keep" on:click=move |_| train.answer_replace(false)>"Keep it"</button>
                </div>
            </Show>
            <div class="buttons">
                <button class="secondary" data-testid="train-use" on:click=move |_| train.use_in_visualizer()
                    disabled=move || !phase().has_run()
                    title="Step through generation with the weights as they are now (training goes on).">"Use in visualizer"</button>
                <button class="secondary" data-testid="train-download" on:click=move |_| train.download()
                    disabled=move || !phase().has_run()
                    title="The checkpoint as a file (weights, optimizer state, vocabulary): `glassbox generate --model FILE` reads it.">"Download checkpoint"</button>
                <label class="file-button secondary" title="A Glassbox checkpoint (from this page or `glassbox train`) to continue training from.">
                    "Upload checkpoint"
                    <input type="file" accept=".safetensors" data-testid="train-upload" on:change=on_upload />
                </label>
            </div>
            <RunStats />
        </section>
    }
}

/// The run's numbers: step, losses, speed, time and the last save.
#[component]
fn RunStats() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let record = train.record;
    let number =
        |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |v| format!("{v:.digits$}"));
    let last_loss = move || {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.curve.last().map(|p| p.loss as f64))
        })
    };
    let last_val = move || {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.curve.iter().rev().find_map(|p| p.val_loss.map(f64::from)))
        })
    };
    let rate = move || record.with(|r| r.as_ref().and_then(|r| r.tokens_per_second(20)));
    let clock = |s: f64| format!("{}:{:02}", (s / 60.0) as u64, (s % 60.0) as u64);
    view! {
        <dl class="stats">
            <div><dt>"step"</dt><dd><span data-testid="train-step">{move || record.with(|r| r.as_ref().map_or(0, RunRecord::steps_done))}</span>
                {move || format!(" / {}", train.form.with(|f| f.steps))}</dd></div>
            <div><dt>"training loss"</dt><dd data-testid="train-loss">{move || number(last_loss(), 4)}</dd></div>
            <div><dt>"validation loss"</dt><dd data-testid="val-loss">{move || number(last_val(), 4)}</dd></div>
            <div><dt>"tokens/s"</dt><dd data-testid="tokens-per-second">{move || number(rate(), 0)}</dd></div>
            <div><dt>"elapsed"</dt><dd data-testid="train-elapsed">{move || record.with(|r| r.as_ref().map_or("—".into(), |r| clock(r.elapsed_s())))}</dd></div>
            <div><dt>"left"</dt><dd data-testid="train-eta">{move || record.with(|r| r.as_ref().and_then(RunRecord::eta_s).map_or("—".into(), clock))}</dd></div>
            <div><dt>"saved"</dt><dd data-testid="train-saved">{move || train.saved_step.get().map_or("—".into(), |s| format!("step {s}"))}</dd></div>
        </dl>
    }
}
