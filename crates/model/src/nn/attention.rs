//! Causal multi-head self-attention with GPT-2's fused `c_attn` (columns q | k | v).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::config::GptConfig;
use crate::kernels::{attention_scale, causal_attention, causal_softmax, merge_heads, split_heads};
use crate::nn::cache::LayerKv;
use crate::nn::head_mask::HeadGate;

/// One block's attention, with GPT-2's parameter names.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    /// Queries, keys and values at once: `d_model → 3·d_model`, columns q | k | v.
    pub c_attn: Linear,
    /// The heads' mixed values back into the residual stream: `d_model → d_model`.
    pub c_proj: Linear,
    /// Number of heads; each reads `d_model / n_head` dimensions.
    pub n_head: usize,
}

/// What one attention call computed.
pub struct AttentionOutput {
    /// The update to the residual stream, `[batch, new, d_model]`.
    pub output: Tensor<3>,
    /// Softmax probabilities `[batch, head, query, key]`, kept only when tracing.
    pub probs: Option<Tensor<4>>,
    /// Keys and values including the new tokens, kept only when caching.
    pub kv: Option<LayerKv>,
}

/// What one attention call needs besides its input.
pub struct AttentionInputs<'a> {
    /// The cached keys/values of earlier positions, if any.
    pub past: Option<&'a LayerKv>,
    /// The heads switched off, if any.
    pub head_gate: Option<HeadGate>,
    /// Keep the softmax probabilities (for the trace).
    pub keep_probs: bool,
    /// Keep the keys and values (for the KV cache).
    pub keep_kv: bool,
}

impl CausalSelfAttention {
    /// The attention of a model shaped `config`.
    pub fn new(config: &GptConfig, device: &Device) -> Self {
        let init = config.initializers();
        let d_model = config.d_model;
        Self {
            c_attn: LinearConfig::new(d_model, 3 * d_model)
                .with_initializer(init.weights)
                .init(device),
            c_proj: LinearConfig::new(d_model, d_model)
                .with_initializer(init.residual_projection)
                .init(device),
            n_head: config.n_head,
        }
    }

    /// Attends each new position to itself and every earlier one (cached or new).
    ///
    /// # Shapes
    /// `x`: `[batch, new, d_model]` → output `[batch, new, d_model]`; probabilities
    /// `[batch, head, new, past + new]`.
    pub fn forward(&self, x: Tensor<3>, inputs: AttentionInputs) -> AttentionOutput {
        let qkv = self.c_attn.forward(x);
        // Training and plain forward passes need nothing but the output: the fused core.
        let plain = inputs.past.is_none() && inputs.head_gate.is_none();
        if plain && !inputs.keep_probs && !inputs.keep_kv {
            return AttentionOutput {
                output: self.c_proj.forward(causal_attention(qkv, self.n_head)),
                probs: None,
                kv: None,
            };
        }
        let [q, mut k, mut v] = split_heads(qkv, self.n_head);
        let head_dim = q.dims()[3];
        if let Some(past) = inputs.past {
            k = Tensor::cat(vec![past.keys.clone(), k], 2);
            v = Tensor::cat(vec![past.values.clone(), v], 2);
        }

        let scores = q.matmul(k.clone().swap_dims(2, 3));
        let mut probs = causal_softmax(scores, attention_scale(head_dim));
        if let Some(gate) = &inputs.head_gate {
            probs = probs * gate.gate.clone();
        }

        let mut output = self
            .c_proj
            .forward(merge_heads(probs.clone().matmul(v.clone())));
        if let (Some(gate), Some(bias)) = (&inputs.head_gate, &self.c_proj.bias) {
            output = output - bias.val().unsqueeze::<3>() * gate.off_fraction;
        }
        AttentionOutput {
            output,
            probs: inputs.keep_probs.then_some(probs),
            kv: inputs.keep_kv.then_some(LayerKv { keys: k, values: v }),
        }
    }
}
