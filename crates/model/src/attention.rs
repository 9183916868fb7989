//! Causal multi-head self-attention with GPT-2's fused `c_attn` (columns q | k | v).

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

/// Keys and values of the tokens seen so far, for one layer: `[batch, head, position, head_dim]`.
#[derive(Clone, Debug)]
pub struct LayerKv {
    pub keys: Tensor<4>,
    pub values: Tensor<4>,
}

#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    pub c_attn: Linear,
    pub c_proj: Linear,
    pub n_head: usize,
}

pub struct AttentionOutput {
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
    /// `true` where a query may NOT see a key: `[query, key]`.
    pub future_mask: &'a Tensor<2, Bool>,
    /// The heads switched off, if any.
    pub head_gate: Option<HeadGate>,
    pub keep_probs: bool,
    pub keep_kv: bool,
}

/// Switched-off heads of one layer. A head's output is its slice of `c_proj` applied to its mix of
/// values plus an equal share of `c_proj`'s bias, so switching every head off removes the layer's
/// attention output entirely (the bias is no head's, but would otherwise remain).
pub struct HeadGate {
    /// `[1, head, 1, 1]`: 0 for a head switched off, 1 otherwise.
    pub gate: Tensor<4>,
    /// Fraction of heads switched off.
    pub off_fraction: f64,
}

impl CausalSelfAttention {
    pub fn new(
        d_model: usize,
        n_head: usize,
        init: &Initializer,
        proj_init: &Initializer,
        device: &Device,
    ) -> Self {
        Self {
            c_attn: LinearConfig::new(d_model, 3 * d_model)
                .with_initializer(init.clone())
                .init(device),
            c_proj: LinearConfig::new(d_model, d_model)
                .with_initializer(proj_init.clone())
                .init(device),
            n_head,
        }
    }

    pub fn forward(&self, x: Tensor<3>, inputs: AttentionInputs) -> AttentionOutput {
        let [batch, n_new, d_model] = x.dims();
        let head_dim = d_model / self.n_head;
        let split_heads = |t: Tensor<3>| {
            t.reshape([batch, n_new, self.n_head, head_dim])
                .swap_dims(1, 2)
        };
        let qkv = self.c_attn.forward(x);
        let q = split_heads(qkv.clone().narrow(2, 0, d_model));
        let mut k = split_heads(qkv.clone().narrow(2, d_model, d_model));
        let mut v = split_heads(qkv.narrow(2, 2 * d_model, d_model));
        if let Some(past) = inputs.past {
            k = Tensor::cat(vec![past.keys.clone(), k], 2);
            v = Tensor::cat(vec![past.values.clone(), v], 2);
        }

        let scores = q.matmul(k.clone().swap_dims(2, 3)) / (head_dim as f64).sqrt();
        let scores = scores.mask_fill(
            inputs.future_mask.clone().unsqueeze::<4>(),
            f32::NEG_INFINITY,
        );
        let mut probs = softmax(scores, 3);
        if let Some(gate) = &inputs.head_gate {
            probs = probs * gate.gate.clone();
        }

        let mixed = probs
            .clone()
            .matmul(v.clone())
            .swap_dims(1, 2)
            .reshape([batch, n_new, d_model]);
        let mut output = self.c_proj.forward(mixed);
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
