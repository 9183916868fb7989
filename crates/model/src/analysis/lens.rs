//! The logit lens: what the model would predict if it stopped after each block. The residual
//! stream after block `l` goes through the final LayerNorm (normalised with its own statistics,
//! not the last block's) and the LM head.

use burn::tensor::Transaction;
use burn::tensor::activation::softmax;

use crate::error::{GlassboxError, Result};
use crate::nn::gpt::{ForwardOptions, Gpt};
use crate::pause::pause_point;
use crate::probs::{rank_of, softmax as softmax_f64, top_n};
use crate::readback::{floats, read_all};
use crate::trace::staged::StagedPass;

/// Where one token stands in a distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRank {
    /// The token.
    pub id: u32,
    /// 0 = the most likely token.
    pub rank: usize,
    /// Its probability.
    pub prob: f32,
}

/// What the model would predict at the lens's position after `depth` blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct LensRow {
    /// Blocks applied: 0 = the embeddings alone, `n_layer` = the whole model.
    pub depth: usize,
    /// The most likely next tokens as `(id, prob)`, descending.
    pub top: Vec<(u32, f32)>,
    /// The token the model finally chose, if given.
    pub target: Option<TokenRank>,
}

/// The logit lens over one text: detailed rows at one position, the top token everywhere.
#[derive(Clone, Debug, PartialEq)]
pub struct LogitLens {
    /// The text read.
    pub ids: Vec<u32>,
    /// The position the rows are for.
    pub position: usize,
    /// One row per depth, 0..=n_layer.
    pub rows: Vec<LensRow>,
    /// The top-1 token and its probability, `[depth][position]`, for every position at once.
    pub grid: Vec<Vec<(u32, f32)>>,
}

/// The logit lens over `ids` (at most the context length), detailed at `position`, tracking
/// `target` there (usually the token generation picked).
pub async fn logit_lens(
    model: &Gpt,
    ids: &[u32],
    position: usize,
    target: Option<u32>,
    top: usize,
) -> Result<LogitLens> {
    let n = ids.len();
    let options = ForwardOptions {
        trace: true,
        ..Default::default()
    };
    let mut pass = StagedPass::new(model, ids, &options, false)?;
    pass.run_blocks(model).await?;
    let residual = pass
        .take_trace()
        .ok_or_else(|| GlassboxError::Config("the lens's pass kept no trace".into()))?
        .residual;
    let position = position.min(n - 1);
    let vocab = model.vocab_size();
    let (mut focus, mut best, mut best_id) = (Vec::new(), Vec::new(), Vec::new());
    // One depth per piece: GPT-2 small's LM head over every depth at once held the tab ~1 s.
    for stream in residual {
        let logits = model.lm_head(model.ln_f.forward(stream));
        let (likeliest, likeliest_id) = softmax(logits.clone(), 2).max_dim_with_indices(2);
        let transaction = Transaction::default()
            .register(logits.narrow(1, position, 1))
            .register(likeliest)
            .register(likeliest_id);
        let [row, likeliest, likeliest_id]: [_; 3] = read_all(transaction)
            .await?
            .try_into()
            .map_err(|_| GlassboxError::Readback("three tensors registered".into()))?;
        focus.extend(floats(row)?);
        best.extend(floats(likeliest)?);
        best_id.extend(likeliest_id.iter::<i64>().map(|id| id as u32));
        pause_point().await;
    }
    let depths = best.len() / n;

    let rows = focus
        .chunks(vocab)
        .enumerate()
        .map(|(depth, logits)| {
            let probs = softmax_f64(logits);
            LensRow {
                depth,
                top: top_n(&probs, top),
                target: target.map(|id| TokenRank {
                    id,
                    rank: rank_of(logits, id as usize),
                    prob: probs[id as usize],
                }),
            }
        })
        .collect();
    let grid = (0..depths)
        .map(|d| {
            (0..n)
                .map(|p| (best_id[d * n + p], best[d * n + p]))
                .collect()
        })
        .collect();
    Ok(LogitLens {
        ids: ids.to_vec(),
        position,
        rows,
        grid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gpt::ForwardOptions;
    use crate::readback::block_on;
    use crate::testing::{TOKENS, tiny_model};
    use crate::trace::probe::ProbeRun;

    #[test]
    fn the_last_depth_is_the_models_own_prediction() {
        let model = tiny_model();
        let run = block_on(ProbeRun::run(&model, &TOKENS, &ForwardOptions::default())).unwrap();
        for position in [0, 4, TOKENS.len() - 1] {
            let lens = block_on(logit_lens(&model, &TOKENS, position, Some(5), 11)).unwrap();
            assert_eq!(lens.rows.len(), model.n_layer() + 1);
            let last = lens.rows.last().unwrap();
            let probs = softmax_f64(run.row(position));
            for &(id, p) in &last.top {
                assert!((p - probs[id as usize]).abs() < 1e-6, "token {id}: {p}");
            }
            assert_eq!(last.top.len(), 11);
            let target = last.target.as_ref().unwrap();
            assert_eq!(target.rank, rank_of(run.row(position), 5));
            // The grid's top-1 at the last depth is the model's argmax everywhere.
            for (p, &(id, prob)) in lens.grid[model.n_layer()].iter().enumerate() {
                let probs = softmax_f64(run.row(p));
                assert_eq!(id, top_n(&probs, 1)[0].0);
                assert!((prob - probs[id as usize]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn earlier_depths_differ_and_are_distributions() {
        let model = tiny_model();
        let lens = block_on(logit_lens(&model, &TOKENS, 8, None, 11)).unwrap();
        for row in &lens.rows {
            let total: f32 = row.top.iter().map(|(_, p)| p).sum();
            assert!((total - 1.0).abs() < 1e-5);
        }
        assert_ne!(lens.rows[0].top, lens.rows[2].top);
        assert_eq!(lens.grid.len(), 3);
        assert!(lens.grid.iter().all(|row| row.len() == TOKENS.len()));
    }

    #[test]
    fn refuses_empty_and_overlong_texts() {
        let model = tiny_model();
        assert!(block_on(logit_lens(&model, &[], 0, None, 5)).is_err());
        let long = vec![1u32; 13];
        let err = block_on(logit_lens(&model, &long, 0, None, 5)).unwrap_err();
        assert!(err.to_string().contains("at most 12"), "{err}");
        let err = block_on(logit_lens(&model, &[3, 11], 0, None, 5)).unwrap_err();
        assert!(
            err.to_string().contains("outside the model's vocabulary"),
            "{err}"
        );
    }
}
