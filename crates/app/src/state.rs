//! The page's state: signals the components read, and the actions the buttons call (load, switch
//! backend, step, back, reset). Tensors and the generator stay in local stores; components only
//! see the plain-data `Snapshot` and the records derived from it.

use std::sync::Arc;

use glassbox_model::beam::BeamTree;
use glassbox_model::{
    AttentionMatrix, CandidateSummary, DecodeSettings, Distribution, Generator, Gpt, HeadMask,
    HeadView, Tokenizer,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::loader::{LoadedCheckpoint, fetch_shipped};
use crate::opener::Picked;
use crate::session::{Session, Snapshot};
use crate::training::TrainForm;
use crate::url_state::{self, UrlState};
use glassbox_browser::backend::{Backend, webgpu_exposed};

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Loading(String),
    Ready(String),
    Error(String),
}

impl Status {
    pub fn state(&self) -> &'static str {
        match self {
            Status::Loading(_) => "loading",
            Status::Ready(_) => "ready",
            Status::Error(_) => "error",
        }
    }

    pub fn text(&self) -> String {
        match self {
            Status::Loading(m) => format!("Loading: {m}"),
            Status::Ready(m) => format!("Ready: {m}"),
            Status::Error(m) => format!("Could not load the model: {m}"),
        }
    }
}

/// Median time of one traced forward pass over 16 tokens on each backend, measured at load.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timings {
    pub cpu_ms: Option<f64>,
    pub webgpu_ms: Option<f64>,
    /// Why WebGPU is not offered, when it is not.
    pub webgpu_unavailable: Option<String>,
}

/// The page's two views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Visualize,
    Inside,
    Train,
    Experiments,
}

impl View {
    pub fn param(self) -> &'static str {
        match self {
            View::Visualize => "visualize",
            View::Inside => "inside",
            View::Train => "train",
            View::Experiments => "experiments",
        }
    }

    pub fn from_param(value: &str) -> Option<Self> {
        [
            View::Visualize,
            View::Inside,
            View::Train,
            View::Experiments,
        ]
        .into_iter()
        .find(|v| v.param() == value)
    }
}

/// A beam search as the tree view draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct BeamSearchView {
    pub tree: BeamTree,
    /// The best sequence so far (generated tokens).
    pub best: Vec<u32>,
    pub prompt: Vec<u32>,
}

/// Candidate rows shown by default.
pub const TOP_N: usize = 20;

