//! Hugging Face GPT-2 folders: `config.json`, `model.safetensors`, `vocab.json`, `merges.txt`, as
//! `save_pretrained` writes them (any size of the family). Read into a `Checkpoint`, so an imported
//! model runs, trains and saves like one trained here. Every refusal names the file and the field or
//! tensor at fault.

use safetensors::SafeTensors;
use serde::Deserialize;

use crate::config::{Activation, GptConfig};
use crate::error::{GlassboxError, Result};
use crate::io::checkpoint::{Checkpoint, Weights, weights_from_safetensors};
use crate::tokenize::Tokenizer;
use crate::tokenize::bpe::BpeTokenizer;

/// The model's shape, as `GPT2Config` writes it.
pub const CONFIG_FILE: &str = "config.json";
/// The weights, in safetensors.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The BPE vocabulary: token → id.
pub const VOCAB_FILE: &str = "vocab.json";
/// The BPE merges, one pair a line.
pub const MERGES_FILE: &str = "merges.txt";
/// The four files' names in a folder.
pub const FILES: [&str; 4] = [CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, MERGES_FILE];

/// The contents of a GPT-2 folder.
pub struct Gpt2Files<'a> {
    /// The text of [`CONFIG_FILE`].
    pub config_json: &'a str,
    /// The bytes of [`WEIGHTS_FILE`].
    pub safetensors: &'a [u8],
    /// The text of [`VOCAB_FILE`].
    pub vocab_json: &'a str,
    /// The text of [`MERGES_FILE`].
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

/// A refusal naming the field of `config.json` at fault.
fn refuse(field: &str, why: String) -> GlassboxError {
    bad(format!("{CONFIG_FILE}: `{field}` {why}"))
}

impl Gpt2Config {
    fn to_config(&self) -> Result<GptConfig> {
        self.check_shape()?;
        let mlp_ratio = self.mlp_ratio()?;
        let activation = self.activation()?;
        self.check_switches()?;
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

    /// A GPT-2 model with positive sizes and heads that divide the width.
    fn check_shape(&self) -> Result<()> {
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
        Ok(())
    }

    /// `n_inner` as a multiple of the width (GPT-2's 4 when absent).
    fn mlp_ratio(&self) -> Result<usize> {
        match self.n_inner {
            None => Ok(4),
            Some(inner) if inner > 0 && inner.is_multiple_of(self.n_embd) => {
                Ok(inner / self.n_embd)
            }
            Some(inner) => Err(refuse(
                "n_inner",
                format!(
                    "({inner}) is not a multiple of n_embd ({}): not supported",
                    self.n_embd
                ),
            )),
        }
    }

    /// The MLP's non-linearity, from `transformers`' names for it.
    fn activation(&self) -> Result<Activation> {
        match self.activation_function.as_str() {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(refuse(
                "activation_function",
                format!("{other:?} is not supported (gelu_new, gelu_pytorch_tanh or relu)"),
            )),
        }
    }

    /// The switches that change GPT-2's computation left as GPT-2 has them, and a usable
    /// LayerNorm epsilon.
    fn check_switches(&self) -> Result<()> {
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
        Ok(())
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
        tokenizer: Tokenizer::Gpt2Bpe(Box::new(tokenizer)),
        training: None,
        weights,
        param_ids: Default::default(),
        optimizer_state: None,
        precision: Default::default(),
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use burn::tensor::Device;
    use safetensors::tensor::{Dtype, TensorView};

    use super::*;
    use crate::io::checkpoint::read_weights;
    use crate::readback::block_on;

    /// A byte-level vocabulary of 257 tokens: the 256 bytes (as GPT-2 writes them) and "he".
    fn vocab_and_merges() -> (String, String) {
        let gpt2 = BpeTokenizer::from_files(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/gpt2-tiny/vocab.json"
            ))
            .unwrap(),
            "",
        )
        .unwrap();
        let mut vocab: BTreeMap<String, u32> = (0..256)
            .map(|id| (gpt2.piece(id).unwrap().to_string(), id))
            .collect();
        vocab.insert("he".into(), 256);
        (
            serde_json::to_string(&vocab).unwrap(),
            "#version: 0.2\nh e\n".into(),
        )
    }

