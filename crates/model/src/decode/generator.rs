//! Step-by-step generation: one call, one new token, and a record of everything that went into it
//! (the logits, every decoding stage, the beams, the attention), so a UI can show any past step
//! and go back. Greedy and sampling reuse a KV cache; the window slides past the context length.

use std::sync::Arc;

use crate::decode::beam::{BeamSearch, BeamTree, FinishedBeam};
use crate::decode::sampling::{DecodeSettings, DecodeStages, Strategy, step_uniform};
use crate::error::{GlassboxError, Result};
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::nn::{HeadMask, KvCache};
use crate::probs::argmax;
use crate::readback::read_floats;
use crate::trace::AttentionRows;
use crate::trace::attention_map::AttentionMatrix;

/// Steps whose attention rows are kept whatever they are needed for: going back a few steps
/// redraws at once. Older steps keep only what Back needs (tokens, logits) and recompute their
/// attention when shown again, so memory stays flat however long generation runs.
pub const KEPT_TRACES: usize = 8;

/// Everything about one generated token.
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// 0 for the first generated token.
    pub index: usize,
    /// Tokens of the sequence before this step's token (prompt + earlier choices).
    pub context_len: usize,
    /// Index in that sequence of the first token inside the model's window.
    pub window_start: usize,
    /// The tokens the model read: the sequence from `window_start` on. Only the window is kept,
    /// not the whole sequence: a long Play would otherwise keep a copy per step.
    pub window: Vec<u32>,
    /// Next-token logits the choice was made from (shared with whatever shows them).
    pub logits: Arc<[f32]>,
    /// The decode settings the choice was made with.
    pub settings: DecodeSettings,
    /// The token chosen (in beam mode: the last token of the best beam).
    pub chosen: u32,
    /// Beam search state after this step (beam mode only).
    pub beams: Option<BeamSearch>,
    /// Heads switched off for this step.
    pub head_mask: HeadMask,
    /// Attention rows this step computed (`None` once dropped, see [`KEPT_TRACES`]);
    /// `trace_first_query` is the window index of the first.
    pub trace: Option<AttentionRows>,
    /// Window index of the first query row in `trace` (0: the pass read the whole window).
    pub trace_first_query: usize,
}

impl StepRecord {
    /// The decoding stages for this step's logits under `settings` (no forward pass).
    pub fn stages(&self, settings: &DecodeSettings) -> DecodeStages {
        DecodeStages::new(&self.logits, settings)
    }

    /// The tokens the model read for this step.
    pub fn window(&self) -> &[u32] {
        &self.window
    }
}

/// Generation from one prompt, one token per [`Generator::step`], every step kept so that
/// [`Generator::back`] can undo it.
pub struct Generator {
    model: Gpt,
    /// How the next step chooses its token; may change between steps.
    pub settings: DecodeSettings,
    /// Heads switched off from the next step on.
    pub head_mask: HeadMask,
    prompt: Vec<u32>,
    tokens: Vec<u32>,
    steps: Vec<StepRecord>,
    cache: KvCache,
    /// Index in `tokens` of the first position the cache holds.
    cache_start: usize,
    /// Beam search ends after this many tokens.
    pub max_new_tokens: usize,
    /// Reuse keys/values of earlier positions (off: recompute the window every step).
    pub use_cache: bool,
    /// Generation ends after this token (GPT-2's `<|endoftext|>`), as `transformers`' `eos_token_id`.
    pub end_of_text: Option<u32>,
}

impl Generator {
    /// Ready to generate after `prompt` (at least one token); no pass runs yet.
    pub fn new(model: Gpt, prompt: Vec<u32>, settings: DecodeSettings) -> Result<Self> {
        if prompt.is_empty() {
            return Err(GlassboxError::EmptyPrompt);
        }
        settings.validate().map_err(GlassboxError::Config)?;
        Ok(Self {
            model,
            settings,
            head_mask: HeadMask::default(),
            tokens: prompt.clone(),
            prompt,
            steps: Vec::new(),
            cache: KvCache::default(),
            cache_start: 0,
            max_new_tokens: usize::MAX,
            use_cache: true,
            end_of_text: None,
        })
    }