#[derive(Clone, Copy)]
pub struct AppState {
    pub view: RwSignal<View>,
    pub status: RwSignal<Status>,
    pub backend: RwSignal<Backend>,
    /// The user (or the URL) chose the backend: keep it in shared links.
    pub backend_pinned: RwSignal<bool>,
    pub timings: RwSignal<Timings>,
    pub prompt: RwSignal<String>,
    pub settings: RwSignal<DecodeSettings>,
    pub snapshot: RwSignal<Snapshot>,
    /// The step whose record is on screen; `None` follows the latest.
    pub selected: RwSignal<Option<usize>>,
    pub primary: RwSignal<HeadView>,
    pub secondary: RwSignal<HeadView>,
    pub compare: RwSignal<bool>,
    /// Clicking a thumbnail sets the second (B) view instead of the first.
    pub pick_secondary: RwSignal<bool>,
    /// The focused query: a position in the shown step's window.
    pub focus: RwSignal<Option<usize>>,
    pub top_n: RwSignal<usize>,
    pub error: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
    pub playing: RwSignal<bool>,
    pub play_delay_ms: RwSignal<u32>,
    pub last_step_ms: RwSignal<Option<f64>>,
    pub grid_render_ms: RwSignal<Option<f64>>,
    /// Bumped when the page switches between light and dark (canvases redraw).
    pub theme_version: RwSignal<u32>,
    /// (layers, heads) of the loaded model, once known.
    pub model_shape: RwSignal<Option<(usize, usize)>>,
    /// Heads switched off: the next steps are generated without them.
    pub head_mask: RwSignal<HeadMask>,
    /// "4 layers × 4 heads, …" of the loaded model.
    summary: StoredValue<String>,
    revision: RwSignal<u64>,
    session: StoredValue<Option<Session>, LocalStorage>,
    checkpoint: StoredValue<Option<LoadedCheckpoint>, LocalStorage>,
    model: StoredValue<Option<Gpt>, LocalStorage>,
    tokenizer: StoredValue<Option<Arc<Tokenizer>>>,
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Lets the browser paint and handle input before the next piece of work.
pub async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

impl AppState {
    pub fn new(url: &UrlState) -> Self {
        let first = HeadView::Head { layer: 0, head: 0 };
        Self {
            view: RwSignal::new(url.view),
            status: RwSignal::new(Status::Loading("fetching the model…".into())),
            backend: RwSignal::new(url.backend.unwrap_or(Backend::Cpu)),
            backend_pinned: RwSignal::new(url.backend.is_some()),
            timings: RwSignal::new(Timings::default()),
            prompt: RwSignal::new(url.prompt.clone().unwrap_or_else(|| "ROMEO:\n".into())),
            settings: RwSignal::new(url.settings.clone()),
            snapshot: RwSignal::new(Snapshot::default()),
            selected: RwSignal::new(None),
            primary: RwSignal::new(url.primary.unwrap_or(first)),
            secondary: RwSignal::new(url.secondary.unwrap_or(HeadView::LayerMean { layer: 0 })),
            compare: RwSignal::new(url.compare),
            pick_secondary: RwSignal::new(false),
            focus: RwSignal::new(None),
            top_n: RwSignal::new(TOP_N),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            playing: RwSignal::new(false),
            play_delay_ms: RwSignal::new(250),
            last_step_ms: RwSignal::new(None),
            grid_render_ms: RwSignal::new(None),
            theme_version: RwSignal::new(0),
            model_shape: RwSignal::new(None),
            head_mask: RwSignal::new(HeadMask::default()),
            summary: StoredValue::new(String::new()),
            revision: RwSignal::new(0),
            session: StoredValue::new_local(None),
            checkpoint: StoredValue::new_local(None),
            model: StoredValue::new_local(None),
            tokenizer: StoredValue::new(None),
        }
    }

    pub fn is_ready(&self) -> bool {
        self.status.with(|s| matches!(s, Status::Ready(_)))
    }

    /// The open model as a checkpoint file (to train it further in the worker).
    pub fn checkpoint_bytes(&self) -> Result<Vec<u8>, String> {
        self.checkpoint
            .with_value(|c| c.as_ref().map(|c| c.checkpoint.to_bytes()))
            .ok_or("no model is open yet")?
            .map_err(|e| e.to_string())
    }

    /// A token's label with whitespace made visible.
    pub fn label(&self, id: u32) -> String {
        self.tokenizer
            .with_value(|t| t.as_ref().map(|t| t.token_label(id)))
            .unwrap_or_default()
    }

    /// A token's text as the model's vocabulary stores it.
    pub fn text(&self, id: u32) -> String {
        self.tokenizer
            .with_value(|t| t.as_ref().map(|t| t.token_text(id)))
            .unwrap_or_default()
    }

    /// The model the page steps (a cheap handle: tensors are shared).
    pub fn model(&self) -> Option<Gpt> {
        self.model.get_value()
    }

    /// The current beam search's tree and best sequence, and the prompt (tracks the session).
    pub fn beam_tree(&self) -> Option<BeamSearchView> {
        self.revision.track();
        self.session.with_value(|s| {
            s.as_ref().map(|s| {
                let (tree, best) = s.beam_tree();
                BeamSearchView {
                    tree,
                    best,
                    prompt: s.prompt_ids().to_vec(),
                }
            })
        })
    }

    /// The (layers, heads) of the loaded model.
    pub fn shape(&self) -> (usize, usize) {
        self.model_shape.get_untracked().unwrap_or((0, 0))
    }

    fn set_ready(&self) {
        self.status.set(Status::Ready(self.summary.get_value()));
    }

    /// The candidate list of the shown step under the current settings (no forward pass).
    pub fn candidates(&self) -> Option<CandidateSummary> {
        let selected = self.selected.get();
        let settings = self.settings.get();
        let n = self.top_n.get();
        self.snapshot.with(|s| {
            s.shown_step(selected)
                .map(|step| Distribution::new(&step.logits, &settings).summary(&step.logits, n))
        })
    }