    fn config_json(n_head: usize, n_positions: usize) -> String {
        format!(
            r#"{{"model_type": "gpt2", "vocab_size": 257, "n_positions": {n_positions}, "n_embd": 8,
                "n_layer": 1, "n_head": {n_head}, "n_inner": null, "activation_function": "gelu_new",
                "layer_norm_epsilon": 1e-5}}"#
        )
    }

    /// Weights of a random model shaped by `config_json(2, n_positions)`, as `dtype`, without the
    /// `transformer.` prefix (as the bare `GPT2Model` saves them) plus an old mask buffer.
    fn safetensors(n_positions: usize, dtype: Dtype) -> (Vec<u8>, Weights) {
        let config = GptConfig::new(257, n_positions, 1, 2, 8);
        let (weights, _) = block_on(read_weights(&config.init(&Device::flex()))).unwrap();
        let encode = |data: &[f32]| -> Vec<u8> {
            match dtype {
                Dtype::F16 => data
                    .iter()
                    .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                    .collect(),
                _ => data.iter().flat_map(|&v| v.to_le_bytes()).collect(),
            }
        };
        let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = weights
            .iter()
            .map(|(name, w)| {
                (
                    name.trim_start_matches("transformer.").to_string(),
                    w.shape.clone(),
                    encode(&w.data),
                )
            })
            .collect();
        buffers.push((
            "h.0.attn.bias".into(),
            vec![1, 1, 2, 2],
            encode(&[1.0, 0.0, 1.0, 1.0]),
        ));
        let views: Vec<(String, TensorView)> = buffers
            .iter()
            .map(|(name, shape, bytes)| {
                (
                    name.clone(),
                    TensorView::new(dtype, shape.clone(), bytes).unwrap(),
                )
            })
            .collect();
        (
            safetensors::serialize(views, None::<HashMap<String, String>>).unwrap(),
            weights,
        )
    }

    fn open(config: &str, weights: &[u8], merges: Option<&str>) -> Result<Checkpoint> {
        let (vocab, good_merges) = vocab_and_merges();
        from_files(&Gpt2Files {
            config_json: config,
            safetensors: weights,
            vocab_json: &vocab,
            merges_txt: merges.unwrap_or(&good_merges),
        })
    }

    fn error(result: Result<Checkpoint>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn a_folder_opens_with_its_tokenizer_in_f32_and_f16() {
        let (bytes, weights) = safetensors(16, Dtype::F32);
        let checkpoint = open(&config_json(2, 16), &bytes, None).unwrap();
        assert_eq!(
            checkpoint.weights, weights,
            "prefix added, mask buffer dropped"
        );
        assert_eq!(checkpoint.tokenizer.encode("hehe").unwrap(), vec![256, 256]);
        assert_eq!(checkpoint.tokenizer.token_piece(220), "Ġ");
        assert_eq!(checkpoint.tokenizer.token_label(220), "␣");
        checkpoint.to_model(&Device::flex()).unwrap();

        let (bytes, weights) = safetensors(16, Dtype::F16);
        let half = open(&config_json(2, 16), &bytes, None).unwrap();
        let (a, b) = (
            &half.weights["transformer.wte.weight"].data,
            &weights["transformer.wte.weight"].data,
        );
        assert!(
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-3 * (1.0 + y.abs()))
        );
    }

    #[test]
    fn bad_files_get_messages_naming_what_is_wrong() {
        let (bytes, _) = safetensors(16, Dtype::F32);
        let config = config_json(2, 16);
        let truncated = error(open(&config, &bytes[..bytes.len() / 2], None));
        assert!(
            truncated.contains("model.safetensors is not a valid safetensors file"),
            "{truncated}"
        );
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(
            error(open(&config, &huge, None))
                .contains("model.safetensors is not a valid safetensors file")
        );

        let (longer, _) = safetensors(32, Dtype::F32);
        let shape = error(open(&config, &longer, None));
        assert!(
            shape.contains("`transformer.wpe.weight` has shape [32, 8], expected [16, 8]"),
            "{shape}"
        );

        let heads = error(open(&config_json(3, 16), &bytes, None));
        assert!(
            heads.contains("`n_head` (3) does not divide n_embd (8)"),
            "{heads}"
        );
        let activation = error(open(&config.replace("gelu_new", "gelu"), &bytes, None));
        assert!(
            activation.contains("`activation_function` \"gelu\" is not supported"),
            "{activation}"
        );
        assert!(
            error(open("{\"n_embd\": \"wide\"}", &bytes, None))
                .contains("config.json is not a GPT-2 config")
        );

        let merges = error(open(
            &config,
            &bytes,
            Some("#version: 0.2\nh e\n%%% garbage here\n"),
        ));
        assert!(merges.contains("merges.txt line 3"), "{merges}");
        let vocab = error(open(&config.replace("257", "300"), &bytes, None));
        assert!(
            vocab.contains("vocab.json has 257 tokens but config.json says vocab_size = 300"),
            "{vocab}"
        );
    }

    #[test]
    fn a_folder_without_its_files_is_named() {
        let dir = std::env::temp_dir().join(format!("glassbox-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = load_folder(&dir).unwrap_err().to_string();
        assert!(
            err.contains("cannot read config.json") && err.contains("merges.txt"),
            "{err}"
        );
    }
}
