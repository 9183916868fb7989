//! The GPT: embeddings, blocks, final LayerNorm and the LM head tied to the token embedding.
//! Field names mirror Hugging Face GPT-2 (`wte`, `wpe`, `h.N`, `ln_f`) so checkpoints use its layout.

use std::collections::BTreeSet;

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::attention::{AttentionInputs, HeadGate, LayerKv};
use crate::block::Block;
use crate::config::GptConfig;
use crate::layer_norm::LayerNorm;
use crate::mlp::MlpOptions;

#[derive(Module, Debug)]
pub struct Gpt {
    pub wte: Embedding,
    pub wpe: Embedding,
    pub h: Vec<Block>,
    pub ln_f: LayerNorm,
}

/// Heads switched off: their attention output is replaced by zeros.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeadMask {
    pub ablated: BTreeSet<(usize, usize)>,
}

impl HeadMask {
    pub fn is_empty(&self) -> bool {
        self.ablated.is_empty()
    }

    /// Only `(layer, head)` switched off.
    pub fn single(layer: usize, head: usize) -> Self {
        Self {
            ablated: [(layer, head)].into(),
        }
    }

    /// Every head of `layer` switched off.
    pub fn layer(layer: usize, n_head: usize) -> Self {
        Self {
            ablated: (0..n_head).map(|head| (layer, head)).collect(),
        }
    }

    /// Every head of the model switched off except `(layer, head)`.
    pub fn all_but(layer: usize, head: usize, n_layer: usize, n_head: usize) -> Self {
        Self {
            ablated: (0..n_layer)
                .flat_map(|l| (0..n_head).map(move |h| (l, h)))
                .filter(|&lh| lh != (layer, head))
                .collect(),
        }
    }

    fn off_in(&self, layer: usize) -> usize {
        self.ablated.iter().filter(|(l, _)| *l == layer).count()
    }
}

/// Keys and values of every layer for the positions processed so far (one sequence per batch row;
/// `None` for a block without attention).
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    layers: Vec<Option<LayerKv>>,
}

impl KvCache {
    /// Number of positions cached.
    pub fn len(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .next()
            .map_or(0, |kv| kv.keys.dims()[2])
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything a traced forward pass exposes, still on the device; rows are the NEW positions only.
pub struct TraceTensors {
    /// Per layer `[batch, head, new query, all keys]`.
    pub attentions: Vec<Tensor<4>>,
    /// Residual stream `[batch, new, d_model]`: the embeddings, then after each block.
    pub residual: Vec<Tensor<3>>,
    /// The last block's output after `ln_f`.
    pub final_norm: Tensor<3>,
    /// Per layer `(pre-activation, post-activation)` MLP hidden units `[batch, new, d_mlp]`.
    pub mlp: Vec<(Tensor<3>, Tensor<3>)>,
}

pub struct ForwardOutput {
    /// `[batch, new, vocab]`.
    pub logits: Tensor<3>,
    pub trace: Option<TraceTensors>,
}

/// How to run a forward pass beyond the plain training path.
#[derive(Default)]
pub struct ForwardOptions<'a> {
    pub trace: bool,
    pub head_mask: Option<&'a HeadMask>,
    /// The block whose MLP runs without its activation (its linear part only).
    pub linear_mlp: Option<usize>,
}

impl GptConfig {
    pub fn init(&self, device: &Device) -> Gpt {
        let embedding = |n| {
            EmbeddingConfig::new(n, self.d_model)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.02,
                })
                .init(device)
        };
        Gpt {
            wte: embedding(self.vocab_size),
            wpe: embedding(self.context_length),
            h: (0..self.n_layer)
                .map(|layer| Block::new(self, layer, device))
                .collect(),
            ln_f: LayerNorm::new(self.d_model, self.layer_norm_eps, device),
        }
    }
}

impl Gpt {
    pub fn vocab_size(&self) -> usize {
        self.wte.weight.dims()[0]
    }

    pub fn context_length(&self) -> usize {
        self.wpe.weight.dims()[0]
    }

    pub fn n_layer(&self) -> usize {
        self.h.len()
    }

    pub fn n_head(&self) -> usize {
        self.h
            .iter()
            .find_map(|b| b.attn.as_ref().map(|a| a.n_head))
            .unwrap_or(0)
    }

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