    /// The model generating.
    pub fn model(&self) -> &Gpt {
        &self.model
    }

    /// The tokens generation started from.
    pub fn prompt(&self) -> &[u32] {
        &self.prompt
    }

    /// Prompt followed by the generated tokens (for beam search: the current best beam).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// The tokens after the prompt (for beam search: the current best beam's).
    pub fn generated(&self) -> &[u32] {
        &self.tokens[self.prompt.len()..]
    }

    /// Every step so far, oldest first.
    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    /// Index of the first token the model sees for the next step.
    pub fn window_start(&self) -> usize {
        self.tokens
            .len()
            .saturating_sub(self.model.context_length())
    }

    /// Whether beam search has finished, or greedy/sampling produced the end-of-text token.
    pub fn is_done(&self) -> bool {
        match self.beam_state() {
            Some(search) => search.is_done(),
            None => {
                self.end_of_text.is_some() && self.generated().last() == self.end_of_text.as_ref()
            }
        }
    }

    fn beam_state(&self) -> Option<&BeamSearch> {
        self.steps.last().and_then(|s| s.beams.as_ref())
    }

    /// Everything the current beam search scored, step by step (empty outside beam search).
    pub fn beam_tree(&self) -> BeamTree {
        let searches: Vec<&BeamSearch> =
            self.steps.iter().filter_map(|s| s.beams.as_ref()).collect();
        // The current search began at its last first step.
        let start = searches
            .iter()
            .rposition(|s| s.steps_done == 1)
            .unwrap_or(0);
        BeamTree::of(searches[start..].iter().copied())
    }

    /// The best finished (or live) beam, in beam mode.
    pub fn best_beam(&self) -> Option<FinishedBeam> {
        self.beam_state().map(BeamSearch::best)
    }

    /// Generates one token.
    pub async fn step(&mut self) -> Result<&StepRecord> {
        self.settings.validate().map_err(GlassboxError::Config)?;
        let record = match self.settings.strategy {
            Strategy::Beam => self.beam_step().await?,
            Strategy::Greedy | Strategy::Sample => self.single_step().await?,
        };
        self.steps.push(record);
        self.drop_old_traces();
        Ok(&self.steps[self.steps.len() - 1])
    }

    /// Drops the attention rows of every step but the last [`KEPT_TRACES`] and those the latest
    /// step's attention is assembled from (back to the last pass that read its whole window).
    fn drop_old_traces(&mut self) {
        let latest = self.steps.len().saturating_sub(1);
        let chain_start = self.steps[..=latest]
            .iter()
            .rposition(|s| s.trace_first_query == 0)
            .unwrap_or(0);
        let keep_from = chain_start.min(latest.saturating_sub(KEPT_TRACES - 1));
        for step in &mut self.steps[..keep_from] {
            step.trace = None;
        }
    }

    /// Undoes the last step: tokens, beams and cache return to the previous state.
    pub fn back(&mut self) -> bool {
        let Some(last) = self.steps.pop() else {
            return false;
        };
        match &last.beams {
            // The sequence before a beam step is the prompt and the parent of the beam shown.
            Some(search) => {
                let best = search.best().tokens;
                self.tokens = self.prompt.clone();
                self.tokens.extend_from_slice(&best[..best.len() - 1]);
            }
            None => self.tokens.truncate(last.context_len),
        }
        self.cache = KvCache::default();
        true
    }

    /// Drops every generated token.
    pub fn reset(&mut self) {
        self.tokens.truncate(self.prompt.len());
        self.steps.clear();
        self.cache = KvCache::default();
    }

