use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::source;

#[derive(Args)]
pub struct ExportArgs {
    /// Checkpoint to read
    #[arg(long)]
    model: PathBuf,
    /// Where to write the inference-only copy
    #[arg(long)]
    out: PathBuf,
}

/// Writes a checkpoint without its optimizer state: a third of the size, for shipping.
pub fn run(args: ExportArgs) -> Result<()> {
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
