//! Glassbox in the browser: step through generation and watch the shipped model think: the
//! softmax over candidates, how the decoding strategy picks, and every attention head.

mod backend;
mod components;
mod heatmap;
mod loader;
mod session;
mod state;
mod url_state;

use components::attention::{AttentionPanel, Details, provide_attention};
use components::candidates::Candidates;
use components::controls::{DecodingControls, PromptBox};
use components::header::Header;
use components::timeline::Timeline;
use leptos::prelude::*;
use state::AppState;

#[component]
fn App() -> impl IntoView {
    let url = url_state::read();
    let state = AppState::new(&url);
    provide_context(state);
    state.load(url.backend);
    state.sync_url();
    state.follow_colour_scheme();
    provide_attention(state);
    view! {
        <Header />
        <Show when=move || state.error.with(Option::is_some)>
            <div class="error" role="alert" data-testid="error-banner">
                <span>{move || state.error.get().unwrap_or_default()}</span>
                <button class="small secondary" on:click=move |_| state.error.set(None) aria-label="Dismiss">"×"</button>
            </div>
        </Show>
        <main class="workbench">
            <div class="column left">
                <PromptBox />
                <DecodingControls />
                <Timeline />
            </div>
            <div class="column middle">
                <Candidates />
            </div>
            <div class="column right">
                // The grid's shape comes from the model: draw it once the model is known.
                <Show when=move || state.model_shape.get().is_some() fallback=|| view! { <section class="panel"><p class="hint">"The attention grid appears once the model is loaded."</p></section> }>
                    <AttentionPanel />
                </Show>
            </div>
            <Show when=move || state.compare.get() && state.model_shape.get().is_some()>
                <section class="panel compare-panel">
                    <h2 title="Two attention patterns side by side, and A − B: red where A attends more, blue where B does.">
                        "Compare: A, B and A − B"
                    </h2>
                    <Details />
                </section>
            </Show>
        </main>
    }
}

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// The module's static constructors, synthesised by wasm-ld.
    fn __wasm_call_ctors();
}

fn main() {
    // burn's GPU compiler stack registers items with `inventory` (static constructors). When a
    // module never calls its constructors itself, wasm-ld wraps *every* export in a call to them,
    // so each JS→wasm call (DOM events, canvas calls, JS value handles) re-ran them all: a 20-canvas
    // grid redraw took 70 ms. Calling them once here turns that wrapping off.
    #[cfg(target_arch = "wasm32")]
    // SAFETY: runs once, first thing, before any code that could depend on the registrations.
    unsafe {
        __wasm_call_ctors()
    };
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
