//! The Inside view's state: what it looks at (the step on screen in Generate), and the analyses the
//! model crate computes for it, each run asynchronously and dropped when its inputs change.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{AbortHandle, abortable};
use glassbox_model::analysis::ablation::{
    AblationEffect, HeadImportance, ImportanceScan, ablation_effect,
};
use glassbox_model::analysis::lens::{LogitLens, logit_lens};
use glassbox_model::analysis::nonlinearity::{LinearEffect, MlpActivity, linearised_effect};
use glassbox_model::analysis::teacher_forcing::{
    OneAtATime, PositionPrediction, TeacherForcing, teacher_forced,
};
use glassbox_model::decode::generator::greedy_path;
use glassbox_model::{AttentionMatrix, DecodeStages, HeadMask, Strategy};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{AppState, Tab};
use crate::web::clock::{pause_if_due, yield_to_browser};

/// Tokens the lens and the teacher-forced pass list per position.
pub const TOP: usize = 5;

/// The text the views analyse: the window the shown step read followed by the token it picked
/// (the prompt when no step has been taken), cut to the model's context from the left.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub ids: Vec<u32>,
    /// The position whose next-token prediction generation used (the last one read).
    pub predict_at: usize,
    /// The step on screen, if any.
    pub step: Option<usize>,
}

impl Subject {
    fn new(mut ids: Vec<u32>, picked: Option<u32>, context: usize, step: Option<usize>) -> Self {
        ids.extend(picked);
        let cut = ids.len().saturating_sub(context);
        ids.drain(..cut);
        let predict_at = ids.len().saturating_sub(1 + picked.is_some() as usize);
        Self {
            ids,
            predict_at,
            step,
        }
    }

    /// A position of this text (the predicting one when `None`).
    pub fn position(&self, chosen: Option<usize>) -> usize {
        chosen.unwrap_or(self.predict_at).min(self.ids.len() - 1)
    }
}

#[derive(Clone, Debug)]
pub enum Job<T> {
    Idle,
    Running,
    Done(Arc<T>),
    Failed(String),
}

/// One analysis: its latest result, and the run under way, stopped when another starts.
pub struct Analysis<T: Send + Sync + 'static> {
    pub job: RwSignal<Job<T>>,
    /// Stops the run under way at its next pause: a superseded pass over GPT-2 would otherwise
    /// go on taking the page's thread from the one the user is waiting for.
    running: StoredValue<Option<AbortHandle>>,
}

impl<T: Send + Sync + 'static> Clone for Analysis<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Analysis<T> {}

impl<T: Send + Sync + 'static> Analysis<T> {
    pub fn new() -> Self {
        Self {
            job: RwSignal::new(Job::Idle),
            running: StoredValue::new(None),
        }
    }

    /// Stops the run under way, if any.
    fn stop(self) {
        if let Some(run) = self.running.write_value().take() {
            run.abort();
        }
    }

    /// Starts `work` after the browser has painted, stopping the run under way; its result
    /// replaces the current one.
    pub fn run<E: std::fmt::Display>(self, work: impl Future<Output = Result<T, E>> + 'static) {
        self.stop();
        self.job.set(Job::Running);
        let (work, handle) = abortable(async move {
            yield_to_browser().await;
            work.await
        });
        self.running.set_value(Some(handle));
        spawn_local(async move {
            // Aborted: a newer run or a clear owns the job.
            if let Ok(result) = work.await {
                self.running.set_value(None);
                self.job.set(match result {
                    Ok(value) => Job::Done(Arc::new(value)),
                    Err(e) => Job::Failed(e.to_string()),
                });
            }
        });
    }

    fn clear(self) {
        self.stop();
        self.job.set(Job::Idle);
    }

    /// The result, if the latest run has finished (tracks the job).
    pub fn done(&self) -> Option<Arc<T>> {
        self.job.with(|j| match j {
            Job::Done(v) => Some(v.clone()),
            _ => None,
        })
    }

    pub fn is_running(&self) -> bool {
        self.job.with(|j| matches!(j, Job::Running))
    }

    pub fn error(&self) -> Option<String> {
        self.job.with(|j| match j {
            Job::Failed(msg) => Some(msg.clone()),
            _ => None,
        })
    }
}

