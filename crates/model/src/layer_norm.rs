//! LayerNorm with GPT-2's parameter names (`weight`, `bias`) so checkpoints use the Hugging Face
//! layout directly; burn's own LayerNorm names them `gamma`/`beta`.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct LayerNorm {
    pub weight: Param<Tensor<1>>,
    pub bias: Param<Tensor<1>>,
    pub eps: f64,
}

impl LayerNorm {
    pub fn new(d_model: usize, eps: f64, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::ones([d_model], device)),
            bias: Param::from_tensor(Tensor::zeros([d_model], device)),
            eps,
        }
    }

    /// Normalises over the last dimension with the biased variance, as PyTorch does.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let (var, mean) = x.clone().var_mean_bias(D - 1);
        let normalised = (x - mean) / (var + self.eps).sqrt();
        normalised * self.weight.val().unsqueeze() + self.bias.val().unsqueeze()
    }
}
