//! The page's state: signals the components read, and the actions the buttons call (load, switch
//! backend, step, back, reset). Tensors and the generator stay in local stores; components only
//! see the plain-data `Snapshot` and the records derived from it.

pub mod display;
pub mod experiments;
pub mod inside;
pub mod learn;
pub mod lesson_facts;
pub mod open_model;
pub mod session;
pub mod train;

use std::rc::Rc;
use std::sync::Arc;

use glassbox_model::decode::beam::BeamTree;
use glassbox_model::limits::{self, Budget};
use glassbox_model::{
    AttentionMatrix, CandidateSummary, DecodeSettings, DecodeStages, Generator, Gpt, HeadMask,
    HeadView,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::open_model::{OpenModel, RESIDENT_COPIES};
use crate::state::session::{Session, Snapshot};
use crate::web::clock::{now_ms, yield_to_browser};
use crate::web::files::Picked;
use crate::web::net::{LoadedCheckpoint, fetch_shipped};
use crate::web::url;
use glassbox_browser::backend::{Backend, webgpu_exposed};
use glassbox_page::learn::Place;
pub use glassbox_page::tab::Tab;
use glassbox_page::train_form::TrainForm;
use glassbox_page::url::UrlState;

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

/// A beam search as the tree view draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct BeamSearchView {
    pub tree: BeamTree,
    /// The best sequence so far (generated tokens).
    pub best: Vec<u32>,
    pub prompt: Vec<u32>,
}

/// A step of one opening of a model: (open model id, step index).
type StepKey = (u64, usize);

/// Candidate rows shown by default.
pub const TOP_N: usize = 20;

#[derive(Clone, Copy)]
pub struct AppState {
    pub view: RwSignal<Tab>,
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
    /// (layers, heads) of the open model, set with it (never ahead of it).
    pub model_shape: RwSignal<Option<(usize, usize)>>,
    /// Heads switched off: the next steps are generated without them.
    pub head_mask: RwSignal<HeadMask>,
    revision: RwSignal<u64>,
    /// The open model and its session: one value, replaced whole.
    open: StoredValue<Option<OpenModel>, LocalStorage>,
    /// Openings so far (each open model's id).
    openings: StoredValue<u64>,
    /// An old step's attention recomputed, for (model id, step index).
    retraced: RwSignal<Option<(StepKey, Arc<AttentionMatrix>)>>,
    /// The (model id, step index) being recomputed.
    retracing: StoredValue<Option<StepKey>>,
}

impl AppState {
    /// The page's state as `url` asks for it, opening on `tab`.
    pub fn new(url: &UrlState, tab: Tab) -> Self {
        let first = HeadView::Head { layer: 0, head: 0 };
        Self {
            view: RwSignal::new(tab),
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
            error: RwSignal::new((!url.refused.is_empty()).then(|| url.refused.join("; "))),
            busy: RwSignal::new(false),
            playing: RwSignal::new(false),
            play_delay_ms: RwSignal::new(250),
            last_step_ms: RwSignal::new(None),
            grid_render_ms: RwSignal::new(None),
            theme_version: RwSignal::new(0),
            model_shape: RwSignal::new(None),
            head_mask: RwSignal::new(HeadMask::default()),
            revision: RwSignal::new(0),
            open: StoredValue::new_local(None),
            openings: StoredValue::new(0),
            retraced: RwSignal::new(None),
            retracing: StoredValue::new(None),
        }
    }

    pub fn is_ready(&self) -> bool {
        self.status.with(|s| matches!(s, Status::Ready(_)))
    }

    /// The open model as a checkpoint file (to train it further in the worker).
    pub fn checkpoint_bytes(&self) -> Result<Vec<u8>, String> {
        self.open
            .with_value(|o| o.as_ref().map(|o| o.checkpoint.checkpoint.to_bytes()))
            .ok_or("no model is open yet")?
            .map_err(|e| e.to_string())
    }

