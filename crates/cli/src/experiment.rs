//! `glassbox experiment NAME`: trains an experiment's variants one after another on the same text,
//! seed, optimiser and token budget, and prints the table and the verdict (the browser's
//! Experiments view runs the same plans in its worker).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use glassbox_model::readback::block_on;
use glassbox_model::train::experiment::{ExperimentKind, VariantResult, results_csv, verdict};
use glassbox_model::train::run::RunSettings;
use glassbox_model::{Preset, TrainConfig, TrainingRun};

use crate::{checks, source};

#[derive(Args)]
pub struct ExperimentArgs {
    /// heads, depth, attention, activation or context
    name: String,
    /// Base model size (tiny, small or shipped); the variants change one thing each
    #[arg(long, default_value = "tiny")]
    preset: String,
    /// Optimizer steps per variant
    #[arg(long, default_value_t = 300, value_parser = checks::between(1, checks::MAX_STEPS))]
    steps: usize,
    /// Sequences per batch
    #[arg(long, default_value_t = 16, value_parser = checks::between(1, checks::MAX_BATCH))]
    batch: usize,
    /// Peak learning rate
    #[arg(long, default_value_t = 3e-3, value_parser = checks::learning_rate)]
    lr: f64,
    #[arg(long, default_value_t = 1337)]
    seed: u64,
    /// Validation loss every N steps
    #[arg(long, default_value_t = 50, value_parser = checks::at_least(1))]
    eval_every: usize,
    /// Text files to train on [default: the shipped corpus]
    #[arg(long, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Write the table as CSV here
    #[arg(long)]
    csv: Option<PathBuf>,
}

pub fn run(args: ExperimentArgs) -> Result<()> {
    if let Some(csv) = &args.csv {
        checks::refuse_overwrite("--csv", csv, &source::corpus_inputs(&args.corpus))?;
    }
    let kind = ExperimentKind::from_name(&args.name).map_err(anyhow::Error::msg)?;
    let preset = Preset::from_name(&args.preset).map_err(anyhow::Error::msg)?;
    let (text, corpus_name) = source::read_corpus(&args.corpus)?;
    let base = RunSettings {
        model: preset.config(0),
        train: TrainConfig::new(args.steps)
            .with_batch_size(args.batch)
            .with_learning_rate(args.lr)
            .with_warmup_steps(args.steps.min(100) / 10)
            .with_seed(args.seed),
        report_every: args.eval_every,
        sample_prompt: "ROMEO:\n".into(),
        sample_length: 40,
        probe: "To be, or not to be, that is the question:".into(),
        corpus_name: corpus_name.clone(),
    };
    println!("{}", kind.question());
    println!(
        "on {corpus_name}, {} steps per variant, seed {}",
        args.steps, args.seed
    );
    let device = source::device().autodiff();
    let mut results = Vec::new();
    for variant in kind.plan(&base) {
        let start = Instant::now();
        let mut run = TrainingRun::start(variant.settings, &text, None, &device)?;
        while !run.is_finished() {
            block_on(run.train_step(|| start.elapsed().as_secs_f64()))?;
        }
        let result = VariantResult::from_record(&variant.name, &run.record);
        println!(
            "  {:<36} {:>8} params  val {:>7}  ({:.1} s)",
            result.name,
            result.params,
            result.val_loss.map_or("-".into(), |v| format!("{v:.4}")),
            start.elapsed().as_secs_f64()
        );
        results.push(result);
    }
    println!("{}", verdict(&results));
    let csv = results_csv(&results);
    print!("{csv}");
    if let Some(path) = &args.csv {
        std::fs::write(path, csv)?;
    }
    Ok(())
}
