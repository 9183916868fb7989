//! The MLP's non-linearity made visible: its hidden units before and after the activation for one
//! token, and what the model predicts when one block's MLP keeps only its linear part.

use crate::error::Result;
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::probs::kl_divergence;
use crate::trace::Trace;
use crate::trace::probe::ProbeRun;

/// One block's MLP hidden units at one position.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpActivity {
    /// The block.
    pub layer: usize,
    /// The query row of the trace.
    pub position: usize,
    /// Before the activation (`c_fc`'s output).
    pub pre: Vec<f32>,
    /// After it.
    pub post: Vec<f32>,
}

/// A unit of the MLP's hidden layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// Its index in the hidden layer, `0..d_mlp`.
    pub index: usize,
    /// Its value before the activation.
    pub pre: f32,
    /// Its value after the activation.
    pub post: f32,
}

impl MlpActivity {
    /// Query row `query` of block `layer` in a trace (`None` when the trace has no such row).
    pub fn from_trace(trace: &Trace, layer: usize, query: usize) -> Option<Self> {
        if layer >= trace.n_layer || query >= trace.n_query {
            return None;
        }
        let start = (layer * trace.n_query + query) * trace.d_mlp;
        let range = start..start + trace.d_mlp;
        Some(Self {
            layer,
            position: query,
            pre: trace.mlp_pre[range.clone()].to_vec(),
            post: trace.mlp_post[range].to_vec(),
        })
    }

    /// The `k` units with the largest output, descending (ties by index).
    pub fn most_active(&self, k: usize) -> Vec<Unit> {
        crate::probs::top_n(&self.post, k)
            .into_iter()
            .map(|(i, post)| Unit {
                index: i as usize,
                pre: self.pre[i as usize],
                post,
            })
            .collect()
    }

    /// Share of units the activation changes by less than 1% (of the value, or of 1 near zero):
    /// where it acts as the identity.
    pub fn near_identity_share(&self) -> f32 {
        let close = self
            .pre
            .iter()
            .zip(&self.post)
            .filter(|(pre, post)| (*pre - *post).abs() <= 0.01 * pre.abs().max(1.0))
            .count();
        close as f32 / self.pre.len().max(1) as f32
    }
}

/// Counts of values in `bins` equal-width bins over `[lo, hi]` (values outside are clamped in).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f32,
    /// Upper edge of the last bin.
    pub hi: f32,
    /// Values per bin, lowest bin first.
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins the finite `values` (NaN and infinities are left out); at least one bin.
    pub fn new(values: &[f32], lo: f32, hi: f32, bins: usize) -> Self {
        let mut counts = vec![0; bins.max(1)];
        let width = (hi - lo).max(f32::EPSILON) / counts.len() as f32;
        for v in values.iter().filter(|v| v.is_finite()) {
            let bin = ((v - lo) / width)
                .floor()
                .clamp(0.0, (counts.len() - 1) as f32);
            counts[bin as usize] += 1;
        }
        Self { lo, hi, counts }
    }

    /// The range covering every finite value of all the series, so their histograms compare.
    pub fn range(series: &[&[f32]]) -> (f32, f32) {
        let values = series
            .iter()
            .flat_map(|s| s.iter())
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
        if lo <= hi { (lo, hi) } else { (0.0, 1.0) }
    }
}

/// The next-token prediction with and without block `layer`'s activation.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearEffect {
    /// Next-token logits of the model as it is.
    pub base_logits: Vec<f32>,
    /// With block `layer`'s MLP reduced to its linear part.
    pub linear_logits: Vec<f32>,
    /// KL(original ‖ linearised), nats.
    pub kl: f32,
}

/// Next-token logits after the last of `ids`, with and without block `layer`'s activation.
pub async fn linearised_effect(model: &Gpt, ids: &[u32], layer: usize) -> Result<LinearEffect> {
    let base = ProbeRun::run(model, ids, &ForwardOptions::default()).await?;
    let options = ForwardOptions {
        linear_mlp: Some(layer),
        ..Default::default()
    };
    let linear = ProbeRun::run(model, ids, &options).await?;
    Ok(LinearEffect {
        kl: kl_divergence(base.last(), linear.last()),
        base_logits: base.last().to_vec(),
        linear_logits: linear.last().to_vec(),
    })
}

/// One token's next-token probability with the activation and with the linear part only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearShift {
    /// The token.
    pub id: u32,
    /// softmax(base_logits) at `id`.
    pub base: f32,
    /// softmax(linear_logits) at `id`.
    pub linear: f32,
}

