//! A training run as a dashboard drives it: each call trains one step and reports what the user
//! watches (the loss; every `report_every` steps the validation loss, a greedy sample from a fixed
//! prompt and the attention of a fixed probe sentence). The run's record (settings, curve,
//! samples, attention snapshots) is plain serialisable data, so a run saved next to its checkpoint
//! resumes with the same curve after a reload.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::analysis::diversity::{HeadPattern, detect_pattern, mean_within_layer_distance};
use crate::config::GptConfig;
use crate::config::TrainConfig;
use crate::decode::generator::{Generator, window_attention};
use crate::decode::sampling::DecodeSettings;
use crate::error::{GlassboxError, Result};
use crate::io::checkpoint::{Checkpoint, TrainingRecord};
use crate::nn::HeadMask;
use crate::nn::gpt::Gpt;
use crate::tokenize::{CharTokenizer, Tokenizer};
use crate::trace::attention_map::AttentionMatrix;
use crate::train::data::Corpus;
use crate::train::trainer::Trainer;

/// Attention snapshots kept per run; beyond it every other one is dropped (first and last stay).
pub const MAX_SNAPSHOTS: usize = 60;

/// What a run was started with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// The architecture; `vocab_size` is replaced by the tokenizer's (and the whole of it by the
    /// base checkpoint's, when continuing one).
    pub model: GptConfig,
    /// The optimiser, schedule and batch.
    pub train: TrainConfig,
    /// Validation loss, sample and attention snapshot every this many steps.
    pub report_every: usize,
    /// Where each greedy sample starts.
    pub sample_prompt: String,
    /// Tokens per sample; 0 takes none (the CLI's run).
    pub sample_length: usize,
    /// The sentence whose attention is snapshotted (cut to the context length); empty takes no
    /// snapshot.
    pub probe: String,
    /// Where the text came from ("built-in Shakespeare", a file name, "pasted text").
    pub corpus_name: String,
}

/// One step on the loss curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Steps completed, this one included.
    pub step: usize,
    /// The step's training loss (nats).
    pub loss: f32,
    /// The learning rate the step used.
    pub learning_rate: f64,
    /// The validation loss after the step, on report steps only.
    pub val_loss: Option<f32>,
    /// Training time so far (pauses excluded).
    pub elapsed_s: f64,
}

impl CurvePoint {
    /// The header of the loss-curve CSV the CLI writes and the browser exports.
    pub const CSV_HEADER: &str = "step,train_loss,val_loss,learning_rate,elapsed_s";

    /// The point as a row under [`CurvePoint::CSV_HEADER`] (no newline).
    pub fn csv_row(&self) -> String {
        format!(
            "{},{:.5},{},{:.6},{:.1}",
            self.step,
            self.loss,
            self.val_loss.map_or(String::new(), |v| format!("{v:.4}")),
            self.learning_rate,
            self.elapsed_s
        )
    }
}

/// A greedy sample from the fixed prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Steps trained when it was taken (0: the untrained model).
    pub step: usize,
    /// The prompt and what the model wrote after it.
    pub text: String,
}

/// The probe sentence's attention at one point of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionSnapshot {
    /// Steps trained when it was taken (0: the untrained model).
    pub step: usize,
    /// Every head's attention over the probe sentence.
    pub attention: AttentionMatrix,
}

/// Everything about a run except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// What the run was started with (learning rate and length as last changed).
    pub settings: RunSettings,
    /// Tokens of the probe sentence, labelled for the heatmaps' axes.
    pub probe_labels: Vec<String>,
    /// One point per step, in order.
    pub curve: Vec<CurvePoint>,
    /// The samples taken, in order.
    pub samples: Vec<Sample>,
    /// The attention snapshots kept (at most [`MAX_SNAPSHOTS`]), in order.
    pub snapshots: Vec<AttentionSnapshot>,
    /// The validation loss before the first step (runs saved before it was kept have none).
    #[serde(default)]
    pub initial_val_loss: Option<f32>,
}

/// What one step (or the look at the untrained model) adds to the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// The step's point on the curve; `None` from the look before the first step.
    pub point: Option<CurvePoint>,
    /// A sample, on report steps of a run that takes them.
    pub sample: Option<Sample>,
    /// An attention snapshot, on report steps of a run with a probe.
    pub snapshot: Option<AttentionSnapshot>,
    /// Only from the look before the first step.
    #[serde(default)]
    pub initial_val_loss: Option<f32>,
}

