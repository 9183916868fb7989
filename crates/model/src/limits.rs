//! Bounds on every size a user controls — from a link, a form, a file header or the command line —
//! checked before anything is allocated. Each refusal names the field, the limit and why.
//!
//! Two kinds of bound: fixed ceilings on each field (far above any model Glassbox can show, so a
//! crafted header cannot make the loader build a table of a hundred million layers), and a memory
//! estimate held against a [`Budget`] (a browser tab, or the machine).

use crate::config::GptConfig;
use crate::sampling::{DecodeSettings, Strategy};

/// Blocks (GPT-3 has 96).
pub const MAX_LAYERS: usize = 256;
/// Heads per block (GPT-3 has 96).
pub const MAX_HEADS: usize = 256;
/// Width of the residual stream (GPT-3: 12,288).
pub const MAX_WIDTH: usize = 32_768;
/// Longest context (GPT-2: 1,024).
pub const MAX_CONTEXT: usize = 32_768;
/// Tokens in a vocabulary (Llama 3: 128,256).
pub const MAX_VOCAB: usize = 1 << 20;
/// MLP hidden width as a multiple of the model's width (GPT-2: 4).
pub const MAX_MLP_RATIO: usize = 16;
/// Sequences per training batch.
pub const MAX_BATCH: usize = 4_096;
/// Optimizer steps in one run.
pub const MAX_STEPS: usize = 10_000_000;
/// Beams in a beam search (every beam is a full forward pass per token).
pub const MAX_BEAM_WIDTH: usize = 64;
/// Tokens in a prompt (the timeline would be unreadable, and every edit re-encodes it).
pub const MAX_PROMPT_TOKENS: usize = 4_096;

const GB: f64 = 1024.0 * 1024.0 * 1024.0;
const F32: f64 = 4.0;

/// The memory a model may use where it runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
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

/// "1.5 GB" / "12 MB": sizes in refusals.
pub fn format_bytes(bytes: f64) -> String {
    if bytes >= 1000.0 * GB {
        format!("{} GB", format_count((bytes / GB).round() as usize))
    } else if bytes >= GB {
        format!("{:.1} GB", bytes / GB)
    } else {
        format!("{:.0} MB", (bytes / (1024.0 * 1024.0)).ceil())
    }
}

/// "1,000,000": counts in refusals.
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A field at most `max`, by name.
fn at_most(name: &str, value: usize, max: usize) -> Result<(), String> {
    if value > max {
        return Err(format!(
            "{name} is {}; at most {} is supported",
            format_count(value),
            format_count(max)
        ));
    }
    Ok(())
}

/// The fixed ceiling of every architecture field (`GptConfig::validate` applies it).
pub fn check_architecture(config: &GptConfig) -> Result<(), String> {
    at_most("n_layer", config.n_layer, MAX_LAYERS)?;
    at_most("n_head", config.n_head, MAX_HEADS)?;
    at_most("d_model", config.d_model, MAX_WIDTH)?;
    at_most("context_length", config.context_length, MAX_CONTEXT)?;
    at_most("vocab_size", config.vocab_size, MAX_VOCAB)?;
    at_most("mlp_ratio", config.mlp_ratio, MAX_MLP_RATIO)
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

/// Whether the next step with `settings`, reading a `window`-token window, fits `budget` beside
/// `copies` copies of the weights (beam search runs every beam through the window at once).
pub fn check_step(
    settings: &DecodeSettings,
    config: &GptConfig,
    window: usize,
    copies: f64,
    budget: Budget,
) -> Result<(), String> {
    settings.validate()?;
    let rows = match settings.strategy {
        Strategy::Beam => settings.beam_width,
        Strategy::Greedy | Strategy::Sample => 1,
    };
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
    Err(match settings.strategy {
        Strategy::Beam if fit >= 1 => format!(
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
    fn counts_and_sizes_read_as_people_write_them() {
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_bytes(3.0 * GB), "3.0 GB");
        assert_eq!(format_bytes(1.5 * 1024.0 * 1024.0), "2 MB");
        assert_eq!(format_bytes(12_564_575.3 * GB), "12,564,575 GB");
    }

    #[test]
    fn every_architecture_field_has_a_ceiling_named_in_the_refusal() {
        let ok = GptConfig::new(84, 128, 4, 4, 128);
        assert!(check_architecture(&ok).is_ok());
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
            let err = check_architecture(&config).unwrap_err();
            assert!(err.starts_with(field), "{err}");
            assert!(err.contains("at most"), "{err}");
            let err = config.validate().unwrap_err();
            assert!(err.contains(field), "validate applies the ceilings: {err}");
        }
    }

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
    fn a_step_is_bounded_by_memory_and_the_beam_width_by_the_ceiling() {
        let gpt2 = GptConfig::new(50257, 1024, 12, 12, 768);
        let beams = |width| DecodeSettings {
            strategy: Strategy::Beam,
            beam_width: width,
            ..Default::default()
        };
        let tab = Budget::BROWSER_TAB;
        let err = check_step(&beams(10_000), &gpt2, 16, 2.0, tab).unwrap_err();
        assert!(err.contains("beam width"), "the ceiling first: {err}");
        let err = check_step(&beams(60), &gpt2, 512, 2.0, tab).unwrap_err();
        assert!(err.contains("60 beams") && err.contains("at most"), "{err}");
        assert!(check_step(&beams(4), &gpt2, 16, 2.0, tab).is_ok());
        let shipped = GptConfig::new(84, 128, 4, 4, 128);
        assert!(check_step(&beams(MAX_BEAM_WIDTH), &shipped, 128, 2.0, tab).is_ok());
        let greedy = DecodeSettings {
            beam_width: 10_000,
            ..Default::default()
        };
        assert!(
            check_step(&greedy, &gpt2, 16, 2.0, tab).is_ok(),
            "the width matters only to beam search"
        );
        let huge = GptConfig::new(50257, 32768, 24, 16, 1024);
        let err = check_step(&greedy, &huge, 32768, 2.0, tab).unwrap_err();
        assert!(
            err.contains("32,768 tokens") && err.contains("Reset"),
            "{err}"
        );
    }

    #[test]
    fn long_prompts_are_refused_by_count() {
        assert!(check_prompt(MAX_PROMPT_TOKENS).is_ok());
        let err = check_prompt(MAX_PROMPT_TOKENS + 1).unwrap_err();
        assert!(err.contains("4,097 tokens"), "{err}");
    }
}
