//! The page's shareable state in the URL, read once at start and rewritten (without a new history
//! entry) whenever part of it changes. The codec itself is `glassbox_page::url`.

use glassbox_page::url::UrlState;
use web_sys::UrlSearchParams;

/// The state the page's URL asks for.
pub fn read() -> UrlState {
    let params = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| UrlSearchParams::new_with_str(&search).ok());
    UrlState::from_query(&|key| params.as_ref().and_then(|p| p.get(key)))
}

/// Whether the page was opened with no query at all (a bare address).
pub fn is_bare() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_none_or(|search| search.trim_start_matches('?').is_empty())
}

/// Replaces the URL's query with `state` (the history keeps one entry per visit, not per edit).
pub fn write(state: &UrlState) {
    let Ok(params) = UrlSearchParams::new() else {
        return;
    };
    for (key, value) in state.to_query() {
        params.set(key, &value);
    }
    let query: String = params.to_string().into();
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("?{query}")),
        );
    }
}
