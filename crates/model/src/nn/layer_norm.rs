//! LayerNorm with GPT-2's parameter names (`weight`, `bias`) so checkpoints use the Hugging Face
//! layout directly; burn's own LayerNorm names them `gamma`/`beta`.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::config::GptConfig;
use crate::kernels;

/// A LayerNorm over the last dimension, stored as GPT-2 stores it.
#[derive(Module, Debug)]
pub struct LayerNorm {
    /// γ, `[d_model]`.
    pub weight: Param<Tensor<1>>,
    /// β, `[d_model]`.
    pub bias: Param<Tensor<1>>,
    /// Added to the variance before the square root.
    pub eps: f64,
}

impl LayerNorm {
    /// The identity LayerNorm of a model shaped `config` (weight 1, bias 0).
    pub fn new(config: &GptConfig, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::ones([config.d_model], device)),
            bias: Param::from_tensor(Tensor::zeros([config.d_model], device)),
            eps: config.layer_norm_eps,
        }
    }

    /// `(x − mean) / √(var + eps) · weight + bias` over the last dimension, with the biased
    /// variance, as PyTorch does.
    ///
    /// # Shapes
    /// `x`: `[..., d_model]` → the same shape.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        kernels::layer_norm(x, self.weight.val(), self.bias.val(), self.eps)
    }
}
