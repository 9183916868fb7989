//! Glassbox in the browser. This first page loads the shipped model and continues a prompt
//! greedily, one token per animation slice so the page never freezes; the visualizer builds on it.

mod loader;

use std::cell::RefCell;
use std::rc::Rc;

use glassbox_model::{DecodeSettings, Generator, Gpt, Tokenizer};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The model once loaded, shared by the page's handlers (tensors are not `Send`).
type Loaded = Rc<RefCell<Option<(Gpt, Tokenizer)>>>;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Loading(String),
    Ready(String),
    Error(String),
}

impl Status {
    fn state(&self) -> &'static str {
        match self {
            Status::Loading(_) => "loading",
            Status::Ready(_) => "ready",
            Status::Error(_) => "error",
        }
    }
}

const NEW_TOKENS: usize = 200;

#[component]
fn App() -> impl IntoView {
    let status = RwSignal::new(Status::Loading("fetching the model…".into()));
    let prompt = RwSignal::new("ROMEO:".to_string());
    let output = RwSignal::new(String::new());
    // The prompt the shown continuation belongs to (the box may have been edited since).
    let output_prompt = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let loaded: Loaded = Rc::new(RefCell::new(None));

    {
        let loaded = loaded.clone();
        spawn_local(async move {
            match loader::load_shipped(|msg| status.set(Status::Loading(msg))).await {
                Ok((model, tokenizer, summary)) => {
                    *loaded.borrow_mut() = Some((model, tokenizer));
                    status.set(Status::Ready(summary));
                }
                Err(msg) => status.set(Status::Error(msg)),
            }
        });
    }

    let generate = move |_| {
        let Some((model, tokenizer)) = loaded.borrow().clone() else {
            return;
        };
        let ids = match tokenizer.encode(&prompt.get_untracked()) {
            Ok(ids) => ids,
            Err(e) => return error.set(Some(e.to_string())),
        };
        error.set(None);
        busy.set(true);
        output.set(String::new());
        output_prompt.set(prompt.get_untracked());
        spawn_local(async move {
            let result = continue_greedily(model, &tokenizer, ids, output).await;
            if let Err(msg) = result {
                error.set(Some(msg));
            }
            busy.set(false);
        });
    };

    view! {
        <header class="top">
            <h1>"Glassbox"</h1>
            <p class="tagline">"A GPT you can see through, running in this tab."</p>
            <span class="badge" data-testid="backend-badge">"CPU (wasm)"</span>
        </header>
        <main>
            <p class="status" data-testid="model-status" data-state=move || status.get().state()>
                {move || match status.get() {
                    Status::Loading(m) => format!("Loading: {m}"),
                    Status::Ready(m) => format!("Ready: {m}"),
                    Status::Error(m) => format!("Could not load the model: {m}"),
                }}
            </p>
            <Show when=move || error.get().is_some()>
                <div class="error" role="alert" data-testid="error-banner">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <label for="prompt">"Prompt"</label>
            <textarea id="prompt" data-testid="prompt-input" rows="3"
                prop:value=move || prompt.get()
                on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
            <button data-testid="generate-button" on:click=generate
                disabled=move || busy.get() || status.get().state() != "ready"
                title="Append the most likely next character, 200 times (greedy decoding)">
                {move || if busy.get() { "Generating…" } else { "Continue greedily" }}
            </button>
            <pre class="output" data-testid="output" data-done=move || (!busy.get()).to_string()>
                <span class="prompt-part">{move || output_prompt.get()}</span>
                {move || output.get()}
            </pre>
        </main>
    }
}

/// Greedy decoding, one token per macrotask so input and painting go on between steps.
async fn continue_greedily(
    model: Gpt,
    tokenizer: &Tokenizer,
    ids: Vec<u32>,
    output: RwSignal<String>,
) -> Result<(), String> {
    let mut generator =
        Generator::new(model, ids, DecodeSettings::default()).map_err(|e| e.to_string())?;
    for _ in 0..NEW_TOKENS {
        let chosen = generator.step().await.map_err(|e| e.to_string())?.chosen;
        output.update(|o| o.push_str(&tokenizer.token_text(chosen)));
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    Ok(())
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
