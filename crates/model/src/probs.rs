//! Math on one row of logits or probabilities (f32 values, f64 sums where precision needs it):
//! softmax, log-softmax, entropy, KL divergence, rankings and the next-token loss. Decoding and
//! every analysis share these.

/// Numerically stable softmax, f32 values with an f64 normaliser (see `log_softmax`); `-inf`
/// logits get probability 0, and a row with no finite logit is uniform (never NaN).
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return vec![1.0 / logits.len() as f32; logits.len()];
    }
    // NaN (a broken model's output) counts as -inf.
    let exps: Vec<f32> = logits
        .iter()
        .map(|&l| if l.is_nan() { 0.0 } else { (l - max).exp() })
        .collect();
    let sum: f64 = exps.iter().map(|&e| e as f64).sum();
    exps.into_iter().map(|e| (e as f64 / sum) as f32).collect()
}

/// Log-probabilities; the normaliser is summed in f64 (a plain f32 sum over GPT-2's 50,257 tokens
/// drifts by ~1e-4, more than `transformers`' pairwise-summed float32 result).
pub fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| ((l - max) as f64).exp()).sum();
    let log_sum = sum.ln() as f32;
    logits.iter().map(|&l| l - max - log_sum).collect()
}

/// Index of the largest value; the first one on ties (as `argmax` in PyTorch).
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold(0, |best, (i, &v)| if v > values[best] { i } else { best })
}

/// Shannon entropy in nats.
pub fn entropy(probs: &[f32]) -> f32 {
    probs
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -p * p.ln())
        .sum()
}

/// The `n` largest values as `(id, value)`, largest first, ties by id.
pub fn top_n(values: &[f32], n: usize) -> Vec<(u32, f32)> {
    ranked(values)
        .into_iter()
        .take(n)
        .map(|id| (id as u32, values[id]))
        .collect()
}

/// Rank of `id` among `values` in the order of `top_n` (0 = the largest).
pub fn rank_of(values: &[f32], id: usize) -> usize {
    let v = values[id];
    values
        .iter()
        .enumerate()
        .filter(|&(i, &w)| w > v || (w == v && i < id))
        .count()
}

/// Mean cross-entropy (nats) of predicting `ids[t + 1]` from row `t` of `logits` (`[time, vocab]`,
/// row-major) for every row that has a next token; `None` when there is none.
pub fn mean_next_token_loss(logits: &[f32], vocab: usize, ids: &[u32]) -> Option<f32> {
    let n = ids.len().saturating_sub(1).min(logits.len() / vocab);
    (n > 0).then(|| {
        let total: f64 = (0..n)
            .map(|t| -log_softmax(&logits[t * vocab..(t + 1) * vocab])[ids[t + 1] as usize] as f64)
            .sum();
        (total / n as f64) as f32
    })
}

/// KL(P‖Q) in nats between the softmaxes of two logit vectors, summed in f64.
pub fn kl_divergence(p_logits: &[f32], q_logits: &[f32]) -> f32 {
    let (log_p, log_q) = (log_softmax(p_logits), log_softmax(q_logits));
    log_p
        .iter()
        .zip(&log_q)
        .filter(|(lp, _)| lp.is_finite())
        .map(|(&lp, &lq)| (lp as f64).exp() * (lp as f64 - lq as f64))
        .sum::<f64>()
        .max(0.0) as f32
}

/// Ids sorted by value, largest first, ties by id.
pub fn ranked(values: &[f32]) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..values.len()).collect();
    ids.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGITS: [f32; 6] = [2.0, 1.0, 0.5, 3.0, -1.0, 0.0];

    #[test]
    fn softmax_sums_to_one_and_orders_like_logits() {
        let p = softmax(&LOGITS);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(argmax(&p), 3);
        let lp = log_softmax(&LOGITS);
        for (a, b) in p.iter().zip(&lp) {
            assert!((a.ln() - b).abs() < 1e-5);
        }
    }
}
