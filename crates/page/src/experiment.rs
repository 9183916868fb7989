//! The Experiments view's records: which experiment, the two architectures of a custom pair, and
//! a whole experiment as storage keeps it (so a reload continues it).

use glassbox_model::config::{Activation, GptConfig};
use glassbox_model::train::experiment::{ExperimentKind, Variant, VariantResult};
use glassbox_model::train::run::RunRecord;
use serde::{Deserialize, Serialize};

/// A built-in experiment, two architectures of the user's, or post-training the shipped model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// One of the model crate's experiments.
    Builtin(ExperimentKind),
    /// Model A against model B, both the user's.
    Custom,
    /// Fine-tuning the shipped model on question/answer pairs.
    PostTraining,
}

/// Question/answer pairs to start from, in the shipped model's characters.
pub const EXAMPLE_PAIRS: &str = "Q: Who loves Juliet?\nA: Romeo loves Juliet.\n\nQ: Where do they live?\nA: In fair Verona.\n\nQ: What is the question?\nA: To be, or not to be.\n";

impl Choice {
    /// The `<select>` value and storage name.
    pub fn value(self) -> &'static str {
        match self {
            Choice::Builtin(kind) => kind.name(),
            Choice::Custom => "custom",
            Choice::PostTraining => "post-training",
        }
    }

    /// The choice a value names (an unknown one is the custom pair).
    pub fn from_value(value: &str) -> Self {
        match value {
            "post-training" => Choice::PostTraining,
            _ => ExperimentKind::from_name(value).map_or(Choice::Custom, Choice::Builtin),
        }
    }

    /// The question the experiment answers, as its heading.
    pub fn title(self) -> &'static str {
        match self {
            Choice::Builtin(kind) => kind.question(),
            Choice::Custom => "Your own pair: model A vs model B",
            Choice::PostTraining => {
                "Post-training: fine-tune the shipped model on your question/answer pairs"
            }
        }
    }

    /// The title's first part (up to its `?` or `:`), short enough for a phone's drop-down; the
    /// whole title is shown beside it.
    pub fn short_title(self) -> &'static str {
        let title = self.title();
        title.find(['?', ':']).map_or(title, |end| &title[..=end])
    }
}

/// One side of a custom pair, as the form edits it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchitectureForm {
    /// Blocks.
    pub layers: usize,
    /// Heads per block.
    pub heads: usize,
    /// Width of the residual stream.
    pub width: usize,
    /// Context length in tokens.
    pub context: usize,
    /// The MLP's non-linearity.
    pub activation: Activation,
    /// Attention in the first block only.
    pub first_block_attention: bool,
}

impl ArchitectureForm {
    /// The form showing `c`'s shape.
    pub fn from_config(c: &GptConfig) -> Self {
        Self {
            layers: c.n_layer,
            heads: c.n_head,
            width: c.d_model,
            context: c.context_length,
            activation: c.activation,
            first_block_attention: false,
        }
    }

    /// The shape (vocabulary 1: the run sets the tokenizer's).
    pub fn config(&self) -> GptConfig {
        let without =
            (self.first_block_attention && self.layers > 1).then(|| (1..self.layers).collect());
        GptConfig::new(1, self.context, self.layers, self.heads, self.width)
            .with_activation(self.activation)
            .with_without_attention(without)
    }

    /// "2×4 w32 c32 GELU" (how a custom variant is named).
    /// "A: 2 blocks × 4 heads, width 32, context 32, GELU": the variant's name on side `side`.
    pub fn name(&self, side: &str) -> String {
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
    /// As the chart's legend shows it.
    pub name: String,
    /// Curves and samples (attention snapshots are dropped to keep it small).
    pub record: Option<RunRecord>,
    /// The loss became NaN or infinite and the variant stopped.
    pub diverged: bool,
}

impl VariantRun {
    /// Its final figures, once it has a record.
    pub fn result(&self) -> Option<VariantResult> {
        self.record
            .as_ref()
            .map(|r| VariantResult::from_record(&self.name, r))
    }
}

/// A whole experiment as kept in storage (after every variant), so a reload can continue it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    /// The choice's title when it started.
    pub title: String,
    /// The training text when it is not the built-in Shakespeare (post-training's pairs).
    #[serde(default)]
    pub corpus: Option<String>,
    /// What each variant trains (the same order as `variants`).
    pub plan: Vec<Variant>,
    /// What each variant has done so far.
    pub variants: Vec<VariantRun>,
    /// Every variant ran to its end.
    pub finished: bool,
}