    async fn single_step(&mut self) -> Result<StepRecord> {
        let window_start = self.window_start();
        // Positions are absolute within the window: once it slides, the cache no longer applies.
        let cached = self.use_cache
            && !self.cache.is_empty()
            && self.cache_start == window_start
            && self.cache.len() + 1 == self.tokens.len() - window_start;
        if !cached {
            self.cache = KvCache::default();
            self.cache_start = window_start;
        }
        let first_new = window_start + self.cache.len();
        let input = self
            .model
            .token_tensor(&[self.tokens[first_new..].to_vec()]);
        let options = ForwardOptions {
            trace: true,
            head_mask: Some(&self.head_mask),
            last_logits_only: true,
            ..Default::default()
        };
        let out = self
            .model
            .forward_with(input, &options, Some(&mut self.cache));
        let logits = read_floats(out.logits.flatten::<1>(0, 2)).await?;
        let trace = read_trace(out.trace, 0).await?;

        let index = self.steps.len();
        let chosen = match self.settings.strategy {
            Strategy::Sample => DecodeStages::new(&logits, &self.settings)
                .sample_with(step_uniform(self.settings.seed, index)),
            _ => argmax(&logits),
        } as u32;
        let context_len = self.tokens.len();
        let window = self.tokens[window_start..].to_vec();
        self.tokens.push(chosen);
        Ok(StepRecord {
            index,
            context_len,
            window_start,
            window,
            logits: logits.into(),
            settings: self.settings.clone(),
            chosen,
            beams: None,
            head_mask: self.head_mask.clone(),
            trace: Some(trace),
            trace_first_query: first_new - window_start,
        })
    }

    async fn beam_step(&mut self) -> Result<StepRecord> {
        let mut search = match self.beam_state() {
            Some(state) if !state.is_done() => state.clone(),
            Some(_) => {
                return Err(GlassboxError::Config(
                    "beam search has finished: press Reset or Back".into(),
                ));
            }
            None => BeamSearch::new(
                self.settings.beam_width,
                self.max_new_tokens,
                self.settings.length_penalty,
                self.end_of_text,
            ),
        };
        let context = self.model.context_length();
        let rows: Vec<Vec<u32>> = search
            .live
            .iter()
            .map(|beam| {
                let full: Vec<u32> = self.prompt.iter().chain(&beam.tokens).copied().collect();
                full[full.len().saturating_sub(context)..].to_vec()
            })
            .collect();
        let options = ForwardOptions {
            trace: true,
            head_mask: Some(&self.head_mask),
            last_logits_only: true,
            ..Default::default()
        };
        let out = self
            .model
            .forward_with(self.model.token_tensor(&rows), &options, None);
        let vocab = self.model.vocab_size();
        let last = read_floats(out.logits.flatten::<1>(0, 2)).await?;
        let logits_per_beam: Vec<Vec<f32>> = last.chunks(vocab).map(<[f32]>::to_vec).collect();
        let live_before = search.live.clone();
        search.advance(&logits_per_beam);

        // Show the step through the beam that is now best: its parent's logits and attention.
        let best = search.best();
        let parent_tokens = &best.tokens[..best.tokens.len() - 1];
        let parent = live_before
            .iter()
            .position(|b| b.tokens == parent_tokens)
            .unwrap_or(0);
        let trace = read_trace(out.trace, parent).await?;
        let context_tokens: Vec<u32> = self.prompt.iter().chain(parent_tokens).copied().collect();
        let window_start = context_tokens.len().saturating_sub(context);
        // `advance` appended one token to every beam: never empty.
        let chosen = *best.tokens.last().expect("one token per step");
        self.tokens = context_tokens.iter().copied().chain([chosen]).collect();
        Ok(StepRecord {
            index: self.steps.len(),
            context_len: context_tokens.len(),
            window: context_tokens[window_start..].to_vec(),
            window_start,
            logits: logits_per_beam[parent].as_slice().into(),
            settings: self.settings.clone(),
            chosen,
            beams: Some(search),
            head_mask: self.head_mask.clone(),
            trace: Some(trace),
            trace_first_query: 0,
        })
    }

