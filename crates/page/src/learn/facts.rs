//! What the page shows, as plain numbers a lesson reads: whether its step is done and what to
//! say about it. The app fills these from the same values its views render, so a number a lesson
//! quotes is the number on screen.

use glassbox_model::analysis::diversity::HeadPattern;
use glassbox_model::shapes::{Architecture, ModelShape};
use glassbox_model::train::tasks::ToyTask;
use glassbox_model::{DecodeSettings, HeadView};

use crate::tab::Tab;

/// Everything a lesson may read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// The open tab.
    pub tab: Tab,
    /// The open model's shape, once it is ready.
    pub model: Option<ModelFacts>,
    /// The Generate view.
    pub generation: GenerationFacts,
    /// The attention of the shown step's last token, in the large view's layer.
    pub attention: Option<AttentionFacts>,
    /// The Inside view's analyses.
    pub inside: InsideFacts,
    /// The Train view's run.
    pub training: TrainingFacts,
    /// The Experiments view.
    pub experiment: ExperimentFacts,
    /// The Learn tab's table of real model shapes.
    pub shapes: ShapesFacts,
    /// The rank check of the heads' projections, once run.
    pub head_split: Option<HeadSplitFacts>,
}

/// The open model's shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelFacts {
    /// Blocks.
    pub layers: usize,
    /// Heads per block.
    pub heads: usize,
    /// Width of the residual stream.
    pub width: usize,
    /// Context length.
    pub context: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// Trainable parameters.
    pub params: usize,
}

/// A candidate row as the list shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CandidateFact {
    /// The token, whitespace made visible.
    pub label: String,
    /// After temperature, top-k and top-p (the row's `data-prob`).
    pub prob: f32,
    /// The plain softmax (the row's `data-raw-prob`).
    pub raw_prob: f32,
    /// The token the step picked.
    pub chosen: bool,
}

/// The Generate view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GenerationFacts {
    /// Tokens generated so far.
    pub steps: usize,
    /// The generated tokens' labels.
    pub generated: Vec<String>,
    /// Tokens the shown step read.
    pub window: usize,
    /// The decoding settings now.
    pub settings: DecodeSettings,
    /// The shown step's candidates under those settings, most likely first.
    pub candidates: Vec<CandidateFact>,
    /// Tokens left after top-k and top-p.
    pub kept: usize,
    /// Entropy (nats) of the distribution the strategy draws from.
    pub entropy: f32,
    /// Entropy (nats) of the plain softmax.
    pub raw_entropy: f32,
}

/// Where one head of a layer looks from the last token.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeadFocus {
    /// The head (0-based).
    pub head: usize,
    /// The key it weighs most, labelled.
    pub key: String,
    /// That key's position in the window (0-based).
    pub position: usize,
    /// Its attention weight.
    pub weight: f32,
}

/// The shown step's attention from its last token.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionFacts {
    /// The head shown large.
    pub primary: HeadView,
    /// Whether the comparison (A, B, A − B) is shown.
    pub compare: bool,
    /// The last token (the query), labelled.
    pub query: String,
    /// The layer of the large view (0-based).
    pub layer: usize,
    /// Each head of that layer.
    pub heads: Vec<HeadFocus>,
}

/// One depth of the logit lens: the top guess read off the residual stream there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LensFact {
    /// 0 = the embeddings, then after each block.
    pub depth: usize,
    /// The top token, labelled.
    pub label: String,
    /// Its probability.
    pub prob: f32,
}

/// An MLP replaced by its best linear fit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinearFacts {
    /// The block (0-based).
    pub layer: usize,
    /// KL(model ‖ linearised), nats.
    pub kl: f32,
    /// The model's top next token.
    pub top: String,
    /// The linearised model's.
    pub linear_top: String,
    /// Share of the MLP's units acting nearly linearly at this position.
    pub identity_share: f32,
}

/// The heads ranked by what switching each off costs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RankingFacts {
    /// The probe loss with every head.
    pub base_loss: f32,
    /// (layer, head, loss increase), most important first.
    pub heads: Vec<(usize, usize, f32)>,
    /// Every head measured.
    pub done: bool,
}

/// The Inside view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsideFacts {
    /// Heads switched off, (layer, head).
    pub heads_off: Vec<(usize, usize)>,
    /// With heads off: KL(with every head ‖ without), nats.
    pub ablation_kl: Option<f32>,
    /// With heads off: the top token with every head, and without them.
    pub ablation_top: Option<(CandidateFact, CandidateFact)>,
    /// The logit lens at the chosen position, shallow to deep.
    pub lens: Vec<LensFact>,
    /// The MLP linearised, once computed.
    pub linear: Option<LinearFacts>,
    /// The head ranking, once started.
    pub ranking: Option<RankingFacts>,
}

/// A head the detector names at the latest attention snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternFact {
    /// Block (0-based).
    pub layer: usize,
    /// Head (0-based).
    pub head: usize,
    /// What it does.
    pub pattern: HeadPattern,
    /// Its mean attention share on the pattern.
    pub score: f32,
}

