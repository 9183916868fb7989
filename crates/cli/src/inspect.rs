use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use glassbox_model::analysis::inspect::inspect;
use glassbox_model::readback::block_on;
use glassbox_model::{DecodeSettings, DecodeStages, Strategy};

use crate::{checks, source};

#[derive(Args)]
pub struct InspectArgs {
    /// Checkpoint file or Hugging Face GPT-2 folder [default: the shipped model]
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long)]
    prompt: String,
    /// Print the whole trace as one JSON object (field names of the reference fixtures)
    #[arg(long)]
    json: bool,
    /// With --json: also `filtered_probs`, the next-token distribution after this temperature…
    #[arg(long, value_parser = checks::temperature)]
    temperature: Option<f32>,
    /// …top-k (0 = off)…
    #[arg(long, value_parser = checks::at_least(0))]
    top_k: Option<usize>,
    /// …and top-p (1 = off), applied in that order as `transformers` does
    #[arg(long, value_parser = checks::top_p)]
    top_p: Option<f32>,
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
        let mut out = serde_json::to_value(&inspection)?;
        if args.temperature.is_some() || args.top_k.is_some() || args.top_p.is_some() {
            let defaults = DecodeSettings::default();
            let settings = DecodeSettings {
                strategy: Strategy::Sample,
                temperature: args.temperature.unwrap_or(defaults.temperature),
                top_k: args.top_k.unwrap_or(defaults.top_k),
                top_p: args.top_p.unwrap_or(defaults.top_p),
                ..defaults
            };
            settings.validate().map_err(anyhow::Error::msg)?;
            let filtered = DecodeStages::new(&inspection.last_logits, &settings).nonzero();
            out["filtered_probs"] = serde_json::json!(filtered);
        }
        println!("{out}");
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
