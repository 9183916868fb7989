//! Fixtures the unit tests share: a tiny random model, a token sequence and a float comparison.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor};

use crate::config::GptConfig;
use crate::nn::gpt::Gpt;

/// A short sequence inside the tiny model's vocabulary and context.
pub const TOKENS: [u32; 9] = [3, 1, 4, 1, 5, 9, 2, 6, 5];

/// A small random model: 2 layers × 2 heads, width 16, vocabulary 11, context 12.
pub fn tiny_model() -> Gpt {
    let device = Device::flex();
    let mut config = GptConfig::new(11, 12, 2, 2, 16);
    config.layer_norm_eps = 1e-5;
    // Wider weights than GPT-2's init so attention is far from uniform.
    config.init_seeded(7, &device).map(&mut ScaleMatrices(20.0))
}

/// Multiplies every weight matrix (not biases or LayerNorm vectors) by a factor.
pub struct ScaleMatrices(pub f32);

impl ModuleMapper for ScaleMatrices {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let factor = self.0;
        if D == 2 {
            param.map(|t| t * factor)
        } else {
            param
        }
    }
}

/// The largest absolute difference between two equally long slices.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
