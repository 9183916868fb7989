//! A forward pass over a text run a piece at a time, so a page can paint between pieces: GPT-2
//! small's pass over a short text takes ~0.3 s in the tab, too long for one frame, while one of its
//! blocks takes a few tens of ms. A pass can also start at a block, from the stream another pass
//! kept entering it: switching a head off changes nothing before the head's own block.

use burn::tensor::{Tensor, s};

use crate::error::{GlassboxError, Result};
use crate::nn::HeadMask;
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::nn::trace::{TraceBuilder, TraceTensors};
use crate::pause::pause_point;
use crate::probs::mean_next_token_loss;
use crate::readback::read_floats;

/// Multiply-adds one piece of the LM head may take: GPT-2 small's 50,257 × 768 head runs six
/// positions per piece, about as long as one of its blocks over a short text; a small model's
/// head runs in one piece.
const LM_HEAD_PIECE_MACS: usize = 1 << 28;

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

/// One pass over a text, every `advance` running one block or the LM head over a few positions,
/// its logits read back to the CPU as they come.
pub struct StagedPass {
    ids: Vec<u32>,
    /// Length of one logits row.
    vocab: usize,
    mask: HeadMask,
    /// The block whose MLP runs without its activation.
    linear_mlp: Option<usize>,
    /// Positions the LM head runs per piece.
    lm_head_rows: usize,
    /// The next block to run; `n_layer` once the blocks are done.
    next_block: usize,
    /// The residual stream entering `next_block`; after the final LayerNorm once the blocks are
    /// done.
    stream: Tensor<3>,
    /// Whether `stream` has been through the final LayerNorm.
    normed: bool,
    /// The stream entering each block run so far, when kept for passes that start later on.
    entering: Option<Vec<Tensor<3>>>,
    /// What the blocks run so far kept, when tracing.
    tracer: Option<TraceBuilder>,
    /// The whole trace, once the blocks are done.
    trace: Option<TraceTensors>,
    /// `[position][vocab]` for the positions read so far.
    logits: Vec<f32>,
}

impl StagedPass {
    /// A pass of `model` over `ids` (refused as [`check_probe`] refuses) with `options`;
    /// `keep_entering` keeps the stream entering each block for [`StagedPass::branch`].
    pub fn new(
        model: &Gpt,
        ids: &[u32],
        options: &ForwardOptions,
        keep_entering: bool,
    ) -> Result<Self> {
        check_probe(model, ids)?;
        let stream = model.embed(model.token_tensor(&[ids.to_vec()]), 0);
        Ok(Self {
            ids: ids.to_vec(),
            vocab: model.vocab_size(),
            mask: options.head_mask.cloned().unwrap_or_default(),
            linear_mlp: options.linear_mlp,
            lm_head_rows: (LM_HEAD_PIECE_MACS / (model.vocab_size() * model.config().d_model))
                .max(1),
            next_block: 0,
            tracer: options
                .trace
                .then(|| TraceBuilder::new(&stream, model.n_head(), ids.len())),
            stream,
            normed: false,
            entering: keep_entering.then(Vec::new),
            trace: None,
            logits: Vec::new(),
        })
    }

    /// Runs the blocks and the final LayerNorm, not the LM head (the logit lens runs its own),
    /// pausing between pieces as the host asked ([`pause_point`]).
    pub async fn run_blocks(&mut self, model: &Gpt) -> Result<()> {
        while !self.normed {
            self.advance(model).await?;
            pause_point().await;
        }
        Ok(())
    }

    /// Runs every piece left, pausing between them as the host asked ([`pause_point`]).
    pub async fn run_to_end(&mut self, model: &Gpt) -> Result<()> {
        while !self.is_done() {
            self.advance(model).await?;
            pause_point().await;
        }
        Ok(())
    }

    /// An untraced pass over the same text with `mask`'s heads off instead, starting at block
    /// `layer` from the stream this pass kept entering it. `mask` must switch off heads of block
    /// `layer` and later only; `None` when this pass kept no such stream.
    pub fn branch(&self, layer: usize, mask: HeadMask) -> Option<Self> {
        debug_assert!(mask.ablated.iter().all(|&(l, _)| l >= layer));
        let stream = self.entering.as_ref()?.get(layer)?.clone();
        Some(Self {
            ids: self.ids.clone(),
            vocab: self.vocab,
            mask,
            linear_mlp: None,
            lm_head_rows: self.lm_head_rows,
            next_block: layer,
            stream,
            normed: false,
            entering: None,
            tracer: None,
            trace: None,
            logits: Vec::new(),
        })
    }

    /// Whether every position's logits have been read.
    pub fn is_done(&self) -> bool {
        self.logits.len() == self.ids.len() * self.vocab
    }

    /// `[position][vocab]` logits of the positions read so far.
    pub fn logits(&self) -> &[f32] {
        &self.logits
    }

    /// The logits, taking them out of the pass.
    pub fn into_logits(self) -> Vec<f32> {
        self.logits
    }

    /// The trace, once the blocks are done, taking it out of the pass (`None` when not tracing).
    pub fn take_trace(&mut self) -> Option<TraceTensors> {
        self.trace.take()
    }

    /// Mean next-token loss over the text once done (`None` before, or for one token).
    pub fn loss(&self) -> Option<f32> {
        self.is_done()
            .then(|| mean_next_token_loss(&self.logits, self.vocab, &self.ids))
            .flatten()
    }