/// The heads ranked so far by how much switching each off alone raises the probe loss.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Importance {
    pub running: bool,
    pub measured: usize,
    pub total: usize,
    pub base_loss: Option<f32>,
    pub ranking: Vec<HeadImportance>,
    pub cancelled: bool,
}

/// The text replayed the way generation reads it: one pass per token.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    pub running: bool,
    pub predictions: Vec<PositionPrediction>,
}

#[derive(Clone, Copy)]
pub struct InsideState {
    state: AppState,
    pub subject: Memo<Option<Subject>>,
    /// The position the lens and the MLP view detail (`None`: the predicting one).
    pub position: RwSignal<Option<usize>>,
    pub lens: Analysis<LogitLens>,
    /// The teacher-forced pass over the subject: predictions, attention and MLP units.
    pub pass: Analysis<TeacherForcing>,
    /// That pass's attention over its whole text.
    pub attention: Memo<Option<Arc<AttentionMatrix>>>,
    pub ablation: Analysis<AblationEffect>,
    pub mlp_layer: RwSignal<usize>,
    /// That block's hidden units at the detailed position, from the pass.
    pub mlp_activity: Memo<Option<MlpActivity>>,
    pub linear: Analysis<LinearEffect>,
    pub importance: RwSignal<Importance>,
    stop_ranking: StoredValue<bool>,
    pub replay: RwSignal<Replay>,
    replay_ticket: StoredValue<u64>,
    /// The greedy continuation beside the beam tree: (token, summed log-probability).
    pub greedy: Analysis<Vec<(u32, f32)>>,
}

impl InsideState {
    pub fn new(state: AppState) -> Self {
        let subject = Memo::new(move |_| {
            let selected = state.selected.get();
            let model = state.model()?;
            let (context, vocab) = (model.context_length(), model.vocab_size());
            let subject = state.snapshot.with(|s| match s.shown_step(selected) {
                Some(step) => Some(Subject::new(
                    step.window_ids.clone(),
                    Some(step.chosen),
                    context,
                    Some(step.index),
                )),
                None if !s.ids.is_empty() => Some(Subject::new(
                    s.ids[s.next_window_start..].to_vec(),
                    None,
                    context,
                    None,
                )),
                None => None,
            })?;
            // A snapshot of the previous model while another is being installed.
            subject
                .ids
                .iter()
                .all(|&id| (id as usize) < vocab)
                .then_some(subject)
        });
        let pass = Analysis::<TeacherForcing>::new();
        let (position, mlp_layer) = (RwSignal::new(None), RwSignal::new(0));
        let mlp_activity = Memo::new(move |_| {
            // The pass may still be the previous text's: stay inside what it read.
            let pass = pass.done()?;
            let at = subject
                .get()?
                .position(position.get())
                .min(pass.trace.n_query - 1);
            let layer = mlp_layer.get().min(pass.trace.n_layer - 1);
            MlpActivity::from_trace(&pass.trace, layer, at)
        });
        let inside = Self {
            state,
            subject,
            position,
            lens: Analysis::new(),
            pass,
            attention: Memo::new(move |_| pass.done().map(|p| Arc::new(p.attention()))),
            ablation: Analysis::new(),
            mlp_layer,
            mlp_activity,
            linear: Analysis::new(),
            importance: RwSignal::new(Importance::default()),
            stop_ranking: StoredValue::new(false),
            replay: RwSignal::new(Replay::default()),
            replay_ticket: StoredValue::new(0),
            greedy: Analysis::new(),
        };
        inside.follow_inputs();
        inside
    }

    fn visible(&self) -> bool {
        self.state.view.get() == Tab::Inside
    }

