//! The Train view's state and actions: the settings form, the run as the worker reports it, the
//! commands the buttons send, and the saved run in browser storage. Training itself runs in the
//! worker (`glassbox-train-worker`); this side only mirrors its reports and keeps its checkpoints.

use glassbox_browser::backend::Backend;
use glassbox_browser::protocol::{Command, Event, ExportPurpose};
use glassbox_model::run::RunRecord;
use glassbox_model::{Checkpoint, Preset};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::loader::{self, SHIPPED_MODEL};
pub use crate::train_form::{CorpusChoice, SHAKESPEARE_NAME, StartFrom, TrainForm};
use crate::state::{AppState, View};
use crate::store::{self, SavedRun};
use crate::worker_link::{WorkerLink, WorkerOwner};


#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Starting,
    Running,
    Paused,
    /// Stopped by the user: the weights stay usable, the run does not go on.
    Stopped,
    Finished,
    Diverged,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Stopped => "stopped",
            Phase::Finished => "finished",
            Phase::Diverged => "diverged",
        }
    }

    pub fn has_run(self) -> bool {
        !matches!(self, Phase::Idle | Phase::Starting)
    }
}

/// A run found in browser storage at start, offered for resuming.
#[derive(Clone, Debug, PartialEq)]
pub struct ResumeOffer {
    pub step: usize,
    pub total_steps: usize,
    pub corpus: String,
}

#[derive(Clone, Copy)]
pub struct TrainState {
    app: AppState,
    pub form: RwSignal<TrainForm>,
    pub corpus: RwSignal<CorpusChoice>,
    pub phase: RwSignal<Phase>,
    pub record: RwSignal<Option<RunRecord>>,
    /// The running model's shape and size.
    pub summary: RwSignal<Option<String>>,
    /// The backend the worker trains on.
    pub backend: RwSignal<Backend>,
    pub saved_step: RwSignal<Option<usize>>,
    pub offer: RwSignal<Option<ResumeOffer>>,
    pub log_scale: RwSignal<bool>,
    /// The attention snapshot shown; `None` follows the latest.
    pub scrub: RwSignal<Option<usize>>,
    link: WorkerLink,
    uploaded: StoredValue<Option<Vec<u8>>, LocalStorage>,
    saved: StoredValue<Option<SavedRun>, LocalStorage>,
}

impl WorkerOwner for TrainState {
    fn on_event(self, event: Event, bytes: Option<Vec<u8>>) {
        TrainState::on_event(self, event, bytes);
    }

    fn on_failure(self, message: String) {
        let crashed = message.starts_with("the training worker stopped");
        self.fail(message);
        if crashed {
            self.phase
                .set(if self.record.with_untracked(Option::is_some) {
                    Phase::Stopped
                } else {
                    Phase::Idle
                });
        }
    }
}

impl TrainState {
    pub fn new(app: AppState, form: TrainForm) -> Self {
        Self {
            app,
            form: RwSignal::new(form),
            corpus: RwSignal::new(CorpusChoice::Shakespeare),
            phase: RwSignal::new(Phase::Idle),
            record: RwSignal::new(None),
            summary: RwSignal::new(None),
            backend: RwSignal::new(Backend::Cpu),
            saved_step: RwSignal::new(None),
            offer: RwSignal::new(None),
            log_scale: RwSignal::new(false),
            scrub: RwSignal::new(None),
            link: WorkerLink::new(),
            uploaded: StoredValue::new_local(None),
            saved: StoredValue::new_local(None),
        }
    }

    fn fail(&self, message: impl Into<String>) {
        self.app.error.set(Some(message.into()));
    }

    /// The worker, started on first use.
    fn send(self, command: &Command, bytes: Option<&[u8]>) {
        self.link.send(self, command, bytes);
    }