        let positions =
            Tensor::<1, Int>::arange(past_len as i64..(past_len + n_new) as i64, &device)
                .unsqueeze::<2>();
        let mut x = self.wte.forward(tokens) + self.wpe.forward(positions);
        // Query i sits at position past_len + i and may see keys 0..=past_len + i.
        let future_mask =
            Tensor::<2, Bool>::tril_mask([n_new, past_len + n_new], past_len as i64, &device);

        let mut trace = options.trace.then(|| TraceTensors {
            attentions: Vec::new(),
            residual: vec![x.clone()],
            final_norm: x.clone(),
            mlp: Vec::new(),
        });
        let mut new_kv = Vec::with_capacity(self.h.len());
        for (layer, block) in self.h.iter().enumerate() {
            let inputs = AttentionInputs {
                past: cache
                    .as_deref()
                    .and_then(|c| c.layers.get(layer))
                    .and_then(Option::as_ref),
                future_mask: &future_mask,
                head_gate: options
                    .head_mask
                    .filter(|m| m.off_in(layer) > 0)
                    .map(|m| self.head_gate(m, layer, &device)),
                keep_probs: options.trace,
                keep_kv: cache.is_some(),
            };
            let mlp = MlpOptions {
                keep_hidden: options.trace,
                linear: options.linear_mlp == Some(layer),
            };
            let out = block.forward(x, inputs, mlp);
            x = out.output;
            new_kv.push(out.kv);
            if let Some(trace) = trace.as_mut() {
                // A block without attention shows as all-zero attention, keeping layers aligned.
                let [batch, _, _] = x.dims();
                trace
                    .attentions
                    .push(out.attention_probs.unwrap_or_else(|| {
                        Tensor::zeros([batch, self.n_head(), n_new, past_len + n_new], &device)
                    }));
                trace.mlp.extend(out.mlp_hidden);
                trace.residual.push(x.clone());
            }
        }
        if let Some(cache) = cache {
            cache.layers = new_kv;
        }

        let x = self.ln_f.forward(x);
        if let Some(trace) = trace.as_mut() {
            trace.final_norm = x.clone();
        }
        ForwardOutput {
            logits: self.lm_head(x),
            trace,
        }
    }

    /// Logits from a (normalised) residual stream: the LM head is the token embedding, transposed.
    pub fn lm_head(&self, x: Tensor<3>) -> Tensor<3> {
        x.matmul(self.wte.weight.val().transpose().unsqueeze::<3>())
    }

    fn head_gate(&self, mask: &HeadMask, layer: usize, device: &Device) -> HeadGate {
        let gate: Vec<f32> = (0..self.n_head())
            .map(|head| {
                if mask.ablated.contains(&(layer, head)) {
                    0.0
                } else {
                    1.0
                }
            })
            .collect();
        HeadGate {
            gate: Tensor::<1>::from_data(TensorData::new(gate, [self.n_head()]), device).reshape([
                1,
                self.n_head(),
                1,
                1,
            ]),
            off_fraction: mask.off_in(layer) as f64 / self.n_head() as f64,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::trace::{Trace, block_on, read_floats};

    /// A small random model: 2 layers × 2 heads, width 16, vocabulary 11, context 12.
    pub fn tiny_model() -> Gpt {
        let device = Device::flex();
        device.seed(7);
        let mut config = GptConfig::new(11, 12, 2, 2, 16);
        config.layer_norm_eps = 1e-5;
        // Wider weights than GPT-2's init so attention is far from uniform.
        let model = config.init(&device);
        scale_weights(model, 20.0)
    }

    fn scale_weights(model: Gpt, factor: f32) -> Gpt {
        struct Scale(f32);
        impl burn::module::ModuleMapper for Scale {
            fn map_float<const D: usize>(
                &mut self,
                param: burn::module::Param<Tensor<D>>,
            ) -> burn::module::Param<Tensor<D>> {
                let factor = self.0;
                if D == 2 {
                    param.map(|t| t * factor)
                } else {
                    param
                }
            }
        }
        model.map(&mut Scale(factor))
    }

    pub const TOKENS: [u32; 9] = [3, 1, 4, 1, 5, 9, 2, 6, 5];

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

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
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
        device.seed(11);
        let config = GptConfig::new(11, 12, 2, 2, 16).with_without_attention(Some(vec![0]));
        let model = config.init(&device);
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
        device.seed(12);
        let config = GptConfig::new(11, 12, 2, 2, 16).with_without_attention(Some(vec![0]));
        let model = config.init(&device);
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
