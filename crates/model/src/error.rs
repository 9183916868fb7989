//! One error type for everything the model crate can refuse, each with a message meant for people.

use thiserror::Error;

/// Why the model crate refused a request. The `Display` text is the message shown to people.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum GlassboxError {
    /// A prompt with no tokens: there is nothing to predict from.
    #[error("the prompt is empty: type at least one character")]
    EmptyPrompt,
    /// Characters the character vocabulary does not have, each listed once, sorted.
    #[error("{}", unknown_chars_message(.0))]
    UnknownCharacters(Vec<char>),
    /// A setting the model cannot serve: a configuration that fails
    /// [`GptConfig::validate`](crate::GptConfig::validate), decode settings out of range, a text
    /// longer than the context.
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// A checkpoint or Hugging Face folder that cannot be read, or does not fit the model.
    #[error("cannot load checkpoint: {0}")]
    Checkpoint(String),
    /// A BPE tokenizer that cannot be loaded or used.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A training corpus that cannot be used (empty, too short, characters outside the vocabulary).
    #[error("training data: {0}")]
    Data(String),
    /// A tensor the device could not hand back, or one read back with an unexpected shape.
    #[error("could not read a tensor back from the device: {0}")]
    Readback(String),
    /// A training step whose loss was not finite or exploded; the last good weights were restored.
    #[error(
        "training diverged at step {step} (loss {loss}): the weights of step {last_good_step} are kept; try a lower learning rate"
    )]
    Diverged {
        /// The step that diverged.
        step: usize,
        /// That step's loss.
        loss: f32,
        /// The step whose weights were restored.
        last_good_step: usize,
    },
}

fn unknown_chars_message(chars: &[char]) -> String {
    let listed: Vec<String> = chars.iter().map(|c| format!("{:?}", c)).collect();
    format!(
        "the text contains {} character(s) the model's vocabulary does not have: {}",
        chars.len(),
        listed.join(", ")
    )
}

/// The model crate's result: [`GlassboxError`] unless another error type is named.
pub type Result<T, E = GlassboxError> = std::result::Result<T, E>;
