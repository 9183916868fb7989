//! Decoding transforms on one next-token distribution: pure functions of the logits, so a UI can
//! show every stage and re-render them when a control changes, without another forward pass.
//! Order and rules follow Hugging Face `transformers`: temperature → top-k → top-p → softmax.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::GptConfig;
use crate::limits::{self, Budget};
use crate::probs::{argmax, entropy, ranked, softmax};

/// How the next token is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The most likely token.
    #[default]
    Greedy,
    /// A draw from the distribution after temperature, top-k and top-p.
    Sample,
    /// Beam search: the best-scoring of `beam_width` sequences grown side by side.
    Beam,
}

impl Strategy {
    /// The strategy called `name` (`greedy`, `sample`, `beam`); the refusal lists them.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "greedy" => Ok(Strategy::Greedy),
            "sample" => Ok(Strategy::Sample),
            "beam" => Ok(Strategy::Beam),
            other => Err(format!(
                "unknown strategy `{other}` (known: greedy, sample, beam)"
            )),
        }
    }

    /// The lower-case name [`Strategy::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Greedy => "greedy",
            Strategy::Sample => "sample",
            Strategy::Beam => "beam",
        }
    }
}

/// Every decoding control. `top_k = 0` and `top_p = 1` switch those filters off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeSettings {
    /// Greedy, sampling or beam search.
    pub strategy: Strategy,
    /// Divides the logits before the softmax: below 1 sharpens, above 1 flattens; 0 is greedy.
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set of most likely tokens whose probability reaches `top_p` (1: all).
    pub top_p: f32,
    /// Beams kept side by side (beam search only).
    pub beam_width: usize,
    /// Exponent of the length in a finished beam's score `sum_logprob / n_new ^ length_penalty`:
    /// above 0 favours longer sequences (beam search only).
    pub length_penalty: f32,
    /// Seed of the sampling draws (step `i` draws [`step_uniform`]`(seed, i)`).
    pub seed: u64,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        Self {
            strategy: Strategy::Greedy,
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            beam_width: 4,
            length_penalty: 1.0,
            seed: 0,
        }
    }
}

impl DecodeSettings {
    /// Checks every control is in range, naming the one that is not.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            return Err(format!(
                "temperature must be a number ≥ 0 (got {})",
                self.temperature
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(format!("top-p must be in (0, 1] (got {})", self.top_p));
        }
        if self.strategy == Strategy::Beam
            && !(1..=crate::ceilings::MAX_BEAM_WIDTH).contains(&self.beam_width)
        {
            return Err(format!(
                "beam width is {}; it must be from 1 to {}",
                crate::units::format_count(self.beam_width),
                crate::ceilings::MAX_BEAM_WIDTH
            ));
        }
        if !self.length_penalty.is_finite() {
            return Err(format!(
                "the length penalty must be a number (got {})",
                self.length_penalty
            ));
        }
        Ok(())
    }

    /// Sequences one step runs through the model: the beams, or one.
    pub fn rows(&self) -> usize {
        match self.strategy {
            Strategy::Beam => self.beam_width,
            Strategy::Greedy | Strategy::Sample => 1,
        }
    }

    /// Whether these settings are valid and their next step over a `window`-token window fits
    /// `budget` beside `copies` copies of `config`'s weights.
    pub fn check_step(
        &self,
        config: &GptConfig,
        window: usize,
        copies: f64,
        budget: Budget,
    ) -> Result<(), String> {
        self.validate()?;
        limits::check_step(self.rows(), config, window, copies, budget)
    }
}

/// Keeps exactly the `k` largest logits (ties broken by id); `k = 0` or `k ≥ len` keeps all.
pub fn top_k_keep(logits: &[f32], k: usize) -> Vec<bool> {
    if k == 0 || k >= logits.len() {
        return vec![true; logits.len()];
    }
    let mut keep = vec![false; logits.len()];
    for id in ranked(logits).into_iter().take(k) {
        keep[id] = true;
    }
    keep
}

