//! The model's shape and switches, serialised into every checkpoint.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::ceilings::{
    MAX_CONTEXT, MAX_HEADS, MAX_LAYERS, MAX_MLP_RATIO, MAX_VOCAB, MAX_WIDTH, at_most,
};

/// The MLP's non-linearity. `Identity` makes the MLP a purely linear map (used by experiments that
/// show why the non-linearity matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// GPT-2's `gelu_new`: the tanh approximation of GELU.
    #[default]
    GeluTanh,
    /// `max(0, x)`.
    Relu,
    /// No non-linearity: the MLP is two linear maps in a row.
    Identity,
}

/// A GPT-2-style decoder-only transformer.
#[derive(Config, Debug, PartialEq)]
pub struct GptConfig {
    /// Number of distinct tokens.
    pub vocab_size: usize,
    /// Longest sequence the model sees at once (learned positions).
    pub context_length: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block; each reads `d_model / n_head` dimensions.
    pub n_head: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// MLP hidden width as a multiple of `d_model`.
    #[config(default = 4)]
    pub mlp_ratio: usize,
    /// The MLP's non-linearity.
    #[config(default = "Activation::GeluTanh")]
    pub activation: Activation,
    /// The epsilon added to the variance in every LayerNorm.
    #[config(default = 1e-5)]
    pub layer_norm_eps: f64,
    /// Blocks without attention (their MLP still runs, the residual passes the attention by): the
    /// experiment "attention only in the first layer". `None` (every block attends) is also what
    /// checkpoints from before this switch read as: burn's derived config has no serde defaults,
    /// but serde reads a missing `Option` as `None`.
    #[config(default = "None")]
    pub without_attention: Option<Vec<usize>>,
}

impl GptConfig {
    /// Width of one attention head: `d_model / n_head`.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_head
    }

    /// Width of the MLP's hidden layer: `d_model × mlp_ratio`.
    pub fn d_mlp(&self) -> usize {
        self.d_model * self.mlp_ratio
    }

    /// Whether block `layer` has attention.
    pub fn has_attention(&self, layer: usize) -> bool {
        self.without_attention
            .as_ref()
            .is_none_or(|off| !off.contains(&layer))
    }

    /// Checks the invariants `init` relies on, naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        at_most("n_layer", self.n_layer, MAX_LAYERS)?;
        at_most("n_head", self.n_head, MAX_HEADS)?;
        at_most("d_model", self.d_model, MAX_WIDTH)?;
        at_most("context_length", self.context_length, MAX_CONTEXT)?;
        at_most("vocab_size", self.vocab_size, MAX_VOCAB)?;
        at_most("mlp_ratio", self.mlp_ratio, MAX_MLP_RATIO)?;
        let positive = [
            ("vocab_size", self.vocab_size),
            ("context_length", self.context_length),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("d_model", self.d_model),
            ("mlp_ratio", self.mlp_ratio),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("config field `{name}` must be positive"));
        }
        if !self.d_model.is_multiple_of(self.n_head) {
            return Err(format!(
                "config: d_model ({}) is not divisible by n_head ({})",
                self.d_model, self.n_head
            ));
        }
        if !(self.layer_norm_eps > 0.0 && self.layer_norm_eps.is_finite()) {
            return Err("config field `layer_norm_eps` must be a positive number".into());
        }
        if let Some(layer) = self
            .without_attention
            .iter()
            .flatten()
            .find(|&&l| l >= self.n_layer)
        {
            return Err(format!(
                "config field `without_attention` names block {layer}, but there are {} blocks",
                self.n_layer
            ));
        }
        if (0..self.n_layer).all(|l| !self.has_attention(l)) {
            return Err(
                "config: at least one block needs attention (`without_attention` lists them all)"
                    .into(),
            );
        }
        Ok(())
    }

    /// Where the parameters go (the LM head is tied to the token embedding). In f64 so that any
    /// field values, even ones `validate` refuses, give a finite count instead of an overflow.
    pub fn param_counts(&self) -> ParamCounts {
        let d = self.d_model as f64;
        let d_mlp = d * self.mlp_ratio as f64;
        let attention = 2.0 * d // ln_1
            + d * 3.0 * d + 3.0 * d // c_attn
            + d * d + d; // attn c_proj
        let mlp = 2.0 * d // ln_2
            + d * d_mlp + d_mlp // c_fc
            + d_mlp * d + d; // mlp c_proj
        let without: std::collections::BTreeSet<_> = self
            .without_attention
            .iter()
            .flatten()
            .filter(|&&l| l < self.n_layer)
            .collect();
        let attending = (self.n_layer - without.len()) as f64;
        ParamCounts {
            embeddings: (self.vocab_size as f64 + self.context_length as f64) * d,
            attention: attending * attention,
            mlp: self.n_layer as f64 * mlp,
            final_norm: 2.0 * d,
        }
    }

    /// Number of trainable parameters (saturating at `usize::MAX`).
    pub fn num_params(&self) -> usize {
        self.param_counts().total() as usize
    }

    /// "4 layers × 4 heads, width 128, context 128, vocabulary 84, 820000 parameters".
    pub fn summary(&self) -> String {
        format!(
            "{} layers × {} heads, width {}, context {}, vocabulary {}, {} parameters",
            self.n_layer,
            self.n_head,
            self.d_model,
            self.context_length,
            self.vocab_size,
            self.num_params()
        )
    }
}

