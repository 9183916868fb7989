//! One error type for everything the model crate can refuse, each with a message meant for people.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum GlassboxError {
    #[error("the prompt is empty: type at least one character")]
    EmptyPrompt,
    #[error("{}", unknown_chars_message(.0))]
    UnknownCharacters(Vec<char>),
    #[error("invalid model configuration: {0}")]
    Config(String),
    #[error("cannot load checkpoint: {0}")]
    Checkpoint(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("training data: {0}")]
    Data(String),
    #[error("could not read a tensor back from the device: {0}")]
    Readback(String),
    #[error(
        "training diverged at step {step} (loss {loss}): the weights of step {last_good_step} are kept; try a lower learning rate"
    )]
    Diverged {
        step: usize,
        loss: f32,
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

pub type Result<T, E = GlassboxError> = std::result::Result<T, E>;
