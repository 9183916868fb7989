//! Head diversity: how differently the heads attend to the same text, and the patterns some of
//! them settle into. Heads start from random weights; only the loss pushes them apart.

use serde::{Deserialize, Serialize};

use crate::trace::attention_map::AttentionMatrix;

/// Queries compared per pair of heads: the last ones of the window (the cost grows with the
/// square of the heads, times queries × keys).
pub const MAX_QUERIES: usize = 64;

/// Jensen–Shannon distance (the square root of the divergence, in bits) between two distributions
/// given unnormalised: 0 for identical, 1 for disjoint.
pub fn js_distance(p: &[f32], q: &[f32]) -> f32 {
    let (sp, sq): (f64, f64) = (
        p.iter().map(|&x| x as f64).sum(),
        q.iter().map(|&x| x as f64).sum(),
    );
    if sp <= 0.0 || sq <= 0.0 {
        return 0.0;
    }
    let term = |a: f64, m: f64| if a > 0.0 { a * (a / m).log2() } else { 0.0 };
    let divergence: f64 = p
        .iter()
        .zip(q)
        .map(|(&a, &b)| {
            let (a, b) = (a as f64 / sp, b as f64 / sq);
            let m = 0.5 * (a + b);
            0.5 * term(a, m) + 0.5 * term(b, m)
        })
        .sum();
    divergence.clamp(0.0, 1.0).sqrt() as f32
}

/// Mean Jensen–Shannon distance between the attention patterns of every pair of heads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadSimilarity {
    /// Blocks compared.
    pub n_layer: usize,
    /// Heads per block.
    pub n_head: usize,
    /// `[a][b]` over heads numbered `layer · n_head + head`, symmetric, 0 on the diagonal.
    pub distance: Vec<f32>,
}

/// The mean Jensen–Shannon distance between heads `a` and `b` (numbered `layer · n_head + head`)
/// over the last `MAX_QUERIES` query rows.
fn pair_distance(attention: &AttentionMatrix, a: usize, b: usize) -> f32 {
    let size = attention.size;
    let queries = size.saturating_sub(MAX_QUERIES)..size;
    let row = |h: usize, q: usize| {
        let start = (h * size + q) * size;
        &attention.data[start..start + q + 1]
    };
    let total: f32 = queries
        .clone()
        .map(|q| js_distance(row(a, q), row(b, q)))
        .sum();
    total / queries.len().max(1) as f32
}

/// The mean distance between two different heads of the same layer (0 with one head): how
/// diverse the heads are, in one number (what the Train view plots over a run).
pub fn mean_within_layer_distance(attention: &AttentionMatrix) -> f32 {
    let n = attention.n_head;
    let pairs: Vec<f32> = (0..attention.n_layer)
        .flat_map(|l| (0..n).flat_map(move |a| (a + 1..n).map(move |b| (l * n + a, l * n + b))))
        .map(|(a, b)| pair_distance(attention, a, b))
        .collect();
    if pairs.is_empty() {
        0.0
    } else {
        pairs.iter().sum::<f32>() / pairs.len() as f32
    }
}

impl HeadSimilarity {
    /// Compares every pair of heads over the last `MAX_QUERIES` query rows of `attention`.
    pub fn of(attention: &AttentionMatrix) -> Self {
        let heads = attention.n_layer * attention.n_head;
        let mut distance = vec![0.0f32; heads * heads];
        for a in 0..heads {
            for b in a + 1..heads {
                let mean = pair_distance(attention, a, b);
                distance[a * heads + b] = mean;
                distance[b * heads + a] = mean;
            }
        }
        Self {
            n_layer: attention.n_layer,
            n_head: attention.n_head,
            distance,
        }
    }

    /// The distance between heads `a` and `b`, each given as `(layer, head)`.
    pub fn get(&self, a: (usize, usize), b: (usize, usize)) -> f32 {
        let heads = self.n_layer * self.n_head;
        self.distance[(a.0 * self.n_head + a.1) * heads + b.0 * self.n_head + b.1]
    }
}

