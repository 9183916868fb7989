use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use glassbox_model::inspect::inspect;
use glassbox_model::trace::block_on;

use crate::source;

#[derive(Args)]
pub struct InspectArgs {
    /// Checkpoint [default: the shipped model]
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long)]
    prompt: String,
    /// Print the whole trace as one JSON object (field names of the reference fixtures)
    #[arg(long)]
    json: bool,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let device = source::device();
    let (checkpoint, model) =
        source::load_model(&args.model.unwrap_or_else(source::default_model), &device)?;
    let mut ids = checkpoint.tokenizer.encode(&args.prompt)?;
    let context = model.context_length();
    if ids.len() > context {
        eprintln!(
            "note: the prompt has {} tokens, more than the model's context of {context}: inspecting the last {context}",
            ids.len()
        );
        ids.drain(..ids.len() - context);
    }
    let inspection = block_on(inspect(&model, &checkpoint.tokenizer, &ids))?;
    if args.json {
        println!("{}", serde_json::to_string(&inspection)?);
        return Ok(());
    }
    println!(
        "{} tokens, {} layers × {} heads",
        ids.len(),
        model.n_layer(),
        model.n_head()
    );
    if let Some(loss) = inspection.loss {
        println!("loss on the prompt: {loss:.4} nats/token");
    }
    println!("next-token candidates after the prompt:");
    for (id, logit) in inspection.topk.last().into_iter().flatten() {
        println!(
            "  {:<10} logit {logit:>8.3}",
            format!("{:?}", checkpoint.tokenizer.token_text(*id))
        );
    }
    Ok(())
}