    /// Runs the next piece: one block, the final LayerNorm, or the LM head over the next few
    /// positions (nothing once done).
    pub async fn advance(&mut self, model: &Gpt) -> Result<()> {
        if self.next_block < model.n_layer() {
            if let Some(entering) = self.entering.as_mut() {
                entering.push(self.stream.clone());
            }
            let options = ForwardOptions {
                trace: self.tracer.is_some(),
                head_mask: Some(&self.mask),
                linear_mlp: self.linear_mlp,
                ..Default::default()
            };
            let out = model.run_block(self.next_block, self.stream.clone(), &options);
            self.stream = out.output;
            if let Some(tracer) = self.tracer.as_mut() {
                tracer.push_block(out.attention_probs, out.mlp_hidden, &self.stream);
            }
            self.next_block += 1;
            return Ok(());
        }
        if !self.normed {
            self.stream = model.ln_f.forward(self.stream.clone());
            self.normed = true;
            self.trace = self.tracer.take().map(|t| t.finish(self.stream.clone()));
            return Ok(());
        }
        let start = self.logits.len() / self.vocab;
        let end = start.saturating_add(self.lm_head_rows).min(self.ids.len());
        if start < end {
            let rows = self.stream.clone().slice(s![.., start..end, ..]);
            self.logits.extend(read_floats(model.lm_head(rows)).await?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, max_diff, tiny_model};
    use crate::trace::Trace;

    fn finish(model: &Gpt, mut pass: StagedPass) -> StagedPass {
        let mut pieces = 0;
        while !pass.is_done() {
            block_on(pass.advance(model)).unwrap();
            pieces += 1;
            assert!(
                pieces <= model.n_layer() + 1 + TOKENS.len(),
                "the pass never ends"
            );
        }
        pass
    }

    fn masked(mask: &HeadMask) -> ForwardOptions<'_> {
        ForwardOptions {
            head_mask: Some(mask),
            ..Default::default()
        }
    }

    /// The reference: the pass in one go.
    fn whole(model: &Gpt, options: &ForwardOptions) -> (Vec<f32>, Option<Trace>) {
        let out = model.forward_with(model.token_tensor(&[TOKENS.to_vec()]), options, None);
        let trace = out.trace.map(|t| block_on(Trace::read(t, 0)).unwrap());
        (block_on(read_floats(out.logits)).unwrap(), trace)
    }

    #[test]
    fn a_pass_in_pieces_gives_the_whole_pass_logits_and_loss() {
        let model = tiny_model();
        let mask = HeadMask::single(1, 0);
        let (logits, _) = whole(&model, &masked(&mask));
        let loss = mean_next_token_loss(&logits, model.vocab_size(), &TOKENS).unwrap();
        // The LM head in one piece, and in pieces of 2 and 4 positions (the last one short).
        for rows in [usize::MAX, 2, 4] {
            let mut pass = StagedPass::new(&model, &TOKENS, &masked(&mask), false).unwrap();
            pass.lm_head_rows = rows;
            let staged = finish(&model, pass);
            assert!(max_diff(staged.logits(), &logits) < 1e-6, "{rows} rows");
            assert!((staged.loss().unwrap() - loss).abs() < 1e-6);
        }
    }

    #[test]
    fn a_traced_pass_in_pieces_keeps_the_whole_pass_trace() {
        let model = tiny_model();
        let options = ForwardOptions {
            trace: true,
            linear_mlp: Some(1),
            ..Default::default()
        };
        let (logits, trace) = whole(&model, &options);
        let mut staged = finish(
            &model,
            StagedPass::new(&model, &TOKENS, &options, false).unwrap(),
        );
        let staged_trace = block_on(Trace::read(staged.take_trace().unwrap(), 0)).unwrap();
        let trace = trace.unwrap();
        assert!(max_diff(staged.logits(), &logits) < 1e-6);
        assert!(max_diff(&staged_trace.attentions, &trace.attentions) < 1e-6);
        assert!(max_diff(&staged_trace.residual, &trace.residual) < 1e-6);
        assert!(max_diff(&staged_trace.mlp_post, &trace.mlp_post) < 1e-6);
    }

    #[test]
    fn a_branch_from_a_block_is_the_pass_with_that_mask_from_the_start() {
        let model = tiny_model();
        let everything_on = ForwardOptions::default();
        let base = finish(
            &model,
            StagedPass::new(&model, &TOKENS, &everything_on, true).unwrap(),
        );
        for layer in 0..model.n_layer() {
            let mask = HeadMask::single(layer, 1);
            let branch = finish(&model, base.branch(layer, mask.clone()).unwrap());
            let (logits, _) = whole(&model, &masked(&mask));
            assert!(max_diff(branch.logits(), &logits) < 1e-6, "layer {layer}");
            assert_ne!(
                branch.logits(),
                base.logits(),
                "layer {layer}: the head did nothing"
            );
        }
        let unkept = StagedPass::new(&model, &TOKENS, &everything_on, false).unwrap();
        assert!(unkept.branch(0, HeadMask::default()).is_none());
    }

    #[test]
    fn no_loss_before_the_pass_is_done() {
        let model = tiny_model();
        let mut pass = StagedPass::new(&model, &TOKENS, &ForwardOptions::default(), false).unwrap();
        block_on(pass.advance(&model)).unwrap();
        assert!(!pass.is_done());
        assert_eq!(pass.loss(), None);
    }

    #[test]
    fn texts_a_pass_cannot_read_are_refused() {
        let model = tiny_model();
        let options = ForwardOptions::default();
        assert!(StagedPass::new(&model, &[model.vocab_size() as u32], &options, false).is_err());
        assert!(StagedPass::new(&model, &[], &options, false).is_err());
    }
}
