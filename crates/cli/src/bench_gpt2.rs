//! `glassbox bench-gpt2`: load time and step time of a GPT-2-small-shaped model (124M weights,
//! random, written in the Hugging Face folder layout by this command), on the CPU backend.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use glassbox_model::io::checkpoint::weight_shapes;
use glassbox_model::io::hf;
use glassbox_model::readback::block_on;
use glassbox_model::{DecodeSettings, Generator, GptConfig};
use rand::{Rng, SeedableRng};
use safetensors::tensor::{Dtype, TensorView};
use serde_json::json;

use crate::{checks, source};

#[derive(Args)]
pub struct BenchGpt2Args {
    /// Folder with GPT-2's vocab.json and merges.txt
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/gpt2-tiny"))]
    tokenizer_dir: PathBuf,
    /// New or empty folder where the random model is written (its files removed afterwards)
    #[arg(long, default_value = "target/gpt2-small-random")]
    scratch: PathBuf,
    /// Prompt length in tokens (at most GPT-2's context)
    #[arg(long, default_value_t = 16, value_parser = checks::between(1, CONTEXT))]
    prompt_tokens: usize,
    /// Report file
    #[arg(long, default_value = "bench-results/gpt2-small-native.json")]
    out: PathBuf,
}

/// GPT-2 small's context.
const CONTEXT: usize = 1024;

/// GPT-2 small: 12 layers, 12 heads, width 768, context 1024.
fn gpt2_small() -> GptConfig {
    GptConfig::new(50257, CONTEXT, 12, 12, 768)
}

/// The scratch folder and the files written into it, removed when this is dropped (also when the
/// run fails half-way): those files, and the folder only if this run created it.
struct Scratch {
    dir: PathBuf,
    created: bool,
    files: Vec<PathBuf>,
}

impl Scratch {
    /// Uses `dir` only if it is new or empty. Refusing a folder that holds anything is safer than
    /// writing into a fresh subfolder of it: 500 MB never land inside a folder in use for something
    /// else, files are written only where the user said, and what a killed run left behind is
    /// reported on the next run instead of piling up in subfolders nobody named.
    fn new(dir: &Path) -> Result<Self> {
        let created = match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    bail!(
                        "--scratch {} is not empty: give a new or empty folder (bench-gpt2 writes a 500 MB model there and removes it afterwards)",
                        dir.display()
                    );
                }
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create --scratch {}", dir.display()))?;
                true
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot use --scratch {}", dir.display()));
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            created,
            files: Vec::new(),
        })
    }

    /// The path of `name` in the folder, recorded for removal before anything is written to it.
    fn file(&mut self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        self.files.push(path.clone());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a file that cannot be removed is left, never anything else.
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
        if self.created {
            // `remove_dir` removes only an empty folder.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

fn write_random_folder(
    args: &BenchGpt2Args,
    config: &GptConfig,
    scratch: &mut Scratch,
) -> Result<u64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = weight_shapes(config)
        .into_iter()
        .map(|(name, shape)| {
            let n: usize = shape.iter().product();
            let bytes = (0..n)
                .flat_map(|_| (rng.random::<f32>() * 0.04 - 0.02).to_le_bytes())
                .collect();
            (name, shape, bytes)
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            Ok((
                name.clone(),
                TensorView::new(Dtype::F32, shape.clone(), bytes)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let weights = scratch.file(hf::WEIGHTS_FILE);
    safetensors::serialize_to_file(views, None, &weights)?;
    let hf_config = json!({
        "model_type": "gpt2", "vocab_size": config.vocab_size, "n_positions": config.context_length,
        "n_embd": config.d_model, "n_layer": config.n_layer, "n_head": config.n_head,
        "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
    });
    std::fs::write(scratch.file(hf::CONFIG_FILE), hf_config.to_string())?;
    for name in TOKENIZER_FILES {
        std::fs::copy(args.tokenizer_dir.join(name), scratch.file(name))
            .with_context(|| format!("copying {name} from {}", args.tokenizer_dir.display()))?;
    }
    Ok(std::fs::metadata(&weights)?.len())
}

const TOKENIZER_FILES: [&str; 2] = [hf::VOCAB_FILE, hf::MERGES_FILE];

pub fn run(args: BenchGpt2Args) -> Result<()> {
    let tokenizer_files: Vec<_> = TOKENIZER_FILES
        .iter()
        .map(|name| ("a tokenizer file", args.tokenizer_dir.join(name)))
        .collect();
    checks::refuse_overwrite("--out", &args.out, &tokenizer_files)?;
    let mut scratch = Scratch::new(&args.scratch)?;
    let config = gpt2_small();
    let file_bytes = write_random_folder(&args, &config, &mut scratch)?;
    let device = source::device();

    let started = Instant::now();
    let checkpoint = hf::load_folder(&args.scratch)?;
    let read_s = started.elapsed().as_secs_f64();
    let model = checkpoint.to_model(&device)?;
    let load_s = started.elapsed().as_secs_f64();
    println!(
        "GPT-2 small ({} weights, {:.0} MB): read {read_s:.2} s, ready on the CPU after {load_s:.2} s",
        config.num_params(),
        file_bytes as f64 / 1e6
    );

    let prompt: Vec<u32> = (0..args.prompt_tokens as u32).map(|i| 464 + i).collect();
    let mut generator = Generator::new(model, prompt, DecodeSettings::default())?;
    let started = Instant::now();
    block_on(generator.step())?;
    let first_step_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    block_on(generator.step())?;
    let cached_step_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "first step ({} prompt tokens, traced): {first_step_ms:.0} ms; next (KV cache): {cached_step_ms:.0} ms",
        args.prompt_tokens
    );
    drop(scratch);

    let report = json!({
        "model": "GPT-2 small shape, random weights (HF layout, f32)",
        "params": config.num_params(),
        "file_bytes": file_bytes,
        "backend": "CPU (native, burn flex)",
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "read_s": read_s,
        "load_s": load_s,
        "prompt_tokens": args.prompt_tokens,
        "first_step_ms": first_step_ms,
        "cached_step_ms": cached_step_ms,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("wrote {}", args.out.display());
    Ok(())
}
