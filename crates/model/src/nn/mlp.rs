//! The position-wise feed-forward network: where the explicit non-linearity lives.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::config::{Activation, GptConfig};
use crate::kernels::gelu_tanh;

/// One block's MLP, with GPT-2's parameter names.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Into the hidden layer: `d_model → d_mlp`.
    pub c_fc: Linear,
    /// Back into the residual stream: `d_mlp → d_model`.
    pub c_proj: Linear,
    /// The non-linearity between them (not a parameter).
    #[module(skip)]
    pub activation: Activation,
}

/// What the MLP computed.
pub struct MlpOutput {
    /// The update to the residual stream, `[batch, new, d_model]`.
    pub output: Tensor<3>,
    /// `(pre-activation, post-activation)` hidden units, each `[batch, new, d_mlp]`, kept only
    /// when tracing.
    pub hidden: Option<(Tensor<3>, Tensor<3>)>,
}

/// How to run the MLP beyond the plain path.
#[derive(Clone, Copy, Debug, Default)]
pub struct MlpOptions {
    /// Keep the hidden units for the trace.
    pub keep_hidden: bool,
    /// Replace the activation by the identity: the MLP's linear part alone.
    pub linear: bool,
}

impl Mlp {
    /// The MLP of a model shaped `config`.
    pub fn new(config: &GptConfig, device: &Device) -> Self {
        let init = config.initializers();
        Self {
            c_fc: LinearConfig::new(config.d_model, config.d_mlp())
                .with_initializer(init.weights)
                .init(device),
            c_proj: LinearConfig::new(config.d_mlp(), config.d_model)
                .with_initializer(init.residual_projection)
                .init(device),
            activation: config.activation,
        }
    }

    /// `c_proj(activation(c_fc(x)))`.
    ///
    /// # Shapes
    /// `x`: `[batch, new, d_model]` → output `[batch, new, d_model]`; hidden units
    /// `[batch, new, d_mlp]`.
    pub fn forward(&self, x: Tensor<3>, options: MlpOptions) -> MlpOutput {
        let pre = self.c_fc.forward(x);
        let activation = if options.linear {
            Activation::Identity
        } else {
            self.activation
        };
        let post = activate(activation, pre.clone());
        let hidden = options.keep_hidden.then(|| (pre, post.clone()));
        MlpOutput {
            output: self.c_proj.forward(post),
            hidden,
        }
    }
}

/// `activation` applied elementwise to `x`.
pub fn activate<const D: usize>(activation: Activation, x: Tensor<D>) -> Tensor<D> {
    match activation {
        Activation::GeluTanh => gelu_tanh(x),
        Activation::Relu => relu(x),
        Activation::Identity => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ScaleMatrices;
    use burn::module::Module;
    use burn::tensor::Device;

    /// An MLP with the identity activation is affine: f(x + y) + f(0) = f(x) + f(y). GELU and
    /// ReLU are not.
    #[test]
    fn identity_activation_makes_the_mlp_linear() {
        let device = Device::flex();
        device.seed(3);
        let input = |seed: f32| {
            let values: Vec<f32> = (0..8).map(|i| ((i as f32 + seed) * 1.7).sin()).collect();
            Tensor::<1>::from_floats(values.as_slice(), &device).reshape([1, 1, 8])
        };
        let (x, y) = (input(0.0), input(5.0));
        for (activation, linear) in [
            (Activation::Identity, true),
            (Activation::GeluTanh, false),
            (Activation::Relu, false),
        ] {
            let mut config = GptConfig::new(2, 2, 1, 1, 8);
            config.activation = activation;
            // Weights far wider than GPT-2's init, so the activation's curvature shows.
            let mlp = Mlp::new(&config, &device).map(&mut ScaleMatrices(25.0));
            let f = |t: Tensor<3>| {
                mlp.forward(t, MlpOptions::default())
                    .output
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
            };
            let lhs: Vec<f32> = f(x.clone() + y.clone())
                .iter()
                .zip(f(x.zeros_like()))
                .map(|(a, b)| a + b)
                .collect();
            let rhs: Vec<f32> = f(x.clone())
                .iter()
                .zip(f(y.clone()))
                .map(|(a, b)| a + b)
                .collect();
            let gap = lhs
                .iter()
                .zip(&rhs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert_eq!(gap < 1e-5, linear, "{activation:?}: gap {gap}");
        }
    }

    #[test]
    fn gelu_matches_the_tanh_formula() {
        let xs: Vec<f32> = (-80..=80).map(|i| i as f32 / 10.0).collect();
        let device = Device::flex();
        let ys = gelu_tanh(Tensor::<1>::from_floats(xs.as_slice(), &device))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (x, y) in xs.iter().zip(ys) {
            let x = *x as f64;
            let expected = 0.5
                * x
                * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3))).tanh());
            assert!(
                (y as f64 - expected).abs() < 1e-5,
                "gelu({x}) = {y}, expected {expected}"
            );
        }
    }
}