    /// The attention of the shown step (kept from before while a step is running).
    pub fn attention_memo(&self) -> Memo<Option<Arc<AttentionMatrix>>> {
        let (snapshot, selected, session, revision) =
            (self.snapshot, self.selected, self.session, self.revision);
        Memo::new(move |previous: Option<&Option<Arc<AttentionMatrix>>>| {
            revision.track();
            let index = snapshot.with(|s| s.shown_step(selected.get()).map(|v| v.index))?;
            session
                .with_value(|s| s.as_ref().map(|s| s.attention(index)))
                .unwrap_or_else(|| previous.cloned().flatten())
        })
    }

    fn publish(&self) {
        let snapshot = self
            .session
            .with_value(|s| s.as_ref().map(Session::snapshot).unwrap_or_default());
        self.snapshot.set(snapshot);
        self.revision.update(|r| *r += 1);
    }

    /// A fresh session for the prompt in the box (the timeline goes back to the prompt). A prompt
    /// the model cannot read leaves the current session on screen, so nothing is lost.
    fn rebuild(&self) -> Result<(), String> {
        let model = self
            .model
            .get_value()
            .ok_or("the model is not loaded yet")?;
        let tokenizer = self
            .tokenizer
            .get_value()
            .ok_or("the model is not loaded yet")?;
        let session = Session::new(
            model,
            tokenizer,
            &self.prompt.get_untracked(),
            self.settings.get_untracked(),
        )?;
        self.session.set_value(Some(session));
        self.selected.set(None);
        self.focus.set(None);
        self.publish();
        Ok(())
    }

    fn report<T>(&self, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => {
                self.error.set(None);
                Some(v)
            }
            Err(msg) => {
                self.error.set(Some(msg));
                None
            }
        }
    }

    /// Generates one token; on a new prompt, starts over from it.
    pub async fn step(self) -> Result<(), String> {
        let settings = self.settings.get_untracked();
        settings.validate()?;
        let prompt = self.prompt.get_untracked();
        let stale = self
            .session
            .with_value(|s| s.as_ref().is_none_or(|s| s.prompt_text != prompt));
        if stale {
            self.rebuild()?;
        }
        let mut session = self
            .session
            .try_update_value(Option::take)
            .flatten()
            .ok_or("the model is not loaded yet")?;
        if session.is_done() {
            self.session.set_value(Some(session));
            return Err("beam search has finished (every beam ended): press Back or Reset".into());
        }
        let start = now_ms();
        let result = session.step(settings, self.head_mask.get_untracked()).await;
        self.last_step_ms.set(Some(now_ms() - start));
        self.session.set_value(Some(session));
        self.selected.set(None);
        self.publish();
        result
    }

    pub fn back(&self) {
        self.session.update_value(|s| {
            if let Some(s) = s {
                s.back();
            }
        });
        self.selected.set(None);
        self.error.set(None);
        self.publish();
    }

    pub fn reset(&self) {
        self.playing.set(false);
        let result = self.rebuild();
        self.report(result);
    }

    /// Runs one step from a button, unless one is already running.
    pub fn step_clicked(self) {
        if self.busy.get_untracked() || !self.is_ready() {
            return;
        }
        self.busy.set(true);
        spawn_local(async move {
            let result = self.step().await;
            self.report(result);
            self.busy.set(false);
        });
    }

