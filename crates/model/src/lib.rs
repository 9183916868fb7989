//! Glassbox's model crate: a small GPT that shows its work. No browser code lives here; the same
//! code runs on every burn backend (the backend is the runtime `Device` the model is created on).

pub mod ablation;
pub mod attention;
pub mod attention_map;
pub mod beam;
pub mod block;
pub mod bpe;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod diversity;
pub mod error;
pub mod experiment;
pub mod generation;
pub mod hf;
pub mod inspect;
pub mod layer_norm;
pub mod lens;
pub mod limits;
pub mod mlp;
pub mod model;
pub mod nonlinearity;
pub mod probe;
pub mod run;
pub mod sampling;
pub mod teacher_forcing;
pub mod tokenizer;
pub mod trace;
pub mod training;

pub use attention_map::{AttentionMatrix, HeadView};
pub use checkpoint::Checkpoint;
pub use config::{Activation, GptConfig, ParamCounts, Preset};
pub use error::{GlassboxError, Result};
pub use generation::{Generator, StepRecord};
pub use limits::Budget;
pub use model::{ForwardOptions, Gpt, HeadMask, KvCache};
pub use run::{RunRecord, RunSettings, TrainingRun};
pub use sampling::{CandidateSummary, DecodeSettings, Distribution, Strategy};
pub use tokenizer::Tokenizer;
pub use training::{TrainConfig, Trainer};
