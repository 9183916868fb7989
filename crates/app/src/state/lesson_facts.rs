//! The lessons' [`Facts`], read from the same signals and records the views render, so that a
//! number a lesson quotes is the number on screen.

use glassbox_model::analysis::head_split::HeadSplit;
use glassbox_model::train::run::RunRecord;
use glassbox_model::train::tasks::ToyTask;
use glassbox_model::{AttentionMatrix, DecodeStages};
use glassbox_page::experiment::{Choice, VariantRun};
use glassbox_page::learn::facts::{
    AttentionFacts, CandidateFact, CustomShape, ExperimentFacts, Facts, GenerationFacts, HeadFocus,
    HeadSplitFacts, InsideFacts, LensFact, LinearFacts, ModelFacts, PatternFact, RankingFacts,
    ShapesFacts, TrainingFacts, VariantFact,
};
use leptos::prelude::*;

use crate::state::AppState;
use crate::state::experiments::ExperimentState;
use crate::state::inside::{Analysis, InsideState};
use crate::state::train::TrainState;

/// Everything the facts are read from.
#[derive(Clone, Copy)]
pub struct Sources {
    pub app: AppState,
    pub inside: InsideState,
    pub train: TrainState,
    pub experiments: ExperimentState,
    /// The Generate view's attention (the shown step's).
    pub attention: Memo<Option<std::sync::Arc<AttentionMatrix>>>,
    pub custom: RwSignal<CustomShape>,
    pub selected_shape: RwSignal<Option<&'static str>>,
    pub head_split: Analysis<HeadSplit>,
}

impl Sources {
    /// The facts now (tracks every signal read).
    pub fn read(&self) -> Facts {
        Facts {
            tab: self.app.view.get(),
            model: self.model(),
            generation: self.generation(),
            attention: self.attention(),
            inside: self.inside(),
            training: self.train.record.with(|r| training(self.train, r.as_ref())),
            experiment: self.experiment(),
            shapes: self.shapes(),
            head_split: self.head_split.done().map(|s| head_split(&s)),
        }
    }

    fn model(&self) -> Option<ModelFacts> {
        self.app.status.track();
        let model = self.app.model()?;
        let c = model.config();
        Some(ModelFacts {
            layers: c.n_layer,
            heads: c.n_head,
            width: c.d_model,
            context: c.context_length,
            vocab: c.vocab_size,
            params: c.num_params(),
        })
    }

    fn candidate(&self, id: u32, prob: f32, raw_prob: f32, chosen: bool) -> CandidateFact {
        CandidateFact {
            label: self.app.label(id),
            prob,
            raw_prob,
            chosen,
        }
    }

    fn generation(&self) -> GenerationFacts {
        let app = self.app;
        let (steps, generated, shown) = app.snapshot.with(|s| {
            let generated = s.tokens[s.prompt_len.min(s.tokens.len())..]
                .iter()
                .map(|t| t.label.clone())
                .collect();
            let shown = s
                .shown_step(app.selected.get())
                .map(|step| (step.context_len, step.chosen));
            (s.steps.len(), generated, shown)
        });
        let summary = self.inside.shown_candidates();
        let chosen = shown.map(|(_, chosen)| chosen);
        GenerationFacts {
            steps,
            generated,
            window: shown.map_or(0, |(window, _)| window),
            settings: app.settings.get(),
            candidates: summary.as_ref().map_or_else(Vec::new, |s| {
                s.top
                    .iter()
                    .map(|c| self.candidate(c.id, c.prob, c.raw_prob, Some(c.id) == chosen))
                    .collect()
            }),
            kept: summary.as_ref().map_or(0, |s| s.kept),
            entropy: summary.as_ref().map_or(0.0, |s| s.entropy),
            raw_entropy: summary.as_ref().map_or(0.0, |s| s.raw_entropy),
        }
    }

