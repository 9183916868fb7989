//! Fused CPU kernels with hand-written backward passes, for the ops whose burn decompositions
//! dominated CPU training: GELU, attention (its masked softmax, and the whole core from the fused
//! q | k | v projection) and LayerNorm. burn's autodiff has no
//! fused version of any, so training ran each as a chain of full-size element-wise passes.
//!
//! They are a burn backend extension (`#[backend_extension]`) on the CPU backend, Flex, and its
//! autodiff. Everywhere else (WebGPU, or tensors that are not f32) the `reference` of each op
//! runs: the same function from burn's tensor ops, and the oracle the kernels are tested against.

mod attention;
mod exp;
mod gelu;
mod layer_norm;
mod rows;
mod softmax;

use std::borrow::Cow;
use std::fmt::Debug;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, DispatchDevice, Flex, backend_extension};
use burn::tensor::{DType, Tensor, TensorData};

pub use attention::{merge_heads, scale as attention_scale, split_heads};

/// The fused ops, on the backends that have them.
#[backend_extension(Flex, Autodiff)]
pub trait FusedOps: Backend {
    /// GPT-2's `gelu_new`, element-wise.
    fn fused_gelu_tanh(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `softmax(scale·scores)` over the last axis, causally masked (see [`causal_softmax`]).
    fn fused_causal_softmax(scores: FloatTensor<Self>, scale: f32) -> FloatTensor<Self>;
    /// Causal self-attention's core from the fused projection (see [`causal_attention`]).
    fn fused_causal_attention(qkv: FloatTensor<Self>, n_head: usize) -> FloatTensor<Self>;
    /// LayerNorm over the last axis (see [`layer_norm`]).
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self>;
}

/// GPT-2's `gelu_new`, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
pub fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if !fusable(&x) {
        return gelu::reference(x);
    }
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_gelu_tanh(x.into_dispatch()))
}

/// `softmax(scale·scores)` over the keys of `[batch, head, queries, keys]` scores, where the
/// queries are the last `queries` of the `keys` positions and each sees only itself and earlier
/// keys: the probability of a later key is 0.
pub fn causal_softmax(scores: Tensor<4>, scale: f32) -> Tensor<4> {
    let [_, _, queries, keys] = scores.dims();
    // The kernel takes the row maximum before scaling, so it needs `scale > 0`.
    if !fusable(&scores) || queries > keys || scale.is_nan() || scale <= 0.0 {
        return softmax::reference(scores, scale);
    }
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_causal_softmax(
        scores.into_dispatch(),
        scale,
    ))
}

/// Causal self-attention from GPT-2's fused projection `[batch, position, 3·d]` (columns
/// q | k | v, each `n_head` heads side by side) to the heads' mixed values `[batch, position, d]`:
/// `softmax(q·kᵀ/√head_dim)·v` per head, each position seeing only itself and earlier ones.
pub fn causal_attention(qkv: Tensor<3>, n_head: usize) -> Tensor<3> {
    let width = qkv.dims()[2];
    if !fusable(&qkv) || n_head == 0 || width == 0 || !width.is_multiple_of(3 * n_head) {
        return attention::reference(qkv, n_head);
    }
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_causal_attention(
        qkv.into_dispatch(),
        n_head,
    ))
}

/// `(x − mean) / √(var + eps) · weight + bias` over the last axis of `x`, with the biased
/// variance, as PyTorch does; `weight` and `bias` are as long as that axis.
pub fn layer_norm<const D: usize>(
    x: Tensor<D>,
    weight: Tensor<1>,
    bias: Tensor<1>,
    eps: f64,
) -> Tensor<D> {
    let width = x.dims()[D - 1];
    let fits = width > 0 && weight.dims() == [width] && bias.dims() == [width];
    if !(fits && fusable(&x) && fusable(&weight) && fusable(&bias)) {
        return layer_norm::reference(x, weight, bias, eps);
    }
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_layer_norm(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        eps as f32,
    ))
}

