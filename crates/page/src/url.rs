//! The page's shareable state in the URL: the view, prompt, decoding settings, chosen heads,
//! backend, and in the Train view the run's settings. Read once at start; rewritten (without a
//! new history entry) whenever one of them changes.

use glassbox_model::{DecodeSettings, HeadView, Strategy};

use crate::backend::Backend;
use crate::learn::Place;
use crate::tab::Tab;
use crate::train_form::{StartFrom, TrainForm};

/// What a link shares.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    /// The tab the link names, if it names one (the page picks one otherwise: see
    /// [`crate::learn::first_tab`]).
    pub view: Option<Tab>,
    /// The lesson step the link opens (`?lesson=7&step=2`).
    pub lesson: Option<Place>,
    /// Shared only from the Train view.
    pub train: Option<TrainForm>,
    /// The Generate tab's prompt, when it is not the default.
    pub prompt: Option<String>,
    /// Decoding settings.
    pub settings: DecodeSettings,
    /// The backend asked for (the page picks one otherwise).
    pub backend: Option<Backend>,
    /// The head shown large.
    pub primary: Option<HeadView>,
    /// The head compared with it.
    pub secondary: Option<HeadView>,
    /// Whether the comparison is shown.
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

impl UrlState {
    /// The state a query asks for (`get` reads one parameter); malformed values fall back to the
    /// defaults, and values out of bounds too, with a line in `refused` saying why.
    pub fn from_query(get: &dyn Fn(&str) -> Option<String>) -> UrlState {
        read_checked(get)
    }

    /// The query's parameters in order (defaults left out where the page leaves them out).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        write_query(self)
    }
}