impl RunRecord {
    /// The record of a run that has not reported yet.
    pub fn new(settings: RunSettings) -> Self {
        Self {
            settings,
            probe_labels: Vec::new(),
            curve: Vec::new(),
            samples: Vec::new(),
            snapshots: Vec::new(),
            initial_val_loss: None,
        }
    }

    /// Steps on the curve so far.
    pub fn steps_done(&self) -> usize {
        self.curve.last().map_or(0, |p| p.step)
    }

    /// The last step a chart of the run spans: the planned length, or further if the run went on
    /// past it (at least 1).
    pub fn chart_end(&self) -> usize {
        self.settings
            .train
            .total_steps
            .max(self.steps_done())
            .max(1)
    }

    /// Training time so far, in seconds (pauses excluded).
    pub fn elapsed_s(&self) -> f64 {
        self.curve.last().map_or(0.0, |p| p.elapsed_s)
    }

    /// Tokens one step trains on.
    pub fn tokens_per_step(&self) -> usize {
        self.settings.train.batch_size * self.settings.model.context_length
    }

    /// Adds a report, keeping the snapshot list within [`MAX_SNAPSHOTS`].
    pub fn apply(&mut self, report: &TrainReport) {
        self.curve.extend(report.point.clone());
        if report.initial_val_loss.is_some() {
            self.initial_val_loss = report.initial_val_loss;
        }
        self.samples.extend(report.sample.clone());
        if let Some(snapshot) = &report.snapshot {
            if self.snapshots.len() >= MAX_SNAPSHOTS {
                let last = self.snapshots.len() - 1;
                let mut index = 0;
                self.snapshots.retain(|_| {
                    index += 1;
                    index % 2 == 1 || index - 1 == last
                });
            }
            self.snapshots.push(snapshot.clone());
        }
    }

    /// Forgets what was reported after `step` (a saved run resumes from its checkpoint's step).
    pub fn truncate(&mut self, step: usize) {
        self.curve.retain(|p| p.step <= step);
        self.samples.retain(|s| s.step <= step);
        self.snapshots.retain(|s| s.step <= step);
    }

    /// The whole curve as CSV (header included).
    pub fn curve_csv(&self) -> String {
        let rows = self.curve.iter().map(CurvePoint::csv_row);
        std::iter::once(CurvePoint::CSV_HEADER.to_string())
            .chain(rows)
            .map(|line| line + "\n")
            .collect()
    }

    /// Training throughput over the last `window` steps (the whole run when shorter).
    pub fn tokens_per_second(&self, window: usize) -> Option<f64> {
        let last = self.curve.last()?;
        let first = self
            .curve
            .get(self.curve.len().saturating_sub(window + 1))?;
        let (steps, seconds) = (last.step - first.step, last.elapsed_s - first.elapsed_s);
        (steps > 0 && seconds > 0.0).then(|| (steps * self.tokens_per_step()) as f64 / seconds)
    }

    /// Seconds left until `total_steps` at the recent pace.
    pub fn eta_s(&self) -> Option<f64> {
        let remaining = self
            .settings
            .train
            .total_steps
            .saturating_sub(self.steps_done());
        let rate = self.tokens_per_second(20)? / self.tokens_per_step() as f64;
        Some(remaining as f64 / rate)
    }

    /// How diverse the heads were at each attention snapshot: `(step, mean distance between two
    /// heads of the same layer on the probe sentence)`.
    pub fn head_diversity(&self) -> Vec<(usize, f32)> {
        self.snapshots
            .iter()
            .map(|s| (s.step, mean_within_layer_distance(&s.attention)))
            .collect()
    }

    /// The heads the pattern detector names at snapshot `index`, block by block: `(layer, head,
    /// pattern, score)`. The probe's tokens are compared by label, all the detector needs.
    pub fn head_patterns(&self, index: usize) -> Vec<(usize, usize, HeadPattern, f32)> {
        let Some(snapshot) = self.snapshots.get(index) else {
            return Vec::new();
        };
        let mut ids_by_label = std::collections::HashMap::new();
        let ids: Vec<u32> = self
            .probe_labels
            .iter()
            .map(|label| {
                let next = ids_by_label.len() as u32;
                *ids_by_label.entry(label.as_str()).or_insert(next)
            })
            .collect();
        let m = &snapshot.attention;
        (0..m.n_layer)
            .flat_map(|layer| (0..m.n_head).map(move |head| (layer, head)))
            .filter_map(|(layer, head)| {
                let (pattern, score) = detect_pattern(m, layer, head, &ids)?;
                Some((layer, head, pattern, score))
            })
            .collect()
    }

