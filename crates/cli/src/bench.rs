use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use glassbox_model::readback::block_on;
use glassbox_model::train::data::Corpus;
use glassbox_model::{DecodeSettings, Generator, Preset, TrainConfig, Trainer};
use serde_json::json;

use crate::{checks, source};

#[derive(Args)]
pub struct BenchArgs {
    /// Model to time generation with [default: the shipped model]
    #[arg(long)]
    model: Option<PathBuf>,
    /// Preset to time training with
    #[arg(long, default_value = "shipped")]
    preset: String,
    /// Training steps timed (after two warm-up steps)
    #[arg(long, default_value_t = 20, value_parser = checks::between(1, checks::MAX_STEPS))]
    train_steps: usize,
    /// Sequences per training batch
    #[arg(long, default_value_t = 32, value_parser = checks::between(1, checks::MAX_BATCH))]
    batch: usize,
    /// Tokens generated per timing (at most the model's context less one)
    #[arg(long, default_value_t = 100, value_parser = checks::at_least(1))]
    gen_tokens: usize,
    /// Report file
    #[arg(long, default_value = "bench-results/native.json")]
    out: PathBuf,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let model_path = args.model.clone().unwrap_or_else(source::default_model);
    let mut inputs = source::model_inputs(&model_path, "the model");
    inputs.extend(source::corpus_inputs(&[]));
    checks::refuse_overwrite("--out", &args.out, &inputs)?;
    let device = source::device();
    let (checkpoint, model) = source::load_model(&model_path, &device)?;
    let (text, _) = source::read_corpus(&[])?;
    let tokens = checkpoint.tokenizer.encode(&text)?;

    // Training throughput (after two warm-up steps).
    let preset = Preset::from_name(&args.preset).map_err(anyhow::Error::msg)?;
    let config = preset.config(checkpoint.tokenizer.vocab_size());
    let corpus = Corpus::split(tokens, config.context_length)?;
    let mut trainer = Trainer::new(
        config.init(&device.clone().autodiff()),
        corpus,
        TrainConfig::new(1000).with_batch_size(args.batch),
    );
    for _ in 0..2 {
        block_on(trainer.train_step())?;
    }
    let started = Instant::now();
    for _ in 0..args.train_steps {
        block_on(trainer.train_step())?;
    }
    let train_s = started.elapsed().as_secs_f64();
    let train_tokens_per_s =
        (args.train_steps * args.batch * config.context_length) as f64 / train_s;
    println!(
        "training ({} preset, batch {}): {train_tokens_per_s:.0} tokens/s",
        preset.name(),
        args.batch
    );

    // Generation: ms per token with and without the KV cache, from a one-token prompt up to
    // `gen_tokens` tokens (so the cached path is measured while the window still grows).
    let mut report = json!({
        "preset": preset.name(),
        "train_batch": args.batch,
        "train_tokens_per_s": train_tokens_per_s,
        "vocab_size": config.vocab_size,
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    let n = args.gen_tokens.min(model.context_length() - 1);
    for (label, use_cache) in [("cached", true), ("uncached", false)] {
        let mut generator = Generator::new(model.clone(), vec![0], DecodeSettings::default())?;
        generator.use_cache = use_cache;
        block_on(generator.step())?;
        let started = Instant::now();
        for _ in 0..n {
            block_on(generator.step())?;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / n as f64;
        println!(
            "generation, {label}: {ms:.2} ms/token (with trace, up to {} tokens)",
            n + 2
        );
        report[format!("generate_ms_per_token_{label}")] = json!(ms);
    }
    report["generate_tokens"] = json!(n);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("wrote {}", args.out.display());
    Ok(())
}
