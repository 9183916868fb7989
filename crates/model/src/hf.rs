//! Hugging Face GPT-2 folders: `config.json`, `model.safetensors`, `vocab.json`, `merges.txt`, as
//! `save_pretrained` writes them (any size of the family). Read into a `Checkpoint`, so an imported
//! model runs, trains and saves like one trained here. Every refusal names the file and the field or
//! tensor at fault.

use safetensors::SafeTensors;
use serde::Deserialize;

use crate::bpe::BpeTokenizer;
use crate::checkpoint::{Checkpoint, Weights, weights_from_safetensors};
use crate::config::{Activation, GptConfig};
use crate::error::{GlassboxError, Result};
use crate::tokenizer::Tokenizer;

/// The four files' names in a folder.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const VOCAB_FILE: &str = "vocab.json";
pub const MERGES_FILE: &str = "merges.txt";
pub const FILES: [&str; 4] = [CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, MERGES_FILE];

/// The contents of a GPT-2 folder.
pub struct Gpt2Files<'a> {
    pub config_json: &'a str,
    pub safetensors: &'a [u8],
    pub vocab_json: &'a str,
    pub merges_txt: &'a str,
}

fn bad(msg: impl Into<String>) -> GlassboxError {
    GlassboxError::Checkpoint(msg.into())
}

/// `GPT2Config`'s fields that shape the computation; missing ones take `transformers`' defaults.
#[derive(Deserialize)]
struct Gpt2Config {
    #[serde(default = "defaults::vocab_size")]
    vocab_size: usize,
    #[serde(default = "defaults::n_positions")]
    n_positions: usize,
    #[serde(default = "defaults::width")]
    n_embd: usize,
    #[serde(default = "defaults::depth")]
    n_layer: usize,
    #[serde(default = "defaults::depth")]
    n_head: usize,
    #[serde(default)]
    n_inner: Option<usize>,
    #[serde(default = "defaults::activation")]
    activation_function: String,
    #[serde(default = "defaults::epsilon")]
    layer_norm_epsilon: f64,
    #[serde(default = "defaults::yes")]
    scale_attn_weights: bool,
    #[serde(default)]
    scale_attn_by_inverse_layer_idx: bool,
    #[serde(default)]
    reorder_and_upcast_attn: bool,
    #[serde(default = "defaults::yes")]
    tie_word_embeddings: bool,
    #[serde(default)]
    model_type: Option<String>,
}

mod defaults {
    pub fn vocab_size() -> usize {
        50257
    }
    pub fn n_positions() -> usize {
        1024
    }
    pub fn width() -> usize {
        768
    }
    pub fn depth() -> usize {
        12
    }
    pub fn activation() -> String {
        "gelu_new".into()
    }
    pub fn epsilon() -> f64 {
        1e-5
    }
    pub fn yes() -> bool {
        true
    }
}

impl Gpt2Config {
    fn to_config(&self) -> Result<GptConfig> {
        let refuse = |field: &str, why: String| bad(format!("{CONFIG_FILE}: `{field}` {why}"));
        if let Some(other) = self.model_type.as_deref().filter(|t| *t != "gpt2") {
            return Err(refuse(
                "model_type",
                format!("is {other:?}; only \"gpt2\" models open here"),
            ));
        }
        for (field, value) in [
            ("vocab_size", self.vocab_size),
            ("n_positions", self.n_positions),
            ("n_embd", self.n_embd),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
        ] {
            if value == 0 {
                return Err(refuse(field, "must be positive".into()));
            }
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(refuse(
                "n_head",
                format!("({}) does not divide n_embd ({})", self.n_head, self.n_embd),
            ));
        }
        let mlp_ratio = match self.n_inner {
            None => 4,
            Some(inner) if inner > 0 && inner.is_multiple_of(self.n_embd) => inner / self.n_embd,
            Some(inner) => {
                return Err(refuse(
                    "n_inner",
                    format!(
                        "({inner}) is not a multiple of n_embd ({}): not supported",
                        self.n_embd
                    ),
                ));
            }
        };
        let activation = match self.activation_function.as_str() {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => {
                return Err(refuse(
                    "activation_function",
                    format!("{other:?} is not supported (gelu_new, gelu_pytorch_tanh or relu)"),
                ));
            }
        };
        for (field, value, expected) in [
            ("scale_attn_weights", self.scale_attn_weights, true),
            (
                "scale_attn_by_inverse_layer_idx",
                self.scale_attn_by_inverse_layer_idx,
                false,
            ),
            (
                "reorder_and_upcast_attn",
                self.reorder_and_upcast_attn,
                false,
            ),
            ("tie_word_embeddings", self.tie_word_embeddings, true),
        ] {
            if value != expected {
                return Err(refuse(
                    field,
                    format!("= {value} is not supported (GPT-2 uses {expected})"),
                ));
            }
        }
        if !(self.layer_norm_epsilon > 0.0 && self.layer_norm_epsilon.is_finite()) {
            return Err(refuse(
                "layer_norm_epsilon",
                "must be a positive number".into(),
            ));
        }
        Ok(GptConfig::new(
            self.vocab_size,
            self.n_positions,
            self.n_layer,
            self.n_head,
            self.n_embd,
        )
        .with_mlp_ratio(mlp_ratio)
        .with_activation(activation)
        .with_layer_norm_eps(self.layer_norm_epsilon))
    }
}

