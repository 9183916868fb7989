use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use glassbox_model::io::checkpoint::Precision;

use crate::{checks, source};

#[derive(Args)]
pub struct ExportArgs {
    /// Checkpoint to read
    #[arg(long)]
    model: PathBuf,
    /// Where to write the inference-only copy (not the --model file)
    #[arg(long)]
    out: PathBuf,
    /// How to store the weights: f32 as trained, or f16 (half the size, each weight rounded)
    #[arg(long, default_value = "f32")]
    precision: Precision,
}

/// Writes a checkpoint without its optimizer state (a third of the size), optionally in f16 (a
/// sixth): for shipping.
pub fn run(args: ExportArgs) -> Result<()> {
    checks::refuse_overwrite(
        "--out",
        &args.out,
        &source::model_inputs(&args.model, "the --model checkpoint"),
    )?;
    let mut checkpoint = source::load_checkpoint(&args.model)?;
    checkpoint.optimizer_state = None;
    checkpoint.precision = args.precision;
    checkpoint.save(&args.out)?;
    let size = std::fs::metadata(&args.out)?.len();
    println!(
        "wrote {} ({:.2} MB, {:?} weights, no optimizer state)",
        args.out.display(),
        size as f64 / 1e6,
        args.precision
    );
    Ok(())
}
