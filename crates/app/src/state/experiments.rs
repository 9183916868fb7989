//! The Experiments view's state: the chosen experiment, its variants trained one after another in
//! a worker of their own (same text, seed, optimiser and tokens per step), their records as the
//! worker reports them, and the finished results kept in browser storage.

use glassbox_browser::protocol::{Command, Event};
use glassbox_model::config::{Activation, GptConfig};
use glassbox_model::train::experiment::{ExperimentKind, QaPairs, Variant, VariantResult};
use glassbox_model::train::run::{RunRecord, RunSettings};
use glassbox_model::{Preset, TrainConfig};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::state::train::SHAKESPEARE_NAME;
use crate::web::net;
use crate::web::store;
use crate::web::worker_link::{WorkerLink, WorkerOwner};

const STORE_KEY: &str = "experiment";

/// A built-in experiment, two architectures of the user's, or post-training the shipped model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Builtin(ExperimentKind),
    Custom,
    PostTraining,
}

/// Question/answer pairs to start from, in the shipped model's characters.
pub const EXAMPLE_PAIRS: &str = "Q: Who loves Juliet?\nA: Romeo loves Juliet.\n\nQ: Where do they live?\nA: In fair Verona.\n\nQ: What is the question?\nA: To be, or not to be.\n";

impl Choice {
    pub fn value(self) -> &'static str {
        match self {
            Choice::Builtin(kind) => kind.name(),
            Choice::Custom => "custom",
            Choice::PostTraining => "post-training",
        }
    }

    pub fn from_value(value: &str) -> Self {
        match value {
            "post-training" => Choice::PostTraining,
            _ => ExperimentKind::from_name(value).map_or(Choice::Custom, Choice::Builtin),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Choice::Builtin(kind) => kind.question(),
            Choice::Custom => "Your own pair: model A vs model B",
            Choice::PostTraining => {
                "Post-training: fine-tune the shipped model on your question/answer pairs"
            }
        }
    }
}

/// One side of a custom pair, as the form edits it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchitectureForm {
    pub layers: usize,
    pub heads: usize,
    pub width: usize,
    pub context: usize,
    pub activation: Activation,
    /// Attention in the first block only.
    pub first_block_attention: bool,
}

impl ArchitectureForm {
    fn from_config(c: &GptConfig) -> Self {
        Self {
            layers: c.n_layer,
            heads: c.n_head,
            width: c.d_model,
            context: c.context_length,
            activation: c.activation,
            first_block_attention: false,
        }
    }

    pub fn config(&self) -> GptConfig {
        let without =
            (self.first_block_attention && self.layers > 1).then(|| (1..self.layers).collect());
        GptConfig::new(1, self.context, self.layers, self.heads, self.width)
            .with_activation(self.activation)
            .with_without_attention(without)
    }

    /// "2×4 w32 c32 GELU" (how a custom variant is named).
    fn name(&self, side: &str) -> String {
        let activation = match self.activation {
            Activation::GeluTanh => "GELU",
            Activation::Relu => "ReLU",
            Activation::Identity => "linear",
        };
        let attention = if self.first_block_attention {
            ", attention in block 1 only"
        } else {
            ""
        };
        format!(
            "{side}: {} blocks × {} heads, width {}, context {}, {activation}{attention}",
            self.layers, self.heads, self.width, self.context
        )
    }
}

/// A variant as the view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantRun {
    pub name: String,
    /// Curves and samples (attention snapshots are dropped to keep it small).
    pub record: Option<RunRecord>,
    pub diverged: bool,
}

impl VariantRun {
    pub fn result(&self) -> Option<VariantResult> {
        self.record
            .as_ref()
            .map(|r| VariantResult::from_record(&self.name, r))
    }
}

/// A whole experiment as kept in storage (after every variant), so a reload can continue it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    pub title: String,
    /// The training text when it is not the built-in Shakespeare (post-training's pairs).
    #[serde(default)]
    pub corpus: Option<String>,
    /// What each variant trains (the same order as `variants`).
    pub plan: Vec<Variant>,
    pub variants: Vec<VariantRun>,
    pub finished: bool,
}

impl ExperimentRecord {
    /// The first variant that has not run to its end (a diverged one counts as ended).
    pub fn next_unfinished(&self) -> Option<usize> {
        self.variants.iter().zip(&self.plan).position(|(v, p)| {
            !v.diverged
                && v.record
                    .as_ref()
                    .is_none_or(|r| r.step() < p.settings.train.total_steps)
        })
    }
}

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
                update(&mut |v| v.record = Some(record.clone()));
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
