//! Memory bounds: what a model, a training run or a traced step needs, estimated from its shape
//! before anything is allocated and held against a [`Budget`] (a browser tab, or the machine).
//! Each refusal names the size, the budget and what fits. The fixed per-field ceilings are in
//! [`crate::ceilings`].

use crate::ceilings::{MAX_BATCH, MAX_BEAM_WIDTH, MAX_PROMPT_TOKENS, at_most};
use crate::config::GptConfig;
use crate::units::{GB, format_bytes, format_count};

const F32: f64 = 4.0;

/// The memory a model may use where it runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// The bytes a model may take.
    pub bytes: f64,
    /// "a browser tab", "this machine".
    pub name: &'static str,
    /// Said after the figure: " for a model (4 GB in all)".
    pub note: &'static str,
}

impl Budget {
    /// A wasm32 tab addresses at most 4 GiB; the page, the tokenizer, the file being read and
    /// the buffers the browser copies through need the rest.
    pub const BROWSER_TAB: Budget = Budget {
        bytes: 3.0 * GB,
        name: "a browser tab",
        note: " for a model (4 GB in all)",
    };

    /// A machine with `bytes` of memory.
    pub fn machine(bytes: f64) -> Budget {
        Budget {
            bytes,
            name: "this machine",
            note: "",
        }
    }

    /// "a browser tab has 3.0 GB for a model (4 GB in all)".
    fn has(&self) -> String {
        format!(
            "{} has {}{}",
            self.name,
            format_bytes(self.bytes),
            self.note
        )
    }
}

/// Memory estimates for a model shape, in bytes (f64: any field values, however large, give a
/// finite figure instead of an overflow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// One copy of the f32 weights.
    pub weights: f64,
    /// Everything that scales with the number of layers, and everything else, for one training step
    /// (weights, gradients, AdamW's two moments, activations kept for the backward pass).
    training_per_layer: f64,
    training_rest: f64,
}

impl MemoryEstimate {
    /// The estimate for `config` training at `batch` sequences of its full context.
    pub fn training(config: &GptConfig, batch: usize) -> Self {
        let (d, t, b) = (
            config.d_model as f64,
            config.context_length as f64,
            batch as f64,
        );
        let (d_mlp, heads, vocab) = (
            d * config.mlp_ratio as f64,
            config.n_head as f64,
            config.vocab_size as f64,
        );
        let params = config.param_counts();
        let layer_params = (params.attention + params.mlp) / config.n_layer.max(1) as f64;
        let rest_params = params.embeddings + params.final_norm;
        // Autodiff keeps the input of every op of a block: ~20 widths of residual-sized tensors
        // (norms, q|k|v, heads, projections), 4 of the MLP's hidden size, and ~4 copies of the
        // attention scores (scores, mask, softmax, its gradient); logits and their gradient.
        let activations_per_layer = b * t * (20.0 * d + 4.0 * d_mlp + 4.0 * heads * t);
        let logits = 3.0 * b * t * vocab;
        // Weights, gradients and AdamW's two moments: four copies of every parameter.
        Self {
            weights: weight_bytes(config),
            training_per_layer: (4.0 * layer_params + activations_per_layer) * F32,
            training_rest: (4.0 * rest_params + logits + 2.0 * b * t * d) * F32,
        }
    }

    /// Bytes one training step needs.
    pub fn training_bytes(&self, n_layer: usize) -> f64 {
        self.training_per_layer * n_layer as f64 + self.training_rest
    }
}

/// Bytes of one copy of `config`'s f32 weights.
pub fn weight_bytes(config: &GptConfig) -> f64 {
    config.param_counts().total() * F32
}

/// Bytes of one traced forward pass of `rows` sequences of `window` tokens on a model already in
/// memory: the activations of one block at a time, and the trace every block keeps (attention
/// weights, residual stream, MLP activations) on the device and again when read back.
pub fn traced_step_bytes(config: &GptConfig, rows: usize, window: usize) -> f64 {
    let (d, w, r) = (config.d_model as f64, window as f64, rows as f64);
    let d_mlp = d * config.mlp_ratio as f64;
    let heads = config.n_head as f64;
    let block = r * w * (8.0 * d + 2.0 * d_mlp + 3.0 * heads * w);
    let trace_per_layer = r * w * (heads * w + d + 2.0 * d_mlp);
    let logits = r * w * config.vocab_size as f64;
    (block + 2.0 * trace_per_layer * config.n_layer as f64 + 2.0 * logits) * F32
}

/// Whether training `config` at `batch` fits `budget`; the refusal says how many layers would.
pub fn check_training(config: &GptConfig, batch: usize, budget: Budget) -> Result<(), String> {
    at_most("batch", batch, MAX_BATCH)?;
    let estimate = MemoryEstimate::training(config, batch);
    let needed = estimate.training_bytes(config.n_layer);
    if needed > budget.bytes {
        let room = (budget.bytes - estimate.training_rest) / estimate.training_per_layer;
        let layers = if room >= 1.0 {
            format!(
                "at most {} layers fit at this width and batch",
                format_count(room.floor() as usize)
            )
        } else {
            "not even one layer fits at this width, context and batch: make them smaller".into()
        };
        return Err(format!(
            "a {}-layer model of width {} needs about {} to train at batch {}; {}: {layers}",
            format_count(config.n_layer),
            format_count(config.d_model),
            format_bytes(needed),
            format_count(batch),
            budget.has(),
        ));
    }
    config.validate()
}

