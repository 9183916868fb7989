//! The training loop on burn's optimizer API, one optimizer step per call so async browser code
//! can interleave it with rendering. Every batch is a function of (seed, step), so a paused or
//! resumed run follows exactly the curve of an uninterrupted one.

use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::{GlassboxError, Result};
use crate::nn::gpt::Gpt;
use crate::readback::read_floats;
use crate::train::data::{Batch, Corpus, Split};

/// What one optimizer step reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainMetrics {
    /// Steps completed, this one included.
    pub step: usize,
    /// The batch's mean next-token cross-entropy (nats), before the update.
    pub loss: f32,
    /// The learning rate the step used.
    pub learning_rate: f64,
    /// Tokens in the batch (`batch_size × context_length`).
    pub tokens: usize,
}

/// Mean next-token cross-entropy (nats) of `logits [batch, time, vocab]` against `targets [batch, time]`.
pub fn cross_entropy(logits: Tensor<3>, targets: Tensor<2, Int>) -> Tensor<1> {
    let [batch, time, vocab] = logits.dims();
    let log_probs = log_softmax(logits.reshape([batch * time, vocab]), 1);
    let picked = log_probs.gather(1, targets.reshape([batch * time, 1]));
    picked.mean().neg()
}

/// Mean loss of `model` on `batches`, weighting every predicted position equally.
pub async fn mean_loss(model: &Gpt, batches: &[Batch]) -> Result<f32> {
    let mut total = 0.0f64;
    let mut count = 0usize;
    for batch in batches {
        let n = batch.targets.len() * batch.targets[0].len();
        let loss = cross_entropy(
            model.forward(model.token_tensor(&batch.inputs)),
            model.token_tensor(&batch.targets),
        );
        total += read_floats(loss).await?[0] as f64 * n as f64;
        count += n;
    }
    Ok((total / count.max(1) as f64) as f32)
}

/// Loss value and parameter gradients of `model` on one batch.
async fn batch_loss_and_grads(model: &Gpt, batch: &Batch) -> Result<(f32, GradientsParams)> {
    let logits = model.forward(model.token_tensor(&batch.inputs));
    let loss = cross_entropy(logits, model.token_tensor(&batch.targets));
    let value = read_floats(loss.clone()).await?[0];
    Ok((value, GradientsParams::from_grads(loss.backward(), model)))
}

/// One training run's model, optimiser state, corpus and step count: [`Trainer::train_step`]
/// takes one optimiser step.
pub struct Trainer {
    /// The model on an autodiff device.
    model: Gpt,
    optimizer: ModuleOptimizer,
    /// The optimiser, schedule and batch settings of the run.
    pub config: TrainConfig,
    corpus: Corpus,
    validation: Vec<Batch>,
    step: usize,
    last_good: (Gpt, usize),
}

impl Trainer {
    /// `model` must live on an autodiff device (`device.autodiff()`).
    pub fn new(model: Gpt, corpus: Corpus, config: TrainConfig) -> Self {
        let context = model.context_length();
        let validation = (0..config.eval_batches)
            .map(|i| {
                corpus.random_batch(
                    Split::Validation,
                    config.batch_size,
                    context,
                    config.seed ^ 0x5EED_0000 ^ i as u64,
                )
            })
            .collect();
        let optimizer = AdamWConfig::new()
            .with_weight_decay(config.weight_decay)
            .with_beta_2(0.99)
            .with_epsilon(1e-8)
            .with_grad_clipping(Some(GradientClippingConfig::Norm(config.grad_clip)))
            .init();
        Self {
            last_good: (model.clone(), 0),
            model,
            optimizer,
            config,
            corpus,
            validation,
            step: 0,
        }
    }

    /// Continues a run from `step` (weights from a checkpoint, optimizer state if it was saved).
    pub fn resume_at(mut self, step: usize, optimizer_state: Option<Vec<u8>>) -> Result<Self> {
        if let Some(bytes) = optimizer_state {
            let device = self.model.device();
            self.optimizer = self
                .optimizer
                .from_bytes_on(burn::tensor::Bytes::from_bytes_vec(bytes), &device)
                .map_err(|e| GlassboxError::Checkpoint(format!("optimizer state: {e:?}")))?;
        }
        self.step = step;
        self.last_good.1 = step;
        Ok(self)
    }

    /// Optimiser steps completed.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The model being trained, without autodiff, for inference.
    pub fn model(&self) -> Gpt {
        self.model.valid()
    }

    /// AdamW's state as burnpack bytes, read asynchronously (WebGPU has no synchronous reads;
    /// the vendored burn-optim adds `to_record_async`).
    pub async fn optimizer_state(&self) -> Result<Vec<u8>> {
        let failed =
            |e: &dyn std::fmt::Debug| GlassboxError::Checkpoint(format!("optimizer state: {e:?}"));
        let record = self
            .optimizer
            .to_record_async()
            .await
            .map_err(|e| failed(&e))?;
        record
            .into_bytes()
            .map(|b| b.to_vec())
            .map_err(|e| failed(&e))
    }

