//! The GPT: embeddings, blocks, final LayerNorm and the LM head tied to the token embedding.
//! Field names mirror Hugging Face GPT-2 (`wte`, `wpe`, `h.N`, `ln_f`) so checkpoints use its layout.

use std::sync::Mutex;

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::config::GptConfig;
use crate::nn::attention::AttentionInputs;
use crate::nn::block::{Block, BlockOutput};
use crate::nn::cache::KvCache;
use crate::nn::head_mask::HeadMask;
use crate::nn::layer_norm::LayerNorm;
use crate::nn::mlp::MlpOptions;
use crate::nn::trace::{TraceBuilder, TraceTensors};

/// GPT-2's architecture: token and position embeddings, `n_layer` pre-LayerNorm blocks, a final
/// LayerNorm, and the LM head tied to the token embedding.
#[derive(Module, Debug)]
pub struct Gpt {
    /// Token embedding `[vocab, d_model]`, also the LM head.
    pub wte: Embedding,
    /// Position embedding `[context, d_model]`.
    pub wpe: Embedding,
    /// The blocks, first to last.
    pub h: Vec<Block>,
    /// The final LayerNorm.
    pub ln_f: LayerNorm,
    /// The shape the model was built from (no parameter: checkpoints keep their names).
    #[module(skip)]
    config: GptConfig,
}

/// What a forward pass returns.
pub struct ForwardOutput {
    /// `[batch, new, vocab]`; `[batch, 1, vocab]` with [`ForwardOptions::last_logits_only`].
    pub logits: Tensor<3>,
    /// What the pass kept, when tracing.
    pub trace: Option<TraceTensors>,
}

/// How to run a forward pass beyond the plain training path.
#[derive(Default)]
pub struct ForwardOptions<'a> {
    /// Keep every layer's attention, MLP hidden units and residual stream.
    pub trace: bool,
    /// Heads switched off.
    pub head_mask: Option<&'a HeadMask>,
    /// The block whose MLP runs without its activation (its linear part only).
    pub linear_mlp: Option<usize>,
    /// The LM head for the last position only: generation reads no other, and over every position
    /// of a 16-token prompt GPT-2's head took 130 of a 293 ms step in the tab.
    pub last_logits_only: bool,
}

/// Held while a model is drawn from a seeded generator: the generator is the backend's, shared by
/// every thread, so two seeded inits at once would interleave their draws.
static SEEDED_INIT: Mutex<()> = Mutex::new(());

impl GptConfig {
    /// A new model of this shape, its weights drawn from the backend's generator seeded with
    /// `seed`: the same seed gives the same weights, whatever else runs.
    pub fn init_seeded(&self, seed: u64, device: &Device) -> Gpt {
        let _guard = SEEDED_INIT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        device.seed(seed);
        self.init(device)
    }

    /// A new model of this shape with GPT-2's initial weights.
    pub fn init(&self, device: &Device) -> Gpt {
        let embedding = |n| {
            EmbeddingConfig::new(n, self.d_model)
                .with_initializer(self.initializers().weights)
                .init(device)
        };
        Gpt {
            wte: embedding(self.vocab_size),
            wpe: embedding(self.context_length),
            h: (0..self.n_layer)
                .map(|layer| Block::new(self, layer, device))
                .collect(),
            ln_f: LayerNorm::new(self, device),
            config: self.clone(),
        }
    }
}

