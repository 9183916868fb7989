//! The GPT's modules, built from one [`GptConfig`](crate::GptConfig): layer norm, causal
//! self-attention, the MLP, the block, the whole model, its KV cache, head mask and the
//! device-side trace a forward pass can keep.

pub mod attention;
pub mod block;
pub mod cache;
pub mod gpt;
pub mod head_mask;
pub mod init;
pub mod layer_norm;
pub mod mlp;
pub mod trace;

pub use cache::KvCache;
pub use head_mask::HeadMask;
