//! Glassbox's model crate: a small GPT that shows its work. No browser code lives here; the same
//! code runs on every burn backend (the backend is the runtime `Device` the model is created on).
//!
//! Layers, each using only those before it:
//! - leaves: [`error`], [`units`], [`config`] (and [`shapes`], real models' shapes counted by its
//!   formula), [`limits`], [`probs`], [`readback`], [`pause`] (where long work lets its host run),
//!   [`kernels`] (fused CPU ops with hand-written backward passes, beside their references);
//! - [`nn`] (the GPT's modules) and [`tokenize`] (text ↔ ids);
//! - [`trace`] (a traced pass read back) and [`io`] (checkpoints, Hugging Face folders);
//! - [`decode`] (from logits to the next token, step by step);
//! - [`analysis`] (one question about a model per file);
//! - [`train`] (batches, the optimiser step, the training run, experiments, toy tasks).

pub mod analysis;
pub mod ceilings;
pub mod config;
pub mod decode;
pub mod error;
pub mod io;
pub mod kernels;
pub mod limits;
pub mod nn;
pub mod pause;
pub mod probs;
pub mod readback;
pub mod shapes;
pub mod tokenize;
pub mod trace;
pub mod train;
pub mod units;

#[cfg(test)]
mod testing;

pub use config::{Activation, GptConfig, ParamCounts, Preset, TrainConfig};
pub use decode::generator::{Generator, StepRecord};
pub use decode::sampling::{CandidateSummary, DecodeSettings, DecodeStages, Strategy};
pub use error::{GlassboxError, Result};
pub use io::checkpoint::Checkpoint;
pub use limits::Budget;
pub use nn::gpt::{ForwardOptions, Gpt};
pub use nn::{HeadMask, KvCache};
pub use tokenize::Tokenizer;
pub use trace::attention_map::{AttentionMatrix, HeadView};
pub use train::run::{RunRecord, RunSettings, TrainingRun};
pub use train::trainer::Trainer;