/// Nucleus filter, Hugging Face's rule: sort ascending, drop every token whose cumulative
/// probability is ≤ 1 − p; the most likely token always stays.
pub fn top_p_keep(logits: &[f32], top_p: f32) -> Vec<bool> {
    if top_p >= 1.0 {
        return vec![true; logits.len()];
    }
    let probs = softmax(logits);
    let mut ascending = ranked(logits);
    ascending.reverse();
    let mut keep = vec![true; logits.len()];
    let mut cumulative = 0.0f32;
    for &id in &ascending[..ascending.len() - 1] {
        cumulative += probs[id];
        if cumulative <= 1.0 - top_p {
            keep[id] = false;
        } else {
            break;
        }
    }
    keep
}

/// `logits / temperature` (in f64, rounded once: the same as f32 division). Where that overflows
/// f32 (a tiny temperature), the logits are first shifted so the largest is 0: the others then go
/// to -inf instead of every logit to ±inf (and inf - inf is NaN in the softmax).
fn tempered_logits(logits: &[f32], max: f32, temperature: f32) -> Vec<f32> {
    let t = temperature as f64;
    let fits = logits
        .iter()
        .all(|&l| !l.is_finite() || (l as f64 / t).abs() <= f32::MAX as f64);
    let shift = if fits { 0.0 } else { max as f64 };
    logits
        .iter()
        .map(|&l| ((l as f64 - shift) / t) as f32)
        .collect()
}

/// One next-token distribution at every stage of the decoding pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeStages {
    /// softmax(logits): what the model itself says.
    pub raw_probs: Vec<f32>,
    /// softmax(logits / T) before any token is cut.
    pub tempered_probs: Vec<f32>,
    /// Per token, whether top-k cut it.
    pub cut_by_top_k: Vec<bool>,
    /// Per token, whether top-p cut it (of those top-k kept).
    pub cut_by_top_p: Vec<bool>,
    /// The distribution sampling draws from (0 for cut tokens).
    pub probs: Vec<f32>,
}

/// One row of a candidate list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The token.
    pub id: u32,
    /// Its logit.
    pub logit: f32,
    /// Its probability under the model's own distribution.
    pub raw_prob: f32,
    /// Its probability after temperature, top-k and top-p (0 when excluded).
    pub prob: f32,
    /// Cut by top-k or top-p.
    pub excluded: bool,
    /// Excluded by top-k (else, when excluded, by top-p).
    pub cut_by_top_k: bool,
}

/// The candidate list of one step, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateSummary {
    /// The most likely tokens under the raw distribution, most likely first.
    pub top: Vec<Candidate>,
    /// Raw probability of every token outside `top`.
    pub rest_raw_prob: f32,
    /// The same after the transforms.
    pub rest_prob: f32,
    /// Entropy (nats) of the raw distribution.
    pub raw_entropy: f32,
    /// Entropy (nats) of the distribution sampling draws from.
    pub entropy: f32,
    /// Tokens left after top-k and top-p.
    pub kept: usize,
}

impl DecodeStages {
    /// Every stage for `logits` under `settings`.
    pub fn new(logits: &[f32], settings: &DecodeSettings) -> Self {
        let raw_probs = softmax(logits);
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // Temperature 0 is the greedy limit: all mass on the argmax.
        let tempered: Vec<f32> = if settings.temperature > 0.0 && max.is_finite() {
            tempered_logits(logits, max, settings.temperature)
        } else {
            let best = argmax(logits);
            (0..logits.len())
                .map(|i| if i == best { 0.0 } else { f32::NEG_INFINITY })
                .collect()
        };
        let tempered_probs = softmax(&tempered);
        let kept_k = top_k_keep(&tempered, settings.top_k);
        let after_k: Vec<f32> = tempered
            .iter()
            .zip(&kept_k)
            .map(|(&l, &k)| if k { l } else { f32::NEG_INFINITY })
            .collect();
        let kept_p = top_p_keep(&after_k, settings.top_p);
        let filtered: Vec<f32> = after_k
            .iter()
            .zip(&kept_p)
            .map(|(&l, &k)| if k { l } else { f32::NEG_INFINITY })
            .collect();
        Self {
            raw_probs,
            tempered_probs,
            cut_by_top_k: kept_k.iter().map(|k| !k).collect(),
            cut_by_top_p: kept_k.iter().zip(&kept_p).map(|(&k, &p)| k && !p).collect(),
            probs: softmax(&filtered),
        }
    }

