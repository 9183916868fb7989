//! Causal self-attention's core, from GPT-2's fused projection (columns q | k | v, heads side by
//! side) to the heads' mixed values, as one op each way. burn's version splits q, k and v with
//! three `narrow`s, whose backward each fills a zero tensor the size of the whole projection
//! before the three are added, and tracks every product, transpose and reshape. Here q, k and v
//! are strided views of the projection, and the backward writes their gradients into one tensor.

use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::{Shape, Tensor};

use super::{like, softmax, values};

/// `1/√head_dim`, the scores' scale.
pub fn scale(head_dim: usize) -> f32 {
    1.0 / (head_dim as f32).sqrt()
}

/// Queries, keys and values `[batch, head, position, head_dim]` of a `[batch, position, 3·d]`
/// projection.
pub fn split_heads(qkv: Tensor<3>, n_head: usize) -> [Tensor<4>; 3] {
    let [batch, positions, width] = qkv.dims();
    let d_model = width / 3;
    [0, 1, 2].map(|part| {
        qkv.clone()
            .narrow(2, part * d_model, d_model)
            .reshape([batch, positions, n_head, d_model / n_head])
            .swap_dims(1, 2)
    })
}

/// The heads of `[batch, head, position, head_dim]` side by side again: `[batch, position, d]`.
pub fn merge_heads(x: Tensor<4>) -> Tensor<3> {
    let [batch, n_head, positions, head_dim] = x.dims();
    x.swap_dims(1, 2)
        .reshape([batch, positions, n_head * head_dim])
}

/// The op from burn's tensor ops: what runs off the CPU backend, and the oracle.
pub fn reference(qkv: Tensor<3>, n_head: usize) -> Tensor<3> {
    let [q, k, v] = split_heads(qkv, n_head);
    let head_dim = q.dims()[3];
    let probs = softmax::reference(q.matmul(k.swap_dims(2, 3)), scale(head_dim));
    merge_heads(probs.matmul(v))
}

/// Sizes of a `[batch, position, 3·d]` projection split into `n_head` heads.
struct Sizes {
    batch: usize,
    positions: usize,
    n_head: usize,
    head_dim: usize,
}

impl Sizes {
    fn of(qkv: &FlexTensor, n_head: usize) -> Self {
        let dims = &qkv.layout().shape()[..];
        Self {
            batch: dims[0],
            positions: dims[1],
            n_head,
            head_dim: dims[2] / 3 / n_head,
        }
    }

    /// `[parts, batch, head, position, head_dim]` view of `[batch, position, parts·d]` values.
    fn split(&self, x: &FlexTensor, parts: usize) -> FlexTensor {
        let shape = [
            self.batch,
            self.positions,
            parts,
            self.n_head,
            self.head_dim,
        ];
        x.reshape(Shape::from(shape)).permute(&[2, 0, 3, 1, 4])
    }

    /// `[1, batch, head, position, head_dim]` views of q, k and v in `qkv`.
    fn heads(&self, qkv: &FlexTensor) -> [FlexTensor; 3] {
        let split = self.split(qkv, 3);
        [0, 1, 2].map(|part| split.narrow(0, part, 1))
    }

    /// `[parts, batch, head, position, head_dim]` values as `[batch, position, parts·d]`: the
    /// inverse of [`Self::split`], in a fresh buffer.
    fn joined(&self, x: FlexTensor) -> FlexTensor {
        let parts = x.layout().shape()[0];
        let shape = [
            self.batch,
            self.positions,
            parts * self.n_head * self.head_dim,
        ];
        x.permute(&[1, 3, 0, 2, 4])
            .to_contiguous()
            .reshape(Shape::from(shape))
    }
}

/// The mixed values `[batch, position, d]` and the probabilities the backward needs.
pub fn forward(qkv: &FlexTensor, n_head: usize) -> (FlexTensor, FlexTensor) {
    let sizes = Sizes::of(qkv, n_head);
    let [q, k, v] = sizes.heads(qkv);
    let scores = Flex::float_matmul(q, k.transpose(3, 4));
    let positions = sizes.positions;
    let probs = softmax::forward(
        &values(&scores),
        positions,
        positions,
        scale(sizes.head_dim),
    );
    let probs = like(probs, &scores);
    let mixed = Flex::float_matmul(probs.clone(), v);
    (sizes.joined(mixed), probs)
}

/// The projection's gradient `[batch, position, 3·d]` from the probabilities and the mixed
/// values' gradient.
pub fn backward(
    qkv: &FlexTensor,
    probs: &FlexTensor,
    grad: &FlexTensor,
    n_head: usize,
) -> FlexTensor {
    let sizes = Sizes::of(qkv, n_head);
    let [q, k, v] = sizes.heads(qkv);
    let grad = sizes.split(grad, 1);
    let grad_probs = Flex::float_matmul(grad.clone(), v.transpose(3, 4));
    let grad_v = Flex::float_matmul(probs.transpose(3, 4), grad);
    let positions = sizes.positions;
    let grad_scores = softmax::backward(
        &values(probs),
        &values(&grad_probs),
        positions,
        positions,
        scale(sizes.head_dim),
    );
    let grad_scores = like(grad_scores, probs);
    let grad_q = Flex::float_matmul(grad_scores.clone(), k);
    let grad_k = Flex::float_matmul(grad_scores.transpose(3, 4), q);
    sizes.joined(Flex::float_cat(vec![grad_q, grad_k, grad_v], 0))
}