    /// Exponential moving average of the training loss (bias-corrected, so it starts at the
    /// first value), one value per curve point.
    pub fn smoothed_loss(&self, weight: f64) -> Vec<f64> {
        let mut average = 0.0;
        self.curve
            .iter()
            .enumerate()
            .map(|(i, p)| {
                average = weight * average + (1.0 - weight) * p.loss as f64;
                average / (1.0 - weight.powi(i as i32 + 1))
            })
            .collect()
    }
}

/// A training run with its record: one optimiser step per [`TrainingRun::train_step`], and what
/// the user watches every `report_every` steps.
pub struct TrainingRun {
    trainer: Trainer,
    tokenizer: Tokenizer,
    /// Everything reported so far, and the settings as last changed.
    pub record: RunRecord,
    probe: Vec<u32>,
    sample_prompt: Vec<u32>,
}

impl TrainingRun {
    /// A new run on `corpus_text`: from scratch (the tokenizer is the corpus's characters) or
    /// continuing from `base`'s weights and tokenizer (the architecture is then `base`'s).
    /// `device` must be an autodiff device.
    pub fn start(
        mut settings: RunSettings,
        corpus_text: &str,
        base: Option<&Checkpoint>,
        device: &Device,
    ) -> Result<Self> {
        let tokenizer = match base {
            Some(base) => {
                settings.model = base.config.clone();
                base.tokenizer.clone()
            }
            None => {
                let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus(corpus_text)?);
                settings.model.vocab_size = tokenizer.vocab_size();
                tokenizer
            }
        };
        settings.model.validate().map_err(GlassboxError::Config)?;
        let corpus = Self::corpus(&settings, &tokenizer, corpus_text)?;
        let model = match base {
            Some(base) => base.to_model(device)?,
            None => settings.model.init_seeded(settings.train.seed, device),
        };
        let record = RunRecord::new(settings);
        Self::assemble(
            Trainer::new(model, corpus, record.settings.train.clone()),
            tokenizer,
            record,
        )
    }

    /// Continues a saved run: its checkpoint (weights, optimizer state, step) and its record.
    pub fn resume(
        checkpoint: &Checkpoint,
        mut record: RunRecord,
        corpus_text: &str,
        device: &Device,
    ) -> Result<Self> {
        let step = checkpoint
            .training
            .as_ref()
            .map(|t| t.step)
            .ok_or_else(|| {
                GlassboxError::Checkpoint("the checkpoint has no training record".into())
            })?;
        record.settings.model = checkpoint.config.clone();
        record.truncate(step);
        let corpus = Self::corpus(&record.settings, &checkpoint.tokenizer, corpus_text)?;
        let trainer = Trainer::new(
            checkpoint.to_model(device)?,
            corpus,
            record.settings.train.clone(),
        )
        .resume_at(step, checkpoint.optimizer_state.clone())?;
        Self::assemble(trainer, checkpoint.tokenizer.clone(), record)
    }

    fn corpus(settings: &RunSettings, tokenizer: &Tokenizer, text: &str) -> Result<Corpus> {
        let tokens = tokenizer.encode(text).map_err(|e| match e {
            GlassboxError::EmptyPrompt => GlassboxError::Data("the corpus is empty".into()),
            GlassboxError::UnknownCharacters(_) => GlassboxError::Data(format!(
                "the corpus has characters the model's vocabulary lacks ({e}): start from scratch to build a vocabulary from it"
            )),
            other => other,
        })?;
        Corpus::split(tokens, settings.model.context_length)
    }

    fn assemble(trainer: Trainer, tokenizer: Tokenizer, mut record: RunRecord) -> Result<Self> {
        let context = record.settings.model.context_length;
        let encode = |text: &str, what: &str| {
            tokenizer
                .encode(text)
                .map_err(|e| GlassboxError::Data(format!("{what}: {e}")))
        };
        // No probe: the run takes no snapshot; no sample length: no sample.
        let mut probe = match record.settings.probe.as_str() {
            "" => Vec::new(),
            text => encode(text, "the probe sentence")?,
        };
        probe.truncate(context);
        let mut sample_prompt = match record.settings.sample_length {
            0 => Vec::new(),
            _ => encode(&record.settings.sample_prompt, "the sample prompt")?,
        };
        sample_prompt.truncate(context);
        record.probe_labels = probe.iter().map(|&id| tokenizer.token_label(id)).collect();
        Ok(Self {
            trainer,
            tokenizer,
            record,
            probe,
            sample_prompt,
        })
    }

    /// Optimiser steps completed.
    pub fn steps_done(&self) -> usize {
        self.trainer.steps_done()
    }

    /// Whether the run has reached its `total_steps`.
    pub fn is_finished(&self) -> bool {
        self.steps_done() >= self.record.settings.train.total_steps
    }

    /// The run's tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The architecture being trained.
    pub fn model_config(&self) -> &GptConfig {
        &self.record.settings.model
    }

    /// Takes effect from the next step; the schedule keeps its shape around the new peak.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.trainer.config.learning_rate = learning_rate;
        self.record.settings.train.learning_rate = learning_rate;
    }

    /// Lengthens or shortens the run (the schedule follows).
    pub fn set_total_steps(&mut self, total_steps: usize) {
        self.trainer.config.total_steps = total_steps;
        self.record.settings.train.total_steps = total_steps;
    }

    /// The model being trained, for inference.
    pub fn model(&self) -> Gpt {
        self.trainer.model()
    }

    /// A sample, an attention snapshot and the validation loss of the weights as they are now
    /// (the untrained model at step 0), added to the record.
    pub async fn observe(&mut self) -> Result<TrainReport> {
        let report = TrainReport {
            point: None,
            sample: self.sample().await?,
            snapshot: self.snapshot().await?,
            initial_val_loss: Some(self.trainer.validation_loss().await?),
        };
        self.record.apply(&report);
        Ok(report)
    }

    /// One optimizer step; every `report_every` steps (and at the last) also the validation
    /// loss, a sample and a snapshot. `elapsed_s` tells the run's training time so far once they
    /// are done (the model crate keeps no clock: the browser's and the CLI's differ).
    pub async fn train_step(&mut self, elapsed_s: impl FnOnce() -> f64) -> Result<TrainReport> {
        let metrics = self.trainer.train_step().await?;
        let due = metrics
            .step
            .is_multiple_of(self.record.settings.report_every.max(1))
            || self.is_finished();
        let mut report = TrainReport {
            point: Some(CurvePoint {
                step: metrics.step,
                loss: metrics.loss,
                learning_rate: metrics.learning_rate,
                val_loss: None,
                elapsed_s: 0.0,
            }),
            sample: None,
            snapshot: None,
            initial_val_loss: None,
        };
        if due {
            if let Some(point) = &mut report.point {
                point.val_loss = Some(self.trainer.validation_loss().await?);
            }
            report.sample = self.sample().await?;
            report.snapshot = self.snapshot().await?;
        }
        if let Some(point) = &mut report.point {
            point.elapsed_s = elapsed_s();
        }
        self.record.apply(&report);
        Ok(report)
    }

    /// A greedy sample from the fixed prompt, unless the run takes none.
    async fn sample(&self) -> Result<Option<Sample>> {
        if self.record.settings.sample_length == 0 {
            return Ok(None);
        }
        let mut generator = Generator::new(
            self.model(),
            self.sample_prompt.clone(),
            DecodeSettings::default(),
        )?;
        for _ in 0..self.record.settings.sample_length {
            generator.step().await?;
        }
        Ok(Some(Sample {
            step: self.steps_done(),
            text: self.tokenizer.decode(generator.tokens()),
        }))
    }

    /// The probe sentence's attention, unless the run has no probe.
    async fn snapshot(&self) -> Result<Option<AttentionSnapshot>> {
        if self.probe.is_empty() {
            return Ok(None);
        }
        Ok(Some(AttentionSnapshot {
            step: self.steps_done(),
            attention: window_attention(&self.model(), &self.probe, &HeadMask::default()).await?,
        }))
    }

    /// The run's checkpoint: weights, tokenizer, training record and AdamW's moments (to resume
    /// exactly), in the format the CLI reads. Every read is asynchronous, so it works on WebGPU.
    pub async fn checkpoint(&self) -> Result<Checkpoint> {
        let record = TrainingRecord {
            train_config: self.trainer.config.clone(),
            step: self.steps_done(),
            corpus: self.record.settings.corpus_name.clone(),
            validation_loss: self.record.curve.iter().rev().find_map(|p| p.val_loss),
        };
        Checkpoint::from_model(
            &self.model(),
            &self.record.settings.model,
            self.tokenizer.clone(),
            Some(record),
            Some(self.trainer.optimizer_state().await?),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;

    const TEXT: &str = "to be or not to be, that is the question. ";

    fn settings(total_steps: usize) -> RunSettings {
        RunSettings {
            model: GptConfig::new(0, 16, 2, 2, 16),
            train: TrainConfig::new(total_steps)
                .with_learning_rate(1e-2)
                .with_warmup_steps(2)
                .with_batch_size(4)
                .with_eval_batches(2),
            report_every: 3,
            sample_prompt: "to ".into(),
            sample_length: 5,
            probe: "that is the question".into(),
            corpus_name: "test".into(),
        }
    }

    fn device() -> Device {
        Device::flex().autodiff()
    }

    fn start(total_steps: usize) -> TrainingRun {
        TrainingRun::start(settings(total_steps), &TEXT.repeat(20), None, &device()).unwrap()
    }

    #[test]
    fn reports_every_step_and_observes_periodically() {
        let mut run = start(7);
        let first = block_on(run.observe()).unwrap();
        let initial = first
            .initial_val_loss
            .expect("the untrained model's validation loss");
        assert_eq!(run.record.initial_val_loss, Some(initial));
        assert!(initial > 0.0 && initial.is_finite());
        let attention = &first.snapshot.unwrap().attention;
        assert_eq!(
            (attention.n_layer, attention.n_head, attention.size),
            (2, 2, 16)
        );
        assert_eq!(
            run.record.probe_labels.len(),
            16,
            "the probe is cut to the context"
        );
        while !run.is_finished() {
            block_on(run.train_step(|| 0.0)).unwrap();
        }
        let record = &run.record;
        assert_eq!(
            record.curve.iter().map(|p| p.step).collect::<Vec<_>>(),
            (1..=7).collect::<Vec<_>>()
        );
        let evaluated: Vec<usize> = record
            .curve
            .iter()
            .filter(|p| p.val_loss.is_some())
            .map(|p| p.step)
            .collect();
        assert_eq!(evaluated, [3, 6, 7], "every 3 steps and at the end");
        assert_eq!(
            record.samples.iter().map(|s| s.step).collect::<Vec<_>>(),
            [0, 3, 6, 7]
        );
        assert!(
            record
                .samples
                .iter()
                .all(|s| s.text.starts_with("to ") && s.text.len() == 8)
        );
        assert_eq!(record.snapshots.len(), 4);
        // Attention rows of a trained model are probability distributions over earlier tokens.
        let last = &record.snapshots[3].attention;
        let row: f32 = (0..16).map(|k| last.get(1, 1, 15, k)).sum();
        assert!((row - 1.0).abs() < 1e-4, "{row}");
        assert_eq!(last.get(0, 0, 2, 3), 0.0, "no attention to the future");
        let diversity = record.head_diversity();
        assert_eq!(
            diversity.iter().map(|d| d.0).collect::<Vec<_>>(),
            [0, 3, 6, 7]
        );
        assert!(diversity.iter().all(|d| (0.0..=1.0).contains(&d.1)));
    }

    #[test]
    fn a_saved_run_resumes_on_the_same_curve() {
        // Every run starts from the same weights (seeding is global and tests run in parallel).
        let base = block_on(start(8).checkpoint()).unwrap();
        let start = |steps| {
            TrainingRun::start(settings(steps), &TEXT.repeat(20), Some(&base), &device()).unwrap()
        };
        let mut straight = start(8);
        for _ in 0..8 {
            block_on(straight.train_step(|| 0.0)).unwrap();
        }

        let mut first = start(8);
        for _ in 0..5 {
            block_on(first.train_step(|| 0.0)).unwrap();
        }
        // Saved at step 3 (its last evaluation), like the browser saving every report.
        let mut saved = start(8);
        for _ in 0..3 {
            block_on(saved.train_step(|| 0.0)).unwrap();
        }
        let bytes = block_on(saved.checkpoint()).unwrap().to_bytes().unwrap();
        let json = serde_json::to_string(&first.record).unwrap();
        let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
        let record: RunRecord = serde_json::from_str(&json).unwrap();
        let mut resumed =
            TrainingRun::resume(&checkpoint, record, &TEXT.repeat(20), &device()).unwrap();
        assert_eq!(resumed.steps_done(), 3);
        assert_eq!(
            resumed.record.curve.len(),
            3,
            "steps after the save are forgotten"
        );
        while !resumed.is_finished() {
            block_on(resumed.train_step(|| 0.0)).unwrap();
        }
        for (a, b) in straight.record.curve.iter().zip(&resumed.record.curve) {
            assert_eq!(a.step, b.step);
            assert!(
                (a.loss - b.loss).abs() < 1e-4,
                "step {}: {} vs {}",
                a.step,
                a.loss,
                b.loss
            );
        }
        assert_eq!(resumed.record.curve.len(), 8);
    }

    #[test]
    fn learning_rate_changes_without_resetting() {
        let mut run = start(50);
        for _ in 0..4 {
            block_on(run.train_step(|| 0.0)).unwrap();
        }
        run.set_learning_rate(1e-3);
        let point = block_on(run.train_step(|| 0.0)).unwrap().point.unwrap();
        assert_eq!(point.step, 5);
        assert!(point.learning_rate <= 1e-3 && point.learning_rate > 0.0);
        assert_eq!(run.record.settings.train.learning_rate, 1e-3);
    }

    #[test]
    fn refuses_a_corpus_too_short_with_a_message() {
        let err = TrainingRun::start(settings(5), "hello", None, &device())
            .err()
            .unwrap();
        assert!(err.to_string().contains("the corpus has 5 tokens"), "{err}");
    }

    #[test]
    fn continuing_needs_the_base_vocabulary() {
        let run = start(5);
        let base = block_on(run.checkpoint()).unwrap();
        let err = TrainingRun::start(settings(5), &"XYZ ".repeat(100), Some(&base), &device())
            .err()
            .unwrap();
        assert!(err.to_string().contains("start from scratch"), "{err}");
        let continued =
            TrainingRun::start(settings(5), &TEXT.repeat(20), Some(&base), &device()).unwrap();
        assert_eq!(continued.model_config(), &base.config);
    }

    #[test]
    fn snapshots_are_thinned_keeping_first_and_last() {
        let mut record = start(1).record;
        let attention = AttentionMatrix {
            n_layer: 1,
            n_head: 1,
            size: 1,
            data: vec![1.0],
        };
        for step in 0..500 {
            record.apply(&TrainReport {
                point: None,
                sample: None,
                snapshot: Some(AttentionSnapshot {
                    step,
                    attention: attention.clone(),
                }),
                initial_val_loss: None,
            });
        }
        assert!(record.snapshots.len() <= MAX_SNAPSHOTS);
        assert_eq!(record.snapshots[0].step, 0);
        assert_eq!(record.snapshots.last().unwrap().step, 499);
        assert!(record.snapshots.windows(2).all(|w| w[0].step < w[1].step));
    }

    #[test]
    fn throughput_eta_and_smoothing() {
        let mut record = start(10).record;
        for step in 1..=4 {
            record.curve.push(CurvePoint {
                step,
                loss: step as f32,
                learning_rate: 0.0,
                val_loss: None,
                elapsed_s: step as f64 * 0.5,
            });
        }
        // 4 sequences × 16 tokens per step, 2 steps per second.
        assert_eq!(record.tokens_per_second(10), Some(128.0));
        assert_eq!(record.eta_s(), Some(3.0));
        let smooth = record.smoothed_loss(0.9);
        assert!((smooth[0] - 1.0).abs() < 1e-12, "bias-corrected start");
        assert!(smooth[3] > 1.0 && smooth[3] < 4.0);
        let csv = record.curve_csv();
        assert_eq!(csv.lines().next(), Some(CurvePoint::CSV_HEADER));
        assert_eq!(csv.lines().nth(2), Some("2,2.00000,,0.000000,1.0"));
        assert_eq!(record.chart_end(), 10, "the planned length");
        record.settings.train.total_steps = 3;
        assert_eq!(record.chart_end(), 4, "a run lengthened past its plan");
        record.settings.train.total_steps = 0;
        record.curve.clear();
        assert_eq!(record.chart_end(), 1);
    }
}