#[cfg(test)]
thread_local! {
    static DECOMPOSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every op in its decomposed `reference` form: the oracle for whole-model checks.
#[cfg(test)]
pub fn decomposed<R>(f: impl FnOnce() -> R) -> R {
    DECOMPOSED.set(true);
    let result = f();
    DECOMPOSED.set(false);
    result
}

/// f32 on the CPU backend (with or without autodiff): where the kernels exist.
fn fusable<const D: usize>(x: &Tensor<D>) -> bool {
    #[cfg(test)]
    if DECOMPOSED.get() {
        return false;
    }
    x.dtype() == DType::F32 && matches!(x.device().inner().as_dispatch(), DispatchDevice::Flex(_))
}

/// One fused op of one input, forward and backward over contiguous f32 values.
trait UnaryKernel: Clone + Send + Debug + 'static {
    /// What the backward needs of the forward.
    type Kept: Clone + Send + Debug + 'static;
    /// The output, and what the backward needs.
    fn forward(&self, x: &FlexTensor) -> (FlexTensor, Self::Kept);
    /// The input's gradient from what `forward` kept and the output's gradient.
    fn backward(&self, kept: &Self::Kept, grad: &FlexTensor) -> FlexTensor;
}

#[derive(Clone, Debug)]
struct Gelu;

impl UnaryKernel for Gelu {
    type Kept = FlexTensor;

    fn forward(&self, x: &FlexTensor) -> (FlexTensor, FlexTensor) {
        (like(gelu::forward(&values(x)), x), x.clone())
    }

    fn backward(&self, x: &FlexTensor, grad: &FlexTensor) -> FlexTensor {
        like(gelu::backward(&values(x), &values(grad)), x)
    }
}

#[derive(Clone, Debug)]
struct CausalSoftmax {
    scale: f32,
}

impl CausalSoftmax {
    /// `(queries, keys)` of `[.., queries, keys]` scores.
    fn sizes(x: &FlexTensor) -> (usize, usize) {
        let dims = &x.layout().shape()[..];
        (dims[dims.len() - 2], dims[dims.len() - 1])
    }
}

impl UnaryKernel for CausalSoftmax {
    type Kept = FlexTensor;

    fn forward(&self, scores: &FlexTensor) -> (FlexTensor, FlexTensor) {
        let (queries, keys) = Self::sizes(scores);
        let probs = like(
            softmax::forward(&values(scores), queries, keys, self.scale),
            scores,
        );
        (probs.clone(), probs)
    }

    fn backward(&self, probs: &FlexTensor, grad: &FlexTensor) -> FlexTensor {
        let (queries, keys) = Self::sizes(probs);
        let scores = softmax::backward(&values(probs), &values(grad), queries, keys, self.scale);
        like(scores, probs)
    }
}

#[derive(Clone, Debug)]
struct CausalAttention {
    n_head: usize,
}

impl UnaryKernel for CausalAttention {
    /// The projection and the probabilities.
    type Kept = (FlexTensor, FlexTensor);

    fn forward(&self, qkv: &FlexTensor) -> (FlexTensor, Self::Kept) {
        let (mixed, probs) = attention::forward(qkv, self.n_head);
        (mixed, (qkv.clone(), probs))
    }

    fn backward(&self, (qkv, probs): &Self::Kept, grad: &FlexTensor) -> FlexTensor {
        attention::backward(qkv, probs, grad, self.n_head)
    }
}

impl FusedOps for Flex {
    fn fused_gelu_tanh(x: FlexTensor) -> FlexTensor {
        Gelu.forward(&x).0
    }

    fn fused_causal_softmax(scores: FlexTensor, scale: f32) -> FlexTensor {
        CausalSoftmax { scale }.forward(&scores).0
    }

    fn fused_causal_attention(qkv: FlexTensor, n_head: usize) -> FlexTensor {
        attention::forward(&qkv, n_head).0
    }

    fn fused_layer_norm(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        eps: f32,
    ) -> FlexTensor {
        let (output, _) = layer_norm::forward(&values(&x), &values(&weight), &values(&bias), eps);
        like(output, &x)
    }
}

impl<C: CheckpointStrategy> FusedOps for Autodiff<Flex, C> {
    fn fused_gelu_tanh(x: FloatTensor<Self>) -> FloatTensor<Self> {
        tracked::<_, C>(Gelu, x)
    }

    fn fused_causal_softmax(scores: FloatTensor<Self>, scale: f32) -> FloatTensor<Self> {
        tracked::<_, C>(CausalSoftmax { scale }, scores)
    }

    fn fused_causal_attention(qkv: FloatTensor<Self>, n_head: usize) -> FloatTensor<Self> {
        tracked::<_, C>(CausalAttention { n_head }, qkv)
    }

