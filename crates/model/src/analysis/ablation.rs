//! Switching heads off: how the next-token distribution and the loss on a probe text change, and
//! which heads matter most (each head switched off alone, ranked by the loss increase).

use crate::error::{GlassboxError, Result};
use crate::nn::HeadMask;
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::probs::kl_divergence;
use crate::trace::probe::ProbeRun;
use crate::trace::staged::StagedPass;

/// One probe text run with and without the switched-off heads.
#[derive(Clone, Debug, PartialEq)]
pub struct AblationEffect {
    /// Next-token logits after the chosen position, with every head on.
    pub base_logits: Vec<f32>,
    /// The same with the mask's heads off.
    pub ablated_logits: Vec<f32>,
    /// KL(with every head ‖ with the heads off) of the next-token distributions, in nats.
    pub kl: f32,
    /// Mean next-token loss over the probe text (`None` for a single token).
    pub base_loss: Option<f32>,
    /// The same with the mask's heads off.
    pub ablated_loss: Option<f32>,
}

async fn run_masked(model: &Gpt, ids: &[u32], mask: &HeadMask) -> Result<ProbeRun> {
    let options = ForwardOptions {
        head_mask: Some(mask),
        ..Default::default()
    };
    ProbeRun::run(model, ids, &options).await
}

/// The effect of switching off `mask`'s heads: on the loss over the probe text `ids` (at most the
/// context length) and on the next-token distribution after `position`.
pub async fn ablation_effect(
    model: &Gpt,
    ids: &[u32],
    position: usize,
    mask: &HeadMask,
) -> Result<AblationEffect> {
    let base = run_masked(model, ids, &HeadMask::default()).await?;
    let ablated = run_masked(model, ids, mask).await?;
    let position = position.min(ids.len() - 1);
    let (base_logits, ablated_logits) = (base.row(position), ablated.row(position));
    Ok(AblationEffect {
        kl: kl_divergence(base_logits, ablated_logits),
        base_loss: base.loss(),
        ablated_loss: ablated.loss(),
        base_logits: base_logits.to_vec(),
        ablated_logits: ablated_logits.to_vec(),
    })
}

/// How much one head matters to the probe text: the loss with it alone switched off.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadImportance {
    /// The head's block.
    pub layer: usize,
    /// The head within its block.
    pub head: usize,
    /// Probe loss with this head alone switched off.
    pub loss: f32,
    /// `loss` minus the loss with every head on.
    pub increase: f32,
}

/// Switches each head off alone, one piece of a forward pass per `advance` (see [`StagedPass`]),
/// so a page can paint and show progress between pieces and stop when asked. Each head's pass
/// starts at the head's block, from the stream the pass with every head on kept entering it.
pub struct ImportanceScan {
    /// Every head on, keeping the stream entering each block.
    base: StagedPass,
    /// The head being measured and its pass.
    current: Option<((usize, usize), StagedPass)>,
    /// Heads still to measure, the next one last.
    pending: Vec<(usize, usize)>,
    measured: Vec<HeadImportance>,
    heads: usize,
}

impl ImportanceScan {
    /// A scan of `model`'s heads on `ids`, which needs at least two tokens; nothing runs yet.
    pub fn start(model: &Gpt, ids: &[u32]) -> Result<Self> {
        if ids.len() < 2 {
            return Err(GlassboxError::Config(
                "ranking heads needs a probe text of at least two tokens".into(),
            ));
        }
        let base = StagedPass::new(model, ids, &ForwardOptions::default(), true)?;
        let mut pending: Vec<_> = (0..model.n_layer())
            .flat_map(|l| (0..model.n_head()).map(move |h| (l, h)))
            .collect();
        pending.reverse();
        Ok(Self {
            base,
            current: None,
            heads: pending.len(),
            pending,
            measured: Vec::new(),
        })
    }