impl Gpt {
    /// The shape the model was built from.
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// Tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.config.vocab_size
    }

    /// Longest window, in tokens.
    pub fn context_length(&self) -> usize {
        self.config.context_length
    }

    /// Blocks.
    pub fn n_layer(&self) -> usize {
        self.config.n_layer
    }

    /// Heads per block.
    pub fn n_head(&self) -> usize {
        self.config.n_head
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.wte.weight.device()
    }

    /// Token ids `[batch, time]` as a tensor on the model's device.
    pub fn token_tensor(&self, rows: &[Vec<u32>]) -> Tensor<2, Int> {
        let time = rows.first().map_or(0, Vec::len);
        let flat: Vec<i32> = rows.iter().flatten().map(|&t| t as i32).collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), time]), &self.device())
    }

    /// The training path: logits `[batch, time, vocab]`, no trace, no cache.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.forward_with(tokens, &ForwardOptions::default(), None)
            .logits
    }

    /// A traced forward pass over one sequence (no cache, every head on).
    pub fn forward_traced(&self, ids: &[u32]) -> ForwardOutput {
        let options = ForwardOptions {
            trace: true,
            ..Default::default()
        };
        self.forward_with(self.token_tensor(&[ids.to_vec()]), &options, None)
    }

    /// A forward pass over new tokens that follow whatever `cache` holds (nothing when `None`),
    /// optionally tracing and ablating heads. The caller keeps `cache.len() + new ≤ context`.
    ///
    /// # Shapes
    /// `tokens`: `[batch, new]` → logits `[batch, new, vocab]` (`[batch, 1, vocab]` for the last
    /// position only).
    pub fn forward_with(
        &self,
        tokens: Tensor<2, Int>,
        options: &ForwardOptions,
        cache: Option<&mut KvCache>,
    ) -> ForwardOutput {
        let [_, n_new] = tokens.dims();
        let device = tokens.device();
        let past_len = cache.as_deref().map_or(0, KvCache::len);
        assert!(
            past_len + n_new <= self.context_length(),
            "forward past the context length"
        );
        let mut x = self.embed(tokens, past_len);
        let mut trace = options
            .trace
            .then(|| TraceBuilder::new(&x, self.n_head(), past_len + n_new));
        let mut new_kv = Vec::with_capacity(self.h.len());
        for (layer, block) in self.h.iter().enumerate() {
            let (attention, mlp) = self.block_inputs(layer, options, cache.as_deref(), &device);
            let out = block.forward(x, attention, mlp);
            x = out.output;
            if let Some(trace) = trace.as_mut() {
                trace.push_block(out.attention_probs, out.mlp_hidden, &x);
            }
            new_kv.push(out.kv);
        }
        if let Some(cache) = cache {
            cache.replace(new_kv);
        }
        let x = self.ln_f.forward(x);
        let head_input = if options.last_logits_only {
            x.clone().narrow(1, n_new - 1, 1)
        } else {
            x.clone()
        };
        ForwardOutput {
            trace: trace.map(|t| t.finish(x)),
            logits: self.lm_head(head_input),
        }
    }

    /// What block `layer` is asked for: its cached keys and values, its heads' gate, what to keep.
    fn block_inputs<'c>(
        &self,
        layer: usize,
        options: &ForwardOptions,
        cache: Option<&'c KvCache>,
        device: &Device,
    ) -> (AttentionInputs<'c>, MlpOptions) {
        let attention = AttentionInputs {
            past: cache.and_then(|c| c.layer(layer)),
            head_gate: options
                .head_mask
                .and_then(|m| m.gate(layer, self.n_head(), device)),
            keep_probs: options.trace,
            keep_kv: cache.is_some(),
        };
        let mlp = MlpOptions {
            keep_hidden: options.trace,
            linear: options.linear_mlp == Some(layer),
        };
        (attention, mlp)
    }

    /// Block `layer` of an uncached pass, from the stream entering it: a pass run one block at a
    /// time, or from a block on, runs these.
    ///
    /// # Shapes
    /// `x`: `[batch, time, d_model]` → output `[batch, time, d_model]`.
    pub fn run_block(&self, layer: usize, x: Tensor<3>, options: &ForwardOptions) -> BlockOutput {
        let (attention, mlp) = self.block_inputs(layer, options, None, &x.device());
        self.h[layer].forward(x, attention, mlp)
    }

    /// Token plus position embeddings of `tokens`, the first at position `past_len`.
    ///
    /// # Shapes
    /// `tokens`: `[batch, new]` → `[batch, new, d_model]`.
    pub(crate) fn embed(&self, tokens: Tensor<2, Int>, past_len: usize) -> Tensor<3> {
        let [_, n_new] = tokens.dims();
        let positions =
            Tensor::<1, Int>::arange(past_len as i64..(past_len + n_new) as i64, &tokens.device())
                .unsqueeze::<2>();
        self.wte.forward(tokens) + self.wpe.forward(positions)
    }

    /// Logits from a (normalised) residual stream: the LM head is the token embedding, transposed.
    /// It runs as `wte · xᵀ`, the embedding on the left as it is stored: `x · wteᵀ`, a transposed
    /// 50,257-column right operand, made GPT-2 small's cached step 14× slower natively (286 ms
    /// against 20 ms) and its LM head 3× slower in the tab; the shipped model trains as fast
    /// either way.
    ///
    /// # Shapes
    /// `x`: `[batch, time, d_model]` → `[batch, time, vocab]`.
    pub fn lm_head(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, time, d_model] = x.dims();
        let rows = x.reshape([batch * time, d_model]);
        let logits_by_row = self.wte.weight.val().matmul(rows.transpose());
        logits_by_row
            .transpose()
            .reshape([batch, time, self.vocab_size()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::{block_on, read_floats};
    use crate::testing::{TOKENS, max_diff, tiny_model};
    use crate::trace::Trace;

    fn traced(model: &Gpt, tokens: &[u32], mask: Option<&HeadMask>) -> (Vec<f32>, Trace) {
        let out = model.forward_with(
            model.token_tensor(&[tokens.to_vec()]),
            &ForwardOptions {
                trace: true,
                head_mask: mask,
                ..Default::default()
            },
            None,
        );
        (
            block_on(read_floats(out.logits)).unwrap(),
            block_on(Trace::read(out.trace.unwrap(), 0)).unwrap(),
        )
    }

    #[test]
    fn attention_rows_sum_to_one_and_are_zero_above_the_diagonal() {
        let model = tiny_model();
        let (_, trace) = traced(&model, &TOKENS, None);
        for layer in 0..2 {
            for head in 0..2 {
                for q in 0..TOKENS.len() {
                    let row = trace.attention_row(layer, head, q);
                    assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                    assert!(
                        row[q + 1..].iter().all(|&p| p == 0.0),
                        "future cell nonzero at layer {layer} head {head} query {q}"
                    );
                    assert!(row[..=q].iter().all(|&p| p > 0.0));
                }
            }
        }
    }

    #[test]
    fn last_logits_only_is_the_last_row_of_every_row_over_two_sequences_and_a_cache() {
        let model = tiny_model();
        let rows = [TOKENS.to_vec(), TOKENS.iter().rev().copied().collect()];
        let vocab = model.vocab_size();
        let logits = |last_logits_only, tokens: &[Vec<u32>], cache: Option<&mut KvCache>| {
            let options = ForwardOptions {
                trace: true,
                last_logits_only,
                ..Default::default()
            };
            let out = model.forward_with(model.token_tensor(tokens), &options, cache);
            block_on(read_floats(out.logits)).unwrap()
        };
        let every = logits(false, &rows, None);
        let last = logits(true, &rows, None);
        let n = TOKENS.len();
        assert_eq!(last.len(), 2 * vocab);
        for row in 0..2 {
            let expected = &every[(row * n + n - 1) * vocab..(row * n + n) * vocab];
            assert!(max_diff(&last[row * vocab..(row + 1) * vocab], expected) < 1e-6);
        }
        // After a cache of all but the last token, the one new position's logits are the same.
        let mut cache = KvCache::default();
        logits(true, &[TOKENS[..n - 1].to_vec()], Some(&mut cache));
        let next = logits(true, &[vec![TOKENS[n - 1]]], Some(&mut cache));
        assert!(max_diff(&next, &last[..vocab]) < 1e-5);
    }

    #[test]
    fn trace_does_not_change_logits() {
        let model = tiny_model();
        let plain = block_on(read_floats(
            model.forward(model.token_tensor(&[TOKENS.to_vec()])),
        ))
        .unwrap();
        let (traced_logits, trace) = traced(&model, &TOKENS, None);
        assert_eq!(plain, traced_logits);
        // The trace's final normalised stream times the embedding gives the logits back.
        assert_eq!(trace.residual.len(), 3 * TOKENS.len() * 16);
    }

    #[test]
    fn kv_cache_matches_full_recompute() {
        let model = tiny_model();
        let (full_logits, full_trace) = traced(&model, &TOKENS, None);
        let mut cache = KvCache::default();
        let options = ForwardOptions {
            trace: true,
            ..Default::default()
        };
        // Prompt of 4, then one token at a time.
        let mut fed = 0;
        for chunk in [4usize, 1, 1, 1, 1, 1] {
            let input = model.token_tensor(&[TOKENS[fed..fed + chunk].to_vec()]);
            let out = model.forward_with(input, &options, Some(&mut cache));
            let logits = block_on(read_floats(out.logits)).unwrap();
            let trace = block_on(Trace::read(out.trace.unwrap(), 0)).unwrap();
            assert_eq!(trace.n_key, fed + chunk);
            for q in 0..chunk {
                let pos = fed + q;
                let vocab = 11;
                let diff = max_diff(
                    &logits[q * vocab..(q + 1) * vocab],
                    &full_logits[pos * vocab..(pos + 1) * vocab],
                );
                assert!(diff <= 1e-5, "logits at {pos} differ by {diff}");
                for layer in 0..2 {
                    for head in 0..2 {
                        let cached = trace.attention_row(layer, head, q);
                        let full = &full_trace.attention_row(layer, head, pos)[..fed + chunk];
                        assert!(max_diff(cached, full) <= 1e-5);
                    }
                }
            }
            fed += chunk;
            assert_eq!(cache.len(), fed);
        }
    }

    #[test]
    fn a_block_without_attention_passes_the_residual_to_its_mlp() {
        let device = Device::flex();
        let config = GptConfig::new(11, 12, 2, 2, 16).with_without_attention(Some(vec![0]));
        let model = config.init_seeded(11, &device);
        let (_, trace) = traced(&model, &TOKENS, None);
        let n = TOKENS.len();
        // Block 0: x + mlp(ln_2(x)), with x the embeddings.
        let embeddings =
            Tensor::<1>::from_floats(&trace.residual[..n * 16], &device).reshape([1, n, 16]);
        let block = &model.h[0];
        let expected = embeddings.clone()
            + block
                .mlp
                .forward(block.ln_2.forward(embeddings), MlpOptions::default())
                .output;
        let expected = block_on(read_floats(expected)).unwrap();
        assert!(max_diff(&expected, &trace.residual[n * 16..2 * n * 16]) < 1e-5);
        // Its attention is drawn as zeros; block 1 attends as usual.
        assert!(trace.attention_row(0, 1, 4).iter().all(|&p| p == 0.0));
        assert!((trace.attention_row(1, 1, 4).iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(model.n_head(), 2);
    }

    #[test]
    fn kv_cache_skips_blocks_without_attention() {
        let device = Device::flex();
        let config = GptConfig::new(11, 12, 2, 2, 16).with_without_attention(Some(vec![0]));
        let model = config.init_seeded(12, &device);
        let (full, _) = traced(&model, &TOKENS, None);
        let mut cache = KvCache::default();
        let options = ForwardOptions::default();
        for (i, &token) in TOKENS.iter().enumerate() {
            let out = model.forward_with(
                model.token_tensor(&[vec![token]]),
                &options,
                Some(&mut cache),
            );
            let logits = block_on(read_floats(out.logits)).unwrap();
            assert!(
                max_diff(&logits, &full[i * 11..(i + 1) * 11]) < 1e-5,
                "position {i}"
            );
        }
        assert_eq!(cache.len(), TOKENS.len());
    }

    #[test]
    fn head_mask_of_a_whole_layer_changes_output_empty_mask_does_not() {
        let model = tiny_model();
        let (plain, _) = traced(&model, &TOKENS, None);
        let (empty, _) = traced(&model, &TOKENS, Some(&HeadMask::default()));
        assert_eq!(plain, empty);
        let layer0 = HeadMask {
            ablated: [(0, 0), (0, 1)].into(),
        };
        let (ablated, trace) = traced(&model, &TOKENS, Some(&layer0));
        assert!(max_diff(&plain, &ablated) > 1e-3);
        // An ablated head's attention is all zeros.
        assert!(trace.attention_row(0, 1, 3).iter().all(|&p| p == 0.0));
    }
}