    /// A token's label with whitespace made visible.
    pub fn label(&self, id: u32) -> String {
        self.open
            .with_value(|o| o.as_ref().map(|o| o.tokenizer.token_label(id)))
            .unwrap_or_default()
    }

    /// A token's text as the model's vocabulary stores it.
    pub fn text(&self, id: u32) -> String {
        self.open
            .with_value(|o| o.as_ref().map(|o| o.tokenizer.token_text(id)))
            .unwrap_or_default()
    }

    /// The model the page steps (a cheap handle: tensors are shared).
    pub fn model(&self) -> Option<Gpt> {
        self.open
            .with_value(|o| o.as_ref().map(|o| o.model.clone()))
    }

    /// The open model's id (0 before any).
    fn open_id(&self) -> u64 {
        self.open.with_value(|o| o.as_ref().map_or(0, |o| o.id))
    }

    /// The open model's checkpoint and summary, to open it again elsewhere.
    fn open_checkpoint(&self) -> Option<(Rc<LoadedCheckpoint>, String)> {
        self.open.with_value(|o| {
            o.as_ref()
                .map(|o| (o.checkpoint.clone(), o.summary.clone()))
        })
    }

    fn with_session<T>(&self, f: impl FnOnce(&Session) -> T) -> Option<T> {
        self.open
            .with_value(|o| o.as_ref().and_then(|o| o.session.as_ref()).map(f))
    }

    /// The current beam search's tree and best sequence, and the prompt (tracks the session).
    pub fn beam_tree(&self) -> Option<BeamSearchView> {
        self.revision.track();
        self.with_session(|s| {
            let (tree, best) = s.beam_tree();
            BeamSearchView {
                tree,
                best,
                prompt: s.prompt_ids().to_vec(),
            }
        })
    }

    /// The (layers, heads) of the loaded model.
    pub fn shape(&self) -> (usize, usize) {
        self.model_shape.get_untracked().unwrap_or((0, 0))
    }

    fn set_ready(&self) {
        let summary = self.open_checkpoint().map(|(_, summary)| summary);
        self.status.set(Status::Ready(summary.unwrap_or_default()));
    }

    /// The candidate list of the shown step under the current settings (no forward pass).
    pub fn candidates(&self) -> Option<CandidateSummary> {
        let selected = self.selected.get();
        let settings = self.settings.get();
        let n = self.top_n.get();
        self.snapshot.with(|s| {
            s.shown_step(selected)
                .map(|step| DecodeStages::new(&step.logits, &settings).summary(&step.logits, n))
        })
    }

