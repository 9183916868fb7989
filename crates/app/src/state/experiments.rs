//! The Experiments view's state: the chosen experiment, its variants trained one after another in
//! a worker of their own (same text, seed, optimiser and tokens per step), their records as the
//! worker reports them, and the finished results kept in browser storage.

use glassbox_browser::protocol::{Command, Event};
use glassbox_model::train::experiment::{ExperimentKind, QaPairs, Variant, VariantResult};
use glassbox_model::train::run::RunSettings;
use glassbox_model::{Preset, TrainConfig};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::AppState;
use crate::state::train::SHAKESPEARE_NAME;
use crate::web::net;
use crate::web::store;
use crate::web::worker_link::{WorkerLink, WorkerOwner};
use glassbox_page::experiment::{
    ArchitectureForm, Choice, EXAMPLE_PAIRS, ExperimentRecord, VariantRun,
};

const STORE_KEY: &str = "experiment";

#[derive(Clone, Copy)]
pub struct ExperimentState {
    app: AppState,
    pub choice: RwSignal<Choice>,
    pub preset: RwSignal<Preset>,
    pub steps: RwSignal<usize>,
    pub custom: RwSignal<(ArchitectureForm, ArchitectureForm)>,
    /// Post-training's question/answer pairs.
    pub pairs: RwSignal<String>,
    pub record: RwSignal<Option<ExperimentRecord>>,
    /// The variant training now.
    pub current: RwSignal<Option<usize>>,
    plan: StoredValue<Vec<Variant>>,
    shipped: StoredValue<Option<Vec<u8>>>,
    link: WorkerLink,
}

impl WorkerOwner for ExperimentState {
    fn on_event(self, event: Event, _bytes: Option<Vec<u8>>) {
        let Some(index) = self.current.get_untracked() else {
            return;
        };
        let update = |f: &mut dyn FnMut(&mut VariantRun)| {
            self.record.update(|r| {
                if let Some(v) = r.as_mut().and_then(|r| r.variants.get_mut(index)) {
                    f(v);
                }
            })
        };
        match event {
            Event::Started { mut record, .. } => {
                record.snapshots.clear();
                update(&mut |v| v.record = Some((*record).clone()));
            }
            Event::Report(mut report) => {
                report.snapshot = None;
                update(&mut |v| {
                    if let Some(r) = v.record.as_mut() {
                        r.apply(&report);
                    }
                });
            }
            Event::Finished { .. } => self.next(index + 1),
            Event::Diverged { .. } => {
                update(&mut |v| v.diverged = true);
                self.next(index + 1);
            }
            Event::Failed { message } => self.on_failure(message),
            _ => {}
        }
    }

    fn on_failure(self, message: String) {
        self.app.error.set(Some(format!("experiment: {message}")));
        self.stop();
    }
}

impl ExperimentState {
    pub fn new(app: AppState) -> Self {
        let tiny = Preset::Tiny.config(0);
        let b = ArchitectureForm {
            heads: 1,
            ..ArchitectureForm::from_config(&tiny)
        };
        let state = Self {
            app,
            choice: RwSignal::new(Choice::Builtin(ExperimentKind::Heads)),
            preset: RwSignal::new(Preset::Tiny),
            steps: RwSignal::new(200),
            custom: RwSignal::new((ArchitectureForm::from_config(&tiny), b)),
            pairs: RwSignal::new(EXAMPLE_PAIRS.into()),
            record: RwSignal::new(None),
            current: RwSignal::new(None),
            plan: StoredValue::new(Vec::new()),
            shipped: StoredValue::new(None),
            link: WorkerLink::new(),
        };
        // The last experiment, as it was left.
        spawn_local(async move {
            if let Ok(Some(json)) = store::load_text(STORE_KEY).await
                && let Ok(record) = serde_json::from_str::<ExperimentRecord>(&json)
                && state.record.get_untracked().is_none()
            {
                state.record.set(Some(record));
            }
        });
        state
    }

    pub fn is_running(&self) -> bool {
        self.current.get().is_some()
    }

    /// The settings every variant shares.
    fn base(&self) -> RunSettings {
        let steps = self.steps.get_untracked();
        RunSettings {
            model: self.preset.get_untracked().config(0),
            train: TrainConfig::new(steps)
                .with_batch_size(16)
                .with_warmup_steps(steps.min(100) / 10)
                .with_seed(1337),
            report_every: (steps / 10).max(1),
            sample_prompt: "ROMEO:\n".into(),
            sample_length: 8,
            probe: "To be, or not to be".into(),
            corpus_name: SHAKESPEARE_NAME.into(),
        }
    }

