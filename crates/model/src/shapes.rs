//! The shapes of real models, and where their parameters go: GPT-2's counted by the same formula
//! as the open model's own ([`GptConfig::param_counts`]), Llama's with its gated MLP, grouped
//! key/value heads, RMSNorm and untied output layer.

use crate::config::{GptConfig, ParamCounts};

/// How a model's blocks are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// GPT-2 and GPT-3: learned positions, LayerNorm with bias, a GELU MLP, the output layer
    /// tied to the token embedding.
    Gpt2,
    /// Llama: rotary positions (no parameters), RMSNorm, a gated (SwiGLU) MLP with three
    /// matrices, grouped key/value heads, an untied output layer.
    Llama,
}

/// A model's shape: enough to count its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelShape {
    /// "GPT-2 small".
    pub name: &'static str,
    /// Blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Query heads per block.
    pub heads: usize,
    /// Key/value heads per block (fewer than `heads` when grouped).
    pub kv_heads: usize,
    /// Width of the MLP's hidden layer.
    pub d_ff: usize,
    /// Tokens in the vocabulary.
    pub vocab: usize,
    /// Context length.
    pub context: usize,
    /// How the blocks are built.
    pub architecture: Architecture,
}

/// GPT-2's vocabulary (byte-level BPE).
const GPT2_VOCAB: usize = 50_257;

/// Llama 3's vocabulary.
const LLAMA3_VOCAB: usize = 128_256;

impl ModelShape {
    /// A GPT-2-style shape with GPT-2's vocabulary and a 4× MLP.
    pub const fn gpt2(
        name: &'static str,
        layers: usize,
        d_model: usize,
        heads: usize,
        context: usize,
    ) -> Self {
        Self {
            name,
            layers,
            d_model,
            heads,
            kv_heads: heads,
            d_ff: 4 * d_model,
            vocab: GPT2_VOCAB,
            context,
            architecture: Architecture::Gpt2,
        }
    }

    /// The shape of a model built from `config` (every block attending).
    pub fn of_config(name: &'static str, config: &GptConfig) -> Self {
        Self {
            name,
            layers: config.n_layer,
            d_model: config.d_model,
            heads: config.n_head,
            kv_heads: config.n_head,
            d_ff: config.d_mlp(),
            vocab: config.vocab_size,
            context: config.context_length,
            architecture: Architecture::Gpt2,
        }
    }

    /// Width of one head.
    pub fn head_width(&self) -> usize {
        self.d_model / self.heads.max(1)
    }

    /// Where the parameters go. A GPT-2 shape is counted by [`GptConfig::param_counts`] itself.
    pub fn param_counts(&self) -> ParamCounts {
        let d = self.d_model as f64;
        match self.architecture {
            Architecture::Gpt2 => GptConfig::new(
                self.vocab,
                self.context,
                self.layers,
                self.heads.max(1),
                self.d_model,
            )
            .with_mlp_ratio(self.d_ff / self.d_model.max(1))
            .param_counts(),
            Architecture::Llama => {
                let layers = self.layers as f64;
                let kv = (self.kv_heads * self.head_width()) as f64;
                // q and o are d × d, k and v d × kv; one RMSNorm weight vector before each half.
                let attention = 2.0 * d * d + 2.0 * d * kv + d;
                let mlp = 3.0 * d * self.d_ff as f64 + d;
                ParamCounts {
                    embeddings: 2.0 * self.vocab as f64 * d,
                    attention: layers * attention,
                    mlp: layers * mlp,
                    final_norm: d,
                }
            }
        }
    }
}

/// Real models, smallest first.
pub const REAL_MODELS: [ModelShape; 7] = [
    ModelShape::gpt2("GPT-2 small", 12, 768, 12, 1024),
    ModelShape::gpt2("GPT-2 medium", 24, 1024, 16, 1024),
    ModelShape::gpt2("GPT-2 large", 36, 1280, 20, 1024),
    ModelShape::gpt2("GPT-2 XL", 48, 1600, 25, 1024),
    ModelShape {
        name: "Llama 3 8B",
        layers: 32,
        d_model: 4096,
        heads: 32,
        kv_heads: 8,
        d_ff: 14_336,
        vocab: LLAMA3_VOCAB,
        context: 8192,
        architecture: Architecture::Llama,
    },
    ModelShape {
        name: "Llama 3 70B",
        layers: 80,
        d_model: 8192,
        heads: 64,
        kv_heads: 8,
        d_ff: 28_672,
        vocab: LLAMA3_VOCAB,
        context: 8192,
        architecture: Architecture::Llama,
    },
    ModelShape::gpt2("GPT-3 175B", 96, 12_288, 96, 2048),
];

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::tensor::Device;

    use super::*;
    use crate::Preset;

    fn total(name: &str) -> f64 {
        REAL_MODELS
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .param_counts()
            .total()
    }

    #[test]
    fn real_models_have_their_published_parameter_counts() {
        // GPT-2's as Hugging Face's `num_parameters()` reports them; Llama 3's from its configs.
        assert_eq!(total("GPT-2 small"), 124_439_808.0);
        assert_eq!(total("GPT-2 medium"), 354_823_168.0);
        assert_eq!(total("GPT-2 large"), 774_030_080.0);
        assert_eq!(total("GPT-2 XL"), 1_557_611_200.0);
        assert_eq!(total("Llama 3 8B"), 8_030_261_248.0);
        assert_eq!(total("Llama 3 70B"), 70_553_706_496.0);
        let gpt3 = total("GPT-3 175B");
        assert!((gpt3 / 175e9 - 1.0).abs() < 0.01, "{gpt3}");
    }

    #[test]
    fn a_shape_counts_what_the_model_built_from_it_holds() {
        for preset in Preset::ALL {
            let config = preset.config(84);
            let shape = ModelShape::of_config("open", &config);
            let model = config.init(&Device::flex());
            assert_eq!(
                shape.param_counts().total() as usize,
                model.num_params(),
                "{preset:?}"
            );
            assert_eq!(shape.head_width(), config.head_dim());
        }
    }

    #[test]
    fn heads_change_no_count_and_the_parts_add_up() {
        let wide = ModelShape::gpt2("one head", 4, 128, 1, 128);
        let split = ModelShape {
            heads: 4,
            kv_heads: 4,
            ..wide
        };
        assert_eq!(wide.param_counts(), split.param_counts());
        assert_eq!((wide.head_width(), split.head_width()), (128, 32));
        let small = &REAL_MODELS[0];
        let p = small.param_counts();
        assert!(p.mlp > p.attention && p.attention > 0.0);
        // Twice the blocks: twice the attention and MLP parameters, the same embeddings.
        let deeper = ModelShape {
            layers: 24,
            ..*small
        }
        .param_counts();
        assert_eq!(
            (deeper.attention, deeper.mlp, deeper.embeddings),
            (2.0 * p.attention, 2.0 * p.mlp, p.embeddings)
        );
    }
}