    /// Whether top-k or top-p cut token `id`.
    pub fn is_excluded(&self, id: usize) -> bool {
        self.cut_by_top_k[id] || self.cut_by_top_p[id]
    }

    /// Tokens left after top-k and top-p.
    pub fn kept_count(&self) -> usize {
        (0..self.probs.len())
            .filter(|&i| !self.is_excluded(i))
            .count()
    }

    /// Every token sampling can draw, as `(id, prob)`: most likely first, ties by id.
    pub fn nonzero(&self) -> Vec<(u32, f32)> {
        ranked(&self.probs)
            .into_iter()
            .filter(|&id| self.probs[id] > 0.0)
            .map(|id| (id as u32, self.probs[id]))
            .collect()
    }

    /// The `n` most likely tokens under the raw distribution.
    pub fn top(&self, logits: &[f32], n: usize) -> Vec<Candidate> {
        ranked(&self.raw_probs)
            .into_iter()
            .take(n)
            .map(|id| Candidate {
                id: id as u32,
                logit: logits[id],
                raw_prob: self.raw_probs[id],
                prob: self.probs[id],
                excluded: self.is_excluded(id),
                cut_by_top_k: self.cut_by_top_k[id],
            })
            .collect()
    }

    /// What a candidate panel shows: the `n` most likely tokens, the mass of all the others
    /// (before and after the transforms) and both entropies.
    pub fn summary(&self, logits: &[f32], n: usize) -> CandidateSummary {
        let top = self.top(logits, n);
        let shown: std::collections::HashSet<u32> = top.iter().map(|c| c.id).collect();
        let rest = |probs: &[f32]| -> f32 {
            (0..probs.len())
                .filter(|id| !shown.contains(&(*id as u32)))
                .map(|id| probs[id])
                .sum()
        };
        CandidateSummary {
            rest_raw_prob: rest(&self.raw_probs),
            rest_prob: rest(&self.probs),
            raw_entropy: entropy(&self.raw_probs),
            entropy: entropy(&self.probs),
            kept: self.kept_count(),
            top,
        }
    }

    /// Draws from `probs` with the uniform number `u ∈ [0, 1)`.
    pub fn sample_with(&self, u: f32) -> usize {
        let mut cumulative = 0.0;
        let mut last_kept = argmax(&self.probs);
        for (id, &p) in self.probs.iter().enumerate() {
            if p > 0.0 {
                cumulative += p;
                last_kept = id;
                if u < cumulative {
                    return id;
                }
            }
        }
        last_kept // float rounding left u above the total
    }
}

