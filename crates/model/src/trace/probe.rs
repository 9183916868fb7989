//! One forward pass over a text, read back to the CPU: what the analyses (logit lens, ablation,
//! the MLP's linear part, teacher forcing) start from.

use crate::error::Result;
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::probs::mean_next_token_loss;
use crate::trace::Trace;
use crate::trace::staged::StagedPass;

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

impl ProbeRun {
    /// One pass of `model` over `ids` (refused as [`crate::trace::staged::check_probe`] refuses), with `options`.
    /// The pass runs in pieces, pausing between them as the host asked ([`StagedPass`]).
    pub async fn run(model: &Gpt, ids: &[u32], options: &ForwardOptions<'_>) -> Result<Self> {
        let mut pass = StagedPass::new(model, ids, options, false)?;
        pass.run_to_end(model).await?;
        let trace = match pass.take_trace() {
            Some(tensors) => Some(Trace::read(tensors, 0).await?),
            None => None,
        };
        Ok(Self {
            ids: ids.to_vec(),
            vocab: model.vocab_size(),
            logits: pass.into_logits(),
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
