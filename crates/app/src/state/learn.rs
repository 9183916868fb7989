//! The Learn tab's state: where the learner is (kept in browser storage and in the URL), the
//! current step's setup applied to the real views, the step noticed as done from the page's
//! facts, and the Learn tab's own instruments (the shape table's custom row, the rank check).

use glassbox_model::Preset;
use glassbox_model::analysis::head_split::HeadSplit;
use glassbox_page::experiment::Choice;
use glassbox_page::learn::facts::CustomShape;
use glassbox_page::learn::{Facts, Lesson, Place, Progress, Setup, Step, lesson};
use glassbox_page::train_form::{CorpusChoice, StartFrom};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::experiments::ExperimentState;
use crate::state::inside::{Analysis, InsideState};
use crate::state::lesson_facts::Sources;
use crate::state::train::{Phase, TrainState};
use crate::state::{AppState, Status};
use crate::web::store;

/// Where the progress is kept (beside the saved run and the experiments).
const STORE_KEY: &str = "learn-progress";

/// How often a setup that waits (for the model, for a step to finish) looks again.
const POLL_MS: u32 = 50;

#[derive(Clone, Copy)]
pub struct LearnState {
    sources: Sources,
    pub progress: RwSignal<Progress>,
    /// The stored progress has been read: nothing is saved before, so a slow read is never
    /// overwritten by the empty start.
    loaded: RwSignal<bool>,
    /// The current step's setup is being applied: it is not checked meanwhile.
    pub preparing: RwSignal<bool>,
    /// The facts as they were when the current step was set up.
    baseline: RwSignal<Facts>,
    /// Bumped by every opening: a setup still running for an older one stops.
    ticket: StoredValue<u64>,
    pub facts: Memo<Facts>,
    pub custom: RwSignal<CustomShape>,
    pub selected_shape: RwSignal<Option<&'static str>>,
    pub head_split: Analysis<HeadSplit>,
}

impl LearnState {
    pub fn new(
        app: AppState,
        inside: InsideState,
        train: TrainState,
        experiments: ExperimentState,
        link: Option<Place>,
    ) -> Self {
        let shipped = Preset::Shipped.config(0);
        let head_split = Analysis::<HeadSplit>::new();
        let sources = Sources {
            app,
            inside,
            train,
            experiments,
            attention: app.attention_memo(),
            custom: RwSignal::new(CustomShape {
                layers: shipped.n_layer,
                width: shipped.d_model,
                heads: shipped.n_head,
            }),
            selected_shape: RwSignal::new(None),
            head_split,
        };
        let progress = RwSignal::new(Progress::default());
        let learn = Self {
            sources,
            progress,
            loaded: RwSignal::new(false),
            preparing: RwSignal::new(false),
            baseline: RwSignal::new(Facts::default()),
            ticket: StoredValue::new(0),
            // Read only while a lesson is open: nobody else pays for it.
            facts: Memo::new(move |_| {
                if progress.with(|p| p.current.is_some()) {
                    sources.read()
                } else {
                    Facts::default()
                }
            }),
            custom: sources.custom,
            selected_shape: sources.selected_shape,
            head_split,
        };
        learn.load(link);
        learn.notice_done();
        learn
    }

    /// Reads the stored progress; a link's place wins over the stored one.
    fn load(self, link: Option<Place>) {
        spawn_local(async move {
            let stored = store::load_text(STORE_KEY)
                .await
                .ok()
                .flatten()
                .map(|json| Progress::from_json(&json))
                .unwrap_or_default();
            let place = link.or(stored.current);
            self.progress.set(stored);
            self.loaded.set(true);
            if let Some(place) = place {
                self.open(place);
            }
        });
        Effect::new(move |_| {
            let json = self.progress.with(Progress::to_json);
            if self.loaded.get() {
                spawn_local(async move {
                    // Progress is a convenience: a failed save loses nothing the page shows.
                    let _ = store::save_text(STORE_KEY, &json).await;
                });
            }
        });
    }

    /// Marks the current step done once its check holds.
    fn notice_done(self) {
        Effect::new(move |_| {
            let facts = self.facts.get();
            if self.preparing.get() {
                return;
            }
            let Some((place, _, step)) = self.current() else {
                return;
            };
            if self.progress.with_untracked(|p| p.is_done(place)) {
                return;
            }
            if self
                .baseline
                .with_untracked(|start| (step.done)(&facts, start))
            {
                self.progress.update(|p| p.mark_done(place));
            }
        });
    }

    /// The open step, its lesson and its place (tracks the progress).
    pub fn current(&self) -> Option<(Place, &'static Lesson, &'static Step)> {
        let place = self.progress.with(|p| p.current)?;
        let lesson = lesson(place.lesson)?;
        Some((place, lesson, lesson.steps.get(place.step - 1)?))
    }