/// Attention patterns simple enough to recognise by where the weight goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeadPattern {
    /// The token just before.
    PreviousToken,
    /// The query's own position.
    CurrentToken,
    /// The first token of the window (often a resting place when nothing else matters).
    FirstToken,
    /// Earlier occurrences of the query's own token.
    SameTokenEarlier,
    /// The token that followed an earlier occurrence of the query's own token: what an induction
    /// head reads to continue a repeated sequence.
    Induction,
}

impl HeadPattern {
    /// Every pattern, in the order they are listed.
    pub const ALL: [HeadPattern; 5] = [
        HeadPattern::PreviousToken,
        HeadPattern::CurrentToken,
        HeadPattern::FirstToken,
        HeadPattern::SameTokenEarlier,
        HeadPattern::Induction,
    ];

    /// A short name for a legend: "previous token", "itself".
    pub fn label(self) -> &'static str {
        match self {
            HeadPattern::PreviousToken => "previous token",
            HeadPattern::CurrentToken => "itself",
            HeadPattern::FirstToken => "first token",
            HeadPattern::SameTokenEarlier => "same token earlier",
            HeadPattern::Induction => "induction",
        }
    }

    /// The keys this pattern attends to from `query`, or `None` where the query says nothing
    /// about it (the first two positions, where "previous", "first" and "itself" coincide; a
    /// token with no earlier copy).
    fn keys(self, ids: &[u32], query: usize) -> Option<Vec<usize>> {
        if query < 2 {
            return None;
        }
        match self {
            HeadPattern::PreviousToken => Some(vec![query - 1]),
            HeadPattern::CurrentToken => Some(vec![query]),
            HeadPattern::FirstToken => Some(vec![0]),
            HeadPattern::SameTokenEarlier => {
                let keys: Vec<usize> = (0..query).filter(|&k| ids[k] == ids[query]).collect();
                (!keys.is_empty()).then_some(keys)
            }
            // The token after each earlier copy, itself earlier than the query's neighbour (so
            // the pattern never coincides with "previous token" or "itself").
            HeadPattern::Induction => {
                let keys: Vec<usize> = (0..query.saturating_sub(2))
                    .filter(|&k| ids[k] == ids[query])
                    .map(|k| k + 1)
                    .collect();
                (!keys.is_empty()).then_some(keys)
            }
        }
    }
}

/// A head is labelled with a pattern when, averaged over the positions the pattern applies to,
/// at least this share of its attention goes where the pattern says.
pub const PATTERN_THRESHOLD: f32 = 0.5;

/// How much of head `(layer, head)`'s attention goes where `pattern` says, averaged over the
/// positions the pattern applies to (`None` where it applies to fewer than two). `ids` are the
/// window's tokens.
pub fn pattern_score(
    attention: &AttentionMatrix,
    layer: usize,
    head: usize,
    ids: &[u32],
    pattern: HeadPattern,
) -> Option<f32> {
    let size = attention.size.min(ids.len());
    let shares: Vec<f32> = (0..size)
        .filter_map(|q| {
            let keys = pattern.keys(ids, q)?;
            Some(keys.iter().map(|&k| attention.get(layer, head, q, k)).sum())
        })
        .collect();
    (shares.len() >= 2).then(|| shares.iter().sum::<f32>() / shares.len() as f32)
}