/// The Train view's run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingFacts {
    /// "idle", "running", "paused", "finished", …
    pub phase: &'static str,
    /// The toy task chosen as the training text, if one is.
    pub task: Option<ToyTask>,
    /// Steps done and planned.
    pub steps_done: usize,
    /// Steps planned.
    pub total_steps: usize,
    /// Tokens predicted per step (batch × context).
    pub tokens_per_step: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence.
    pub context: usize,
    /// The model's parameters.
    pub params: usize,
    /// Training loss at the first and the latest logged step.
    pub first_loss: Option<f32>,
    /// See `first_loss`.
    pub last_loss: Option<f32>,
    /// Mean distance between heads of a layer at each attention snapshot.
    pub diversity: Vec<f32>,
    /// The step of the latest snapshot.
    pub snapshot_step: Option<usize>,
    /// Heads with a recognisable pattern at the latest snapshot.
    pub patterns: Vec<PatternFact>,
}

/// One architecture of an experiment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VariantFact {
    /// As the table names it.
    pub name: String,
    /// Its parameters.
    pub params: usize,
    /// Its validation (else training) loss at the end, once trained.
    pub final_loss: Option<f32>,
}

/// The Experiments view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExperimentFacts {
    /// The chosen experiment's value ("heads", "depth", "post-training", …).
    pub choice: &'static str,
    /// Training now.
    pub running: bool,
    /// Every variant trained.
    pub finished: bool,
    /// The variants so far.
    pub variants: Vec<VariantFact>,
    /// Post-training: the pairs' loss before and after.
    pub pairs_loss: Option<(f32, f32)>,
}

/// The shape the learner edits in the table of real models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CustomShape {
    /// Blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub width: usize,
    /// Heads per block.
    pub heads: usize,
}

impl CustomShape {
    /// A shape the table can count, or why not (the field named).
    pub fn checked(layers: usize, width: usize, heads: usize) -> Result<Self, String> {
        if !(1..=MAX_CUSTOM_LAYERS).contains(&layers) {
            return Err(format!(
                "blocks must be 1 to {MAX_CUSTOM_LAYERS} (got {layers})"
            ));
        }
        if !(1..=MAX_CUSTOM_WIDTH).contains(&width) {
            return Err(format!(
                "the width must be 1 to {MAX_CUSTOM_WIDTH} (got {width})"
            ));
        }
        if heads == 0 || !width.is_multiple_of(heads) {
            return Err(format!(
                "the heads must divide the width: {width} is not a multiple of {heads}"
            ));
        }
        Ok(Self {
            layers,
            width,
            heads,
        })
    }

    /// As a GPT-2-style model with the open model's vocabulary and context.
    pub fn shape(self, vocab: usize, context: usize) -> ModelShape {
        ModelShape {
            name: "your model",
            layers: self.layers,
            d_model: self.width,
            heads: self.heads,
            kv_heads: self.heads,
            d_ff: 4 * self.width,
            vocab,
            context,
            architecture: Architecture::Gpt2,
        }
    }
}

/// The largest custom shape counted: past GPT-3's, below any overflow of the count.
pub const MAX_CUSTOM_LAYERS: usize = 1_000;
/// See [`MAX_CUSTOM_LAYERS`].
pub const MAX_CUSTOM_WIDTH: usize = 100_000;

/// The Learn tab's table of real model shapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShapesFacts {
    /// The row the learner picked, by its name.
    pub selected: Option<&'static str>,
    /// The learner's own row.
    pub custom: CustomShape,
    /// The custom row's parameters (embeddings, attention, MLP, total).
    pub custom_params: [f64; 4],
}

/// The rank check of the first attention block's query projection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeadSplitFacts {
    /// Width of the residual stream.
    pub width: usize,
    /// Heads.
    pub heads: usize,
    /// Width of one head.
    pub head_width: usize,
    /// Rank of the whole query projection.
    pub full: usize,
    /// Rank of each head's slice.
    pub per_head: Vec<usize>,
    /// The heads' ranks added up.
    pub together: usize,
    /// Blocks checked, and how many of them have q, k and v whole (the heads add up to the full rank).
    pub blocks: usize,
    /// See `blocks`.
    pub blocks_whole: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_shape_is_checked_and_counted_as_gpt2_counts_it() {
        assert!(
            CustomShape::checked(0, 128, 4)
                .unwrap_err()
                .contains("blocks")
        );
        assert!(
            CustomShape::checked(4, 130, 4)
                .unwrap_err()
                .contains("multiple")
        );
        assert!(CustomShape::checked(4, 128, 0).is_err());
        assert!(CustomShape::checked(4, MAX_CUSTOM_WIDTH + 1, 1).is_err());
        let shape = CustomShape::checked(12, 768, 12)
            .unwrap()
            .shape(50_257, 1024);
        assert_eq!(shape.param_counts().total(), 124_439_808.0);
        let huge = CustomShape::checked(MAX_CUSTOM_LAYERS, MAX_CUSTOM_WIDTH, 1).unwrap();
        assert!(huge.shape(50_257, 1024).param_counts().total().is_finite());
    }
}