    /// The variants, and the training text when it is not Shakespeare.
    fn variants(&self) -> Result<(Vec<Variant>, Option<String>), String> {
        let mut base = self.base();
        Ok(match self.choice.get_untracked() {
            Choice::Builtin(kind) => (kind.plan(&base), None),
            Choice::Custom => {
                let (a, b) = self.custom.get_untracked();
                let mut variants = Vec::new();
                for (side, form) in [("A", a), ("B", b)] {
                    let model = form.config();
                    model.validate().map_err(|e| format!("model {side}: {e}"))?;
                    variants.push(Variant::new(form.name(side), &base, model));
                }
                (variants, None)
            }
            Choice::PostTraining => {
                let pairs = QaPairs::parse(&self.pairs.get_untracked())?;
                // The shipped model's shape (its checkpoint decides), a gentler rate than from scratch.
                base.model = Preset::Shipped.config(0);
                base.train.learning_rate = 1e-3;
                let corpus = pairs.corpus(base.model.context_length);
                (pairs.plan(&base), Some(corpus))
            }
        })
    }

    /// Trains every variant, one after another.
    pub fn run(self) {
        if self.current.get_untracked().is_some() {
            return;
        }
        let (variants, corpus) = match self.variants() {
            Ok(v) => v,
            Err(msg) => return self.app.error.set(Some(msg)),
        };
        self.app.error.set(None);
        self.record.set(Some(ExperimentRecord {
            title: self.choice.get_untracked().title().into(),
            corpus,
            plan: variants.clone(),
            variants: variants
                .iter()
                .map(|v| VariantRun {
                    name: v.name.clone(),
                    record: None,
                    diverged: false,
                })
                .collect(),
            finished: false,
        }));
        self.plan.set_value(variants);
        self.start_at(0);
    }

    /// Continues an experiment a reload interrupted: the unfinished variants train from the start.
    pub fn continue_run(self) {
        let Some((plan, index)) = self.record.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| Some((r.plan.clone(), r.next_unfinished()?)))
        }) else {
            return;
        };
        self.app.error.set(None);
        self.plan.set_value(plan);
        self.record.update(|r| {
            if let Some(v) = r.as_mut().and_then(|r| r.variants.get_mut(index)) {
                v.record = None;
            }
        });
        self.start_at(index);
    }

    /// Trains from variant `index` on.
    fn start_at(self, index: usize) {
        self.current.set(Some(index));
        self.next(index);
    }

    /// An experiment left unfinished (by a reload), not running now.
    pub fn can_continue(&self) -> bool {
        self.current.get().is_none()
            && self.record.with(|r| {
                r.as_ref()
                    .is_some_and(|r| !r.finished && r.next_unfinished().is_some())
            })
    }

    /// The experiment's training text.
    async fn corpus_text(self) -> Result<String, String> {
        if let Some(text) = self
            .record
            .with_untracked(|r| r.as_ref().and_then(|r| r.corpus.clone()))
        {
            return Ok(text);
        }
        net::shakespeare().await
    }

    async fn shipped_bytes(self) -> Result<Vec<u8>, String> {
        if let Some(bytes) = self.shipped.get_value() {
            return Ok(bytes);
        }
        let bytes = net::fetch_bytes(net::SHIPPED_MODEL).await?;
        self.shipped.set_value(Some(bytes.clone()));
        Ok(bytes)
    }

    /// Starts variant `index`, or ends the experiment after the last (kept after each variant).
    fn next(self, index: usize) {
        if index > 0 {
            self.keep();
        }
        let Some(variant) = self.plan.with_value(|p| p.get(index).cloned()) else {
            self.current.set(None);
            self.record.update(|r| {
                if let Some(r) = r {
                    r.finished = true;
                }
            });
            return self.keep();
        };
        self.current.set(Some(index));
        let backend = self.app.backend.get_untracked();
        spawn_local(async move {
            let prepared = async {
                let corpus = self.corpus_text().await?;
                let base = match variant.from_shipped {
                    true => Some(self.shipped_bytes().await?),
                    false => None,
                };
                Ok::<_, String>((corpus, base))
            };
            match prepared.await {
                Ok((corpus, base)) => {
                    let command = Command::Start {
                        settings: variant.settings,
                        corpus,
                        backend,
                    };
                    self.link.send(self, &command, base.as_deref());
                }
                Err(msg) => self.on_failure(msg),
            }
        });
    }

    /// Ends the experiment now; finished variants keep their results.
    pub fn stop(self) {
        self.link.terminate();
        self.current.set(None);
        self.keep();
    }

    fn keep(self) {
        let Some(record) = self.record.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let saved = match serde_json::to_string(&record) {
                Ok(json) => store::save_text(STORE_KEY, &json).await,
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = saved {
                self.app
                    .error
                    .set(Some(format!("the experiment could not be saved: {e}")));
            }
        });
    }

    /// The results of the variants that have a record.
    pub fn results(&self) -> Vec<VariantResult> {
        self.record.with(|r| {
            r.as_ref()
                .map(|r| r.variants.iter().filter_map(VariantRun::result).collect())
                .unwrap_or_default()
        })
    }
}
