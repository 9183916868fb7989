use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use glassbox_model::readback::block_on;
use glassbox_model::train::data::{Corpus, Split};
use glassbox_model::train::trainer::mean_loss;

use crate::{checks, source};

#[derive(Args)]
pub struct EvalArgs {
    /// Checkpoint file or Hugging Face GPT-2 folder to evaluate [default: the shipped model]
    #[arg(long)]
    model: Option<PathBuf>,
    /// Text files; the last 10% is the validation split [default: the shipped corpus]
    #[arg(long, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Sequences per batch
    #[arg(long, default_value_t = 64, value_parser = checks::between(1, checks::MAX_BATCH))]
    batch: usize,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let device = source::device();
    let (checkpoint, model) =
        source::load_model(&args.model.unwrap_or_else(source::default_model), &device)?;
    let (text, _) = source::read_corpus(&args.corpus)?;
    let corpus = Corpus::split(checkpoint.tokenizer.encode(&text)?, model.context_length())?;
    let batches = corpus.sequential_batches(Split::Validation, args.batch, model.context_length());
    let loss = block_on(mean_loss(&model, &batches))?;
    let tokens: usize = batches
        .iter()
        .map(|b| b.targets.len() * b.targets[0].len())
        .sum();
    println!("validation loss: {loss:.4} nats/token over {tokens} tokens");
    Ok(())
}
