//! Training vs inference: training reads a whole text in one pass and predicts every next token
//! at once (the causal mask keeps each position from seeing later ones); generation must feed
//! each token back and run again. Both give the same predictions for the same prefix.

use crate::error::{GlassboxError, Result};
use crate::nn::KvCache;
use crate::nn::gpt::ForwardOptions;
use crate::nn::gpt::Gpt;
use crate::probs::{log_softmax, top_n};
use crate::readback::read_floats;
use crate::trace::Trace;
use crate::trace::attention_map::AttentionMatrix;
use crate::trace::probe::ProbeRun;
use crate::trace::staged::check_probe;

/// What the model predicts after one position of a text.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionPrediction {
    /// Index of the token in the text.
    pub position: usize,
    /// The token at this position.
    pub token: u32,
    /// The most likely next tokens, `(id, prob)` descending.
    pub top: Vec<(u32, f32)>,
    /// The text's actual next token, its probability and cross-entropy (none after the last).
    pub next: Option<(u32, f32, f32)>,
}

fn predict(ids: &[u32], position: usize, logits: &[f32], top: usize) -> PositionPrediction {
    // One normalisation serves the top tokens and the next token's probability.
    let log_p = log_softmax(logits);
    PositionPrediction {
        position,
        token: ids[position],
        top: top_n(&log_p, top)
            .into_iter()
            .map(|(id, lp)| (id, lp.exp()))
            .collect(),
        next: ids.get(position + 1).map(|&next| {
            let lp = log_p[next as usize];
            (next, lp.exp(), -lp)
        }),
    }
}

/// The parallel pass training computes.
#[derive(Clone, Debug, PartialEq)]
pub struct TeacherForcing {
    /// One prediction per position of the text.
    pub predictions: Vec<PositionPrediction>,
    /// The pass's trace: attention (future cells are 0: the causal mask), residual stream, MLP.
    pub trace: Trace,
    /// Mean cross-entropy over the positions that have a next token: the training loss.
    pub loss: Option<f32>,
}

impl TeacherForcing {
    /// The text the pass read.
    pub fn ids(&self) -> Vec<u32> {
        self.predictions.iter().map(|p| p.token).collect()
    }

    /// The pass's attention weights, every head at once.
    pub fn attention(&self) -> AttentionMatrix {
        AttentionMatrix::from_trace(&self.trace)
    }
}

/// One forward pass over `ids`: a prediction at every position at once.
pub async fn teacher_forced(model: &Gpt, ids: &[u32], top: usize) -> Result<TeacherForcing> {
    let options = ForwardOptions {
        trace: true,
        ..Default::default()
    };
    let run = ProbeRun::run(model, ids, &options).await?;
    Ok(TeacherForcing {
        predictions: (0..ids.len())
            .map(|p| predict(ids, p, run.row(p), top))
            .collect(),
        loss: run.loss(),
        trace: run.trace.expect("traced"),
    })
}

/// The same predictions as generation makes them: one pass per token, each feeding the next
/// token of the text back in (through the KV cache). `advance` runs one pass, so a page can show
/// them one by one.
pub struct OneAtATime {
    ids: Vec<u32>,
    top: usize,
    cache: KvCache,
    predictions: Vec<PositionPrediction>,
}

impl OneAtATime {
    /// Ready to feed `ids` (at most the context length), keeping the `top` most likely tokens
    /// per prediction; no pass runs yet.
    pub fn new(model: &Gpt, ids: &[u32], top: usize) -> Result<Self> {
        check_probe(model, ids)?;
        Ok(Self {
            ids: ids.to_vec(),
            top,
            cache: KvCache::default(),
            predictions: Vec::with_capacity(ids.len()),
        })
    }

    /// Whether every token of the text has been fed.
    pub fn is_done(&self) -> bool {
        self.predictions.len() == self.ids.len()
    }

    /// The predictions made so far, one per token fed.
    pub fn predictions(&self) -> &[PositionPrediction] {
        &self.predictions
    }

    /// Feeds the next token and predicts what follows it (nothing once done).
    pub async fn advance(&mut self, model: &Gpt) -> Result<()> {
        let position = self.predictions.len();
        let Some(&id) = self.ids.get(position) else {
            return Ok(());
        };
        let out = model.forward_with(
            model.token_tensor(&[vec![id]]),
            &ForwardOptions::default(),
            Some(&mut self.cache),
        );
        let logits = read_floats(out.logits).await?;
        if logits.len() != model.vocab_size() {
            return Err(GlassboxError::Readback("one row of logits expected".into()));
        }
        self.predictions
            .push(predict(&self.ids, position, &logits, self.top));
        Ok(())
    }
}

/// All of `OneAtATime`'s predictions.
pub async fn one_at_a_time(
    model: &Gpt,
    ids: &[u32],
    top: usize,
) -> Result<Vec<PositionPrediction>> {
    let mut run = OneAtATime::new(model, ids, top)?;
    while !run.is_done() {
        run.advance(model).await?;
    }
    Ok(run.predictions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, tiny_model};

    #[test]
    fn the_parallel_pass_predicts_what_generation_predicts_one_token_at_a_time() {
        let model = tiny_model();
        let parallel = block_on(teacher_forced(&model, &TOKENS, 11)).unwrap();
        let sequential = block_on(one_at_a_time(&model, &TOKENS, 11)).unwrap();
        assert_eq!(parallel.predictions.len(), TOKENS.len());
        for (a, b) in parallel.predictions.iter().zip(&sequential) {
            assert_eq!(a.token, b.token);
            for ((id_a, p_a), (id_b, p_b)) in a.top.iter().zip(&b.top) {
                assert!(
                    (p_a - p_b).abs() < 1e-5,
                    "position {}: {p_a} vs {p_b}",
                    a.position
                );
                if (p_a - p_b).abs() < 1e-6 && id_a != id_b {
                    continue; // a tie may order either way
                }
                assert_eq!(id_a, id_b);
            }
            match (a.next, b.next) {
                (Some((ia, pa, la)), Some((ib, pb, lb))) => {
                    assert_eq!(ia, ib);
                    assert!((pa - pb).abs() < 1e-5 && (la - lb).abs() < 1e-4);
                }
                (None, None) => {}
                _ => panic!("next tokens differ at {}", a.position),
            }
        }
    }

    #[test]
    fn the_loss_is_the_mean_of_the_position_losses_and_the_mask_hides_the_future() {
        let model = tiny_model();
        let parallel = block_on(teacher_forced(&model, &TOKENS, 3)).unwrap();
        let losses: Vec<f32> = parallel
            .predictions
            .iter()
            .filter_map(|p| p.next.map(|(_, _, loss)| loss))
            .collect();
        assert_eq!(losses.len(), TOKENS.len() - 1);
        let mean = losses.iter().sum::<f32>() / losses.len() as f32;
        assert!((parallel.loss.unwrap() - mean).abs() < 1e-5);
        assert!(parallel.predictions.last().unwrap().next.is_none());
        let a = &parallel.attention();
        for q in 0..a.size {
            for k in q + 1..a.size {
                assert_eq!(a.get(1, 1, q, k), 0.0);
            }
        }
    }
}