    /// The full attention of the window that step `index` read, assembled from the rows of that
    /// step and the earlier steps it reused through the cache; `None` for a step out of range or
    /// one whose rows were dropped ([`Generator::retrace`] recomputes those).
    pub fn attention(&self, index: usize) -> Option<AttentionMatrix> {
        let step = self.steps.get(index)?;
        let size = step.window.len();
        let first = step.trace.as_ref()?;
        let (n_layer, n_head) = (first.n_layer, first.n_head);
        let mut data = vec![0.0f32; n_layer * n_head * size * size];
        let mut covered = size;
        for earlier in self.steps[..=index].iter().rev() {
            let first = earlier.trace_first_query;
            if first < covered {
                let trace = earlier.trace.as_ref()?;
                for q in 0..trace.n_query.min(covered - first) {
                    for layer in 0..n_layer {
                        for head in 0..n_head {
                            let row = trace.row(layer, head, q);
                            let start = ((layer * n_head + head) * size + first + q) * size;
                            data[start..start + row.len()].copy_from_slice(row);
                        }
                    }
                }
            }
            covered = covered.min(first);
            if covered == 0 {
                break;
            }
        }
        Some(AttentionMatrix {
            n_layer,
            n_head,
            size,
            data,
        })
    }

    /// What recomputes step `index`'s attention (one traced pass over its window with its heads
    /// off), for a step whose rows were dropped; `None` for a step out of range.
    pub fn retrace(&self, index: usize) -> Option<Retrace> {
        let step = self.steps.get(index)?;
        Some(Retrace {
            model: self.model.clone(),
            window: step.window().to_vec(),
            head_mask: step.head_mask.clone(),
        })
    }
}

/// One traced pass that recomputes a past step's attention; owns what it needs, so it can run
/// while the generator goes on.
pub struct Retrace {
    model: Gpt,
    window: Vec<u32>,
    head_mask: HeadMask,
}

impl Retrace {
    /// The step's attention over its whole window.
    pub async fn run(self) -> Result<AttentionMatrix> {
        window_attention(&self.model, &self.window, &self.head_mask).await
    }
}

/// The attention of one pass over the whole of `window`, with `head_mask`'s heads off.
pub async fn window_attention(
    model: &Gpt,
    window: &[u32],
    head_mask: &HeadMask,
) -> Result<AttentionMatrix> {
    let options = ForwardOptions {
        trace: true,
        head_mask: Some(head_mask),
        // Only the trace is read.
        last_logits_only: true,
        ..Default::default()
    };
    let out = model.forward_with(model.token_tensor(&[window.to_vec()]), &options, None);
    let rows = read_trace(out.trace, 0).await?;
    Ok(AttentionMatrix {
        n_layer: rows.n_layer,
        n_head: rows.n_head,
        size: rows.n_key,
        data: rows.data,
    })
}

/// The attention rows of batch row `row` of a pass run with `trace: true`.
async fn read_trace(
    tensors: Option<crate::nn::trace::TraceTensors>,
    row: usize,
) -> Result<AttentionRows> {
    let tensors =
        tensors.ok_or_else(|| GlassboxError::Readback("the pass was not traced".into()))?;
    AttentionRows::read(tensors, row).await
}

