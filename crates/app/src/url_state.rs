//! The page's shareable state in the URL: prompt, decoding settings, chosen heads, backend.
//! Read once at start; rewritten (without a new history entry) whenever one of them changes.

use glassbox_model::{DecodeSettings, HeadView, Strategy};
use web_sys::UrlSearchParams;

use crate::backend::Backend;

#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    pub prompt: Option<String>,
    pub settings: DecodeSettings,
    pub backend: Option<Backend>,
    pub primary: Option<HeadView>,
    pub secondary: Option<HeadView>,
    pub compare: bool,
}

/// "2.3" is layer 2, head 3; "2.mean" is layer 2's average (1-based, as the labels read).
fn head_param(view: HeadView) -> String {
    match view {
        HeadView::Head { layer, head } => format!("{}.{}", layer + 1, head + 1),
        HeadView::LayerMean { layer } => format!("{}.mean", layer + 1),
    }
}

fn parse_head(value: &str) -> Option<HeadView> {
    let (layer, head) = value.split_once('.')?;
    let layer = layer.parse::<usize>().ok()?.checked_sub(1)?;
    if head == "mean" {
        return Some(HeadView::LayerMean { layer });
    }
    let head = head.parse::<usize>().ok()?.checked_sub(1)?;
    Some(HeadView::Head { layer, head })
}

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

/// The state the URL asks for; malformed values fall back to the defaults.
pub fn read() -> UrlState {
    let params = params();
    let get = |key: &str| params.as_ref().and_then(|p| p.get(key));
    let defaults = DecodeSettings::default();
    let num = |key: &str, fallback: f32| {
        get(key)
            .and_then(|v| v.parse::<f32>().ok())
            .unwrap_or(fallback)
    };
    UrlState {
        prompt: get("prompt"),
        settings: DecodeSettings {
            strategy: get("strategy")
                .and_then(|s| Strategy::from_name(&s).ok())
                .unwrap_or(defaults.strategy),
            temperature: num("temperature", defaults.temperature),
            top_k: get("top_k")
                .and_then(|v| v.parse().ok())
                .unwrap_or(defaults.top_k),
            top_p: num("top_p", defaults.top_p),
            beam_width: get("beams")
                .and_then(|v| v.parse().ok())
                .unwrap_or(defaults.beam_width),
            seed: get("seed")
                .and_then(|v| v.parse().ok())
                .unwrap_or(defaults.seed),
            ..defaults
        },
        backend: get("backend").and_then(|b| Backend::from_param(&b)),
        primary: get("head").and_then(|h| parse_head(&h)),
        secondary: get("vs").and_then(|h| parse_head(&h)),
        compare: get("compare").is_some_and(|c| c == "1"),
    }
}

/// Replaces the URL's query with `state` (the history keeps one entry per visit, not per edit).
pub fn write(state: &UrlState) {
    let Ok(params) = UrlSearchParams::new() else {
        return;
    };
    if let Some(prompt) = &state.prompt {
        params.set("prompt", prompt);
    }
    let s = &state.settings;
    params.set("strategy", s.strategy.name());
    params.set("temperature", &s.temperature.to_string());
    params.set("top_k", &s.top_k.to_string());
    params.set("top_p", &s.top_p.to_string());
    params.set("beams", &s.beam_width.to_string());
    params.set("seed", &s.seed.to_string());
    if let Some(backend) = state.backend {
        params.set("backend", backend.param());
    }
    if let Some(view) = state.primary {
        params.set("head", &head_param(view));
    }
    if let Some(view) = state.secondary {
        params.set("vs", &head_param(view));
    }
    if state.compare {
        params.set("compare", "1");
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