/// A checkpoint from a GPT-2 folder's files. The model itself is built (and every tensor's shape
/// checked) by `Checkpoint::to_model`; this checks what can be checked without a device.
pub fn from_files(files: &Gpt2Files) -> Result<Checkpoint> {
    let hf: Gpt2Config = serde_json::from_str(files.config_json)
        .map_err(|e| bad(format!("{CONFIG_FILE} is not a GPT-2 config ({e})")))?;
    let config = hf.to_config()?;
    let tokenizer = BpeTokenizer::from_files(files.vocab_json, files.merges_txt)?;
    if tokenizer.vocab_size() != config.vocab_size {
        return Err(bad(format!(
            "{VOCAB_FILE} has {} tokens but {CONFIG_FILE} says vocab_size = {}",
            tokenizer.vocab_size(),
            config.vocab_size
        )));
    }
    let file = SafeTensors::deserialize(files.safetensors).map_err(|e| {
        bad(format!(
            "{WEIGHTS_FILE} is not a valid safetensors file ({e})"
        ))
    })?;
    let weights = hf_names(weights_from_safetensors(&file)?);
    let checkpoint = Checkpoint {
        config,
        tokenizer: Tokenizer::Gpt2Bpe(tokenizer),
        training: None,
        weights,
        param_ids: Default::default(),
        optimizer_state: None,
    };
    checkpoint.check_weight_shapes()?;
    Ok(checkpoint)
}

/// `transformer.`-prefixed names (files saved from the bare `GPT2Model` have none), without the
/// attention-mask buffers older files store.
fn hf_names(weights: Weights) -> Weights {
    let prefixed = weights.keys().any(|k| k.starts_with("transformer."));
    weights
        .into_iter()
        .filter(|(name, _)| !name.ends_with(".attn.bias") && !name.ends_with(".attn.masked_bias"))
        .map(|(name, w)| {
            if prefixed || name.starts_with("lm_head.") {
                (name, w)
            } else {
                (format!("transformer.{name}"), w)
            }
        })
        .collect()
}

/// Reads a GPT-2 folder from disk.
#[cfg(not(target_family = "wasm"))]
pub fn load_folder(dir: &std::path::Path) -> Result<Checkpoint> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| {
            bad(format!(
                "{} is not a GPT-2 folder: cannot read {name} ({e}); it needs {}",
                dir.display(),
                FILES.join(", ")
            ))
        })
    };
    let text = |name: &str| {
        String::from_utf8(read(name)?).map_err(|_| bad(format!("{name} is not UTF-8 text")))
    };
    let (config_json, vocab_json, merges_txt) =
        (text(CONFIG_FILE)?, text(VOCAB_FILE)?, text(MERGES_FILE)?);
    let safetensors = read(WEIGHTS_FILE)?;
    from_files(&Gpt2Files {
        config_json: &config_json,
        safetensors: &safetensors,
        vocab_json: &vocab_json,
        merges_txt: &merges_txt,
    })
}