/// Tokens of the first step a freshly opened model is checked for (a short prompt).
pub const OPENING_WINDOW: usize = 64;

/// Whether `config`'s weights, held `copies` times while opening (a file, its f32 weights, the
/// device's tensors), and a first traced step over a short prompt fit `budget`.
pub fn check_inference(config: &GptConfig, copies: f64, budget: Budget) -> Result<(), String> {
    config.validate()?;
    let weights = weight_bytes(config);
    let window = OPENING_WINDOW.min(config.context_length);
    let needed = copies * weights + traced_step_bytes(config, 1, window);
    if needed > budget.bytes {
        return Err(format!(
            "this model ({}) needs about {} to open and step; {}",
            config.summary(),
            format_bytes(needed),
            budget.has()
        ));
    }
    Ok(())
}

/// Whether the next step, running `rows` sequences (the beams; 1 otherwise) through a
/// `window`-token window, fits `budget` beside `copies` copies of the weights.
pub fn check_step(
    rows: usize,
    config: &GptConfig,
    window: usize,
    copies: f64,
    budget: Budget,
) -> Result<(), String> {
    let resident = copies * weight_bytes(config);
    let per_row = traced_step_bytes(config, 1, window);
    if resident + per_row * rows as f64 <= budget.bytes {
        return Ok(());
    }
    let what = format!(
        "a traced step over {} tokens needs about {}",
        format_count(window),
        format_bytes(resident + per_row * rows as f64)
    );
    let fit = ((budget.bytes - resident) / per_row).floor().max(0.0) as usize;
    // One row always fits when `fit ≥ 1`, so this is a beam search with too many beams.
    Err(match fit {
        1.. => format!(
            "{} beams: {what} on this model; {}: at most {} beams fit",
            format_count(rows),
            budget.has(),
            format_count(fit.min(MAX_BEAM_WIDTH))
        ),
        _ => format!(
            "{what} on this model; {}: press Reset or use a shorter prompt",
            budget.has()
        ),
    })
}

/// Whether a prompt of `tokens` tokens is accepted.
pub fn check_prompt(tokens: usize) -> Result<(), String> {
    if tokens > MAX_PROMPT_TOKENS {
        return Err(format!(
            "the prompt has {} tokens; Glassbox shows at most {}",
            format_count(tokens),
            format_count(MAX_PROMPT_TOKENS)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_training_request_says_what_it_needs_and_what_fits() {
        let config = GptConfig::new(84, 128, 1_000_000, 8, 8192);
        let err = check_training(&config, 32, Budget::BROWSER_TAB).unwrap_err();
        assert!(
            err.contains("1,000,000-layer model of width 8,192"),
            "{err}"
        );
        assert!(err.contains("a browser tab"), "{err}");
        assert!(err.contains("not even one layer"), "{err}");
        let wide = GptConfig::new(84, 128, 200, 8, 1024);
        let err = check_training(&wide, 32, Budget::BROWSER_TAB).unwrap_err();
        let fit: usize = err
            .split("at most ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{err}"));
        assert!((1..200).contains(&fit), "{err}");
        // The number said to fit does fit, and one more does not.
        let fits = GptConfig {
            n_layer: fit,
            ..wide.clone()
        };
        assert!(check_training(&fits, 32, Budget::BROWSER_TAB).is_ok());
        let over = GptConfig {
            n_layer: fit + 1,
            ..wide
        };
        assert!(check_training(&over, 32, Budget::BROWSER_TAB).is_err());
        assert!(
            check_training(&GptConfig::new(84, 128, 4, 4, 128), 32, Budget::BROWSER_TAB).is_ok()
        );
        let err = check_training(
            &GptConfig::new(84, 128, 4, 4, 128),
            5000,
            Budget::BROWSER_TAB,
        )
        .unwrap_err();
        assert!(err.starts_with("batch is 5,000"), "{err}");
    }

    #[test]
    fn gpt2_small_opens_in_a_tab_and_gpt2_xl_does_not() {
        let small = GptConfig::new(50257, 1024, 12, 12, 768);
        assert!(check_inference(&small, 3.0, Budget::BROWSER_TAB).is_ok());
        let xl = GptConfig::new(50257, 1024, 48, 25, 1600);
        let err = check_inference(&xl, 3.0, Budget::BROWSER_TAB).unwrap_err();
        assert!(err.contains("48 layers") && err.contains("GB"), "{err}");
    }

    #[test]
    fn long_prompts_are_refused_by_count() {
        assert!(check_prompt(MAX_PROMPT_TOKENS).is_ok());
        let err = check_prompt(MAX_PROMPT_TOKENS + 1).unwrap_err();
        assert!(err.contains("4,097 tokens"), "{err}");
    }
}