    fn on_event(self, event: Event, bytes: Option<Vec<u8>>) {
        match event {
            Event::Ready => {}
            Event::Started {
                record,
                summary,
                backend,
            } => {
                let finished = record.step() >= record.settings.train.total_steps;
                if self.form.with_untracked(|f| f.start != StartFrom::Scratch) {
                    self.form.update(|f| f.show_shape(&record.settings.model));
                }
                self.record.set(Some(record));
                self.summary.set(Some(summary));
                self.backend.set(backend);
                self.scrub.set(None);
                self.phase.set(if finished {
                    Phase::Finished
                } else {
                    Phase::Running
                });
            }
            Event::Report(report) => self.record.update(|r| {
                if let Some(r) = r {
                    r.apply(&report);
                }
            }),
            Event::Saved { step } => {
                if let Some(bytes) = bytes {
                    self.keep(step, bytes);
                }
            }
            Event::Paused { .. } => {
                if self.phase.get_untracked() == Phase::Running {
                    self.phase.set(Phase::Paused);
                }
            }
            Event::Finished { .. } => self.phase.set(Phase::Finished),
            Event::Exported { purpose, step } => {
                let Some(bytes) = bytes else { return };
                match purpose {
                    ExportPurpose::Download => crate::download::save_bytes(
                        &bytes,
                        &format!("glassbox-trained-step-{step}.safetensors"),
                    ),
                    ExportPurpose::Visualize => self
                        .app
                        .adopt(bytes, format!("the model being trained (step {step})")),
                }
            }
            Event::Diverged { message, step } => {
                self.record.update(|r| {
                    if let Some(r) = r {
                        r.truncate(step);
                    }
                });
                self.phase.set(Phase::Diverged);
                let lower = self.form.with_untracked(|f| f.learning_rate) / 10.0;
                self.fail(format!(
                    "{message}. Set it to {lower} or less and press Resume (or Reset and start again)."
                ));
            }
            Event::Failed { message } => {
                if self.phase.get_untracked() == Phase::Starting {
                    self.phase.set(Phase::Idle);
                } else if self.phase.get_untracked() == Phase::Running {
                    self.phase.set(Phase::Paused);
                }
                self.fail(message);
            }
        }
    }

    /// Writes the checkpoint of `step` and the record up to it to browser storage.
    fn keep(self, step: usize, checkpoint: Vec<u8>) {
        let Some(mut record) = self.record.get_untracked() else {
            return;
        };
        record.truncate(step);
        let record_json = match serde_json::to_string(&record) {
            Ok(json) => json,
            Err(e) => return self.fail(e.to_string()),
        };
        let corpus = match self.corpus.get_untracked() {
            CorpusChoice::Shakespeare => None,
            CorpusChoice::Custom { text, .. } => Some(text),
        };
        spawn_local(async move {
            match store::save(&SavedRun {
                record_json,
                corpus,
                checkpoint,
            })
            .await
            {
                Ok(()) => self.saved_step.set(Some(step)),
                Err(e) => self.fail(format!("the run could not be saved: {e}")),
            }
        });
    }

    async fn corpus_text(self) -> Result<String, String> {
        match self.corpus.get_untracked() {
            CorpusChoice::Custom { text, .. } => Ok(text),
            CorpusChoice::Shakespeare => loader::shakespeare().await,
        }
    }

    pub fn start(self) {
        let form = self.form.get_untracked();
        if let Err(message) = form.validate() {
            return self.fail(message);
        }
        self.app.error.set(None);
        self.stop_worker();
        self.phase.set(Phase::Starting);
        self.record.set(None);
        self.saved_step.set(None);
        self.offer.set(None);
        let backend = self.app.backend.get_untracked();
        spawn_local(async move {
            let prepared = async {
                let corpus = self.corpus_text().await?;
                let base = match &form.start {
                    StartFrom::Scratch => None,
                    StartFrom::Shipped => Some(loader::fetch_bytes(SHIPPED_MODEL).await?),
                    StartFrom::Uploaded(_) => self.uploaded.get_value(),
                    StartFrom::Open => Some(self.app.checkpoint_bytes()?),
                };
                Ok::<_, String>((corpus, base))
            };
            match prepared.await {
                Ok((corpus, base)) => {
                    let settings = form.settings(&self.corpus.get_untracked());
                    self.send(
                        &Command::Start {
                            settings,
                            corpus,
                            backend,
                        },
                        base.as_deref(),
                    );
                }
                Err(message) => {
                    self.phase.set(Phase::Idle);
                    self.fail(message);
                }
            }
        });
    }

    pub fn pause(self) {
        self.send(&Command::Pause, None);
    }

    pub fn resume(self) {
        self.app.error.set(None);
        self.phase.set(Phase::Running);
        self.send(&Command::Continue, None);
    }

    pub fn stop(self) {
        self.send(&Command::Pause, None);
        self.phase.set(Phase::Stopped);
    }

    fn stop_worker(self) {
        self.link.terminate();
    }