    fn fused_layer_norm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self> {
        let kind = LayerNormBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful();
        let (x, weight) = (x.primitive().clone(), weight.primitive().clone());
        let (output, stats) = layer_norm::forward(
            &values(&x),
            &values(&weight),
            &values(bias.primitive()),
            eps,
        );
        let output = like(output, &x);
        match kind {
            OpsKind::Tracked(prep) => prep.finish(LayerNormState { x, stats, weight }, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

/// What LayerNorm's backward keeps of the forward: the input, each row's mean and `rstd`, and
/// the weight.
#[derive(Clone, Debug)]
struct LayerNormState {
    x: FlexTensor,
    stats: layer_norm::RowStats,
    weight: FlexTensor,
}

/// The backward step autodiff records for [`layer_norm`], whose parents are the input, the
/// weight and the bias.
#[derive(Debug)]
struct LayerNormBackward;

impl Backward<Flex, 3> for LayerNormBackward {
    type State = LayerNormState;

    fn backward(self, ops: Ops<LayerNormState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x, weight, bias] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let (dx, dweight, dbias) = layer_norm::backward(
            &values(&state.x),
            &state.stats,
            &values(&state.weight),
            &values(&grad),
        );
        let shaped = [
            (x, like(dx, &state.x)),
            (weight, like(dweight, &state.weight)),
        ];
        for (parent, grad) in shaped {
            if let Some(parent) = parent {
                grads.register::<Flex>(parent.id, grad);
            }
        }
        if let Some(bias) = bias {
            grads.register::<Flex>(bias.id, like(dbias, &state.weight));
        }
    }
}

/// The backward step autodiff records for a [`UnaryKernel`].
#[derive(Debug)]
struct UnaryBackward<K>(K);

impl<K: UnaryKernel> Backward<Flex, 1> for UnaryBackward<K> {
    type State = K::Kept;

    fn backward(self, ops: Ops<K::Kept, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(parent) = parent {
            grads.register::<Flex>(parent.id, self.0.backward(&ops.state, &grad));
        }
    }
}

/// Runs `kernel` under autodiff, keeping its state only when a gradient is wanted.
fn tracked<K: UnaryKernel, C: CheckpointStrategy>(
    kernel: K,
    x: FloatTensor<Autodiff<Flex, C>>,
) -> FloatTensor<Autodiff<Flex, C>> {
    match UnaryBackward(kernel.clone())
        .prepare::<C>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (output, kept) = kernel.forward(x.primitive());
            prep.finish(kept, output)
        }
        OpsKind::UnTracked(prep) => prep.finish(kernel.forward(x.primitive()).0),
    }
}

/// A tensor's values in order, borrowed when it is contiguous (a fused kernel's inputs
/// nearly always are).
fn values(x: &FlexTensor) -> Cow<'_, [f32]> {
    match x.as_slice::<f32>() {
        Some(values) => Cow::Borrowed(values),
        None => Cow::Owned(
            x.to_contiguous()
                .as_slice::<f32>()
                .unwrap_or_default()
                .to_vec(),
        ),
    }
}

