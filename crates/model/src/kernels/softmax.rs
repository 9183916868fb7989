//! Attention's scaled, causally masked softmax in one pass each way. burn's decomposition (scale,
//! mask fill, max, subtract, exp, sum, divide) is 7 tracked ops forward and about 8 backward over
//! the `[batch, head, query, key]` scores; the fused kernel also skips the masked triangle.

use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Tensor};

use super::exp::exp;
use super::rows::for_each_row;

/// Keys query `row` may see: query `i` of `queries` new ones sits at position `keys − queries + i`.
fn visible(row: usize, queries: usize, keys: usize) -> usize {
    keys - queries + row % queries + 1
}

/// `softmax(scale·scores)` over the last axis of `[.., queries, keys]` scores, each query seeing
/// only itself and earlier keys; the probabilities of later keys are exactly 0.
pub fn forward(scores: &[f32], queries: usize, keys: usize, scale: f32) -> Vec<f32> {
    let mut out = vec![0.0; scores.len()];
    for_each_row(&mut out, keys, |row, out| {
        let seen = visible(row, queries, keys);
        let scores = &scores[row * keys..][..seen];
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for (p, &s) in out.iter_mut().zip(scores) {
            *p = exp(scale * (s - max));
            sum += *p;
        }
        let inverse = 1.0 / sum;
        out[..seen].iter_mut().for_each(|p| *p *= inverse);
    });
    out
}

/// The gradient with respect to the scores, given the probabilities and their gradient:
/// `scale · p ⊙ (dp − Σ dp⊙p)` per row, 0 for the masked keys.
pub fn backward(probs: &[f32], grad: &[f32], queries: usize, keys: usize, scale: f32) -> Vec<f32> {
    let mut out = vec![0.0; probs.len()];
    for_each_row(&mut out, keys, |row, out| {
        let seen = visible(row, queries, keys);
        let probs = &probs[row * keys..][..seen];
        let grad = &grad[row * keys..][..seen];
        let dot: f32 = probs.iter().zip(grad).map(|(p, g)| p * g).sum();
        for ((ds, &p), &g) in out.iter_mut().zip(probs).zip(grad) {
            *ds = scale * p * (g - dot);
        }
    });
    out
}

/// The same from burn's tensor ops: what runs off the CPU backend, and the oracle.
pub fn reference(scores: Tensor<4>, scale: f32) -> Tensor<4> {
    let [_, _, queries, keys] = scores.dims();
    let future = Tensor::<2, Bool>::tril_mask(
        [queries, keys],
        keys as i64 - queries as i64,
        &scores.device(),
    );
    let scores = (scores * scale as f64).mask_fill(future.unsqueeze::<4>(), f32::NEG_INFINITY);
    softmax(scores, 3)
}
