//! The corpus the run trains on: the built-in Shakespeare, pasted text, a dropped file or a toy
//! task's generated lines.

use glassbox_model::train::tasks::ToyTask;
use leptos::prelude::*;

use crate::state::AppState;
use crate::state::train::{CorpusChoice, TrainState};

/// Reads a dropped or picked text file into the corpus.
fn read_text_file(train: TrainState, app: AppState, file: web_sys::File) {
    let name = file.name();
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        match text.ok().and_then(|t| t.as_string()) {
            Some(text) => train.corpus.set(CorpusChoice::Custom { name, text }),
            None => app
                .error
                .set(Some(format!("{name} could not be read as text"))),
        }
    });
}

#[component]
pub fn Corpus() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    let text = move || {
        train
            .corpus
            .with(|c| c.text().unwrap_or_default().to_string())
    };
    let task = move || train.corpus.with(|c| c.toy_task().map_or("", |t| t.name()));
    let pick_task = move |ev: leptos::ev::Event| match ToyTask::from_name(&event_target_value(&ev))
    {
        Ok(t) => {
            train.corpus.set(CorpusChoice::task(t));
            train.form.update(|f| f.apply_task(t));
        }
        Err(_) => train.corpus.set(CorpusChoice::Shakespeare),
    };
    let described = move || train.corpus.get().description();
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_text_file(train, app, file);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_text_file(train, app, file);
        }
    };
    view! {
        <section class="panel corpus-panel">
            <h2>"Corpus"</h2>
            <label class="field" title="A toy task generates its own lines (and sets a small model and budget that learn it in a minute or two); its heads specialise visibly.">
                <span>"Toy task"</span>
                <select data-testid="train-task" prop:value=task on:change=pick_task>
                    <option value="">"none: train on text"</option>
                    {ToyTask::ALL.iter().map(|t| view! { <option value=t.name()>{t.name()}</option> }).collect_view()}
                </select>
            </label>
            <textarea data-testid="train-corpus-input" rows="5" spellcheck="false"
                placeholder="Empty: the built-in Shakespeare. Paste your own text here, or drop a .txt file. Its last 10% is held out for validation."
                prop:value=text
                on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=on_drop
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    train.corpus.set(if value.is_empty() {
                        CorpusChoice::Shakespeare
                    } else {
                        CorpusChoice::Custom { name: "pasted text".into(), text: value }
                    });
                }></textarea>
            <div class="buttons">
                <label class="file-button secondary" title="A plain-text file to train on">
                    "Open a .txt file"
                    <input type="file" accept=".txt,text/plain" data-testid="train-corpus-file" on:change=on_pick />
                </label>
                <button class="small secondary" on:click=move |_| train.corpus.set(CorpusChoice::Shakespeare)>
                    "Use Shakespeare"
                </button>
            </div>
            <p class="hint">{described}</p>
        </section>
    }
}