    /// Auto-steps at the chosen speed until paused, an error, or the end of a beam search.
    pub fn play(self) {
        if self.playing.get_untracked() || self.busy.get_untracked() || !self.is_ready() {
            return;
        }
        self.playing.set(true);
        self.busy.set(true);
        spawn_local(async move {
            while self.playing.get_untracked() {
                let result = self.step().await;
                if self.report(result).is_none() || self.snapshot.with_untracked(|s| s.done) {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(self.play_delay_ms.get_untracked()).await;
            }
            self.playing.set(false);
            self.busy.set(false);
        });
    }

    /// Loads the shipped model and picks a backend: the URL's if it names one, else the CPU at
    /// once and WebGPU afterwards if it proves faster on this machine.
    pub fn load(self, url_backend: Option<Backend>) {
        spawn_local(async move {
            let checkpoint = match fetch_shipped().await {
                Ok(c) => c,
                Err(msg) => return self.status.set(Status::Error(msg)),
            };
            self.take_checkpoint(checkpoint, None);
            yield_to_browser().await;

            let first = url_backend.unwrap_or(Backend::Cpu);
            if let Err(msg) = self.activate(first).await {
                if first == Backend::Cpu {
                    return self.status.set(Status::Error(msg));
                }
                self.error.set(Some(format!(
                    "WebGPU is not available ({msg}): using the CPU backend instead."
                )));
                if let Err(msg) = self.activate(Backend::Cpu).await {
                    return self.status.set(Status::Error(msg));
                }
            }
            self.set_ready();
            if url_backend.is_none() {
                self.offer_webgpu().await;
            }
        });
    }

    /// Makes `checkpoint` the page's model (opened on a device by `activate`).
    fn take_checkpoint(&self, checkpoint: LoadedCheckpoint, origin: Option<String>) {
        self.status.set(Status::Loading(format!(
            "opening {} KB of weights…",
            checkpoint.size_bytes / 1024
        )));
        self.tokenizer
            .set_value(Some(Arc::new(checkpoint.tokenizer().clone())));
        let summary = checkpoint.summary();
        self.summary.set_value(match origin {
            Some(origin) => format!("{origin}: {summary}"),
            None => summary,
        });
        let c = checkpoint.config();
        self.model_shape.set(Some((c.n_layer, c.n_head)));
        self.head_mask.set(HeadMask::default());
        self.checkpoint.set_value(Some(checkpoint));
    }

    /// Steps generation with the model in `bytes` (a checkpoint file) from now on, on the
    /// current backend, and shows the visualizer.
    pub fn adopt(self, bytes: Vec<u8>, origin: String) {
        match LoadedCheckpoint::from_bytes(&bytes) {
            Ok(checkpoint) => {
                self.busy.set(true);
                self.adopt_loaded(checkpoint, origin);
            }
            Err(msg) => self.error.set(Some(msg)),
        }
    }

    /// `adopt` for a checkpoint already read (the caller has set `busy`).
    fn adopt_loaded(self, checkpoint: LoadedCheckpoint, origin: String) {
        self.playing.set(false);
        self.take_checkpoint(checkpoint, Some(origin));
        self.view.set(View::Visualize);
        spawn_local(async move {
            if let Err(msg) = self.activate(self.backend.get_untracked()).await {
                self.error.set(Some(msg));
            }
            self.set_ready();
            self.busy.set(false);
        });
    }

    /// Opens a model the user picked or dropped: a checkpoint file or a GPT-2 folder's files. The
    /// current model stays until the new one has been read and checked.
    pub fn open_files(self, files: Vec<web_sys::File>) {
        if self.busy.get_untracked() {
            return self.error.set(Some(
                "wait for the current step to finish, then open the model again".into(),
            ));
        }
        let picked = match Picked::classify(files) {
            Ok(picked) => picked,
            Err(msg) => return self.error.set(Some(msg)),
        };
        let origin = picked.describe();
        self.playing.set(false);
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            let backend = self.backend.get_untracked();
            let progress = |what: &str, done: f64| {
                self.status
                    .set(Status::Loading(format!("{what}: {:.0}%", done * 100.0)))
            };
            let read = async {
                let warning = picked.check_size(backend).await?;
                Ok::<_, String>((picked.read(progress).await?, warning))
            };
            match read.await {
                Ok((checkpoint, warning)) => {
                    let origin = match warning {
                        Some(warning) => format!("{origin} ({warning})"),
                        None => origin,
                    };
                    self.adopt_loaded(checkpoint, origin);
                }
                Err(msg) => {
                    self.error
                        .set(Some(format!("cannot open the model: {msg}")));
                    self.set_ready();
                    self.busy.set(false);
                }
            }
        });
    }

    /// The model opened on `backend`, with the time of one traced 16-token forward pass there.
    async fn open_timed(self, backend: Backend) -> Result<(Gpt, f64), String> {
        let device = backend.device().await?;
        let model = self
            .checkpoint
            .with_value(|c| c.as_ref().map(|c| c.open(&device)))
            .ok_or("the model is not loaded yet")??;
        let ms = time_forward(model.clone()).await?;
        self.timings.update(|t| match backend {
            Backend::Cpu => t.cpu_ms = Some(ms),
            Backend::WebGpu => t.webgpu_ms = Some(ms),
        });
        Ok((model, ms))
    }

    /// Opens the model on `backend`, times it, and starts a fresh session there.
    async fn activate(self, backend: Backend) -> Result<(), String> {
        self.status.set(Status::Loading(format!(
            "starting the {} backend…",
            backend.label()
        )));
        let (model, _) = self.open_timed(backend).await?;
        self.install(backend, model);
        Ok(())
    }

    /// Makes `model` (open on `backend`) the one the page steps, from a fresh session.
    fn install(self, backend: Backend, model: Gpt) {
        self.model.set_value(Some(model));
        self.backend.set(backend);
        if let Err(msg) = self.rebuild() {
            // The old session computes on the previous backend's model: drop it.
            self.session.set_value(None);
            self.publish();
            self.error.set(Some(msg));
        }
    }

    /// Measures WebGPU next to the CPU and moves there if it is faster and the user has not
    /// started generating yet (with the model already opened for the measurement).
    async fn offer_webgpu(self) {
        if !webgpu_exposed() {
            self.timings
                .update(|t| t.webgpu_unavailable = Some("this browser has no WebGPU".into()));
            return;
        }
        match self.open_timed(Backend::WebGpu).await {
            Ok((model, ms)) => {
                let cpu = self
                    .timings
                    .with_untracked(|t| t.cpu_ms)
                    .unwrap_or(f64::INFINITY);
                let untouched = self.snapshot.with_untracked(|s| s.steps.is_empty())
                    && !self.busy.get_untracked();
                if ms < cpu && untouched && !self.backend_pinned.get_untracked() {
                    self.install(Backend::WebGpu, model);
                }
            }
            Err(msg) => self.timings.update(|t| t.webgpu_unavailable = Some(msg)),
        }
    }

    /// The user picked a backend: reopen the model there (the generation starts over).
    pub fn switch_backend(self, backend: Backend) {
        if backend == self.backend.get_untracked() || self.busy.get_untracked() {
            return;
        }
        self.playing.set(false);
        self.backend_pinned.set(true);
        self.busy.set(true);
        spawn_local(async move {
            if let Err(msg) = self.activate(backend).await {
                self.error
                    .set(Some(format!("cannot switch to {}: {msg}", backend.label())));
            }
            self.set_ready();
            self.busy.set(false);
        });
    }

    /// The state a shared link reproduces (the Train view adds its settings).
    pub fn url_state(&self) -> UrlState {
        UrlState {
            view: self.view.get(),
            train: None,
            prompt: Some(self.prompt.get()),
            settings: self.settings.get(),
            backend: self.backend_pinned.get().then(|| self.backend.get()),
            primary: Some(self.primary.get()),
            secondary: self.compare.get().then(|| self.secondary.get()),
            compare: self.compare.get(),
        }
    }

    /// Redraws canvases when the colour scheme changes.
    pub fn follow_colour_scheme(self) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let query = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten());
        if let Some(query) = query {
            let changed = Closure::<dyn Fn()>::new(move || self.theme_version.update(|v| *v += 1));
            query.set_onchange(Some(changed.as_ref().unchecked_ref()));
            changed.forget(); // lives as long as the page
        }
    }

    pub fn sync_url(self, train: Signal<TrainForm>) {
        Effect::new(move |_| {
            let mut url = self.url_state();
            url.train = (url.view == View::Train).then(|| train.get());
            url_state::write(&url);
        });
    }
}

/// One traced forward pass over 16 tokens, timed after a warm-up pass (WebGPU compiles its
/// shaders on the first).
async fn time_forward(model: Gpt) -> Result<f64, String> {
    let vocab = model.vocab_size() as u32;
    let probe: Vec<u32> = (0..16).map(|i| (i * 7) % vocab).collect();
    let mut generator =
        Generator::new(model, probe, DecodeSettings::default()).map_err(|e| e.to_string())?;
    generator.step().await.map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for _ in 0..3 {
        generator.reset();
        yield_to_browser().await;
        let start = now_ms();
        generator.step().await.map_err(|e| e.to_string())?;
        times.push(now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[1])
}
