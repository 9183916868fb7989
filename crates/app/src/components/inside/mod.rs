//! The Inside view: six panels that open the model up on the text of the step shown in Generate
//! (or the prompt). Each answers one question of the seed document by letting the user try it.

mod ablation;
mod beam_tree;
mod lens;
mod mlp;
mod similarity;
mod teacher;

use leptos::prelude::*;

use crate::state::AppState;
use crate::state::inside::{Analysis, InsideState};

/// A panel's status line while its analysis runs or after it failed.
#[component]
fn JobStatus<T: Send + Sync + 'static>(analysis: Analysis<T>, what: &'static str) -> impl IntoView {
    move || {
        if analysis.is_running() {
            Some(view! { <p class="hint busy" data-testid="inside-busy">{format!("computing {what}…")}</p> }.into_any())
        } else {
            analysis.error().map(|msg| {
                view! { <p class="error-inline" role="alert">{format!("{what}: {msg}")}</p> }
                    .into_any()
            })
        }
    }
}

/// The position picker the lens and the MLP view share.
#[component]
fn PositionPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let options = move || {
        inside.subject.get().map(|s| {
            let chosen = s.position(inside.position.get());
            s.ids
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    let label = format!("{} · {}", i + 1, state.label(id));
                    let note = if i == s.predict_at && s.step.is_some() { " (predicts the picked token)" } else { "" };
                    view! { <option value=i.to_string() selected=i == chosen>{format!("{label}{note}")}</option> }
                })
                .collect_view()
        })
    };
    view! {
        <label class="field inline">
            <span>"Position"</span>
            <select data-testid="inside-position" on:change=move |ev| {
                inside.position.set(event_target_value(&ev).parse().ok());
            }>{options}</select>
        </label>
    }
}

#[component]
pub fn InsideView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let about = move || {
        let subject = inside.subject.get()?;
        let text: String = subject.ids.iter().map(|&id| state.text(id)).collect();
        Some(match subject.step {
            Some(step) => format!(
                "Looking at step {}: the {} tokens the model read, then the token it picked. Pick another step in Generate's timeline to look at it instead.",
                step + 1,
                subject.predict_at + 1
            ),
            None => format!(
                "Looking at the prompt ({} tokens). Take steps in Generate to look at what the model read for each. Text: {text:?}",
                subject.ids.len()
            ),
        })
    };
    view! {
        <main class="inside">
            <p class="inside-about" data-testid="inside-about">
                {move || about().unwrap_or_else(|| {
                    if state.is_ready() {
                        "Nothing to look at yet: type a prompt in Generate and press Step (or Reset).".into()
                    } else {
                        "The views appear once the model is loaded.".into()
                    }
                })}
            </p>
            <nav class="inside-nav">
                <a href="#lens">"Logit lens"</a>
                <a href="#ablation">"Head ablation"</a>
                <a href="#similarity">"Head diversity"</a>
                <a href="#mlp">"MLP non-linearity"</a>
                <a href="#teacher">"Training vs inference"</a>
                <a href="#beams">"Beam search tree"</a>
            </nav>
            <Show when=move || inside.subject.with(Option::is_some)>
                <div class="inside-panels">
                    <lens::LensPanel />
                    <ablation::AblationPanel />
                    <similarity::DiversityPanel />
                    <mlp::MlpPanel />
                    <teacher::TeacherPanel />
                    <beam_tree::BeamTreePanel />
                </div>
            </Show>
        </main>
    }
}