/// A model's parameters by where they sit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamCounts {
    /// Token and position embeddings (the token table is also the LM head).
    pub embeddings: f64,
    /// Every block's attention, its LayerNorm included.
    pub attention: f64,
    /// Every block's MLP, its LayerNorm included.
    pub mlp: f64,
    /// The last LayerNorm.
    pub final_norm: f64,
}

impl ParamCounts {
    /// All parameters.
    pub fn total(&self) -> f64 {
        self.embeddings + self.attention + self.mlp + self.final_norm
    }
}

/// The one of `all` whose `name_of` is `name`; the refusal names the `kind` and lists the known
/// names (presets, experiments and toy tasks are all picked by name from a form, a link or the
/// CLI).
pub fn by_name<T: Copy>(
    all: &[T],
    name_of: impl Fn(T) -> &'static str,
    name: &str,
    kind: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&t| name_of(t) == name)
        .ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|&t| name_of(t)).collect();
            format!("unknown {kind} `{name}` (known: {})", names.join(", "))
        })
}

/// Named sizes for training: the CLI's `--preset` and the browser's size picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Seconds to train: for tests and quick demos.
    Tiny,
    /// 4 layers × 4 heads, width 128, context 128: the benchmark preset.
    Small,
    /// The model that ships in `assets/`.
    Shipped,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Tiny, Preset::Small, Preset::Shipped];

    /// The lower-case name the CLI's `--preset` takes.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Shipped => "shipped",
        }
    }

    /// The preset called `name`; the refusal lists the known names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        by_name(&Self::ALL, Self::name, name, "preset")
    }

    /// The architecture for a vocabulary of `vocab_size` tokens.
    pub fn config(self, vocab_size: usize) -> GptConfig {
        let (context, layers, heads, width) = match self {
            Preset::Tiny => (32, 2, 2, 32),
            Preset::Small => (128, 4, 4, 128),
            Preset::Shipped => (128, 4, 4, 128),
        };
        GptConfig::new(vocab_size, context, layers, heads, width)
    }
}

/// How a model is trained: the optimiser (AdamW with gradient clipping), its learning-rate
/// schedule, the batch and the seed every batch is drawn from.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Peak learning rate, reached at the end of the warm-up.
    #[config(default = 3e-3)]
    pub learning_rate: f64,
    /// The cosine schedule ends at `learning_rate × min_lr_ratio`.
    #[config(default = 0.1)]
    pub min_lr_ratio: f64,
    /// Steps of linear warm-up from near zero to `learning_rate`.
    #[config(default = 100)]
    pub warmup_steps: usize,
    /// Length of the schedule (the run may stop earlier or go on at the minimum rate).
    pub total_steps: usize,
    /// Sequences per optimiser step.
    #[config(default = 32)]
    pub batch_size: usize,
    /// AdamW's decoupled weight decay.
    #[config(default = 0.1)]
    pub weight_decay: f32,
    /// Per-parameter gradient norm clip.
    #[config(default = 1.0)]
    pub grad_clip: f32,
    /// Seed of the initial weights, the validation batches and every training batch (step `s`
    /// draws with `seed + s`).
    #[config(default = 1337)]
    pub seed: u64,
    /// Validation batches (fixed for the whole run) used for the periodic validation loss.
    #[config(default = 8)]
    pub eval_batches: usize,
}

