//! From logits to the next token: the decoding stages (temperature, top-k, top-p), beam search and
//! the step-by-step generator the Generate view drives.

pub mod beam;
pub mod generator;
pub mod sampling;
