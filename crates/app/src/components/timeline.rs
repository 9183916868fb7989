//! The token timeline: prompt and generated tokens, whitespace visible, the tokens outside the
//! model's window marked; clicking a generated token re-opens the step that chose it.

use leptos::prelude::*;

use crate::state::AppState;

#[component]
pub fn Timeline() -> impl IntoView {
    let state = expect_context::<AppState>();
    let items = move || {
        state.snapshot.with(|s| {
            s.tokens
                .iter()
                .enumerate()
                .map(|(i, token)| (i, token.clone(), i >= s.prompt_len))
                .collect::<Vec<_>>()
        })
    };
    // The first token the shown step's window (or the next step's) contains.
    let window_start = Memo::new(move |_| {
        let selected = state.selected.get();
        state
            .snapshot
            .with(|s| match selected.and_then(|i| s.steps.get(i)) {
                Some(step) => step.window_start,
                None => s.next_window_start,
            })
    });
    let prompt_len = move || state.snapshot.with(|s| s.prompt_len);
    let shown_token = move || {
        let selected = state.selected.get();
        state
            .snapshot
            .with(|s| s.shown_step(selected).map(|step| s.prompt_len + step.index))
    };
    view! {
        <section class="panel timeline-panel">
            <h2 title="Prompt tokens in blue, generated tokens in green. Faded tokens have slid out of the model's context window: it no longer sees them.">
                "Tokens"
                <span class="legend-chip prompt">"prompt"</span>
                <span class="legend-chip generated">"generated"</span>
                <span class="legend-chip outside">"outside the window"</span>
            </h2>
            <div class="timeline" data-testid="token-timeline">
                <For each=items key=|(i, token, generated)| (*i, token.text.clone(), *generated) let:item>
                    {
                        let (index, token, generated) = item;
                        let newline = token.text == "\n";
                        view! {
                            <span data-testid="token"
                                class="token"
                                class:generated=generated
                                class:newline=newline
                                class:outside=move || index < window_start.get()
                                class:shown=move || shown_token() == Some(index)
                                data-index=index
                                data-text=token.text.clone()
                                data-kind=if generated { "generated" } else { "prompt" }
                                data-in-window=move || (index >= window_start.get()).to_string()
                                title=move || if generated {
                                    format!("token {index} (step {}): click to see how it was chosen", index - prompt_len() + 1)
                                } else {
                                    format!("token {index} (prompt)")
                                }
                                on:click=move |_| if generated {
                                    state.selected.set(Some(index - prompt_len()));
                                    state.focus.set(None);
                                }>
                                {token.label}
                            </span>
                        }
                    }
                </For>
            </div>
            <p class="hint">{move || {
                let n = state.snapshot.with(|s| s.steps.len());
                match state.selected.get() {
                    Some(i) if i + 1 < n => format!("Showing step {} of {n}: the distribution and attention that chose the highlighted token. Step continues from the end.", i + 1),
                    _ if n == 0 => "Press Step to generate the next token.".to_string(),
                    _ => format!("{n} generated; showing the latest step."),
                }
            }}</p>
        </section>
    }
}