/// The uniform draw for generation step `step`: a function of (seed, step) alone, so going back
/// and stepping again picks the same token, and the browser draws what the CLI draws.
pub fn step_uniform(seed: u64, step: usize) -> f32 {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.random::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceilings::MAX_BEAM_WIDTH;

    /// No temperature, top-p or top-k a user can ask for puts a non-finite number on screen.
    #[test]
    fn every_setting_gives_finite_probabilities_and_tiny_temperatures_are_greedy() {
        let logits: Vec<f32> = (0..300)
            .map(|i| ((i * 37) % 300) as f32 * 0.05 - 7.0)
            .collect();
        let best = argmax(&logits);
        let temperatures = [
            1e-45, 1e-40, 1e-30, 1e-10, 1e-3, 0.0, 0.5, 1.0, 2.0, 1e3, 1e6, 3.4e38,
        ];
        for temperature in temperatures {
            for top_p in [1e-9, 0.5, 0.999_999, 1.0] {
                for top_k in [0, 1, 2, logits.len() - 1, logits.len(), logits.len() + 5] {
                    let settings = DecodeSettings {
                        strategy: Strategy::Sample,
                        temperature,
                        top_k,
                        top_p,
                        ..Default::default()
                    };
                    assert!(settings.validate().is_ok());
                    let d = DecodeStages::new(&logits, &settings);
                    let case = format!("T={temperature} p={top_p} k={top_k}");
                    for probs in [&d.raw_probs, &d.tempered_probs, &d.probs] {
                        assert!(probs.iter().all(|p| p.is_finite() && *p >= 0.0), "{case}");
                        let sum: f32 = probs.iter().sum();
                        assert!((sum - 1.0).abs() < 1e-3, "{case}: sums to {sum}");
                    }
                    let summary = d.summary(&logits, 20);
                    assert!(summary.entropy.is_finite() && summary.raw_entropy.is_finite());
                    assert!(summary.rest_prob.is_finite() && summary.rest_raw_prob.is_finite());
                    assert!(summary.kept >= 1, "{case}");
                    let drawn = d.sample_with(0.999);
                    assert!(d.probs[drawn] > 0.0, "{case}: drew a cut token");
                    if temperature < 1e-10 {
                        assert_eq!(d.probs[best], 1.0, "{case}: greedy in the limit");
                    }
                }
            }
        }
    }

    #[test]
    fn broken_logits_never_give_nan() {
        for logits in [
            vec![f32::NAN, 1.0, 2.0],
            vec![f32::NEG_INFINITY; 3],
            vec![f32::INFINITY, 0.0, f32::NEG_INFINITY],
            vec![f32::NAN; 3],
        ] {
            for temperature in [0.0, 1e-40, 1.0] {
                let settings = DecodeSettings {
                    temperature,
                    ..Default::default()
                };
                let d = DecodeStages::new(&logits, &settings);
                for probs in [&d.raw_probs, &d.tempered_probs, &d.probs] {
                    assert!(
                        probs.iter().all(|p| p.is_finite()),
                        "{logits:?} T={temperature}: {probs:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn beam_width_and_length_penalty_are_bounded() {
        let beam = |beam_width| DecodeSettings {
            strategy: Strategy::Beam,
            beam_width,
            ..Default::default()
        };
        assert!(beam(0).validate().is_err());
        assert!(beam(crate::ceilings::MAX_BEAM_WIDTH).validate().is_ok());
        let err = beam(10_000).validate().unwrap_err();
        assert!(err.contains("10,000") && err.contains("64"), "{err}");
        let nan_penalty = DecodeSettings {
            length_penalty: f32::NAN,
            ..beam(4)
        };
        assert!(nan_penalty.validate().is_err());
    }

    const LOGITS: [f32; 6] = [2.0, 1.0, 0.5, 3.0, -1.0, 0.0];

    fn settings(temperature: f32, top_k: usize, top_p: f32) -> DecodeSettings {
        DecodeSettings {
            temperature,
            top_k,
            top_p,
            ..Default::default()
        }
    }

    #[test]
    fn top_k_keeps_exactly_k() {
        for k in 1..LOGITS.len() {
            let d = DecodeStages::new(&LOGITS, &settings(1.0, k, 1.0));
            assert_eq!(d.kept_count(), k);
            assert_eq!(d.probs.iter().filter(|&&p| p > 0.0).count(), k);
            assert!((d.probs.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // The kept ones are the largest.
        let keep = top_k_keep(&LOGITS, 2);
        assert_eq!(keep, vec![true, false, false, true, false, false]);
    }

    #[test]
    fn top_p_keeps_the_minimal_nucleus() {
        let probs = softmax(&LOGITS);
        let mut sorted = probs.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        for p in [0.3f32, 0.5, 0.7, 0.9, 0.95, 0.99] {
            let keep = top_p_keep(&LOGITS, p);
            let n = keep.iter().filter(|&&k| k).count();
            let mass: f32 = sorted[..n].iter().sum();
            assert!(mass >= p - 1e-6, "p={p}: kept mass {mass}");
            let smaller: f32 = sorted[..n - 1].iter().sum();
            assert!(smaller < p, "p={p}: a smaller nucleus would do");
        }
        // Even a tiny p keeps the most likely token.
        assert_eq!(top_p_keep(&LOGITS, 1e-6).iter().filter(|&&k| k).count(), 1);
    }

    #[test]
    fn temperature_to_zero_approaches_greedy() {
        let cold = DecodeStages::new(&LOGITS, &settings(0.01, 0, 1.0));
        assert!(cold.probs[3] > 0.999);
        let zero = DecodeStages::new(&LOGITS, &settings(0.0, 0, 1.0));
        assert_eq!(zero.probs[3], 1.0);
        let hot = DecodeStages::new(&LOGITS, &settings(5.0, 0, 1.0));
        assert!(entropy(&hot.probs) > entropy(&softmax(&LOGITS)));
    }

    #[test]
    fn summary_accounts_for_all_mass() {
        let d = DecodeStages::new(&LOGITS, &settings(2.0, 3, 1.0));
        let s = d.summary(&LOGITS, 4);
        assert_eq!(s.top.len(), 4);
        let shown_raw: f32 = s.top.iter().map(|c| c.raw_prob).sum();
        let shown: f32 = s.top.iter().map(|c| c.prob).sum();
        assert!((shown_raw + s.rest_raw_prob - 1.0).abs() < 1e-6);
        assert!((shown + s.rest_prob - 1.0).abs() < 1e-6);
        assert_eq!(s.kept, 3);
        assert!(s.top.iter().filter(|c| c.excluded).all(|c| c.prob == 0.0));
        assert!(s.entropy < s.raw_entropy, "top-3 cuts the tail");
    }

    #[test]
    fn same_seed_same_sample() {
        let d = DecodeStages::new(&LOGITS, &settings(1.0, 0, 1.0));
        let draws: Vec<usize> = (0..50).map(|s| d.sample_with(step_uniform(7, s))).collect();
        let again: Vec<usize> = (0..50).map(|s| d.sample_with(step_uniform(7, s))).collect();
        assert_eq!(draws, again);
        let other: Vec<usize> = (0..50).map(|s| d.sample_with(step_uniform(8, s))).collect();
        assert_ne!(draws, other);
        // Every token with mass gets drawn sometimes; excluded ones never.
        let filtered = DecodeStages::new(&LOGITS, &settings(1.0, 2, 1.0));
        for s in 0..200 {
            let id = filtered.sample_with(step_uniform(1, s));
            assert!(id == 0 || id == 3);
        }
    }

    #[test]
    fn a_step_is_bounded_by_memory_and_the_beam_width_by_the_ceiling() {
        let gpt2 = GptConfig::new(50257, 1024, 12, 12, 768);
        let beams = |width| DecodeSettings {
            strategy: Strategy::Beam,
            beam_width: width,
            ..Default::default()
        };
        let tab = Budget::BROWSER_TAB;
        let err = beams(10_000).check_step(&gpt2, 16, 2.0, tab).unwrap_err();
        assert!(err.contains("beam width"), "the ceiling first: {err}");
        let err = beams(60).check_step(&gpt2, 512, 2.0, tab).unwrap_err();
        assert!(err.contains("60 beams") && err.contains("at most"), "{err}");
        assert!(beams(4).check_step(&gpt2, 16, 2.0, tab).is_ok());
        let shipped = GptConfig::new(84, 128, 4, 4, 128);
        assert!(
            beams(MAX_BEAM_WIDTH)
                .check_step(&shipped, 128, 2.0, tab)
                .is_ok()
        );
        let greedy = DecodeSettings {
            beam_width: 10_000,
            ..Default::default()
        };
        assert!(
            greedy.check_step(&gpt2, 16, 2.0, tab).is_ok(),
            "the width matters only to beam search"
        );
        let huge = GptConfig::new(50257, 32768, 24, 16, 1024);
        let err = greedy.check_step(&huge, 32768, 2.0, tab).unwrap_err();
        assert!(
            err.contains("32,768 tokens") && err.contains("Reset"),
            "{err}"
        );
    }
}