fn read_checked(get: &dyn Fn(&str) -> Option<String>) -> UrlState {
    let mut state = read_unchecked(get);
    if let Some(lesson) = get("lesson") {
        let step = get("step").map(|s| s.parse::<usize>().unwrap_or(0));
        match lesson.parse::<usize>() {
            Ok(number) => match Place::checked(number, step) {
                Ok(place) => state.lesson = Some(place),
                Err(why) => state.refused.push(why),
            },
            Err(_) => state.refused.push(format!(
                "the link's lesson `{lesson}` is not a lesson number"
            )),
        }
    }
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

fn read_unchecked(get: &dyn Fn(&str) -> Option<String>) -> UrlState {
    let defaults = DecodeSettings::default();
    let num = |key: &str, fallback: f32| {
        get(key)
            .and_then(|v| v.parse::<f32>().ok())
            .unwrap_or(fallback)
    };
    UrlState {
        view: get("view").and_then(|v| Tab::from_param(&v)),
        lesson: None,
        train: Some(read_train(get)),
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

fn write_train(query: &mut Vec<(&'static str, String)>, form: &TrainForm) {
    query.push(("preset", form.preset.clone()));
    if form.preset == "custom" {
        for (key, value) in [
            ("layers", form.layers),
            ("heads", form.heads),
            ("width", form.width),
            ("context", form.context),
        ] {
            query.push((key, value.to_string()));
        }
    }
    query.extend([
        ("lr", form.learning_rate.to_string()),
        ("warmup", form.warmup.to_string()),
        ("batch", form.batch.to_string()),
        ("steps", form.steps.to_string()),
        ("train_seed", form.seed.to_string()),
        ("every", form.report_every.to_string()),
    ]);
    if form.start == StartFrom::Shipped {
        query.push(("from", "shipped".into()));
    }
}

fn write_query(state: &UrlState) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(view) = state.view.filter(|&v| v != Tab::Generate) {
        query.push(("view", view.param().to_string()));
    }
    if let Some(place) = state.lesson {
        query.push(("lesson", place.lesson.to_string()));
        query.push(("step", place.step.to_string()));
    }
    if let Some(form) = &state.train {
        write_train(&mut query, form);
    }
    if let Some(prompt) = &state.prompt {
        query.push(("prompt", prompt.clone()));
    }
    let s = &state.settings;
    query.extend([
        ("strategy", s.strategy.name().to_string()),
        ("temperature", s.temperature.to_string()),
        ("top_k", s.top_k.to_string()),
        ("top_p", s.top_p.to_string()),
        ("beams", s.beam_width.to_string()),
        ("seed", s.seed.to_string()),
    ]);
    if let Some(backend) = state.backend {
        query.push(("backend", backend.param().to_string()));
    }
    if let Some(view) = state.primary {
        query.push(("head", head_param(view)));
    }
    if let Some(view) = state.secondary {
        query.push(("vs", head_param(view)));
    }
    if state.compare {
        query.push(("compare", "1".into()));
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> UrlState {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        UrlState::from_query(&|key| map.get(key).cloned())
    }

    fn round_trip(state: &UrlState) -> UrlState {
        let query = state.to_query();
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        parse(&pairs)
    }

    #[test]
    fn every_field_survives_a_link() {
        let mut form = TrainForm::default();
        form.apply_preset("custom");
        (form.layers, form.heads, form.width, form.context) = (3, 2, 48, 40);
        (form.steps, form.seed, form.start) = (123, 9, StartFrom::Shipped);
        let state = UrlState {
            view: Some(Tab::Train),
            lesson: Some(Place { lesson: 7, step: 2 }),
            train: Some(form),
            prompt: Some("ROMEO: & a=b?".into()),
            settings: DecodeSettings {
                strategy: Strategy::Beam,
                temperature: 0.7,
                top_k: 5,
                top_p: 0.9,
                beam_width: 3,
                seed: 42,
                ..Default::default()
            },
            backend: Some(Backend::WebGpu),
            primary: Some(HeadView::Head { layer: 1, head: 2 }),
            secondary: Some(HeadView::LayerMean { layer: 0 }),
            compare: true,
            refused: Vec::new(),
        };
        assert_eq!(round_trip(&state), state);
    }

    #[test]
    fn an_empty_link_is_the_defaults() {
        let state = parse(&[]);
        assert_eq!((state.view, state.lesson), (None, None));
        assert_eq!(state.settings, DecodeSettings::default());
        assert_eq!(state.train, Some(TrainForm::default()));
        assert_eq!(
            (state.prompt, state.backend, state.primary),
            (None, None, None)
        );
        assert!(state.refused.is_empty() && !state.compare);
        assert!(
            !UrlState::from_query(&|_| None)
                .to_query()
                .iter()
                .any(|(k, _)| *k == "view")
        );
    }

    #[test]
    fn malformed_values_fall_back_and_out_of_bounds_ones_are_refused() {
        let state = parse(&[
            ("view", "nowhere"),
            ("head", "x.1"),
            ("vs", "0.1"),
            ("top_k", "-3"),
        ]);
        assert_eq!(state.view, None);
        assert_eq!((state.primary, state.secondary), (None, None));
        assert_eq!(state.settings.top_k, DecodeSettings::default().top_k);
        assert!(state.refused.is_empty());

        let state = parse(&[("temperature", "-1"), ("steps", "0")]);
        assert_eq!(state.settings, DecodeSettings::default());
        assert_eq!(state.train, Some(TrainForm::default()));
        assert_eq!(state.refused.len(), 2, "{:?}", state.refused);
        assert!(state.refused[0].contains("decoding") && state.refused[1].contains("training"));

        let state = parse(&[("strategy", "beam"), ("beams", "100000")]);
        assert_eq!(state.settings, DecodeSettings::default());
        assert!(
            state.refused[0].contains("beam width"),
            "{:?}",
            state.refused
        );
    }

    #[test]
    fn a_lesson_link_opens_that_step_and_a_bad_one_says_why() {
        let state = parse(&[("lesson", "7"), ("step", "2")]);
        assert_eq!(state.lesson, Some(Place { lesson: 7, step: 2 }));
        assert_eq!(
            parse(&[("lesson", "3")]).lesson,
            Some(Place { lesson: 3, step: 1 })
        );
        for pairs in [
            &[("lesson", "99")][..],
            &[("lesson", "x")],
            &[("lesson", "2"), ("step", "9")],
            &[("lesson", "2"), ("step", "-1")],
        ] {
            let state = parse(pairs);
            assert_eq!(state.lesson, None);
            assert_eq!(state.refused.len(), 1, "{pairs:?}: {:?}", state.refused);
        }
    }

    #[test]
    fn a_preset_link_ignores_custom_fields() {
        let state = parse(&[("preset", "shipped"), ("layers", "9")]);
        let mut shipped = TrainForm::default();
        shipped.apply_preset("shipped");
        assert_eq!(state.train.unwrap().layers, shipped.layers);
        assert_eq!(
            parse(&[("head", "2.mean")]).primary,
            Some(HeadView::LayerMean { layer: 1 })
        );
    }
}