impl ExperimentRecord {
    /// The first variant that has not run to its end (a diverged one counts as ended).
    pub fn next_unfinished(&self) -> Option<usize> {
        self.variants.iter().zip(&self.plan).position(|(v, p)| {
            !v.diverged
                && v.record
                    .as_ref()
                    .is_none_or(|r| r.steps_done() < p.settings.train.total_steps)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glassbox_model::train::run::RunSettings;
    use glassbox_model::{Preset, TrainConfig};

    #[test]
    fn short_titles_end_the_question_and_fit_a_phone() {
        assert_eq!(
            Choice::Builtin(ExperimentKind::Heads).short_title(),
            "Why several heads?"
        );
        assert_eq!(Choice::Custom.short_title(), "Your own pair:");
        for kind in ExperimentKind::ALL {
            let short = Choice::Builtin(kind).short_title();
            assert!(short.ends_with('?') && short.len() <= 32, "{short}");
        }
    }

    #[test]
    fn every_choice_round_trips_through_its_value() {
        let choices = ExperimentKind::ALL
            .map(Choice::Builtin)
            .into_iter()
            .chain([Choice::Custom, Choice::PostTraining]);
        for choice in choices {
            assert_eq!(Choice::from_value(choice.value()), choice);
            assert!(!choice.title().is_empty());
        }
        assert_eq!(Choice::from_value("no such"), Choice::Custom);
    }

    #[test]
    fn an_architecture_form_builds_its_config_and_name() {
        let mut form = ArchitectureForm::from_config(&Preset::Tiny.config(1));
        assert_eq!(form.config(), Preset::Tiny.config(1));
        form.first_block_attention = true;
        form.layers = 3;
        assert_eq!(form.config().without_attention, Some(vec![1, 2]));
        let name = form.name("B");
        assert!(
            name.starts_with("B: 3 blocks") && name.contains("block 1 only"),
            "{name}"
        );
    }

    #[test]
    fn the_next_unfinished_variant_skips_finished_and_diverged_ones() {
        let settings = RunSettings {
            model: Preset::Tiny.config(10),
            train: TrainConfig::new(5),
            report_every: 1,
            sample_prompt: String::new(),
            sample_length: 0,
            probe: String::new(),
            corpus_name: "test".into(),
        };
        let run = |steps: usize, diverged| {
            let mut record = RunRecord::new(settings.clone());
            record.curve.extend(
                (1..=steps).map(|step| glassbox_model::train::run::CurvePoint {
                    step,
                    loss: 1.0,
                    learning_rate: 1e-3,
                    val_loss: None,
                    elapsed_s: 0.0,
                }),
            );
            VariantRun {
                name: format!("{steps}"),
                record: Some(record),
                diverged,
            }
        };
        let plan = |n| {
            (0..n)
                .map(|i| Variant {
                    name: format!("{i}"),
                    settings: settings.clone(),
                    from_shipped: false,
                })
                .collect::<Vec<_>>()
        };
        let mut record = ExperimentRecord {
            title: "t".into(),
            corpus: None,
            plan: plan(3),
            variants: vec![run(5, false), run(2, true), run(2, false)],
            finished: false,
        };
        assert_eq!(record.next_unfinished(), Some(2));
        record.variants[2] = run(5, false);
        assert_eq!(record.next_unfinished(), None);
        record.variants[0].record = None;
        assert_eq!(record.next_unfinished(), Some(0));
    }
}