    /// One optimizer step. A non-finite or exploding loss restores the weights of the last good
    /// step and returns [`GlassboxError::Diverged`].
    pub async fn train_step(&mut self) -> Result<TrainMetrics> {
        let context = self.model.context_length();
        let batch = self.corpus.random_batch(
            Split::Train,
            self.config.batch_size,
            context,
            self.config.seed.wrapping_add(self.step as u64),
        );
        let (loss_value, grads) = batch_loss_and_grads(&self.model, &batch).await?;
        // Four times the loss of a uniform guess is no longer learning.
        let exploding = loss_value > 4.0 * (self.model.vocab_size() as f32).ln().max(1.0);
        if !loss_value.is_finite() || exploding {
            let (model, last_good_step) = self.last_good.clone();
            self.model = model;
            self.step = last_good_step;
            return Err(GlassboxError::Diverged {
                step: self.step + 1,
                loss: loss_value,
                last_good_step,
            });
        }
        self.last_good = (self.model.clone(), self.step);

        let learning_rate = self.config.learning_rate_at(self.step);
        self.model = self
            .optimizer
            .step(learning_rate, self.model.clone(), grads);
        self.step += 1;
        Ok(TrainMetrics {
            step: self.step,
            loss: loss_value,
            learning_rate,
            tokens: batch.inputs.len() * context,
        })
    }

    /// Loss on the run's fixed validation batches.
    pub async fn validation_loss(&self) -> Result<f32> {
        mean_loss(&self.model.valid(), &self.validation).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GptConfig;
    use crate::readback::block_on;
    use crate::testing::max_diff;
    use crate::tokenize::{CharTokenizer, Tokenizer};
    use burn::tensor::Device;

    fn trainer(text: &str, learning_rate: f64) -> Trainer {
        let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus(text).unwrap());
        let config = GptConfig::new(tokenizer.vocab_size(), 16, 2, 2, 32);
        let device = Device::flex().autodiff();
        let corpus = Corpus::split(tokenizer.encode(text).unwrap(), 16).unwrap();
        let train = TrainConfig::new(200)
            .with_learning_rate(learning_rate)
            .with_warmup_steps(10)
            .with_batch_size(8)
            .with_eval_batches(2);
        Trainer::new(config.init_seeded(1, &device), corpus, train)
    }

    #[test]
    fn learns_a_repeated_string() {
        let mut trainer = trainer(&"the cat sat on the mat. ".repeat(60), 1e-2);
        let mut last = f32::INFINITY;
        for _ in 0..200 {
            last = block_on(trainer.train_step()).unwrap().loss;
        }
        assert!(last < 0.1, "loss after 200 steps: {last}");
        assert!(block_on(trainer.validation_loss()).unwrap() < 0.1);
    }

    #[test]
    fn fifty_steps_with_the_fused_kernels_follow_the_decomposed_curve() {
        let text = "to be or not to be, that is the question. ".repeat(30);
        let curve = |trainer: &mut Trainer| -> Vec<f32> {
            (0..50)
                .map(|_| block_on(trainer.train_step()).unwrap().loss)
                .collect()
        };
        let fused = curve(&mut trainer(&text, 3e-3));
        let decomposed = crate::kernels::decomposed(|| curve(&mut trainer(&text, 3e-3)));
        let gap = max_diff(&fused, &decomposed);
        assert!(gap < 1e-4, "the curves differ by {gap}");
        // And the run learned something, so the curve is not flat by accident.
        assert!(fused[49] < fused[0] - 0.5, "{fused:?}");
    }

    #[test]
    fn divergence_is_reported_and_last_good_weights_kept() {
        let mut trainer = trainer(&"abcdefghij".repeat(50), 1e4);
        let mut outcome = None;
        for _ in 0..50 {
            if let Err(err) = block_on(trainer.train_step()) {
                outcome = Some(err);
                break;
            }
        }
        let Some(GlassboxError::Diverged { last_good_step, .. }) = outcome else {
            panic!("no divergence: {outcome:?}")
        };
        // The kept weights still give a finite loss.
        assert!(block_on(trainer.validation_loss()).unwrap().is_finite());
        assert!(last_good_step < 50);
    }

    #[test]
    fn schedule_warms_up_then_decays_to_the_minimum() {
        let config = TrainConfig::new(100)
            .with_learning_rate(1.0)
            .with_warmup_steps(10);
        assert!((config.learning_rate_at(0) - 0.1).abs() < 1e-12);
        assert!((config.learning_rate_at(9) - 1.0).abs() < 1e-12);
        assert!(config.learning_rate_at(50) < 1.0 && config.learning_rate_at(50) > 0.1);
        assert!((config.learning_rate_at(100) - 0.1).abs() < 1e-12);
        assert!((config.learning_rate_at(500) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn resumed_run_follows_the_same_curve() {
        let text = "to be or not to be, that is the question. ".repeat(30);
        let mut straight = trainer(&text, 3e-3);
        let losses: Vec<f32> = (0..6)
            .map(|_| block_on(straight.train_step()).unwrap().loss)
            .collect();

        let mut first = trainer(&text, 3e-3);
        for _ in 0..3 {
            block_on(first.train_step()).unwrap();
        }
        let (weights, ids) = block_on(crate::io::checkpoint::read_weights(&first.model())).unwrap();
        let config = GptConfig::new(first.model.vocab_size(), 16, 2, 2, 32);
        let model = crate::io::checkpoint::model_from_weights(
            &config,
            &weights,
            &ids,
            &Device::flex().autodiff(),
        )
        .unwrap();
        let state = block_on(first.optimizer_state()).unwrap();
        // The patched asynchronous record must be the one burn's derived (synchronous) flatten
        // writes: same leaves, names and order.
        assert_eq!(state, first.optimizer.into_bytes().unwrap().to_vec());
        let mut resumed = Trainer::new(model, first.corpus.clone(), first.config.clone())
            .resume_at(3, Some(state))
            .unwrap();
        for expected in &losses[3..] {
            let got = block_on(resumed.train_step()).unwrap().loss;
            assert!(
                (got - expected).abs() < 1e-4,
                "resumed {got} vs straight {expected}"
            );
        }
    }
}
