//! Token streams for training: a train/validation split and seeded batches.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{GlassboxError, Result};

/// Which part of a [`Corpus`] a batch comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The first 90%: what the optimiser learns from.
    Train,
    /// The last 10%: held out to measure the loss on text the model has not trained on.
    Validation,
}

/// A tokenised corpus: the last 10% by position is validation.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Token ids of the training part.
    pub train: Vec<u32>,
    /// Token ids of the validation part.
    pub validation: Vec<u32>,
}

/// Input and target token rows of one batch (`targets` is `inputs` shifted by one).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// `[batch][time]`: the windows the model reads.
    pub inputs: Vec<Vec<u32>>,
    /// `[batch][time]`: the token after each input position.
    pub targets: Vec<Vec<u32>>,
}

impl Corpus {
    /// Share of the tokens held out for validation.
    pub const VALIDATION_FRACTION: f64 = 0.1;

    /// Splits `tokens`; both parts must hold at least one window of `context + 1` tokens.
    pub fn split(tokens: Vec<u32>, context: usize) -> Result<Self> {
        let n_val = (tokens.len() as f64 * Self::VALIDATION_FRACTION).round() as usize;
        let needed = context + 1;
        if n_val < needed || tokens.len() - n_val < needed {
            return Err(GlassboxError::Data(format!(
                "the corpus has {} tokens; with a context of {context} it needs at least {} (10% of it is held out for validation)",
                tokens.len(),
                needed * 10
            )));
        }
        let mut train = tokens;
        let validation = train.split_off(train.len() - n_val);
        Ok(Self { train, validation })
    }

    /// The token ids of one part.
    pub fn tokens(&self, split: Split) -> &[u32] {
        match split {
            Split::Train => &self.train,
            Split::Validation => &self.validation,
        }
    }

    /// `batch_size` random windows; the same `seed` gives the same batch.
    pub fn random_batch(
        &self,
        split: Split,
        batch_size: usize,
        context: usize,
        seed: u64,
    ) -> Batch {
        let tokens = self.tokens(split);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let starts: Vec<usize> = (0..batch_size)
            .map(|_| rng.random_range(0..tokens.len() - context))
            .collect();
        window_batch(tokens, &starts, context)
    }

    /// Consecutive non-overlapping windows covering the split (the tail shorter than a window is
    /// dropped), grouped in batches: every position is predicted exactly once.
    pub fn sequential_batches(
        &self,
        split: Split,
        batch_size: usize,
        context: usize,
    ) -> Vec<Batch> {
        let tokens = self.tokens(split);
        let starts: Vec<usize> = (0..(tokens.len() - 1) / context)
            .map(|w| w * context)
            .collect();
        starts
            .chunks(batch_size)
            .map(|chunk| window_batch(tokens, chunk, context))
            .collect()
    }
}

fn window_batch(tokens: &[u32], starts: &[usize], context: usize) -> Batch {
    Batch {
        inputs: starts
            .iter()
            .map(|&s| tokens[s..s + context].to_vec())
            .collect(),
        targets: starts
            .iter()
            .map(|&s| tokens[s + 1..s + context + 1].to_vec())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_tenth_is_validation() {
        let corpus = Corpus::split((0..1000).collect(), 8).unwrap();
        assert_eq!(corpus.train.len(), 900);
        assert_eq!(corpus.validation[0], 900);
    }

    #[test]
    fn too_short_corpus_is_refused() {
        let err = Corpus::split((0..5).collect(), 8).unwrap_err();
        assert!(err.to_string().contains("needs at least"), "{err}");
    }

    #[test]
    fn batches_are_seeded_and_shifted() {
        let corpus = Corpus::split((0..1000).collect(), 8).unwrap();
        let a = corpus.random_batch(Split::Train, 4, 8, 3);
        assert_eq!(a, corpus.random_batch(Split::Train, 4, 8, 3));
        assert_ne!(a, corpus.random_batch(Split::Train, 4, 8, 4));
        for (x, y) in a.inputs.iter().zip(&a.targets) {
            assert_eq!(&x[1..], &y[..7]);
            assert_eq!(y[7], x[7] + 1);
        }
    }

    #[test]
    fn sequential_batches_cover_each_position_once() {
        let corpus = Corpus::split((0..1000).collect(), 8).unwrap();
        let batches = corpus.sequential_batches(Split::Validation, 5, 8);
        let targets: Vec<u32> = batches
            .iter()
            .flat_map(|b| b.targets.iter().flatten().copied())
            .collect();
        assert_eq!(targets, (901..997).collect::<Vec<u32>>());
    }
}
