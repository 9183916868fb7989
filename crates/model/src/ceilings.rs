//! Fixed ceilings on every size a user controls, from a link, a form, a file header or the command
//! line: far above any model Glassbox can show, so a crafted header cannot make the loader build a
//! table of a hundred million layers. The memory each size needs is checked apart, in
//! [`crate::limits`].

use crate::units::format_count;

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

/// A field at most `max`, by name.
pub fn at_most(name: &str, value: usize, max: usize) -> Result<(), String> {
    if value > max {
        return Err(format!(
            "{name} is {}; at most {} is supported",
            format_count(value),
            format_count(max)
        ));
    }
    Ok(())
}
