//! GPT-2's weight initialisation, in one place (nanoGPT's `_init_weights`): every weight matrix
//! and embedding drawn from N(0, 0.02), the projections back into the residual stream (`c_proj`)
//! with the deviation scaled by 1/√(2·layers) so the stream's variance does not grow with depth.
//! Biases start at zero (burn's `Linear` default for a custom initializer) and LayerNorm at the
//! identity.

use burn::nn::Initializer;

use crate::config::GptConfig;

/// The initializers every module of one model draws its weights from.
#[derive(Clone, Debug)]
pub struct Initializers {
    /// Embeddings, `c_attn` and `c_fc`.
    pub weights: Initializer,
    /// The residual projections: attention's and the MLP's `c_proj`.
    pub residual_projection: Initializer,
}

/// GPT-2's standard deviation for weights.
const STD: f64 = 0.02;

impl GptConfig {
    /// GPT-2's initializers for this shape.
    pub fn initializers(&self) -> Initializers {
        Initializers {
            weights: Initializer::Normal {
                mean: 0.0,
                std: STD,
            },
            residual_projection: Initializer::Normal {
                mean: 0.0,
                std: STD / (2.0 * self.n_layer as f64).sqrt(),
            },
        }
    }
}