    /// Ends the run at once (even mid-step) and forgets it, saved copy included.
    pub fn reset(self) {
        self.stop_worker();
        self.phase.set(Phase::Idle);
        self.record.set(None);
        self.summary.set(None);
        self.saved_step.set(None);
        self.scrub.set(None);
        self.app.error.set(None);
        spawn_local(async move {
            if let Err(e) = store::clear().await {
                self.fail(e);
            }
        });
    }

    pub fn set_learning_rate(self, rate: f64) {
        self.form.update(|f| f.learning_rate = rate);
        if self.phase.get_untracked().has_run() {
            self.send(&Command::SetLearningRate(rate), None);
        }
    }

    pub fn set_steps(self, steps: usize) {
        self.form.update(|f| f.steps = steps);
        if self.phase.get_untracked().has_run() {
            self.send(&Command::SetTotalSteps(steps), None);
            if self.phase.get_untracked() == Phase::Finished
                && self
                    .record
                    .with_untracked(|r| r.as_ref().is_some_and(|r| r.step() < steps))
            {
                self.phase.set(Phase::Paused);
            }
        }
    }

    pub fn download(self) {
        self.send(&Command::Export(ExportPurpose::Download), None);
    }

    pub fn use_in_visualizer(self) {
        self.send(&Command::Export(ExportPurpose::Visualize), None);
    }

    /// A checkpoint file to continue training from (checked before it is accepted).
    pub fn upload(self, name: String, bytes: Vec<u8>) {
        match Checkpoint::from_bytes(&bytes) {
            Ok(_) => {
                self.uploaded.set_value(Some(bytes));
                self.form.update(|f| f.start = StartFrom::Uploaded(name));
                self.app.error.set(None);
            }
            Err(e) => self.fail(format!("{name}: {e}")),
        }
    }

    /// Looks for a run left in browser storage by an earlier visit.
    pub fn look_for_saved_run(self) {
        spawn_local(async move {
            let saved = match store::load().await {
                Ok(Some(saved)) => saved,
                Ok(None) => return,
                Err(e) => return self.fail(e),
            };
            match serde_json::from_str::<RunRecord>(&saved.record_json) {
                Ok(record) => {
                    self.offer.set(Some(ResumeOffer {
                        step: record.step(),
                        total_steps: record.settings.train.total_steps,
                        corpus: record.settings.corpus_name.clone(),
                    }));
                    self.saved.set_value(Some(saved));
                }
                Err(e) => self.fail(format!(
                    "the saved training run is unreadable ({e}); it was left alone"
                )),
            }
        });
    }

    /// Continues the run from storage: its curve up to the save, then training again.
    pub fn resume_saved(self) {
        let Some(saved) = self.saved.try_update_value(Option::take).flatten() else {
            return;
        };
        self.offer.set(None);
        self.app.view.set(View::Train);
        let record: RunRecord = match serde_json::from_str(&saved.record_json) {
            Ok(r) => r,
            Err(e) => return self.fail(e.to_string()),
        };
        self.stop_worker();
        self.phase.set(Phase::Starting);
        self.corpus.set(match &saved.corpus {
            Some(text) => CorpusChoice::Custom {
                name: record.settings.corpus_name.clone(),
                text: text.clone(),
            },
            None => CorpusChoice::Shakespeare,
        });
        self.form.update(|f| {
            let (c, t) = (&record.settings.model, &record.settings.train);
            (f.layers, f.heads, f.width, f.context) =
                (c.n_layer, c.n_head, c.d_model, c.context_length);
            let same = |p: &Preset| p.config(c.vocab_size) == *c;
            f.preset = Preset::ALL
                .iter()
                .find(|p| same(p))
                .map_or("custom", |p| p.name())
                .into();
            (f.learning_rate, f.warmup, f.batch, f.steps, f.seed) = (
                t.learning_rate,
                t.warmup_steps,
                t.batch_size,
                t.total_steps,
                t.seed,
            );
            f.report_every = record.settings.report_every;
        });
        let backend = self.app.backend.get_untracked();
        spawn_local(async move {
            match self.corpus_text().await {
                Ok(corpus) => self.send(
                    &Command::Resume {
                        record,
                        corpus,
                        backend,
                    },
                    Some(&saved.checkpoint),
                ),
                Err(message) => {
                    self.phase.set(Phase::Idle);
                    self.fail(message);
                }
            }
        });
    }

    pub fn discard_saved(self) {
        self.offer.set(None);
        self.saved.set_value(None);
        spawn_local(async move {
            if let Err(e) = store::clear().await {
                self.fail(e);
            }
        });
    }
}