/// The greedy continuation of `prompt` for `n` tokens with `head_mask`'s heads off, each with the
/// summed log-probability of the continuation so far (to set beside a beam search's).
pub async fn greedy_path(
    model: Gpt,
    prompt: Vec<u32>,
    n: usize,
    head_mask: HeadMask,
) -> Result<Vec<(u32, f32)>> {
    let mut generator = Generator::new(model, prompt, DecodeSettings::default())?;
    generator.head_mask = head_mask;
    let mut path = Vec::with_capacity(n);
    let mut sum = 0.0;
    for _ in 0..n {
        let step = generator.step().await?;
        sum += crate::probs::log_softmax(&step.logits)[step.chosen as usize];
        path.push((step.chosen, sum));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, max_diff, tiny_model};

    fn run(generator: &mut Generator, steps: usize) {
        for _ in 0..steps {
            block_on(generator.step()).unwrap();
        }
    }

    #[test]
    fn greedy_is_the_argmax_chain_of_full_forwards() {
        let model = tiny_model();
        let mut generator = Generator::new(
            model.clone(),
            TOKENS[..3].to_vec(),
            DecodeSettings::default(),
        )
        .unwrap();
        run(&mut generator, 15); // past the context of 12: the window slides
        let mut tokens = TOKENS[..3].to_vec();
        for _ in 0..15 {
            let window = &tokens[tokens.len().saturating_sub(12)..];
            let logits = block_on(read_floats(
                model.forward(model.token_tensor(&[window.to_vec()])),
            ))
            .unwrap();
            let last = &logits[(window.len() - 1) * 11..];
            tokens.push(argmax(last) as u32);
        }
        assert_eq!(generator.tokens(), tokens.as_slice());
        assert!(generator.steps().last().unwrap().window_start > 0);
    }

    #[test]
    fn cached_and_uncached_generation_agree_and_attention_is_assembled() {
        let model = tiny_model();
        let settings = DecodeSettings {
            strategy: Strategy::Sample,
            seed: 3,
            ..Default::default()
        };
        let mut cached =
            Generator::new(model.clone(), TOKENS[..2].to_vec(), settings.clone()).unwrap();
        let mut uncached = Generator::new(model, TOKENS[..2].to_vec(), settings).unwrap();
        uncached.use_cache = false;
        run(&mut cached, 8);
        run(&mut uncached, 8);
        assert_eq!(cached.tokens(), uncached.tokens());
        for i in 0..8 {
            let (a, b) = (cached.attention(i).unwrap(), uncached.attention(i).unwrap());
            assert_eq!(a.size, i + 2);
            let diff = max_diff(&a.data, &b.data);
            assert!(diff <= 1e-5, "step {i}: attention differs by {diff}");
            assert_eq!(
                cached.steps()[i].trace_first_query,
                if i == 0 { 0 } else { i + 1 }
            );
        }
    }

    #[test]
    fn back_restores_the_previous_state_exactly() {
        let model = tiny_model();
        let settings = DecodeSettings {
            strategy: Strategy::Sample,
            seed: 11,
            ..Default::default()
        };
        let mut generator = Generator::new(model, TOKENS[..3].to_vec(), settings).unwrap();
        run(&mut generator, 4);
        let before = generator.tokens().to_vec();
        let logits_before = generator.steps()[3].logits.clone();
        run(&mut generator, 1);
        assert!(generator.back());
        assert_eq!(generator.tokens(), before.as_slice());
        run(&mut generator, 1);
        // The same step again: same logits before it, same draw.
        assert_eq!(generator.steps()[3].logits, logits_before);
        assert_eq!(generator.tokens().len(), before.len() + 1);
        generator.reset();
        assert_eq!(generator.tokens(), &TOKENS[..3]);
    }

    #[test]
    fn beam_search_steps_and_finishes() {
        let model = tiny_model();
        let settings = DecodeSettings {
            strategy: Strategy::Beam,
            beam_width: 3,
            ..Default::default()
        };
        let mut generator = Generator::new(model, TOKENS[..3].to_vec(), settings).unwrap();
        generator.max_new_tokens = 4;
        while !generator.is_done() {
            block_on(generator.step()).unwrap();
        }
        let best = generator.best_beam().unwrap();
        assert_eq!(best.tokens.len(), 4);
        assert_eq!(generator.generated(), best.tokens.as_slice());
        assert!((best.score - best.sum_logprob / 4.0).abs() < 1e-6);
        assert!(
            block_on(generator.step()).is_err(),
            "a finished search refuses another step"
        );
    }

    #[test]
    fn beam_search_on_a_three_token_gpt_equals_exhaustive_search() {
        let device = burn::tensor::Device::flex();
        let model = crate::config::GptConfig::new(3, 8, 1, 1, 8).init_seeded(5, &device);
        let prompt = vec![1u32];
        let best = crate::decode::beam::tests::exhaustive_best(|generated| {
            let seq: Vec<u32> = prompt.iter().chain(generated).copied().collect();
            let logits = block_on(read_floats(
                model.forward(model.token_tensor(std::slice::from_ref(&seq))),
            ))
            .unwrap();
            crate::probs::log_softmax(&logits[(seq.len() - 1) * 3..])
        });
        let settings = DecodeSettings {
            strategy: Strategy::Beam,
            beam_width: 9,
            ..Default::default()
        };
        let mut generator = Generator::new(model.clone(), prompt, settings).unwrap();
        generator.max_new_tokens = 3;
        while !generator.is_done() {
            block_on(generator.step()).unwrap();
        }
        let found = generator.best_beam().unwrap();
        assert_eq!(found.tokens, best.1);
        assert!((found.sum_logprob - best.0).abs() < 1e-5);
    }

    #[test]
    fn greedy_path_is_a_width_one_beam_and_the_tree_holds_the_best_beam() {
        let model = tiny_model();
        let greedy = block_on(greedy_path(
            model.clone(),
            TOKENS[..3].to_vec(),
            4,
            HeadMask::default(),
        ))
        .unwrap();
        assert!(
            greedy.windows(2).all(|w| w[1].1 <= w[0].1),
            "sums only fall"
        );
        for width in [1, 3] {
            let settings = DecodeSettings {
                strategy: Strategy::Beam,
                beam_width: width,
                length_penalty: 0.0,
                ..Default::default()
            };
            let mut generator =
                Generator::new(model.clone(), TOKENS[..3].to_vec(), settings).unwrap();
            generator.max_new_tokens = 4;
            while !generator.is_done() {
                block_on(generator.step()).unwrap();
            }
            let best = generator.best_beam().unwrap();
            let tree = generator.beam_tree();
            assert_eq!(tree.steps(), 4);
            assert_eq!(tree.path_of(&best.tokens).len(), 4, "best beam in the tree");
            if width == 1 {
                let tokens: Vec<u32> = greedy.iter().map(|g| g.0).collect();
                assert_eq!(best.tokens, tokens);
                assert!((best.sum_logprob - greedy[3].1).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn old_steps_keep_no_trace_and_recompute_the_same_attention() {
        let model = tiny_model(); // context 12
        let settings = DecodeSettings {
            strategy: Strategy::Sample,
            seed: 5,
            ..Default::default()
        };
        let mut generator = Generator::new(model, TOKENS[..2].to_vec(), settings).unwrap();
        let mut seen = Vec::new();
        for i in 0..40 {
            if i == 20 {
                generator.head_mask = HeadMask::single(0, 1);
            }
            block_on(generator.step()).unwrap();
            seen.push(generator.attention(i).expect("the latest step's attention"));
            let traced = generator
                .steps()
                .iter()
                .filter(|s| s.trace.is_some())
                .count();
            assert!(traced <= KEPT_TRACES + 12, "step {i}: {traced} traces kept");
        }
        assert!(generator.attention(0).is_none(), "old rows are dropped");
        for (i, expected) in seen.iter().enumerate() {
            let again = match generator.attention(i) {
                Some(kept) => kept,
                None => block_on(generator.retrace(i).unwrap().run()).unwrap(),
            };
            assert_eq!(
                (again.n_layer, again.size),
                (expected.n_layer, expected.size)
            );
            let diff = max_diff(&again.data, &expected.data);
            assert!(
                diff <= 1e-5,
                "step {i}: recomputed attention differs by {diff}"
            );
        }
        // Back still restores exactly, and the step shown after it has its attention.
        let logits = generator.steps()[38].logits.clone();
        assert!(generator.back());
        assert_eq!(generator.steps()[38].logits, logits);
        assert!(generator.retrace(40).is_none());
    }

    #[test]
    fn empty_prompt_is_refused() {
        assert!(matches!(
            Generator::new(tiny_model(), vec![], DecodeSettings::default()),
            Err(GlassboxError::EmptyPrompt)
        ));
    }
}
