//! LayerNorm in one pass each way. burn's decomposition (variance and mean, subtract, add eps,
//! square root, divide, scale, shift) is 11 tracked ops forward and about 20 backward, each a
//! full pass over the residual stream, and a model runs it twice a block.

use burn::tensor::Tensor;

use super::rows::{for_each_row, for_each_row_summing};

/// Each row's mean and `rstd = 1/√(var + eps)`, interleaved: what the backward needs besides
/// the input.
pub type RowStats = Vec<f32>;

/// LayerNorm over rows of `weight.len()` values, with the biased variance as PyTorch uses:
/// the output and each row's statistics.
pub fn forward(x: &[f32], weight: &[f32], bias: &[f32], eps: f32) -> (Vec<f32>, RowStats) {
    let width = weight.len();
    let mut stats = vec![0.0; 2 * (x.len() / width.max(1))];
    for_each_row(&mut stats, 2, |row, stats| {
        let x = &x[row * width..][..width];
        let mean = x.iter().sum::<f32>() / width as f32;
        let var = x.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / width as f32;
        stats.copy_from_slice(&[mean, 1.0 / (var + eps).sqrt()]);
    });
    let mut output = vec![0.0; x.len()];
    for_each_row(&mut output, width, |row, out| {
        let (x, mean, rstd) = (
            &x[row * width..][..width],
            stats[2 * row],
            stats[2 * row + 1],
        );
        for (((y, &x), &w), &b) in out.iter_mut().zip(x).zip(weight).zip(bias) {
            *y = (x - mean) * rstd * w + b;
        }
    });
    (output, stats)
}

/// The gradients of LayerNorm's input, weight and bias, given the input, its row statistics
/// and the output's gradient: with `x̂ = (x − mean)·rstd` and `g = dy·weight`,
/// `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))`, `dweight = Σ dy·x̂` and `dbias = Σ dy` over the rows.
pub fn backward(
    x: &[f32],
    stats: &[f32],
    weight: &[f32],
    grad: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let width = weight.len();
    let mut dx = vec![0.0; grad.len()];
    // The sums run per block of rows and are added in row order, so they are the same on any
    // number of threads.
    let sums = for_each_row_summing(&mut dx, width, 2 * width, |row, dx, sums| {
        let (x, grad) = (&x[row * width..][..width], &grad[row * width..][..width]);
        let (mean, rstd) = (stats[2 * row], stats[2 * row + 1]);
        let (mut mean_g, mut mean_gn) = (0.0, 0.0);
        for ((&x, &dy), &w) in x.iter().zip(grad).zip(weight) {
            mean_g += dy * w;
            mean_gn += dy * w * (x - mean) * rstd;
        }
        let (mean_g, mean_gn) = (mean_g / width as f32, mean_gn / width as f32);
        let (dweight, dbias) = sums.split_at_mut(width);
        let terms = dx
            .iter_mut()
            .zip(dweight)
            .zip(dbias)
            .zip(x)
            .zip(grad)
            .zip(weight);
        for (((((dx, dw), db), &x), &dy), &w) in terms {
            let normalised = (x - mean) * rstd;
            *dx = rstd * (dy * w - mean_g - normalised * mean_gn);
            *dw += dy * normalised;
            *db += dy;
        }
    });
    let (dweight, dbias) = sums.split_at(width);
    (dx, dweight.to_vec(), dbias.to_vec())
}

/// The same from burn's tensor ops: what runs off the CPU backend, and the oracle.
pub fn reference<const D: usize>(
    x: Tensor<D>,
    weight: Tensor<1>,
    bias: Tensor<1>,
    eps: f64,
) -> Tensor<D> {
    let (var, mean) = x.clone().var_mean_bias(D - 1);
    let normalised = (x - mean) / (var + eps).sqrt();
    normalised * weight.unsqueeze() + bias.unsqueeze()
}
