//! One forward pass over a text, read back to the CPU: what the analyses (logit lens, ablation,
//! the MLP's linear part, teacher forcing) start from.

use crate::error::{GlassboxError, Result};
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::probs::mean_next_token_loss;
use crate::readback::read_floats;
use crate::trace::Trace;

/// One untraced or traced pass over a whole text, its logits on the CPU.
pub struct ProbeRun {
    /// The text read.
    pub ids: Vec<u32>,
    /// Vocabulary size: the length of one logits row.
    pub vocab: usize,
    /// `[position][vocab]`, row-major.
    pub logits: Vec<f32>,
    /// Present when the options asked for a trace.
    pub trace: Option<Trace>,
}

/// Refuses texts the model cannot read in one pass.
pub fn check_probe(model: &Gpt, ids: &[u32]) -> Result<()> {
    if ids.is_empty() {
        return Err(GlassboxError::EmptyPrompt);
    }
    if let Some(&id) = ids.iter().find(|&&id| id as usize >= model.vocab_size()) {
        return Err(GlassboxError::Config(format!(
            "token id {id} is outside the model's vocabulary of {}",
            model.vocab_size()
        )));
    }
    if ids.len() > model.context_length() {
        return Err(GlassboxError::Config(format!(
            "the text has {} tokens; the model reads at most {} at once",
            ids.len(),
            model.context_length()
        )));
    }
    Ok(())
}

impl ProbeRun {
    /// One pass of `model` over `ids` (refused as [`check_probe`] refuses), with `options`.
    pub async fn run(model: &Gpt, ids: &[u32], options: &ForwardOptions<'_>) -> Result<Self> {
        check_probe(model, ids)?;
        let out = model.forward_with(model.token_tensor(&[ids.to_vec()]), options, None);
        let logits = read_floats(out.logits).await?;
        let trace = match out.trace {
            Some(tensors) => Some(Trace::read(tensors, 0).await?),
            None => None,
        };
        Ok(Self {
            ids: ids.to_vec(),
            vocab: model.vocab_size(),
            logits,
            trace,
        })
    }

    /// Next-token logits after position `t`.
    pub fn row(&self, t: usize) -> &[f32] {
        &self.logits[t * self.vocab..(t + 1) * self.vocab]
    }

    /// Next-token logits after the last position.
    pub fn last(&self) -> &[f32] {
        self.row(self.ids.len() - 1)
    }

    /// Mean cross-entropy of each token given the ones before it (`None` for one token).
    pub fn loss(&self) -> Option<f32> {
        mean_next_token_loss(&self.logits, self.vocab, &self.ids)
    }
}
