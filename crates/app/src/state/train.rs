//! The Train view's state and actions: the settings form, the run as the worker reports it, the
//! commands the buttons send, and the saved run in browser storage. Training itself runs in the
//! worker (`glassbox-train-worker`); this side only mirrors its reports and keeps its checkpoints.

use glassbox_browser::backend::Backend;
use glassbox_browser::protocol::{Command, Event, ExportPurpose};
use glassbox_model::Checkpoint;
use glassbox_model::train::run::RunRecord;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{AppState, Tab};
use crate::web::net::{self, SHIPPED_MODEL};
use crate::web::store::{self, SavedRun, Stored};
use crate::web::worker_link::{WorkerLink, WorkerOwner};
pub use glassbox_page::train_form::{CorpusChoice, SHAKESPEARE_NAME, StartFrom, TrainForm};

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
    /// Why the stored record cannot be resumed (another version, broken): offered for download
    /// or discard instead.
    pub unreadable: Option<String>,
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
    /// The checkpoint of a stored record that cannot be resumed, to download.
    unreadable_checkpoint: StoredValue<Option<Vec<u8>>, LocalStorage>,
    /// This tab, as the owner of the run it saves.
    tab: StoredValue<String>,
    /// Another tab's (or visit's) run this tab replaced or continued with the user's consent.
    adopted: StoredValue<Option<String>>,
    /// The text the running run trains on (`None`: the built-in corpus), saved with it: the
    /// corpus box may be edited meanwhile.
    run_corpus: StoredValue<Option<String>, LocalStorage>,
    /// The worker died: the run lives on only in its last save.
    pub worker_died: RwSignal<bool>,
    /// Who saved the run in storage, as this page last saw it (at load, and at each save).
    stored_owner: StoredValue<Option<String>>,
    /// Start waits for the user: storage holds a run this tab did not save.
    pub confirm_replace: RwSignal<Option<String>>,
}

impl WorkerOwner for TrainState {
    fn on_event(self, event: Event, bytes: Option<Vec<u8>>) {
        TrainState::on_event(self, event, bytes);
    }

    fn on_failure(self, message: String) {
        let crashed = message.starts_with("the training worker stopped");
        if !crashed {
            return self.fail(message);
        }
        // The next command starts a fresh worker.
        self.stop_worker();
        self.worker_died.set(true);
        self.fail(match self.saved_step.get_untracked() {
            Some(step) => format!(
                "{message}. The run's last save (step {step}) is kept: press Resume to continue from it, or Download it."
            ),
            None => format!("{message}. The run had not been saved yet: press Start to begin again."),
        });
        self.phase
            .set(if self.saved_step.get_untracked().is_some() {
                Phase::Paused
            } else if self.record.with_untracked(Option::is_some) {
                Phase::Stopped
            } else {
                Phase::Idle
            });
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
            unreadable_checkpoint: StoredValue::new_local(None),
            tab: StoredValue::new(format!(
                "{:016x}",
                (js_sys::Math::random() * 2f64.powi(53)) as u64
            )),
            adopted: StoredValue::new(None),
            run_corpus: StoredValue::new_local(None),
            worker_died: RwSignal::new(false),
            confirm_replace: RwSignal::new(None),
            stored_owner: StoredValue::new(None),
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
                let finished = record.steps_done() >= record.settings.train.total_steps;
                if self.form.with_untracked(|f| f.start != StartFrom::Scratch) {
                    self.form.update(|f| f.show_shape(&record.settings.model));
                }
                self.record.set(Some(*record));
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
                    ExportPurpose::Download => crate::web::download::save_bytes(
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
        let corpus = self.run_corpus.get_value();
        let owner = self.tab.get_value();
        spawn_local(async move {
            // A run another tab saved since is not overwritten.
            if let Ok(Some(stored)) = store::owner().await
                && self.is_foreign(&stored)
            {
                return self.fail(
                    "another tab has saved its own training run since: this run goes on, but it is no longer saved here (Download it to keep it)",
                );
            }
            let previous = self.saved_step.get_untracked();
            match store::save(&SavedRun {
                owner,
                record_json,
                corpus,
                checkpoint,
            })
            .await
            {
                Ok(()) => {
                    self.stored_owner.set_value(Some(self.tab.get_value()));
                    self.saved_step.set(Some(step));
                }
                Err(e) => self.fail(format!(
                    "the run could not be saved at step {step} ({e}); training goes on{}",
                    previous.map_or(String::new(), |p| format!(
                        ", and the save of step {p} is kept"
                    ))
                )),
            }
        });
    }

    async fn corpus_text(self) -> Result<String, String> {
        match self.corpus.with_untracked(|c| c.text().map(str::to_string)) {
            Some(text) => Ok(text),
            None => net::shakespeare().await,
        }
    }

    /// Starts a new run, after asking when storage holds a run this tab did not save.
    pub fn start(self) {
        let form = self.form.get_untracked();
        if let Err(message) = form.validate() {
            return self.fail(message);
        }
        match self.stored_owner.get_value() {
            Some(stored) if self.is_foreign(&stored) => {
                self.confirm_replace.set(Some(stored));
            }
            _ => self.start_now(form),
        }
    }

    /// Whether a run saved by `owner` is neither this tab's nor one it took over.
    fn is_foreign(&self, owner: &str) -> bool {
        owner != self.tab.get_value() && Some(owner) != self.adopted.get_value().as_deref()
    }

    /// The user's answer to "replace the saved run?".
    pub fn answer_replace(self, replace: bool) {
        let Some(stored) = self.confirm_replace.get_untracked() else {
            return;
        };
        self.confirm_replace.set(None);
        if replace {
            self.adopted.set_value(Some(stored));
            self.offer.set(None);
            self.start_now(self.form.get_untracked());
        }
    }

    fn start_now(self, form: TrainForm) {
        self.app.error.set(None);
        self.worker_died.set(false);
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
                    StartFrom::Shipped => Some(net::fetch_bytes(SHIPPED_MODEL).await?),
                    StartFrom::Uploaded(_) => self.uploaded.get_value(),
                    StartFrom::Open => Some(self.app.checkpoint_bytes()?),
                };
                Ok::<_, String>((corpus, base))
            };
            match prepared.await {
                Ok((corpus, base)) => {
                    let choice = self.corpus.get_untracked();
                    self.run_corpus.set_value(choice.text().map(str::to_string));
                    let settings = form.settings(&choice);
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
        if self.worker_died.get_untracked() {
            return self.with_saved_run(move |saved| {
                self.saved.set_value(Some(saved));
                self.resume_saved();
            });
        }
        self.phase.set(Phase::Running);
        self.send(&Command::Continue, None);
    }

    /// Runs `then` with the run in storage (what is left of a run whose worker died).
    fn with_saved_run(self, then: impl FnOnce(SavedRun) + 'static) {
        spawn_local(async move {
            match store::load().await {
                Ok(Some(Stored::Run(saved))) => then(saved),
                Ok(_) => self.fail("no saved run to continue from: press Start"),
                Err(e) => self.fail(e),
            }
        });
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
        self.stored_owner.set_value(None);
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
                    .with_untracked(|r| r.as_ref().is_some_and(|r| r.steps_done() < steps))
            {
                self.phase.set(Phase::Paused);
            }
        }
    }

