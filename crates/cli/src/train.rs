use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use glassbox_model::readback::block_on;
use glassbox_model::train::run::{CurvePoint, RunRecord};
use glassbox_model::{Preset, RunSettings, TrainConfig, TrainingRun};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{checks, source};

#[derive(Args)]
pub struct TrainArgs {
    /// Text files to train on; the last 10% is held out for validation [default: the shipped corpus]
    #[arg(long, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Model size: tiny, small or shipped
    #[arg(long, default_value = "tiny")]
    preset: String,
    /// Train until this many optimizer steps are done (a resumed run counts its earlier steps)
    #[arg(long, value_parser = checks::between(1, checks::MAX_STEPS))]
    steps: usize,
    /// Checkpoint to write (also written at every evaluation); never one of the inputs
    #[arg(long)]
    out: PathBuf,
    /// Continue from this checkpoint (weights, optimizer state and step)
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Loss curve CSV [default: OUT with the extension .csv]
    #[arg(long)]
    curve: Option<PathBuf>,
    /// Peak learning rate [default: 3e-3, or the resumed run's]
    #[arg(long, value_parser = checks::learning_rate)]
    lr: Option<f64>,
    /// Sequences per batch [default: 32, or the resumed run's]
    #[arg(long, value_parser = checks::between(1, checks::MAX_BATCH))]
    batch: Option<usize>,
    /// Steps of linear learning-rate warm-up [default: 100, or the resumed run's]
    #[arg(long, value_parser = checks::at_least(0))]
    warmup: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Validation loss every N steps
    #[arg(long, default_value_t = 100, value_parser = checks::at_least(1))]
    eval_every: usize,
}

/// Trains with the same `TrainingRun` the Train tab drives (no samples or snapshots: the curve
/// goes to a CSV and the checkpoint is saved at every evaluation).
pub fn run(args: TrainArgs) -> Result<()> {
    let curve_path = args
        .curve
        .clone()
        .unwrap_or_else(|| args.out.with_extension("csv"));
    let mut inputs = source::corpus_inputs(&args.corpus);
    if let Some(resume) = &args.resume {
        inputs.extend(source::model_inputs(resume, "the --resume checkpoint"));
    }
    checks::refuse_overwrite("--out", &args.out, &inputs)?;
    inputs.push(("the --out checkpoint", args.out.clone()));
    checks::refuse_overwrite("--curve", &curve_path, &inputs)?;

    let (text, corpus_name) = source::read_corpus(&args.corpus)?;
    let mut run = open_run(&args, &text, corpus_name.clone())?;
    let config = run.model_config().clone();
    glassbox_model::limits::check_training(
        &config,
        run.record.settings.train.batch_size,
        source::machine_budget(),
    )
    .map_err(anyhow::Error::msg)?;
    if run.is_finished() {
        bail!(
            "the checkpoint is already at step {} (asked for {})",
            run.steps_done(),
            args.steps
        );
    }
    println!("training {} on {corpus_name}", config.summary());

    let mut curve = open_curve(&curve_path, args.resume.is_some())?;
    let bar = ProgressBar::new(args.steps as u64).with_position(run.steps_done() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} steps [{elapsed_precise} < {eta_precise}] {msg}",
    )?);
    let started = Instant::now();
    let mut val_loss = None;
    while !run.is_finished() {
        let report = block_on(run.train_step(|| started.elapsed().as_secs_f64()))?;
        let point = report.point.context("a training step reports its loss")?;
        writeln!(curve, "{}", point.csv_row())?;
        val_loss = point.val_loss.or(val_loss);
        let val_text = val_loss.map_or(String::new(), |v| format!("{v:.4}"));
        bar.set_message(format!("loss {:.3} val {val_text}", point.loss));
        bar.inc(1);
        if point.val_loss.is_some() {
            curve.flush()?;
            block_on(run.checkpoint())?.save(&args.out)?;
        }
    }
    bar.finish();
    let tokens_per_s =
        (run.steps_done() * run.record.tokens_per_step()) as f64 / started.elapsed().as_secs_f64();
    println!(
        "done: step {}, validation loss {}, {:.0} tokens/s; wrote {} and {}",
        run.steps_done(),
        val_loss.map_or("-".into(), |v| format!("{v:.4}")),
        tokens_per_s,
        args.out.display(),
        curve_path.display()
    );
    Ok(())
}

/// A new run of the preset, or the `--resume` checkpoint's run continued, until `--steps`.
fn open_run(args: &TrainArgs, text: &str, corpus_name: String) -> Result<TrainingRun> {
    let device = source::device().autodiff();
    let settings = |model, train| RunSettings {
        model,
        train: override_config(train, args),
        report_every: args.eval_every,
        sample_prompt: String::new(),
        sample_length: 0,
        probe: String::new(),
        corpus_name,
    };
    let Some(path) = &args.resume else {
        let preset = Preset::from_name(&args.preset).map_err(anyhow::Error::msg)?;
        // The vocabulary is the corpus's characters: `start` sets it.
        let settings = settings(preset.config(1), TrainConfig::new(args.steps));
        return Ok(TrainingRun::start(settings, text, None, &device)?);
    };
    let checkpoint = source::load_checkpoint(path)?;
    let mut train = checkpoint
        .training
        .as_ref()
        .context("the checkpoint has no training record to resume")?
        .train_config
        .clone();
    train.total_steps = args.steps;
    let record = RunRecord::new(settings(checkpoint.config.clone(), train));
    Ok(TrainingRun::resume(&checkpoint, record, text, &device)?)
}

/// The loss-curve CSV: appended to when resuming a run that has one, else started afresh.
fn open_curve(path: &Path, resuming: bool) -> Result<File> {
    let append = resuming && path.exists();
    let mut curve = std::fs::OpenOptions::new()
        .create(true)
        .append(append)
        .write(true)
        .truncate(!append)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if !append {
        writeln!(curve, "{}", CurvePoint::CSV_HEADER)?;
    }
    Ok(curve)
}

fn override_config(mut config: TrainConfig, args: &TrainArgs) -> TrainConfig {
    if let Some(lr) = args.lr {
        config.learning_rate = lr;
    }
    if let Some(batch) = args.batch {
        config.batch_size = batch;
    }
    if let Some(warmup) = args.warmup {
        config.warmup_steps = warmup;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config
}