    /// The attention of the shown step (kept from before while a step is running). An old step
    /// whose attention the generator dropped is recomputed in the background (blank meanwhile).
    pub fn attention_memo(&self) -> Memo<Option<Arc<AttentionMatrix>>> {
        let this = *self;
        Memo::new(move |previous: Option<&Option<Arc<AttentionMatrix>>>| {
            this.revision.track();
            let index = this
                .snapshot
                .with(|s| s.shown_step(this.selected.get()).map(|v| v.index))?;
            let key = (this.open_id(), index);
            let recomputed = this.retraced.with(|r| {
                r.as_ref()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, m)| m.clone())
            });
            if recomputed.is_some() {
                return recomputed;
            }
            match this.with_session(|s| s.attention(index)) {
                Some(Some(matrix)) => Some(matrix),
                Some(None) => {
                    this.retrace(key);
                    None
                }
                // The session is out while a step runs.
                None => previous.cloned().flatten(),
            }
        })
    }

    /// Recomputes the attention of step `key.1` of model `key.0`, once.
    fn retrace(self, key: StepKey) {
        if self.retracing.get_value() == Some(key) {
            return;
        }
        let Some(Some(job)) = self.with_session(|s| s.retrace(key.1)) else {
            return;
        };
        self.retracing.set_value(Some(key));
        spawn_local(async move {
            let result = job.run().await;
            self.retracing.set_value(None);
            match result {
                // Dropped if another model was opened meanwhile.
                Ok(matrix) if self.open_id() == key.0 => {
                    self.retraced.set(Some((key, Arc::new(matrix))))
                }
                Ok(_) => {}
                Err(e) => self
                    .error
                    .set(Some(format!("cannot recompute that step's attention: {e}"))),
            }
        });
    }

    fn publish(&self) {
        let snapshot = self.with_session(Session::snapshot).unwrap_or_default();
        self.snapshot.set(snapshot);
        self.revision.update(|r| *r += 1);
    }

    /// A fresh session for the prompt in the box (the timeline goes back to the prompt). A prompt
    /// the model cannot read leaves the current session on screen, so nothing is lost.
    fn rebuild(&self) -> Result<(), String> {
        let (model, tokenizer) = self
            .open
            .with_value(|o| o.as_ref().map(|o| (o.model.clone(), o.tokenizer.clone())))
            .ok_or("the model is not loaded yet")?;
        let session = Session::new(
            model,
            tokenizer,
            &self.prompt.get_untracked(),
            self.settings.get_untracked(),
        )?;
        self.open.update_value(|o| {
            if let Some(o) = o {
                o.session = Some(session);
            }
        });
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
            .with_session(|s| s.prompt_text != prompt)
            .unwrap_or(true);
        if stale {
            self.rebuild()?;
        }
        let (id, config) = self
            .open
            .with_value(|o| o.as_ref().map(|o| (o.id, o.config().clone())))
            .ok_or("the model is not loaded yet")?;
        let window = self
            .with_session(Session::next_window)
            .ok_or("the model is not loaded yet")?;
        settings.check_step(&config, window, RESIDENT_COPIES, Budget::BROWSER_TAB)?;
        let mut session = self
            .open
            .try_update_value(|o| o.as_mut().and_then(|o| o.session.take()))
            .flatten()
            .ok_or("the model is not loaded yet")?;
        let give_back = |session: Session| {
            // Only to the model it was taken from: another may have been opened meanwhile.
            self.open.update_value(|o| {
                if let Some(o) = o.as_mut().filter(|o| o.id == id) {
                    o.session = Some(session);
                }
            })
        };
        if session.is_done() {
            give_back(session);
            return Err("beam search has finished (every beam ended): press Back or Reset".into());
        }
        let start = now_ms();
        let result = session.step(settings, self.head_mask.get_untracked()).await;
        self.last_step_ms.set(Some(now_ms() - start));
        give_back(session);
        self.selected.set(None);
        self.publish();
        result
    }

    pub fn back(&self) {
        self.open.update_value(|o| {
            if let Some(s) = o.as_mut().and_then(|o| o.session.as_mut()) {
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
        self.exclusive(async move {
            let result = self.step().await;
            self.report(result);
        });
    }

    /// Runs `work` with `busy` set, so that no step, model load or backend switch starts
    /// meanwhile; `busy` clears when it ends.
    pub fn exclusive(self, work: impl Future<Output = ()> + 'static) {
        self.busy.set(true);
        spawn_local(async move {
            work.await;
            self.busy.set(false);
        });
    }

    /// Auto-steps at the chosen speed until paused, an error, or the end of a beam search.
    pub fn play(self) {
        if self.playing.get_untracked() || self.busy.get_untracked() || !self.is_ready() {
            return;
        }
        self.playing.set(true);
        self.exclusive(async move {
            while self.playing.get_untracked() {
                let result = self.step().await;
                if self.report(result).is_none() || self.snapshot.with_untracked(|s| s.done) {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(self.play_delay_ms.get_untracked()).await;
            }
            self.playing.set(false);
        });
    }

    /// Loads the shipped model and picks a backend: the URL's if it names one, else the CPU at
    /// once and WebGPU afterwards if it proves faster on this machine.
    pub fn load(self, url_backend: Option<Backend>) {
        spawn_local(async move {
            let checkpoint = match fetch_shipped().await {
                Ok(c) => Rc::new(c),
                Err(msg) => return self.status.set(Status::Error(msg)),
            };
            let summary = checkpoint.summary();
            let first = url_backend.unwrap_or(Backend::Cpu);
            if let Err(msg) = self
                .activate(checkpoint.clone(), summary.clone(), first)
                .await
            {
                if first == Backend::Cpu {
                    return self.status.set(Status::Error(msg));
                }
                self.error.set(Some(format!(
                    "WebGPU is not available ({msg}): using the CPU backend instead."
                )));
                if let Err(msg) = self.activate(checkpoint, summary, Backend::Cpu).await {
                    return self.status.set(Status::Error(msg));
                }
            }
            self.set_ready();
            crate::web::offline::keep_for_offline();
            if url_backend.is_none() {
                self.offer_webgpu().await;
            }
        });
    }

    /// Steps generation with the model in `bytes` (a checkpoint file) from now on, on the
    /// current backend, and shows the visualizer.
    pub fn adopt(self, bytes: Vec<u8>, origin: String) {
        if self.busy.get_untracked() {
            return self.error.set(Some(
                "wait for the current step to finish, then use the model again".into(),
            ));
        }
        match LoadedCheckpoint::from_bytes(&bytes) {
            Ok(checkpoint) => {
                self.busy.set(true);
                self.adopt_loaded(checkpoint, origin);
            }
            Err(msg) => self
                .error
                .set(Some(format!("cannot use that model: {msg}"))),
        }
    }

    /// `adopt` for a checkpoint already read (the caller has set `busy`). The open model stays
    /// until the new one is open on the device; if that fails, it stays for good.
    fn adopt_loaded(self, checkpoint: LoadedCheckpoint, origin: String) {
        self.playing.set(false);
        let summary = format!("{origin}: {}", checkpoint.summary());
        spawn_local(async move {
            let opened = async {
                limits::check_inference(checkpoint.config(), RESIDENT_COPIES, Budget::BROWSER_TAB)?;
                self.status
                    .set(Status::Loading(format!("opening {summary}…")));
                // A frame between checking a big model's files and building it on the device.
                yield_to_browser().await;
                self.activate(Rc::new(checkpoint), summary, self.backend.get_untracked())
                    .await
            };
            match opened.await {
                Ok(()) => self.view.set(Tab::Generate),
                Err(msg) => self.error.set(Some(format!(
                    "cannot open the model: {msg} (the model open before is kept)"
                ))),
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

    /// `checkpoint` opened on `backend`, with the time of one traced 16-token forward pass there.
    async fn open_timed(
        self,
        checkpoint: &LoadedCheckpoint,
        backend: Backend,
    ) -> Result<(Gpt, f64), String> {
        let device = glassbox_browser::backend::device(backend).await?;
        let model = checkpoint.open(&device)?;
        let ms = time_forward(model.clone()).await?;
        self.timings.update(|t| match backend {
            Backend::Cpu => t.cpu_ms = Some(ms),
            Backend::WebGpu => t.webgpu_ms = Some(ms),
        });
        Ok((model, ms))
    }

    /// Opens `checkpoint` on `backend`, times it, and makes it the open model.
    async fn activate(
        self,
        checkpoint: Rc<LoadedCheckpoint>,
        summary: String,
        backend: Backend,
    ) -> Result<(), String> {
        self.status.set(Status::Loading(format!(
            "starting the {} backend…",
            backend.label()
        )));
        let (model, _) = self.open_timed(&checkpoint, backend).await?;
        self.install(checkpoint, summary, backend, model);
        Ok(())
    }

    /// Makes `model` (open on `backend`) the model the page steps, with everything that belongs
    /// to it, in one step: a fresh session, its shape, no heads off, views inside its shape.
    fn install(
        self,
        checkpoint: Rc<LoadedCheckpoint>,
        summary: String,
        backend: Backend,
        model: Gpt,
    ) {
        let id = self.openings.get_value() + 1;
        self.openings.set_value(id);
        let tokenizer = Arc::new(checkpoint.tokenizer().clone());
        let open = OpenModel {
            id,
            checkpoint,
            model,
            tokenizer,
            summary,
            session: None,
        };
        let (n_layer, n_head) = open.shape();
        self.open.set_value(Some(open));
        self.backend.set(backend);
        self.model_shape.set(Some((n_layer, n_head)));
        self.head_mask.set(HeadMask::default());
        let first = HeadView::Head { layer: 0, head: 0 };
        for view in [self.primary, self.secondary] {
            if !view.get_untracked().fits(n_layer, n_head) {
                view.set(first);
            }
        }
        if let Err(msg) = self.rebuild() {
            self.selected.set(None);
            self.focus.set(None);
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
        let Some((checkpoint, summary)) = self.open_checkpoint() else {
            return;
        };
        let id = self.open_id();
        match self.open_timed(&checkpoint, Backend::WebGpu).await {
            Ok((model, ms)) => {
                let cpu = self
                    .timings
                    .with_untracked(|t| t.cpu_ms)
                    .unwrap_or(f64::INFINITY);
                let untouched = self.snapshot.with_untracked(|s| s.steps.is_empty())
                    && !self.busy.get_untracked();
                // Not if the user opened another model meanwhile.
                let same = self.open_id() == id;
                if ms < cpu && untouched && same && !self.backend_pinned.get_untracked() {
                    self.install(checkpoint, summary, Backend::WebGpu, model);
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
        let Some((checkpoint, summary)) = self.open_checkpoint() else {
            return;
        };
        self.playing.set(false);
        self.backend_pinned.set(true);
        self.exclusive(async move {
            if let Err(msg) = self.activate(checkpoint, summary, backend).await {
                self.error
                    .set(Some(format!("cannot switch to {}: {msg}", backend.label())));
            }
            self.set_ready();
        });
    }

    /// The state a shared link reproduces (the Train view adds its settings).
    pub fn url_state(&self) -> UrlState {
        UrlState {
            view: Some(self.view.get()),
            lesson: None,
            train: None,
            prompt: Some(self.prompt.get()),
            settings: self.settings.get(),
            backend: self.backend_pinned.get().then(|| self.backend.get()),
            primary: Some(self.primary.get()),
            secondary: self.compare.get().then(|| self.secondary.get()),
            compare: self.compare.get(),
            refused: Vec::new(),
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

    pub fn sync_url(self, train: Signal<TrainForm>, lesson: Signal<Option<Place>>) {
        Effect::new(move |_| {
            let mut url = self.url_state();
            url.train = (url.view == Some(Tab::Train)).then(|| train.get());
            url.lesson = lesson.get();
            url::write(&url);
        });
    }
}

/// One traced forward pass over 16 tokens, timed after a warm-up pass (WebGPU compiles its
/// shaders on the first): the median of three, or of fewer where they would hold the open up
/// (GPT-2 small's 16-token step takes ~0.3 s in the tab; four of them were a third of its open).
async fn time_forward(model: Gpt) -> Result<f64, String> {
    const TIMED_STEPS: usize = 3;
    const BUDGET_MS: f64 = 250.0;
    let vocab = model.vocab_size() as u32;
    let probe: Vec<u32> = (0..16).map(|i| (i * 7) % vocab).collect();
    let mut generator =
        Generator::new(model, probe, DecodeSettings::default()).map_err(|e| e.to_string())?;
    // A frame between reading the weights in and the first pass, each hundreds of ms for GPT-2.
    yield_to_browser().await;
    generator.step().await.map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    while times.len() < TIMED_STEPS && times.iter().sum::<f64>() < BUDGET_MS {
        generator.reset();
        yield_to_browser().await;
        let start = now_ms();
        generator.step().await.map_err(|e| e.to_string())?;
        times.push(now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