    pub fn download(self) {
        if self.worker_died.get_untracked() {
            return self.with_saved_run(|saved| {
                crate::web::download::save_bytes(
                    &saved.checkpoint,
                    "glassbox-trained-saved.safetensors",
                )
            });
        }
        self.send(&Command::Export(ExportPurpose::Download), None);
    }

    pub fn use_in_visualizer(self) {
        if self.worker_died.get_untracked() {
            return self.with_saved_run(move |saved| {
                self.app
                    .adopt(saved.checkpoint, "the saved training run".into())
            });
        }
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
                Ok(Some(Stored::Run(saved))) => {
                    self.stored_owner.set_value(Some(saved.owner.clone()));
                    saved
                }
                Ok(Some(Stored::Unreadable { why, checkpoint })) => {
                    // Not this tab's: Start asks before replacing it.
                    self.stored_owner.set_value(Some(String::new()));
                    return self.offer_unreadable(why, checkpoint);
                }
                Ok(None) => return,
                Err(e) => return self.fail(e),
            };
            match serde_json::from_str::<RunRecord>(&saved.record_json) {
                Ok(record) => {
                    self.offer.set(Some(ResumeOffer {
                        step: record.steps_done(),
                        total_steps: record.settings.train.total_steps,
                        corpus: record.settings.corpus_name.clone(),
                        unreadable: None,
                    }));
                    self.saved.set_value(Some(saved));
                }
                Err(e) => self.offer_unreadable(
                    format!("its record is unreadable ({e})"),
                    Some(saved.checkpoint),
                ),
            }
        });
    }

    /// Offers a stored record that cannot be resumed for download or discard.
    fn offer_unreadable(self, why: String, checkpoint: Option<Vec<u8>>) {
        self.unreadable_checkpoint.set_value(checkpoint);
        self.offer.set(Some(ResumeOffer {
            step: 0,
            total_steps: 0,
            corpus: String::new(),
            unreadable: Some(why),
        }));
    }

    /// Downloads the checkpoint of a stored record that cannot be resumed.
    pub fn download_unreadable(self) {
        match self.unreadable_checkpoint.get_value() {
            Some(bytes) => {
                crate::web::download::save_bytes(&bytes, "glassbox-saved-run.safetensors")
            }
            None => self.fail("the saved record holds no checkpoint to download"),
        }
    }

    /// Continues the run from storage: its curve up to the save, then training again.
    pub fn resume_saved(self) {
        let Some(saved) = self.saved.try_update_value(Option::take).flatten() else {
            return;
        };
        self.offer.set(None);
        self.app.view.set(Tab::Train);
        let record: RunRecord = match serde_json::from_str(&saved.record_json) {
            Ok(r) => r,
            Err(e) => return self.fail(e.to_string()),
        };
        // Continuing a run makes it this tab's: its saves may replace the stored one.
        self.adopted.set_value(Some(saved.owner.clone()));
        self.run_corpus.set_value(saved.corpus.clone());
        self.worker_died.set(false);
        self.stop_worker();
        self.phase.set(Phase::Starting);
        self.corpus.set(CorpusChoice::saved(
            &record.settings.corpus_name,
            saved.corpus.clone(),
        ));
        self.form.update(|f| f.show(&record.settings));
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
        self.unreadable_checkpoint.set_value(None);
        self.stored_owner.set_value(None);
        spawn_local(async move {
            if let Err(e) = store::clear().await {
                self.fail(e);
            }
        });
    }
}