    fn attention(&self) -> Option<AttentionFacts> {
        let matrix = self.attention.get()?;
        let labels = self.app.snapshot.with(|s| {
            s.shown_step(self.app.selected.get())
                .map(|step| step.window_labels.clone())
        })?;
        let primary = self.app.primary.get();
        let layer = primary.layer().min(matrix.n_layer.checked_sub(1)?);
        let query = matrix.size.min(labels.len()).checked_sub(1)?;
        let heads = (0..matrix.n_head)
            .map(|head| {
                let (position, weight) = (0..=query)
                    .map(|k| (k, matrix.get(layer, head, query, k)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap_or((0, 0.0));
                HeadFocus {
                    head,
                    key: labels[position].clone(),
                    position,
                    weight,
                }
            })
            .collect();
        Some(AttentionFacts {
            primary,
            compare: self.app.compare.get(),
            query: labels[query].clone(),
            layer,
            heads,
        })
    }

    fn inside(&self) -> InsideFacts {
        let inside = self.inside;
        let settings = self.app.settings.get();
        let heads_off: Vec<(usize, usize)> = self
            .app
            .head_mask
            .with(|m| m.ablated.iter().copied().collect());
        let ablation = (!heads_off.is_empty())
            .then(|| inside.ablation.done())
            .flatten();
        let top_of = |logits: &[f32]| {
            let stages = DecodeStages::new(logits, &settings);
            let id = argmax(&stages.raw_probs);
            self.candidate(id as u32, stages.probs[id], stages.raw_probs[id], false)
        };
        let linear = inside.linear.done().map(|effect| LinearFacts {
            layer: self.linear_layer(),
            kl: effect.kl,
            top: self.app.label(argmax(&effect.base_logits) as u32),
            linear_top: self.app.label(effect.linear_top()),
            identity_share: inside
                .mlp_activity
                .get()
                .map_or(0.0, |a| a.near_identity_share()),
        });
        let ranking = inside.importance.with(|i| {
            (i.running || !i.ranking.is_empty()).then(|| RankingFacts {
                base_loss: i.base_loss.unwrap_or(0.0),
                heads: i
                    .ranking
                    .iter()
                    .map(|h| (h.layer, h.head, h.increase))
                    .collect(),
                done: !i.running && i.total > 0 && i.measured == i.total,
            })
        });
        InsideFacts {
            ablation_kl: ablation.as_ref().map(|a| a.kl),
            ablation_top: ablation
                .as_ref()
                .map(|a| (top_of(&a.base_logits), top_of(&a.ablated_logits))),
            heads_off,
            lens: inside.lens.done().map_or_else(Vec::new, |lens| {
                lens.rows
                    .iter()
                    .filter_map(|row| {
                        let &(id, prob) = row.top.first()?;
                        Some(LensFact {
                            depth: row.depth,
                            label: self.app.label(id),
                            prob,
                        })
                    })
                    .collect()
            }),
            linear,
            ranking,
        }
    }

    /// The block the MLP view linearises (as the analysis clamps it).
    fn linear_layer(&self) -> usize {
        let n_layer = self.app.model_shape.get().map_or(1, |(l, _)| l);
        self.inside.mlp_layer.get().min(n_layer.saturating_sub(1))
    }

    fn experiment(&self) -> ExperimentFacts {
        let exp = self.experiments;
        let choice = exp.choice.get();
        // The record shown is the last run's, whichever experiment that was: only this
        // choice's counts.
        let (finished, pairs_loss, variants) = exp.record.with(|r| {
            let Some(r) = r.as_ref().filter(|r| r.title == choice.title()) else {
                return (false, None, Vec::new());
            };
            let pairs = (choice == Choice::PostTraining && r.finished)
                .then(|| r.variants.first()?.record.as_ref())
                .flatten()
                .and_then(|run| {
                    let after = run.curve.iter().rev().find_map(|p| p.val_loss)?;
                    Some((run.initial_val_loss?, after))
                });
            let variants = r
                .variants
                .iter()
                .filter_map(VariantRun::result)
                .map(|v| VariantFact {
                    name: v.name,
                    params: v.params,
                    final_loss: v.val_loss.or(v.train_loss),
                })
                .collect();
            (r.finished, pairs, variants)
        });
        ExperimentFacts {
            choice: choice.value(),
            running: exp.is_running(),
            finished,
            variants,
            pairs_loss,
        }
    }

    fn shapes(&self) -> ShapesFacts {
        let custom = self.custom.get();
        let (vocab, context) = self.model().map_or((84, 128), |m| (m.vocab, m.context));
        let p = custom.shape(vocab, context).param_counts();
        ShapesFacts {
            selected: self.selected_shape.get(),
            custom,
            custom_params: [p.embeddings, p.attention, p.mlp, p.total()],
        }
    }
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// The Train view's run as the lessons read it; patterns are the latest snapshot's.
fn training(train: TrainState, record: Option<&RunRecord>) -> TrainingFacts {
    let phase = train.phase.get().label();
    let Some(r) = record else {
        return TrainingFacts {
            phase,
            task: train.corpus.with(|c| c.toy_task()),
            ..Default::default()
        };
    };
    let model = &r.settings.model;
    let latest = r.snapshots.len().checked_sub(1);
    let patterns = latest.map_or_else(Vec::new, |index| {
        r.head_patterns(index)
            .into_iter()
            .map(|(layer, head, pattern, score)| PatternFact {
                layer,
                head,
                pattern,
                score,
            })
            .collect()
    });
    TrainingFacts {
        phase,
        task: ToyTask::from_corpus_name(&r.settings.corpus_name),
        steps_done: r.steps_done(),
        total_steps: r.settings.train.total_steps,
        tokens_per_step: r.tokens_per_step(),
        batch: r.settings.train.batch_size,
        context: model.context_length,
        params: model.num_params(),
        first_loss: r.curve.first().map(|p| p.loss),
        last_loss: r.curve.last().map(|p| p.loss),
        diversity: r.head_diversity().into_iter().map(|(_, d)| d).collect(),
        snapshot_step: r.snapshots.last().map(|s| s.step),
        patterns,
    }
}

fn head_split(split: &HeadSplit) -> HeadSplitFacts {
    let first = split.blocks.first();
    HeadSplitFacts {
        width: split.d_model,
        heads: split.n_head,
        head_width: split.head_dim,
        full: first.map_or(0, |b| b.query.full),
        per_head: first.map_or_else(Vec::new, |b| b.query.per_head.clone()),
        together: first.map_or(0, |b| b.query.together()),
        blocks: split.blocks.len(),
        blocks_whole: split.blocks.iter().filter(|b| b.is_whole()).count(),
    }
}
