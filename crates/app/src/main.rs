//! Glassbox in the browser, the composition root: it provides the states (`state/`), keeps the URL
//! in step with them, and mounts the header, the tabs, the open lesson and the five views: Learn
//! (the lessons), Generate (step through generation: candidates, decoding, every head's
//! attention), Inside, Train and Experiments.

mod components;
mod draw;
mod state;
mod web;
mod worker;

use components::attention::{AttentionPanel, Details, provide_attention};
use components::candidates::Candidates;
use components::controls::{DecodingControls, PromptBox};
use components::experiments::ExperimentsView;
use components::header::Header;
use components::inside::InsideView;
use components::learn::{LearnView, LessonPanel};
use components::shortcuts::Shortcuts;
use components::timeline::Timeline;
use components::train::TrainView;
use glassbox_page::learn::first_tab;
use glassbox_page::shortcuts::Shortcut;
use leptos::prelude::*;
use state::display::DisplayState;
use state::experiments::ExperimentState;
use state::inside::InsideState;
use state::learn::LearnState;
use state::train::{Phase, TrainState};
use state::{AppState, Tab};

#[component]
fn App() -> impl IntoView {
    let url = web::url::read();
    let tab = first_tab(url.view, url.lesson, web::url::is_bare());
    let state = AppState::new(&url, tab);
    provide_context(state);
    provide_context(DisplayState::new());
    let train = TrainState::new(state, url.train.clone().unwrap_or_default());
    provide_context(train);
    state.load(url.backend);
    state.follow_colour_scheme();
    provide_attention(state);
    let inside = InsideState::new(state);
    provide_context(inside);
    let experiments = ExperimentState::new(state);
    provide_context(experiments);
    let learn = LearnState::new(state, inside, train, experiments, url.lesson);
    provide_context(learn);
    state.sync_url(
        train.form.into(),
        Signal::derive(move || learn.progress.with(|p| p.current)),
    );
    train.look_for_saved_run();
    let dragging = RwSignal::new(false);
    // Files dropped anywhere (unless a drop zone inside took them) open as a model.
    let on_drop = move |ev: web_sys::DragEvent| {
        dragging.set(false);
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        state.open_files(components::header::files_of(
            ev.data_transfer().and_then(|d| d.files()),
        ));
    };
    view! {
        <div class="drop-target" on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false) on:drop=on_drop>
        <Show when=move || dragging.get()>
            <div class="drop-overlay" data-testid="drop-overlay">
                "Drop a Glassbox checkpoint, or a GPT-2 folder's files, to open the model"
            </div>
        </Show>
        <Header />
        <Tabs />
        <Shortcuts />
        <Show when=move || state.error.with(Option::is_some)>
            <div class="error" role="alert" data-testid="error-banner">
                <span>{move || state.error.get().unwrap_or_default()}</span>
                <button class="small secondary" on:click=move |_| state.error.set(None) aria-label="Dismiss">"×"</button>
            </div>
        </Show>
        <ResumeOffer />
        <LessonPanel />
        {move || match state.view.get() {
            Tab::Learn => view! { <LearnView /> }.into_any(),
            Tab::Generate => view! { <GenerateView /> }.into_any(),
            Tab::Inside => view! { <InsideView /> }.into_any(),
            Tab::Train => view! { <TrainView /> }.into_any(),
            Tab::Experiments => view! { <ExperimentsView /> }.into_any(),
        }}
        </div>
    }
}

/// The switch between stepping through generation and training.
#[component]
fn Tabs() -> impl IntoView {
    let state = expect_context::<AppState>();
    let train = expect_context::<TrainState>();
    let tab = move |view: Tab, testid: &'static str| {
        let key = Shortcut::Open(view).key().unwrap_or_default();
        view! {
            <button role="tab" data-testid=testid class:active=move || state.view.get() == view
                aria-selected=move || (state.view.get() == view).to_string()
                aria-keyshortcuts=key title=format!("{} ({key})", view.label())
                on:click=move |_| state.view.set(view)>{view.label()}</button>
        }
    };
    view! {
        <nav class="tabs" role="tablist">
            {tab(Tab::Learn, "view-learn")}
            {tab(Tab::Generate, "view-visualize")}
            {tab(Tab::Inside, "view-inside")}
            {tab(Tab::Train, "view-train")}
            {tab(Tab::Experiments, "view-experiments")}
            <span class="hint">{move || match train.phase.get() {
                Phase::Running => format!(
                    "training: step {}",
                    train.record.with(|r| r.as_ref().map_or(0, |r| r.steps_done()))
                ),
                _ => String::new(),
            }}</span>
        </nav>
    }
}

/// Offers to continue a training run found in browser storage.
#[component]
fn ResumeOffer() -> impl IntoView {
    let train = expect_context::<TrainState>();
    move || {
        train.offer.get().map(|offer| match offer.unreadable {
            None => view! {
                <div class="offer" role="status" data-testid="resume-offer">
                    <span>{format!(
                        "A training run on {} was saved at step {} of {}. Continue it?",
                        offer.corpus, offer.step, offer.total_steps
                    )}</span>
                    <button data-testid="resume-accept" on:click=move |_| train.resume_saved()>"Resume training"</button>
                    <button class="secondary" data-testid="resume-discard" on:click=move |_| train.discard_saved()>"Discard it"</button>
                </div>
            }
            .into_any(),
            Some(why) => view! {
                <div class="offer" role="status" data-testid="resume-offer" data-unreadable="true">
                    <span>{format!("A saved training run cannot be continued: {why}. Download its checkpoint, or discard it.")}</span>
                    <button data-testid="resume-download" on:click=move |_| train.download_unreadable()>"Download it"</button>
                    <button class="secondary" data-testid="resume-discard" on:click=move |_| train.discard_saved()>"Discard it"</button>
                </div>
            }
            .into_any(),
        })
    }
}

#[component]
fn GenerateView() -> impl IntoView {
    let state = expect_context::<AppState>();
    // The grid's shape comes from the model: redrawn whole when another model is adopted.
    let shape = Memo::new(move |_| state.model_shape.get());
    view! {
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
                {move || match shape.get() {
                    Some(_) => view! { <AttentionPanel /> }.into_any(),
                    None => view! { <section class="panel"><p class="hint">"The attention grid appears once the model is loaded."</p></section> }.into_any(),
                }}
            </div>
            <Show when=move || state.compare.get() && shape.get().is_some()>
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

fn main() {
    glassbox_browser::start_module();
    if worker::is_worker() {
        return worker::run();
    }
    components::panic_banner::install();
    glassbox_model::pause::set_pause(web::clock::pause_if_due);
    leptos::mount::mount_to_body(App);
}