    /// What the learner sees of the current step, from the facts now and at its start.
    pub fn explanation(&self) -> Option<String> {
        let (_, _, step) = self.current()?;
        let facts = self.facts.get();
        Some(self.baseline.with(|start| (step.explain)(&facts, start)))
    }

    /// Opens a step as a link or a click does: the lesson's setups up to it, in order, so that
    /// a step that builds on the ones before finds the views as they would have left them.
    pub fn open(self, place: Place) {
        let Some(lesson) = lesson(place.lesson) else {
            return;
        };
        let setups = lesson.steps[..place.step]
            .iter()
            .flat_map(|s| s.setup.iter().copied())
            .collect();
        self.prepare(place, setups);
    }

    /// Goes on from a finished step to the next (only its own setup: the views are as the
    /// last step left them), or to the next lesson.
    pub fn next(self) {
        let Some((place, _, _)) = self.current() else {
            return;
        };
        match place.next() {
            Some(next) if next.lesson == place.lesson => {
                let step = &lesson(next.lesson).expect("a checked place").steps[next.step - 1];
                self.prepare(next, step.setup.to_vec());
            }
            Some(next) => self.open(next),
            None => self.close(),
        }
    }

    /// Leaves the lesson (the progress stays).
    pub fn close(&self) {
        self.ticket.update_value(|t| *t += 1);
        self.preparing.set(false);
        self.progress.update(|p| p.current = None);
    }

    fn prepare(self, place: Place, setups: Vec<Setup>) {
        self.ticket.update_value(|t| *t += 1);
        let mine = self.ticket.get_value();
        self.preparing.set(true);
        self.progress.update(|p| p.current = Some(place));
        spawn_local(async move {
            for setup in setups {
                if self.ticket.get_value() != mine {
                    return;
                }
                self.apply(setup).await;
            }
            if self.ticket.get_value() == mine {
                self.baseline.set(self.facts.get_untracked());
                self.preparing.set(false);
            }
        });
    }

    /// Waits for the model: `false` if it failed to load.
    async fn model_ready(self) -> bool {
        loop {
            match self.sources.app.status.get_untracked() {
                Status::Ready(_) => return true,
                Status::Error(_) => return false,
                Status::Loading(_) => TimeoutFuture::new(POLL_MS).await,
            }
        }
    }

    /// Waits until no step, load or backend switch is running.
    async fn idle(self) {
        while self.sources.app.busy.get_untracked() {
            TimeoutFuture::new(POLL_MS).await;
        }
    }

    async fn apply(self, setup: Setup) {
        let Sources {
            app,
            inside,
            train,
            experiments,
            ..
        } = self.sources;
        match setup {
            Setup::Open(tab) => app.view.set(tab),
            Setup::Prompt(text) => {
                app.prompt.set(text.to_string());
                if self.model_ready().await {
                    self.idle().await;
                    app.reset();
                }
            }
            Setup::Decoding {
                strategy,
                temperature,
                top_k,
                top_p,
            } => app.settings.update(|s| {
                (s.strategy, s.temperature, s.top_k, s.top_p) =
                    (strategy, temperature, top_k, top_p)
            }),
            Setup::Generated(n) => {
                if !self.model_ready().await {
                    return;
                }
                while app
                    .snapshot
                    .with_untracked(|s| s.steps.len() < n && !s.done)
                {
                    self.idle().await;
                    app.busy.set(true);
                    let result = app.step().await;
                    app.busy.set(false);
                    if let Err(message) = result {
                        return app.error.set(Some(message));
                    }
                }
            }
            Setup::AllHeadsOn => inside.clear_mask(),
            // A running experiment or training run is left alone: the learner may be watching it.
            Setup::Experiment { choice, steps } => {
                if !experiments.current.with_untracked(Option::is_some) {
                    experiments.choice.set(Choice::from_value(choice));
                    experiments.steps.set(steps);
                }
            }
            Setup::TrainTask(task) if !running(train) => {
                train.corpus.set(CorpusChoice::task(task));
                train.form.update(|f| f.apply_task(task));
            }
            Setup::TrainPreset { preset, steps } if !running(train) => {
                train.corpus.set(CorpusChoice::Shakespeare);
                train.form.update(|f| {
                    f.start = StartFrom::Scratch;
                    f.apply_preset(preset);
                    f.steps = steps;
                });
            }
            Setup::TrainTask(_) | Setup::TrainPreset { .. } => {}
        }
    }

    /// Runs the rank check on the open model.
    pub fn check_head_split(&self) {
        if let Some(model) = self.sources.app.model() {
            self.head_split
                .run(async move { HeadSplit::of(&model).await });
        }
    }
}

fn running(train: TrainState) -> bool {
    matches!(
        train.phase.get_untracked(),
        Phase::Starting | Phase::Running | Phase::Paused
    )
}