    /// Re-runs each analysis when what it depends on changes (the Inside ones only while shown;
    /// the ablation always, as the Generate view's candidates use it).
    fn follow_inputs(self) {
        let state = self.state;
        Effect::new(move |_| {
            let (subject, mask) = (self.subject.get(), state.head_mask.get());
            match (subject, state.model()) {
                (Some(subject), Some(model)) if !mask.is_empty() => self.ablation.run(async move {
                    ablation_effect(&model, &subject.ids, subject.predict_at, &mask).await
                }),
                _ => self.ablation.clear(),
            }
        });
        Effect::new(move |_| {
            // A new text: the replay and the ranking were about the old one.
            self.subject.track();
            self.replay_ticket.update_value(|t| *t += 1);
            self.replay.set(Replay::default());
            self.stop_ranking.set_value(true);
            self.importance.set(Importance::default());
        });
        Effect::new(move |_| {
            let subject = self.subject.get();
            if let (Some(subject), Some(model), true) = (subject, state.model(), self.visible()) {
                self.pass
                    .run(async move { teacher_forced(&model, &subject.ids, TOP).await });
            }
        });
        Effect::new(move |_| {
            let (subject, position) = (self.subject.get(), self.position.get());
            if let (Some(subject), Some(model), true) = (subject, state.model(), self.visible()) {
                let at = subject.position(position);
                let target = subject.ids.get(at + 1).copied();
                self.lens
                    .run(async move { logit_lens(&model, &subject.ids, at, target, TOP).await });
            }
        });
        Effect::new(move |_| {
            let (subject, position, layer) = (
                self.subject.get(),
                self.position.get(),
                self.mlp_layer.get(),
            );
            if let (Some(subject), Some(model), true) = (subject, state.model(), self.visible()) {
                let at = subject.position(position);
                let layer = layer.min(model.n_layer() - 1);
                self.linear.run(async move {
                    linearised_effect(&model, &subject.ids[..=at], layer).await
                });
            }
        });
        Effect::new(move |_| {
            let search = state.beam_tree();
            match (search, state.model(), self.visible()) {
                (Some(search), Some(model), true) if search.tree.steps() > 0 => {
                    let steps = search.tree.steps();
                    // The heads the beam search ran without (the steps were taken with them off).
                    let mask = state.head_mask.get_untracked();
                    self.greedy
                        .run(async move { greedy_path(model, search.prompt, steps, mask).await })
                }
                _ => self.greedy.clear(),
            }
        });
    }

    /// Starts a beam search over the prompt (at least 2 beams) and takes `steps` steps.
    pub fn run_beam_search(self, steps: usize) {
        let state = self.state;
        if state.busy.get_untracked() || !state.is_ready() {
            return;
        }
        state.settings.update(|s| {
            s.strategy = Strategy::Beam;
            s.beam_width = s.beam_width.max(2);
        });
        state.reset();
        state.exclusive(async move {
            for _ in 0..steps {
                if let Err(msg) = state.step().await {
                    state.error.set(Some(msg));
                    break;
                }
                if state.snapshot.with_untracked(|s| s.done) {
                    break;
                }
            }
        });
    }

    /// Switches a head off, or back on.
    pub fn toggle_head(&self, layer: usize, head: usize) {
        self.state.head_mask.update(|m| {
            if !m.ablated.remove(&(layer, head)) {
                m.ablated.insert((layer, head));
            }
        });
    }

    /// Switches every head off except `(layer, head)`.
    pub fn only_head(&self, layer: usize, head: usize) {
        let (n_layer, n_head) = self.state.shape();
        self.state
            .head_mask
            .set(HeadMask::all_but(layer, head, n_layer, n_head));
    }

    pub fn clear_mask(&self) {
        self.state.head_mask.set(HeadMask::default());
    }

