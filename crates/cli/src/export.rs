use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::{checks, source};

#[derive(Args)]
pub struct ExportArgs {
    /// Checkpoint to read
    #[arg(long)]
    model: PathBuf,
    /// Where to write the inference-only copy (not the --model file)
    #[arg(long)]
    out: PathBuf,
}

/// Writes a checkpoint without its optimizer state: a third of the size, for shipping.
pub fn run(args: ExportArgs) -> Result<()> {
    checks::refuse_overwrite(
        "--out",
        &args.out,
        &source::model_inputs(&args.model, "the --model checkpoint"),
    )?;
    let mut checkpoint = source::load_checkpoint(&args.model)?;
    checkpoint.optimizer_state = None;
    checkpoint.save(&args.out)?;
    let size = std::fs::metadata(&args.out)?.len();
    println!(
        "wrote {} ({:.2} MB, no optimizer state)",
        args.out.display(),
        size as f64 / 1e6
    );
    Ok(())
}
