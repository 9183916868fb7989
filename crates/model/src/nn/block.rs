//! One pre-LayerNorm transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::GptConfig;
use crate::nn::attention::{AttentionInputs, CausalSelfAttention};
use crate::nn::cache::LayerKv;
use crate::nn::layer_norm::LayerNorm;
use crate::nn::mlp::{Mlp, MlpOptions};

#[derive(Module, Debug)]
pub struct Block {
    /// `None` in a block without attention (`GptConfig::without_attention`).
    pub ln_1: Option<LayerNorm>,
    pub attn: Option<CausalSelfAttention>,
    pub ln_2: LayerNorm,
    pub mlp: Mlp,
}

pub struct BlockOutput {
    pub output: Tensor<3>,
    pub attention_probs: Option<Tensor<4>>,
    pub mlp_hidden: Option<(Tensor<3>, Tensor<3>)>,
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
