use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use glassbox_model::readback::block_on;
use glassbox_model::{DecodeSettings, Generator, StepRecord, Strategy, Tokenizer};
use serde_json::json;

use crate::{checks, source};

#[derive(Args)]
pub struct GenerateArgs {
    /// Checkpoint file or Hugging Face GPT-2 folder [default: the shipped model]
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long)]
    prompt: String,
    /// Tokens to generate
    #[arg(long, default_value_t = 200, value_parser = checks::between(1, checks::MAX_NEW_TOKENS))]
    max_new: usize,
    /// greedy, sample or beam
    #[arg(long, default_value = "sample")]
    strategy: String,
    /// Divides the logits (0 = greedy)
    #[arg(long, default_value_t = 1.0, value_parser = checks::temperature)]
    temperature: f32,
    /// Keep only the K most likely tokens (0 = off)
    #[arg(long, default_value_t = 0, value_parser = checks::at_least(0))]
    top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches P (1 = off)
    #[arg(long, default_value_t = 1.0, value_parser = checks::top_p)]
    top_p: f32,
    /// Beam width (with --strategy beam)
    #[arg(long, default_value_t = 4, value_parser = checks::between(1, checks::MAX_BEAMS))]
    beams: usize,
    /// Beam score = log-probability / length^PENALTY (with --strategy beam)
    #[arg(long, default_value_t = 1.0, value_parser = checks::finite)]
    length_penalty: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print each step's top candidates with their probabilities
    #[arg(long)]
    explain: bool,
    /// Print one JSON object: new_ids, new_text (and sequences_score for beam)
    #[arg(long)]
    json: bool,
}

pub fn run(args: GenerateArgs) -> Result<()> {
    let device = source::device();
    let (checkpoint, model) = source::load_model(
        &args.model.clone().unwrap_or_else(source::default_model),
        &device,
    )?;
    let tokenizer = &checkpoint.tokenizer;
    let prompt = tokenizer.encode(&args.prompt)?;
    let settings = decode_settings(&args)?;
    let context = model.context_length();
    let mut generator = Generator::new(model, prompt.clone(), settings.clone())?;
    generator.max_new_tokens = args.max_new;
    generator.end_of_text = tokenizer.end_of_text();
    if prompt.len() > context {
        eprintln!(
            "note: the prompt has {} tokens, more than the model's context of {context}: the model sees the last {context}",
            prompt.len()
        );
    }
    let mut said_sliding = prompt.len() > context;
    let mut printed = 0;
    if !args.json && !args.explain {
        print!("{}", args.prompt);
    }
    while generator.generated().len() < args.max_new && !generator.is_done() {
        let step = block_on(generator.step())?.clone();
        if !said_sliding && step.window_start > 0 {
            eprintln!(
                "\nnote: the text is now longer than the context of {context} tokens: the window slides, the model sees the last {context}"
            );
            said_sliding = true;
        }
        if args.explain {
            explain_step(tokenizer, &step, &settings);
        } else if !args.json && settings.strategy != Strategy::Beam {
            print_continuation(tokenizer, generator.generated(), &mut printed);
        }
    }
    print_result(&args, &generator, tokenizer, printed);
    Ok(())
}

/// The decoding controls the flags set.
fn decode_settings(args: &GenerateArgs) -> Result<DecodeSettings> {
    Ok(DecodeSettings {
        strategy: Strategy::from_name(&args.strategy).map_err(anyhow::Error::msg)?,
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        beam_width: args.beams,
        length_penalty: args.length_penalty,
        seed: args.seed,
    })
}

/// `--explain`'s line for one step: the token chosen and the five most likely candidates.
fn explain_step(tokenizer: &Tokenizer, step: &StepRecord, settings: &DecodeSettings) {
    let dist = step.stages(settings);
    let candidates: Vec<String> = dist
        .top(&step.logits, 5)
        .iter()
        .map(|c| {
            format!(
                "{:>6} {:.3}{}",
                format!("{:?}", tokenizer.token_text(c.id)),
                c.prob,
                if c.excluded { " (cut)" } else { "" }
            )
        })
        .collect();
    println!(
        "step {:>3}: chose {:<8} from {}",
        step.index,
        format!("{:?}", tokenizer.token_text(step.chosen)),
        candidates.join(" | ")
    );
}

/// Prints the part of the continuation not yet printed (`printed` bytes of it were).
fn print_continuation(tokenizer: &Tokenizer, generated: &[u32], printed: &mut usize) {
    // Decode the whole continuation: a BPE token can hold part of a UTF-8 character.
    let text = tokenizer.decode(generated);
    if !text.ends_with(char::REPLACEMENT_CHARACTER) && text.len() > *printed {
        print!("{}", text.get(*printed..).unwrap_or_default());
        *printed = text.len();
    }
}

/// The end of the output: the JSON object, or the text not yet printed (beam search: the best
/// beam).
fn print_result(args: &GenerateArgs, generator: &Generator, tokenizer: &Tokenizer, printed: usize) {
    let (new_ids, score) = match generator.best_beam() {
        Some(best) => (best.tokens, Some(best.score)),
        None => (generator.generated().to_vec(), None),
    };
    let new_text = tokenizer.decode(&new_ids);
    if args.json {
        let mut out = json!({ "new_ids": new_ids, "new_text": new_text });
        if let Some(score) = score {
            out["sequences_score"] = json!(score);
        }
        println!("{out}");
    } else if args.explain || printed == 0 {
        println!("{}{new_text}", args.prompt);
    } else {
        println!("{}", new_text.get(printed..).unwrap_or_default());
    }
}