/// `values` shaped like `x`.
fn like(values: Vec<f32>, x: &FlexTensor) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, x.layout().shape().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    /// The largest absolute difference between two tensors' values.
    fn gap<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        let (a, b) = (
            a.into_data().try_to_vec::<f32>().unwrap(),
            b.into_data().try_to_vec::<f32>().unwrap(),
        );
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(&b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    /// Forward values and input gradients of `fused` and `reference` on the same random input
    /// (weighted by a random cotangent, so every output's gradient counts) agree within 1e-5.
    fn agrees<const D: usize>(
        shape: [usize; D],
        scale: f64,
        fused: impl Fn(Tensor<D>) -> Tensor<D>,
        reference: impl Fn(Tensor<D>) -> Tensor<D>,
    ) {
        let device = Device::flex().autodiff();
        device.seed(7);
        let x = Tensor::<D>::random(shape, Distribution::Normal(0.0, scale), &device);
        let run = |f: &dyn Fn(Tensor<D>) -> Tensor<D>| {
            let x = x.clone().require_grad();
            let y = f(x.clone());
            // The same cotangent for both: the output's shape, from a fixed seed.
            device.seed(13);
            let weights = Tensor::<D>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device);
            let grads = (y.clone() * weights).sum().backward();
            (y.inner(), x.grad(&grads).unwrap())
        };
        let (y_fused, dx_fused) = run(&fused);
        let (y_reference, dx_reference) = run(&reference);
        let forward = gap(y_fused, y_reference);
        let backward = gap(dx_fused, dx_reference);
        assert!(forward < 1e-5, "forward differs by {forward}");
        assert!(backward < 1e-5, "gradient differs by {backward}");
    }

    #[test]
    fn fused_gelu_matches_its_reference() {
        // Wide enough to reach both tails, and more elements than one parallel task.
        agrees([3, 7, 1000], 3.0, gelu_tanh, gelu::reference);
    }

    #[test]
    fn fused_causal_softmax_matches_its_reference() {
        let scale = 1.0 / 8f32.sqrt();
        // Training's square scores, and new queries after cached keys (past = 5).
        agrees(
            [2, 3, 9, 9],
            4.0,
            |s| causal_softmax(s, scale),
            |s| softmax::reference(s, scale),
        );
        agrees(
            [2, 3, 4, 9],
            4.0,
            |s| causal_softmax(s, scale),
            |s| softmax::reference(s, scale),
        );
    }

    #[test]
    fn fused_attention_matches_its_reference() {
        // 2 sequences of 9 positions, 4 heads of 4: more softmax rows (72) than one task.
        agrees(
            [2, 9, 48],
            1.5,
            |qkv| causal_attention(qkv, 4),
            |qkv| attention::reference(qkv, 4),
        );
    }

    #[test]
    fn fused_layer_norm_matches_its_reference_in_every_gradient() {
        let device = Device::flex().autodiff();
        device.seed(11);
        let normal = |mean, std| Distribution::Normal(mean, std);
        // More rows (150) than one parallel task, an offset and scale far from 0 and 1.
        let x = Tensor::<3>::random([3, 50, 40], normal(2.0, 3.0), &device);
        let cotangent = Tensor::<3>::random([3, 50, 40], normal(0.0, 1.0), &device);
        let weight = Tensor::<1>::random([40], normal(1.0, 0.5), &device);
        let bias = Tensor::<1>::random([40], normal(0.0, 0.5), &device);
        let run = |f: &dyn Fn(Tensor<3>, Tensor<1>, Tensor<1>) -> Tensor<3>| {
            let (x, weight, bias) = (
                x.clone().require_grad(),
                weight.clone().require_grad(),
                bias.clone().require_grad(),
            );
            let y = f(x.clone(), weight.clone(), bias.clone());
            let grads = (y.clone() * cotangent.clone()).sum().backward();
            let grad = |t: &Tensor<1>| t.grad(&grads).unwrap();
            (
                y.inner(),
                x.grad(&grads).unwrap(),
                grad(&weight),
                grad(&bias),
            )
        };
        let fused = run(&|x, w, b| layer_norm(x, w, b, 1e-5));
        let reference = run(&|x, w, b| layer_norm::reference(x, w, b, 1e-5));
        let gaps = [
            gap(fused.0, reference.0),
            gap(fused.1, reference.1),
            gap(fused.2, reference.2),
            gap(fused.3, reference.3),
        ];
        assert!(
            gaps.iter().all(|&gap| gap < 1e-5),
            "output, dx, dweight, dbias: {gaps:?}"
        );
    }

    #[test]
    fn fused_softmax_gives_later_keys_exactly_zero() {
        let scores = Tensor::<4>::random(
            [1, 2, 6, 6],
            Distribution::Normal(0.0, 9.0),
            &Device::flex(),
        );
        let probs = causal_softmax(scores, 0.5)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (index, p) in probs.iter().enumerate() {
            let (query, key) = ((index / 6) % 6, index % 6);
            assert_eq!(key > query, *p == 0.0, "p[{query}][{key}] = {p}");
        }
        for row in probs.chunks(6) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn the_cpu_backend_runs_the_kernels_and_other_dtypes_the_reference() {
        let device = Device::flex();
        assert!(fusable(&Tensor::<1>::zeros([2], &device)));
        assert!(fusable(&Tensor::<1>::zeros(
            [2],
            &device.clone().autodiff()
        )));
        let half = Tensor::<1>::zeros([2], &device).cast(DType::F16);
        assert!(!fusable(&half));
        // And the reference still gives an answer there.
        assert_eq!(gelu_tanh(half).dims(), [2]);
    }
}
