//! How the page is shown, apart from what it shows: presenter mode (large type, kept across
//! visits in local storage) and whether the keyboard shortcuts' overlay is open.

use leptos::prelude::*;

const PRESENTER_KEY: &str = "glassbox-presenter";

#[derive(Clone, Copy)]
pub struct DisplayState {
    pub presenter: RwSignal<bool>,
    pub shortcuts_open: RwSignal<bool>,
}

impl DisplayState {
    /// Reads the kept presenter choice and keeps the page's root class and the store in step.
    pub fn new() -> Self {
        let presenter = RwSignal::new(
            storage()
                .and_then(|s| s.get_item(PRESENTER_KEY).ok().flatten())
                .as_deref()
                == Some("on"),
        );
        Effect::new(move |_| {
            let on = presenter.get();
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                // A page without a class list is only less readable: nothing to report.
                let _ = root.class_list().toggle_with_force("presenter", on);
            }
            if let Some(store) = storage() {
                // Private browsing may refuse to store: the mode still applies to this visit.
                let _ = if on {
                    store.set_item(PRESENTER_KEY, "on")
                } else {
                    store.remove_item(PRESENTER_KEY)
                };
            }
        });
        Self {
            presenter,
            shortcuts_open: RwSignal::new(false),
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