impl LinearEffect {
    /// The `n` tokens most likely with the activation, with their probability both ways.
    pub fn top_shifts(&self, n: usize) -> Vec<LinearShift> {
        let base = crate::probs::softmax(&self.base_logits);
        let linear = crate::probs::softmax(&self.linear_logits);
        crate::probs::top_n(&base, n)
            .into_iter()
            .map(|(id, p)| LinearShift {
                id,
                base: p,
                linear: linear[id as usize],
            })
            .collect()
    }

    /// The linearised model's most likely next token.
    pub fn linear_top(&self) -> u32 {
        // Over the probabilities, not the logits: the softmax counts a NaN logit as -inf.
        crate::probs::argmax(&crate::probs::softmax(&self.linear_logits)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, max_diff, tiny_model};
    use burn::module::Param;

    fn traced_run(model: &Gpt) -> ProbeRun {
        let options = ForwardOptions {
            trace: true,
            ..Default::default()
        };
        block_on(ProbeRun::run(model, &TOKENS, &options)).unwrap()
    }

    #[test]
    fn the_linear_part_alone_predicts_differently() {
        let model = tiny_model();
        for layer in 0..model.n_layer() {
            let effect = block_on(linearised_effect(&model, &TOKENS, layer)).unwrap();
            assert!(max_diff(&effect.base_logits, &effect.linear_logits) > 1e-2);
            assert!(effect.kl > 0.0);
        }
    }

    #[test]
    fn no_difference_when_every_pre_activation_is_where_gelu_is_the_identity() {
        // A large bias puts every pre-activation of block 0 far above zero, where GELU(x) = x.
        let mut model = tiny_model();
        let c_fc = &mut model.h[0].mlp.c_fc;
        let bias = c_fc.bias.take().unwrap().val();
        c_fc.bias = Some(Param::from_tensor(bias.ones_like() * 40.0));
        let trace = traced_run(&model).trace.unwrap();
        for q in 0..TOKENS.len() {
            let activity = MlpActivity::from_trace(&trace, 0, q).unwrap();
            assert!(
                activity.pre.iter().all(|&x| x > 6.0),
                "pre-activations reach {:?}",
                activity.pre.iter().copied().fold(f32::INFINITY, f32::min)
            );
            assert_eq!(activity.near_identity_share(), 1.0);
        }
        let effect = block_on(linearised_effect(&model, &TOKENS, 0)).unwrap();
        let diff = max_diff(&effect.base_logits, &effect.linear_logits);
        assert!(diff < 1e-3, "logits differ by {diff}");
        // Block 1 is untouched: its non-linearity still matters.
        let effect = block_on(linearised_effect(&model, &TOKENS, 1)).unwrap();
        assert!(max_diff(&effect.base_logits, &effect.linear_logits) > 1e-2);
    }

    #[test]
    fn activity_comes_from_the_trace_and_gelu_bends_it() {
        let model = tiny_model();
        let run = traced_run(&model);
        let trace = run.trace.as_ref().unwrap();
        let activity = MlpActivity::from_trace(trace, 1, 3).unwrap();
        assert_eq!(MlpActivity::from_trace(trace, 1, TOKENS.len()), None);
        assert_eq!(MlpActivity::from_trace(trace, 2, 0), None);
        assert_eq!(activity.pre.len(), 64);
        for (pre, post) in activity.pre.iter().zip(&activity.post) {
            let expected = crate::kernels::gelu_tanh(burn::tensor::Tensor::<1>::from_floats(
                [*pre],
                &model.device(),
            ))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
            assert!((post - expected).abs() < 1e-5);
        }
        assert!(activity.near_identity_share() < 1.0);
        let top = activity.most_active(5);
        assert!(top.windows(2).all(|w| w[0].post >= w[1].post));
        assert_eq!(
            top[0].post,
            activity.post.iter().copied().fold(f32::MIN, f32::max)
        );
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values = [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0];
        let (lo, hi) = Histogram::range(&[&values, &[3.0]]);
        assert_eq!((lo, hi), (-2.0, 3.0));
        let h = Histogram::new(&values, lo, hi, 5);
        assert_eq!(h.counts, vec![1, 1, 2, 1, 1]);
    }

    #[test]
    fn top_shifts_follow_the_activations_ranking() {
        let effect = LinearEffect {
            base_logits: vec![1.0, 3.0, 2.0, 0.0],
            linear_logits: vec![4.0, 0.0, 1.0, 0.0],
            kl: 0.0,
        };
        let shifts = effect.top_shifts(2);
        assert_eq!(shifts.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2]);
        let base = crate::probs::softmax(&effect.base_logits);
        let linear = crate::probs::softmax(&effect.linear_logits);
        assert_eq!(shifts[0].base, base[1]);
        assert_eq!(shifts[0].linear, linear[1]);
        assert_eq!(effect.linear_top(), 0);
    }
}