    /// Probe loss with every head on, once its pass is done.
    pub fn base_loss(&self) -> Option<f32> {
        self.base.loss()
    }

    /// Heads measured so far and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.measured.len(), self.heads)
    }

    /// Whether every head has been measured.
    pub fn is_done(&self) -> bool {
        self.measured.len() == self.heads
    }

    /// Runs the next piece: of the pass with every head on, then of each head's (nothing once
    /// done).
    pub async fn advance(&mut self, model: &Gpt) -> Result<()> {
        if !self.base.is_done() {
            return self.base.advance(model).await;
        }
        if self.current.is_none() {
            let Some((layer, head)) = self.pending.pop() else {
                return Ok(());
            };
            let pass = self
                .base
                .branch(layer, HeadMask::single(layer, head))
                .ok_or_else(|| GlassboxError::Config(format!("block {layer} was not run")))?;
            self.current = Some(((layer, head), pass));
        }
        let Some(((layer, head), pass)) = self.current.as_mut() else {
            return Ok(());
        };
        pass.advance(model).await?;
        if let (Some(loss), Some(base_loss)) = (pass.loss(), self.base.loss()) {
            self.measured.push(HeadImportance {
                layer: *layer,
                head: *head,
                loss,
                increase: loss - base_loss,
            });
            self.current = None;
        }
        Ok(())
    }

    /// The heads measured so far, most important first (ties by layer, then head).
    pub fn ranking(&self) -> Vec<HeadImportance> {
        let mut ranked = self.measured.clone();
        ranked.sort_by(|a, b| {
            b.increase
                .total_cmp(&a.increase)
                .then(a.layer.cmp(&b.layer))
                .then(a.head.cmp(&b.head))
        });
        ranked
    }
}

/// Every head ranked by how much switching it off alone raises the loss on `ids`.
pub async fn rank_heads(model: &Gpt, ids: &[u32]) -> Result<Vec<HeadImportance>> {
    let mut scan = ImportanceScan::start(model, ids)?;
    while !scan.is_done() {
        scan.advance(model).await?;
    }
    Ok(scan.ranking())
}

/// One token's next-token probability with every head on and with the heads off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComparedToken {
    /// The token.
    pub id: u32,
    /// softmax(base_logits) at `id`: every head on.
    pub base: f32,
    /// softmax(ablated_logits) at `id`: the mask's heads off.
    pub ablated: f32,
}

