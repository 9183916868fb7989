//! GPT-2's `gelu_new` in one pass each way. burn's decomposition is 7 tracked ops forward and
//! about 15 backward, each a full pass over the MLP's hidden units (its sigmoid's backward even
//! recomputes the sigmoid).

use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

use super::exp::exp;
use super::rows::for_each_row;

/// `2·√(2/π)`: `0.5·(1 + tanh(u/2)) = sigmoid(u)`.
const TWO_SQRT_2_OVER_PI: f32 = 2.0 * 0.797_884_6;
const CUBIC: f32 = 0.044_715;
/// Elements per parallel task's row.
const SPAN: usize = 4096;

/// `sigmoid(2·√(2/π)·(x + 0.044715·x³))`: the gate both passes compute.
#[inline(always)]
fn gate(x: f32) -> f32 {
    1.0 / (1.0 + exp(-TWO_SQRT_2_OVER_PI * (x + CUBIC * x * x * x)))
}

/// `x·sigmoid(2·√(2/π)·(x + 0.044715·x³))`, which equals `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
pub fn forward(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for_each_row(&mut out, SPAN, |row, out| {
        let x = &x[row * SPAN..][..out.len()];
        for (y, &x) in out.iter_mut().zip(x) {
            *y = x * gate(x);
        }
    });
    out
}

/// The gradient with respect to `x`, given the output's: `s + x·s·(1 − s)·u'` with `s` the
/// sigmoid and `u' = 2·√(2/π)·(1 + 3·0.044715·x²)`.
pub fn backward(x: &[f32], grad: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for_each_row(&mut out, SPAN, |row, out| {
        let start = row * SPAN;
        let (x, grad) = (&x[start..][..out.len()], &grad[start..][..out.len()]);
        for ((dx, &x), &dy) in out.iter_mut().zip(x).zip(grad) {
            let s = gate(x);
            let du = TWO_SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * x * x);
            *dx = dy * (s + x * s * (1.0 - s) * du);
        }
    });
    out
}

/// The same function from burn's tensor ops: what runs off the CPU backend, and the fused
/// kernel's oracle. The cube is two products: burn's own `gelu` (`powf` and `tanh`) took a third
/// of CPU training time.
pub fn reference<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let cube = x.clone() * x.clone() * x.clone();
    let inner = (x.clone() + cube * CUBIC as f64) * TWO_SQRT_2_OVER_PI as f64;
    x * sigmoid(inner)
}
