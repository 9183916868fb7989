//! The page's shareable state in the URL: the view, prompt, decoding settings, chosen heads,
//! backend, and in the Train view the run's settings. Read once at start; rewritten (without a
//! new history entry) whenever one of them changes.

use glassbox_model::{DecodeSettings, HeadView, Strategy};
use web_sys::UrlSearchParams;

use glassbox_browser::backend::Backend;

use crate::state::tab::Tab;
use crate::state::train_form::{StartFrom, TrainForm};

#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    pub view: Tab,
    /// Shared only from the Train view.
    pub train: Option<TrainForm>,
    pub prompt: Option<String>,
    pub settings: DecodeSettings,
    pub backend: Option<Backend>,
    pub primary: Option<HeadView>,
    pub secondary: Option<HeadView>,
    pub compare: bool,
    /// What the link asked for that was refused (and replaced by the defaults), to show.
    pub refused: Vec<String>,
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

/// The state the URL asks for; malformed values fall back to the defaults, and values out of
/// bounds too, with a line in `refused` saying why.
pub fn read() -> UrlState {
    let mut state = read_unchecked();
    if let Err(why) = state.settings.validate() {
        state
            .refused
            .push(format!("the link's decoding settings were not used: {why}"));
        state.settings = DecodeSettings::default();
    }
    if let Some(form) = state.train.as_mut()
        && let Err(why) = form.validate()
    {
        state
            .refused
            .push(format!("the link's training settings were not used: {why}"));
        *form = TrainForm::default();
    }
    state
}

fn read_unchecked() -> UrlState {
    let params = params();
    let get = |key: &str| params.as_ref().and_then(|p| p.get(key));
    let defaults = DecodeSettings::default();
    let num = |key: &str, fallback: f32| {
        get(key)
            .and_then(|v| v.parse::<f32>().ok())
            .unwrap_or(fallback)
    };
    let view = get("view")
        .and_then(|v| Tab::from_param(&v))
        .unwrap_or(Tab::Generate);
    UrlState {
        view,
        train: Some(read_train(&get)),
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
        refused: Vec::new(),
    }
}

/// The Train view's settings the URL gives (a preset's fields unless the preset is "custom").
fn read_train(get: &dyn Fn(&str) -> Option<String>) -> TrainForm {
    let mut form = TrainForm::default();
    fn parse<T: std::str::FromStr>(value: Option<String>, into: &mut T) {
        if let Some(v) = value.and_then(|v| v.parse().ok()) {
            *into = v;
        }
    }
    if let Some(preset) = get("preset") {
        form.apply_preset(&preset);
    }
    if form.preset == "custom" {
        parse(get("layers"), &mut form.layers);
        parse(get("heads"), &mut form.heads);
        parse(get("width"), &mut form.width);
        parse(get("context"), &mut form.context);
    }
    parse(get("lr"), &mut form.learning_rate);
    parse(get("warmup"), &mut form.warmup);
    parse(get("batch"), &mut form.batch);
    parse(get("steps"), &mut form.steps);
    parse(get("train_seed"), &mut form.seed);
    parse(get("every"), &mut form.report_every);
    if get("from").as_deref() == Some("shipped") {
        form.start = StartFrom::Shipped;
    }
    form
}

fn write_train(params: &UrlSearchParams, form: &TrainForm) {
    params.set("preset", &form.preset);
    if form.preset == "custom" {
        for (key, value) in [
            ("layers", form.layers),
            ("heads", form.heads),
            ("width", form.width),
            ("context", form.context),
        ] {
            params.set(key, &value.to_string());
        }
    }
    params.set("lr", &form.learning_rate.to_string());
    params.set("warmup", &form.warmup.to_string());
    params.set("batch", &form.batch.to_string());
    params.set("steps", &form.steps.to_string());
    params.set("train_seed", &form.seed.to_string());
    params.set("every", &form.report_every.to_string());
    if form.start == StartFrom::Shipped {
        params.set("from", "shipped");
    }
}

/// Replaces the URL's query with `state` (the history keeps one entry per visit, not per edit).
pub fn write(state: &UrlState) {
    let Ok(params) = UrlSearchParams::new() else {
        return;
    };
    if state.view != Tab::Generate {
        params.set("view", state.view.param());
    }
    if let Some(form) = &state.train {
        write_train(&params, form);
    }
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