/// The pattern a head follows, with its score (mean attention share), if one reaches
/// `PATTERN_THRESHOLD` on at least two positions. `ids` are the window's tokens.
pub fn detect_pattern(
    attention: &AttentionMatrix,
    layer: usize,
    head: usize,
    ids: &[u32],
) -> Option<(HeadPattern, f32)> {
    HeadPattern::ALL
        .into_iter()
        .filter_map(|pattern| {
            pattern_score(attention, layer, head, ids, pattern).map(|score| (pattern, score))
        })
        .filter(|&(_, score)| score >= PATTERN_THRESHOLD)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One layer; head 0 attends to the previous token, head 1 to itself, head 2 to the first
    /// token, head 3 like head 0.
    fn patterned(size: usize) -> AttentionMatrix {
        let n_head = 4;
        let mut data = vec![0.0f32; n_head * size * size];
        for head in 0..n_head {
            for q in 0..size {
                let key = match head {
                    0 | 3 => q.saturating_sub(1),
                    1 => q,
                    _ => 0,
                };
                data[(head * size + q) * size + key] = 1.0;
            }
        }
        AttentionMatrix {
            n_layer: 1,
            n_head,
            size,
            data,
        }
    }

    #[test]
    fn js_distance_is_zero_for_equal_and_one_for_disjoint() {
        assert_eq!(js_distance(&[0.5, 0.5], &[1.0, 1.0]), 0.0);
        assert!((js_distance(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-6);
        let d = js_distance(&[0.7, 0.3], &[0.3, 0.7]);
        assert!(d > 0.0 && d < 1.0);
        assert_eq!(d, js_distance(&[0.3, 0.7], &[0.7, 0.3]));
    }

    #[test]
    fn similarity_matrix_is_symmetric_and_finds_twin_heads() {
        let similarity = HeadSimilarity::of(&patterned(6));
        assert_eq!(similarity.get((0, 0), (0, 3)), 0.0);
        assert_eq!(similarity.get((0, 1), (0, 1)), 0.0);
        assert_eq!(
            similarity.get((0, 0), (0, 1)),
            similarity.get((0, 1), (0, 0))
        );
        // Previous token vs itself: disjoint everywhere but the first row, where both are key 0.
        assert!((similarity.get((0, 0), (0, 1)) - 5.0 / 6.0).abs() < 1e-6);
        let pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
        let expected: f32 = pairs
            .iter()
            .map(|&(a, b)| similarity.get((0, a), (0, b)))
            .sum::<f32>()
            / 6.0;
        assert!((mean_within_layer_distance(&patterned(6)) - expected).abs() < 1e-6);
    }

    #[test]
    fn detects_the_documented_patterns() {
        let attention = patterned(6);
        let ids = [1, 2, 3, 4, 5, 6];
        let found: Vec<_> = (0..4)
            .map(|h| detect_pattern(&attention, 0, h, &ids).map(|(p, _)| p))
            .collect();
        assert_eq!(
            found,
            [
                Some(HeadPattern::PreviousToken),
                Some(HeadPattern::CurrentToken),
                Some(HeadPattern::FirstToken),
                Some(HeadPattern::PreviousToken),
            ]
        );
        // A uniform head follows no pattern.
        let size = 6;
        let mut uniform = patterned(size);
        for q in 0..size {
            for k in 0..size {
                uniform.data[q * size + k] = if k <= q { 1.0 / (q + 1) as f32 } else { 0.0 };
            }
        }
        assert_eq!(detect_pattern(&uniform, 0, 0, &ids), None);
    }

    #[test]
    fn detects_attention_to_earlier_copies_of_the_same_token() {
        // Tokens a b c a b c: from each repeat, head 0 attends to the earlier copy.
        let ids = [1, 2, 3, 1, 2, 3];
        let size = ids.len();
        let mut data = vec![0.0f32; size * size];
        for q in 0..size {
            let key = if q >= 3 { q - 3 } else { q };
            data[q * size + key] = 1.0;
        }
        let attention = AttentionMatrix {
            n_layer: 1,
            n_head: 1,
            size,
            data,
        };
        let (pattern, score) = detect_pattern(&attention, 0, 0, &ids).unwrap();
        assert_eq!(pattern, HeadPattern::SameTokenEarlier);
        assert_eq!(score, 1.0);
    }

    #[test]
    fn detects_an_induction_head_on_a_repeated_sequence() {
        // a b c d a b c d: from the second copy, head 0 attends to the token after the first
        // copy of the query (what comes next); head 1 to the earlier copy itself.
        let ids = [1, 2, 3, 4, 1, 2, 3, 4];
        let size = ids.len();
        let mut data = vec![0.0f32; 2 * size * size];
        for q in 0..size {
            let (induction, same) = if q >= 4 { (q - 3, q - 4) } else { (q, q) };
            data[q * size + induction] = 1.0;
            data[(size + q) * size + same] = 1.0;
        }
        let attention = AttentionMatrix {
            n_layer: 1,
            n_head: 2,
            size,
            data,
        };
        let (pattern, score) = detect_pattern(&attention, 0, 0, &ids).unwrap();
        assert_eq!((pattern, score), (HeadPattern::Induction, 1.0));
        let (pattern, _) = detect_pattern(&attention, 0, 1, &ids).unwrap();
        assert_eq!(pattern, HeadPattern::SameTokenEarlier);
    }
}
