//! One pre-LayerNorm transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.

use burn::module::Module;
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};

use crate::attention::{AttentionInputs, CausalSelfAttention, LayerKv};
use crate::config::GptConfig;
use crate::layer_norm::LayerNorm;
use crate::mlp::{Mlp, MlpOptions};

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
    pub fn new(config: &GptConfig, layer: usize, device: &Device) -> Self {
        // GPT-2's init: N(0, 0.02), residual projections scaled by 1/sqrt(2·layers).
        let init = Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        };
        let proj_init = Initializer::Normal {
            mean: 0.0,
            std: 0.02 / (2.0 * config.n_layer as f64).sqrt(),
        };
        let attends = config.has_attention(layer);
        Self {
            ln_1: attends.then(|| LayerNorm::new(config.d_model, config.layer_norm_eps, device)),
            attn: attends.then(|| {
                CausalSelfAttention::new(config.d_model, config.n_head, &init, &proj_init, device)
            }),
            ln_2: LayerNorm::new(config.d_model, config.layer_norm_eps, device),
            mlp: Mlp::new(
                config.d_model,
                config.d_mlp(),
                config.activation,
                &init,
                &proj_init,
                device,
            ),
        }
    }

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