impl TrainConfig {
    /// Linear warm-up, then cosine decay to the minimum rate.
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        let min = self.learning_rate * self.min_lr_ratio;
        min + 0.5 * (self.learning_rate - min) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_heads_not_dividing_width() {
        let err = GptConfig::new(10, 8, 1, 3, 16).validate().unwrap_err();
        assert!(err.contains("not divisible"), "{err}");
    }

    #[test]
    fn rejects_zero_fields_by_name() {
        let err = GptConfig::new(10, 0, 1, 1, 16).validate().unwrap_err();
        assert!(err.contains("context_length"), "{err}");
    }

    #[test]
    fn blocks_without_attention_are_checked_and_not_counted() {
        let every = GptConfig::new(10, 8, 3, 2, 16);
        let first_only = every.clone().with_without_attention(Some(vec![1, 2]));
        let attention = 2 * 16 + 16 * 48 + 48 + 16 * 16 + 16;
        assert_eq!(every.num_params() - first_only.num_params(), 2 * attention);
        assert!(first_only.validate().is_ok());
        assert!(!first_only.has_attention(1) && first_only.has_attention(0));
        let err = every
            .clone()
            .with_without_attention(Some(vec![3]))
            .validate()
            .unwrap_err();
        assert!(err.contains("block 3"), "{err}");
        let err = every
            .with_without_attention(Some(vec![0, 1, 2]))
            .validate()
            .unwrap_err();
        assert!(err.contains("at least one block"), "{err}");
    }

    #[test]
    fn older_configs_without_the_switch_still_load() {
        let json = r#"{"vocab_size":10,"context_length":8,"n_layer":1,"n_head":1,"d_model":8,"mlp_ratio":4,"activation":"gelu_tanh","layer_norm_eps":1e-5}"#;
        let config: GptConfig = serde_json::from_str(json).unwrap();
        assert_eq!(config.without_attention, None);
    }

    #[test]
    fn presets_round_trip_by_name() {
        for p in Preset::ALL {
            assert_eq!(Preset::from_name(p.name()), Ok(p));
        }
        assert!(Preset::from_name("huge").unwrap_err().contains("tiny"));
    }

    #[test]
    fn every_architecture_field_has_a_ceiling_named_in_the_refusal() {
        let ok = GptConfig::new(84, 128, 4, 4, 128);
        assert!(ok.validate().is_ok());
        for (config, field) in [
            (
                GptConfig {
                    n_layer: 100_000_000,
                    ..ok.clone()
                },
                "n_layer",
            ),
            (
                GptConfig {
                    n_head: MAX_HEADS + 1,
                    ..ok.clone()
                },
                "n_head",
            ),
            (
                GptConfig {
                    d_model: MAX_WIDTH + 4,
                    ..ok.clone()
                },
                "d_model",
            ),
            (
                GptConfig {
                    context_length: 1 << 30,
                    ..ok.clone()
                },
                "context_length",
            ),
            (
                GptConfig {
                    vocab_size: usize::MAX,
                    ..ok.clone()
                },
                "vocab_size",
            ),
            (ok.clone().with_mlp_ratio(1000), "mlp_ratio"),
        ] {
            let err = config.validate().unwrap_err();
            assert!(err.starts_with(field), "{err}");
            assert!(err.contains("at most"), "{err}");
            let err = config.validate().unwrap_err();
            assert!(err.contains(field), "validate applies the ceilings: {err}");
        }
    }
}