impl AblationEffect {
    /// The tokens most likely either way (the top `n` with every head on and the top `n` with the
    /// heads off), ranked by their probability with the heads off (ties by id), at most `n`.
    pub fn compared_tokens(&self, n: usize) -> Vec<ComparedToken> {
        let base = crate::probs::softmax(&self.base_logits);
        let ablated = crate::probs::softmax(&self.ablated_logits);
        let mut ids: Vec<u32> = crate::probs::top_n(&base, n)
            .into_iter()
            .chain(crate::probs::top_n(&ablated, n))
            .map(|(id, _)| id)
            .collect();
        ids.sort_by(|a, b| {
            ablated[*b as usize]
                .total_cmp(&ablated[*a as usize])
                .then(a.cmp(b))
        });
        ids.dedup();
        ids.truncate(n);
        ids.into_iter()
            .map(|id| ComparedToken {
                id,
                base: base[id as usize],
                ablated: ablated[id as usize],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, tiny_model};
    use burn::module::Param;

    const LAST: usize = TOKENS.len() - 1;

    #[test]
    fn switching_no_head_off_changes_nothing() {
        let model = tiny_model();
        let effect =
            block_on(ablation_effect(&model, &TOKENS, LAST, &HeadMask::default())).unwrap();
        assert_eq!(effect.base_logits, effect.ablated_logits);
        assert_eq!(effect.kl, 0.0);
        assert_eq!(effect.base_loss, effect.ablated_loss);
    }

    #[test]
    fn switching_a_whole_layer_off_removes_its_attention_output() {
        let model = tiny_model();
        for layer in 0..model.n_layer() {
            // The reference: the same model with that layer's attention output projection zeroed.
            let mut removed = model.clone();
            let proj = &mut removed.h[layer].attn.as_mut().unwrap().c_proj;
            proj.weight = Param::from_tensor(proj.weight.val().zeros_like());
            let bias = proj.bias.take().expect("c_proj has a bias");
            proj.bias = Some(Param::from_tensor(bias.val().zeros_like()));
            let reference =
                block_on(ProbeRun::run(&removed, &TOKENS, &ForwardOptions::default())).unwrap();

            let mask = HeadMask::layer(layer, model.n_head());
            let effect = block_on(ablation_effect(&model, &TOKENS, LAST, &mask)).unwrap();
            let diff = effect
                .ablated_logits
                .iter()
                .zip(reference.last())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-4, "layer {layer}: logits differ by {diff}");
            assert!((effect.ablated_loss.unwrap() - reference.loss().unwrap()).abs() < 1e-5);
            assert!(effect.kl > 1e-4, "switching a layer off should matter");
        }
    }

    #[test]
    fn one_head_off_is_between_nothing_and_the_whole_layer() {
        let model = tiny_model();
        let one = block_on(ablation_effect(
            &model,
            &TOKENS,
            LAST,
            &HeadMask::single(1, 0),
        ))
        .unwrap();
        assert!(one.kl > 0.0);
        assert_ne!(one.base_logits, one.ablated_logits);
        let all_but = HeadMask::all_but(1, 0, 2, 2);
        assert_eq!(all_but.ablated.len(), 3);
        assert!(!all_but.ablated.contains(&(1, 0)));
    }

    #[test]
    fn importance_ranking_is_complete_sorted_and_deterministic() {
        let model = tiny_model();
        let first = block_on(rank_heads(&model, &TOKENS)).unwrap();
        let second = block_on(rank_heads(&model, &TOKENS)).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 4);
        assert!(first.windows(2).all(|w| w[0].increase >= w[1].increase));
        // Each entry is that head's own ablation.
        for entry in &first {
            let mask = HeadMask::single(entry.layer, entry.head);
            let effect = block_on(ablation_effect(&model, &TOKENS, LAST, &mask)).unwrap();
            assert_eq!(effect.ablated_loss, Some(entry.loss));
            let increase = entry.loss - effect.base_loss.unwrap();
            assert!((entry.increase - increase).abs() < 1e-6);
        }
    }

    #[test]
    fn ranking_needs_two_tokens() {
        let model = tiny_model();
        let err = block_on(rank_heads(&model, &TOKENS[..1])).unwrap_err();
        assert!(err.to_string().contains("two tokens"), "{err}");
    }

    #[test]
    fn compared_tokens_are_the_top_of_either_side_ranked_without_the_heads() {
        let effect = AblationEffect {
            base_logits: vec![3.0, 2.0, 0.0, 0.0, -1.0],
            ablated_logits: vec![0.0, 2.0, 3.0, 0.0, -1.0],
            kl: 0.0,
            base_loss: None,
            ablated_loss: None,
        };
        let rows = effect.compared_tokens(2);
        let ids: Vec<u32> = rows.iter().map(|r| r.id).collect();
        // Top 2 with the heads on: 0, 1; without: 2, 1. Ranked by the ablated side, cut to 2.
        assert_eq!(ids, vec![2, 1]);
        let base = crate::probs::softmax(&effect.base_logits);
        let ablated = crate::probs::softmax(&effect.ablated_logits);
        assert_eq!(rows[0].base, base[2]);
        assert_eq!(rows[0].ablated, ablated[2]);
        let all = effect.compared_tokens(3);
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2, 1, 0]);
        assert!(all.windows(2).all(|w| w[0].ablated >= w[1].ablated));
    }
}
