use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use glassbox_model::io::checkpoint::TrainingRecord;
use glassbox_model::readback::block_on;
use glassbox_model::tokenize::CharTokenizer;
use glassbox_model::train::data::Corpus;
use glassbox_model::train::run::CurvePoint;
use glassbox_model::{Checkpoint, Preset, Tokenizer, TrainConfig, Trainer};
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

    let device = source::device();
    let (text, corpus_name) = source::read_corpus(&args.corpus)?;
    let (mut trainer, tokenizer, model_config) = match &args.resume {
        Some(path) => {
            let checkpoint = source::load_checkpoint(path)?;
            let record = checkpoint
                .training
                .clone()
                .context("the checkpoint has no training record to resume")?;
            let model = checkpoint.to_model(&device.clone().autodiff())?;
            let corpus = Corpus::split(
                checkpoint.tokenizer.encode(&text)?,
                checkpoint.config.context_length,
            )?;
            let mut config = record.train_config.clone();
            config.total_steps = args.steps;
            let trainer = Trainer::new(model, corpus, override_config(config, &args))
                .resume_at(record.step, checkpoint.optimizer_state.clone())?;
            (trainer, checkpoint.tokenizer, checkpoint.config)
        }
        None => {
            let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus(&text)?);
            let model_config = Preset::from_name(&args.preset)
                .map_err(anyhow::Error::msg)?
                .config(tokenizer.vocab_size());
            let corpus = Corpus::split(tokenizer.encode(&text)?, model_config.context_length)?;
            let config = override_config(TrainConfig::new(args.steps), &args);
            device.seed(config.seed);
            let model = model_config.init(&device.clone().autodiff());
            (Trainer::new(model, corpus, config), tokenizer, model_config)
        }
    };
    glassbox_model::limits::check_training(
        &model_config,
        trainer.config.batch_size,
        source::machine_budget(),
    )
    .map_err(anyhow::Error::msg)?;
    if trainer.step() >= args.steps {
        bail!(
            "the checkpoint is already at step {} (asked for {})",
            trainer.step(),
            args.steps
        );
    }
    println!("training {} on {corpus_name}", model_config.summary());

    let resuming = args.resume.is_some() && curve_path.exists();
    let mut curve = std::fs::OpenOptions::new()
        .create(true)
        .append(resuming)
        .write(true)
        .truncate(!resuming)
        .open(&curve_path)
        .with_context(|| format!("cannot write {}", curve_path.display()))?;
    if !resuming {
        writeln!(curve, "{}", CurvePoint::CSV_HEADER)?;
    }

    let bar = ProgressBar::new(args.steps as u64).with_position(trainer.step() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} steps [{elapsed_precise} < {eta_precise}] {msg}",
    )?);
    let started = Instant::now();
    let mut val_loss = None;
    while trainer.step() < args.steps {
        let metrics = block_on(trainer.train_step())?;
        let evaluate = metrics.step % args.eval_every == 0 || metrics.step == args.steps;
        if evaluate {
            val_loss = Some(block_on(trainer.validation_loss())?);
        }
        let val_text = val_loss.map_or(String::new(), |v| format!("{v:.4}"));
        let point = CurvePoint {
            step: metrics.step,
            loss: metrics.loss,
            learning_rate: metrics.learning_rate,
            val_loss: if evaluate { val_loss } else { None },
            elapsed_s: started.elapsed().as_secs_f64(),
        };
        writeln!(curve, "{}", point.csv_row())?;
        bar.set_message(format!("loss {:.3} val {val_text}", metrics.loss));
        bar.inc(1);
        if evaluate {
            curve.flush()?;
            save(
                &trainer,
                &model_config,
                &tokenizer,
                &corpus_name,
                val_loss,
                &args.out,
            )?;
        }
    }
    bar.finish();
    let tokens_per_s = (trainer.step() * trainer.config.batch_size * model_config.context_length)
        as f64
        / started.elapsed().as_secs_f64();
    println!(
        "done: step {}, validation loss {}, {:.0} tokens/s; wrote {} and {}",
        trainer.step(),
        val_loss.map_or("-".into(), |v| format!("{v:.4}")),
        tokens_per_s,
        args.out.display(),
        curve_path.display()
    );
    Ok(())
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

fn save(
    trainer: &Trainer,
    config: &glassbox_model::GptConfig,
    tokenizer: &Tokenizer,
    corpus: &str,
    val_loss: Option<f32>,
    out: &std::path::Path,
) -> Result<()> {
    let record = TrainingRecord {
        train_config: trainer.config.clone(),
        step: trainer.step(),
        corpus: corpus.to_string(),
        validation_loss: val_loss,
    };
    let checkpoint = block_on(Checkpoint::from_model(
        &trainer.model(),
        config,
        tokenizer.clone(),
        Some(record),
        Some(block_on(trainer.optimizer_state())?),
    ))?;
    checkpoint.save(out)?;
    Ok(())
}
