//! The keyboard: the page-wide shortcuts (the table is `glassbox_page::shortcuts`), the `?`
//! overlay that lists them, and the header's buttons for it and for presenter mode.

use glassbox_page::shortcuts::Shortcut;
use leptos::html::Button;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::display::DisplayState;
use crate::state::train::{Phase, TrainState};
use crate::state::{AppState, Tab};

/// Listens for the shortcuts on the whole page and shows the overlay while it is open.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let display = expect_context::<DisplayState>();
    let act = acting(
        expect_context::<AppState>(),
        expect_context::<TrainState>(),
        display,
    );
    // Lives as long as the page (the App is mounted once).
    std::mem::forget(window_event_listener(leptos::ev::keydown, move |ev| {
        if let Some(shortcut) = shortcut_of(&ev, display.shortcuts_open.get_untracked()) {
            ev.prevent_default();
            act(shortcut);
        }
    }));
    let close = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if display.shortcuts_open.get()
            && let Some(button) = close.get()
        {
            // Focus moves into the dialog, so Escape, Tab and Enter work at once.
            let _ = button.focus();
        }
    });
    view! {
        <Show when=move || display.shortcuts_open.get()>
            <div class="shortcuts-backdrop" on:click=move |ev| {
                if ev.target() == ev.current_target() { display.shortcuts_open.set(false) }
            }>
                <section class="panel shortcuts" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-overlay">
                    <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                    <table>
                        <tbody>
                            {Shortcut::overlay().into_iter().map(|(keys, what)| view! {
                                <tr><td><kbd>{keys}</kbd></td><td>{what}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="hint">"Tab and Shift+Tab move between controls; Enter or Space presses the focused one. Shortcuts wait while you type in a field."</p>
                    <div class="buttons">
                        <button node_ref=close data-testid="shortcuts-close" on:click=move |_| display.shortcuts_open.set(false)>"Close"</button>
                    </div>
                </section>
            </div>
        </Show>
    }
}

/// The header's two buttons: the shortcuts' list and presenter mode.
#[component]
pub fn DisplayButtons() -> impl IntoView {
    let display = expect_context::<DisplayState>();
    view! {
        <button class="secondary small" data-testid="shortcuts-button" aria-keyshortcuts=Shortcut::Help.key()
            title="Keyboard shortcuts (?)" on:click=move |_| display.shortcuts_open.update(|o| *o = !*o)>
            "Keys ?"
        </button>
        <button class="secondary small" data-testid="presenter-toggle" aria-keyshortcuts=Shortcut::Presenter.key()
            aria-pressed=move || display.presenter.get().to_string()
            title="Presenter mode: large type for a classroom projector (p)"
            on:click=move |_| display.presenter.update(|p| *p = !*p)>
            "Presenter"
        </button>
    }
}

/// The shortcut a key press asks for, or `None` when it belongs to what has focus: typing in a
/// field, Space on a button, a key with Ctrl, Alt or Meta, one a grid already handled; while
/// the overlay is open only its own keys count.
fn shortcut_of(ev: &web_sys::KeyboardEvent, overlay_open: bool) -> Option<Shortcut> {
    if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.is_composing()
    {
        return None;
    }
    let key = ev.key();
    let shortcut = Shortcut::of_key(&key)?;
    let target = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let focused = |selector: &str| {
        target
            .as_ref()
            .is_some_and(|t| t.closest(selector).ok().flatten().is_some())
    };
    if focused("input, textarea, select, [contenteditable=true]") && shortcut != Shortcut::Close {
        return None;
    }
    if Shortcut::activates_controls(&key)
        && focused("button, a, summary, [role=button], [role=tab]")
    {
        return None;
    }
    match shortcut {
        Shortcut::Help => Some(shortcut),
        Shortcut::Close => overlay_open.then_some(shortcut),
        _ => (!overlay_open).then_some(shortcut),
    }
}

/// Carries a shortcut out with the same guards as the buttons it stands for.
fn acting(
    state: AppState,
    train: TrainState,
    display: DisplayState,
) -> impl Fn(Shortcut) + 'static {
    move |shortcut| {
        let view = state.view.get_untracked();
        let generating = matches!(view, Tab::Generate | Tab::Inside);
        let idle = !state.busy.get_untracked() && state.is_ready();
        match shortcut {
            Shortcut::Step if generating => state.step_clicked(),
            Shortcut::Back if generating && idle => state.back(),
            Shortcut::Reset if generating && idle => state.reset(),
            Shortcut::PlayPause if generating => {
                if state.playing.get_untracked() {
                    state.playing.set(false)
                } else {
                    state.play()
                }
            }
            Shortcut::PlayPause if view == Tab::Train => match train.phase.get_untracked() {
                Phase::Running => train.pause(),
                Phase::Paused => train.resume(),
                Phase::Idle => train.start(),
                _ => {}
            },
            Shortcut::Open(tab) => state.view.set(tab),
            Shortcut::Presenter => display.presenter.update(|p| *p = !*p),
            Shortcut::Help => display.shortcuts_open.update(|o| *o = !*o),
            Shortcut::Close => display.shortcuts_open.set(false),
            _ => {}
        }
    }
}