    /// While heads are off: the shown step's candidates with them off, and each candidate's
    /// (softmax, after the transforms) probability with every head on.
    pub fn ablated_candidates(
        &self,
    ) -> Option<(glassbox_model::CandidateSummary, Vec<(f32, f32)>)> {
        if self.state.head_mask.with(HeadMask::is_empty) {
            return None;
        }
        let effect = self.ablation.done()?;
        let settings = self.state.settings.get();
        let n = self.state.top_n.get();
        let summary =
            DecodeStages::new(&effect.ablated_logits, &settings).summary(&effect.ablated_logits, n);
        let base = DecodeStages::new(&effect.base_logits, &settings);
        let base_probs = summary
            .top
            .iter()
            .map(|c| (base.raw_probs[c.id as usize], base.probs[c.id as usize]))
            .collect();
        Some((summary, base_probs))
    }

    /// The candidate list the Generate view shows: without the switched-off heads while some
    /// are off, else the shown step's own.
    pub fn shown_candidates(&self) -> Option<glassbox_model::CandidateSummary> {
        match self.ablated_candidates() {
            Some((summary, _)) => Some(summary),
            None => self.state.candidates(),
        }
    }

    /// Ranks every head by switching each off alone, a piece of a forward pass at a time, with
    /// progress.
    pub fn rank_heads(self) {
        let (Some(subject), Some(model)) = (self.subject.get_untracked(), self.state.model())
        else {
            return;
        };
        if self.importance.with_untracked(|i| i.running) {
            return;
        }
        self.stop_ranking.set_value(false);
        self.importance.set(Importance {
            running: true,
            ..Default::default()
        });
        spawn_local(async move {
            let mut scan = match ImportanceScan::start(&model, &subject.ids) {
                Ok(scan) => scan,
                Err(e) => {
                    self.importance.set(Importance::default());
                    return self.state.error.set(Some(e.to_string()));
                }
            };
            self.importance.update(|i| i.total = scan.progress().1);
            while !scan.is_done() {
                pause_if_due().await;
                if self.stop_ranking.get_value() {
                    return self.importance.update(|i| {
                        i.running = false;
                        i.cancelled = true;
                    });
                }
                let before = scan.progress();
                if let Err(e) = scan.advance(&model).await {
                    self.state.error.set(Some(e.to_string()));
                    break;
                }
                // A head's pass takes several pieces: the list is redrawn once a head is measured,
                // and drawn before the next, so even a small model's quick ranking shows its
                // progress and can be cancelled.
                let (measured, total) = scan.progress();
                if measured != before.0 {
                    self.importance.set(Importance {
                        running: true,
                        measured,
                        total,
                        base_loss: scan.base_loss(),
                        ranking: scan.ranking(),
                        cancelled: false,
                    });
                    yield_to_browser().await;
                }
            }
            self.importance.update(|i| i.running = false);
        });
    }

    pub fn cancel_ranking(&self) {
        self.stop_ranking.set_value(true);
    }

    /// Reads the text one token per pass, as generation does, showing each prediction as it comes.
    pub fn replay(self) {
        let (Some(subject), Some(model)) = (self.subject.get_untracked(), self.state.model())
        else {
            return;
        };
        self.replay_ticket.update_value(|t| *t += 1);
        let mine = self.replay_ticket.get_value();
        self.replay.set(Replay {
            running: true,
            predictions: Vec::new(),
        });
        spawn_local(async move {
            let mut run = match OneAtATime::new(&model, &subject.ids, TOP) {
                Ok(run) => run,
                Err(e) => return self.state.error.set(Some(e.to_string())),
            };
            while !run.is_done() {
                // Slow enough to watch, one pass at a time.
                gloo_timers::future::TimeoutFuture::new(120).await;
                if self.replay_ticket.get_value() != mine {
                    return;
                }
                if let Err(e) = run.advance(&model).await {
                    self.state.error.set(Some(e.to_string()));
                    break;
                }
                self.replay.set(Replay {
                    running: !run.is_done(),
                    predictions: run.predictions().to_vec(),
                });
            }
            self.replay.update(|r| r.running = false);
        });
    }
}
