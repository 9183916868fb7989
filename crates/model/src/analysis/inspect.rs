//! One traced forward pass over a prompt, in the field names of the Hugging Face reference
//! fixtures (`shared/fixtures/gpt2-tiny/README.md`), for `glassbox inspect --json` and parity tests.

use serde::Serialize;

use crate::error::Result;
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::probs::top_n;
use crate::tokenize::Tokenizer;
use crate::trace::probe::ProbeRun;

/// Logits kept per position in [`Inspection::topk`], as the reference fixtures keep them.
pub const TOPK_PER_POSITION: usize = 10;

/// One traced pass over a prompt, serialised with the reference fixtures' field names.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    /// The prompt's token ids.
    pub input_ids: Vec<u32>,
    /// Each token as its vocabulary writes it (GPT-2: `Ġ` for a space byte).
    pub tokens: Vec<String>,
    /// Logits at the last position.
    pub last_logits: Vec<f32>,
    /// Per position, the [`TOPK_PER_POSITION`] largest logits as `[id, logit]`, descending.
    pub topk: Vec<Vec<(u32, f32)>>,
    /// `[layer][head][query][key]`.
    pub attentions: Vec<Vec<Vec<Vec<f32>>>>,
    /// Residual stream at the last position: embeddings, after blocks 1..L-1, then `ln_f` of block L.
    pub hidden_last: Vec<Vec<f32>>,
    /// Mean cross-entropy of predicting ids[1..] from the positions before; `None` for one token.
    pub loss: Option<f32>,
}

/// Runs the model over `ids` (at most the context length) and collects the inspection.
pub async fn inspect(model: &Gpt, tokenizer: &Tokenizer, ids: &[u32]) -> Result<Inspection> {
    let n = ids.len();
    let options = ForwardOptions {
        trace: true,
        ..Default::default()
    };
    let run = ProbeRun::run(model, ids, &options).await?;
    let trace = run.trace.as_ref().expect("traced");
    let topk = (0..n)
        .map(|t| top_n(run.row(t), TOPK_PER_POSITION))
        .collect();
    let attentions = (0..trace.n_layer)
        .map(|l| {
            (0..trace.n_head)
                .map(|h| {
                    (0..n)
                        .map(|q| trace.attention_row(l, h, q).to_vec())
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut hidden_last: Vec<Vec<f32>> = (0..trace.n_layer)
        .map(|depth| trace.residual_at(depth, n - 1).to_vec())
        .collect();
    hidden_last.push(trace.final_norm_at(n - 1).to_vec());

    Ok(Inspection {
        input_ids: ids.to_vec(),
        tokens: ids.iter().map(|&id| tokenizer.token_piece(id)).collect(),
        last_logits: run.last().to_vec(),
        topk,
        attentions,
        hidden_last,
        loss: run.loss(),
    })
}
