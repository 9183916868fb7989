//! Models in and out: Glassbox checkpoints (safetensors + metadata) and Hugging Face GPT-2 folders.

pub mod checkpoint;
pub mod hf;
