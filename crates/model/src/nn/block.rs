//! One pre-LayerNorm transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::GptConfig;
use crate::nn::attention::{AttentionInputs, CausalSelfAttention};
use crate::nn::cache::LayerKv;
use crate::nn::layer_norm::LayerNorm;
use crate::nn::mlp::{Mlp, MlpOptions};

/// One transformer block, with GPT-2's parameter names.
#[derive(Module, Debug)]
pub struct Block {
    /// The LayerNorm before attention; `None` in a block without attention
    /// (`GptConfig::without_attention`).
    pub ln_1: Option<LayerNorm>,
    /// The attention; `None` where `ln_1` is.
    pub attn: Option<CausalSelfAttention>,
    /// The LayerNorm before the MLP.
    pub ln_2: LayerNorm,
    /// The feed-forward network.
    pub mlp: Mlp,
}

/// What one block computed.
pub struct BlockOutput {
    /// The residual stream after the block, `[batch, new, d_model]`.
    pub output: Tensor<3>,
    /// Attention probabilities `[batch, head, new, past + new]`, kept only when tracing (and
    /// never in a block without attention).
    pub attention_probs: Option<Tensor<4>>,
    /// The MLP's hidden units `(pre-activation, post-activation)`, each `[batch, new, d_mlp]`,
    /// kept only when tracing.
    pub mlp_hidden: Option<(Tensor<3>, Tensor<3>)>,
    /// Keys and values including the new tokens, kept only when caching.
    pub kv: Option<LayerKv>,
}

impl Block {
    /// Block `layer` of a model shaped `config` (without attention where the config says so).
    pub fn new(config: &GptConfig, layer: usize, device: &Device) -> Self {
        let attends = config.has_attention(layer);
        Self {
            ln_1: attends.then(|| LayerNorm::new(config, device)),
            attn: attends.then(|| CausalSelfAttention::new(config, device)),
            ln_2: LayerNorm::new(config, device),
            mlp: Mlp::new(config, device),
        }
    }

    /// The block's two residual updates.
    ///
    /// # Shapes
    /// `x`: `[batch, new, d_model]` → output `[batch, new, d_model]`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        attention: AttentionInputs,
        mlp: MlpOptions,
    ) -> BlockOutput {
        // Without attention the stream passes straight to the MLP.
        let (x, probs, kv) = match (&self.ln_1, &self.attn) {
            (Some(ln_1), Some(attn)) => {
                let out = attn.forward(ln_1.forward(x.clone()), attention);
                (x + out.output, out.probs, out.kv)
            }
            _ => (x, None, None),
        };
        let mlp = self.mlp.forward(self.ln_2.forward(x.clone()), mlp);
        BlockOutput {
            output: x + mlp.output,
            attention_probs: probs,
            mlp_hidden: mlp.hidden,
            kv,
        }
    }
}
