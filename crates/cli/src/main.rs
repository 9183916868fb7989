//! `glassbox`: train, evaluate, generate with and look inside the Glassbox GPT from a terminal.

mod bench;
mod bench_gpt2;
mod eval;
mod experiment;
mod export;
mod generate;
mod inspect;
mod source;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "glassbox",
    version,
    about = "A GPT you can see through: train it, run it, look inside it."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on text files (or resume a checkpoint) and write the loss curve.
    Train(train::TrainArgs),
    /// Print the validation loss (last 10% of the corpus) of a model.
    Eval(eval::EvalArgs),
    /// Continue a prompt token by token.
    Generate(generate::GenerateArgs),
    /// Print one traced forward pass: logits, attentions, hidden states, loss.
    Inspect(inspect::InspectArgs),
    /// Measure training and generation speed; writes a JSON report.
    Bench(bench::BenchArgs),
    /// Measure loading and stepping a GPT-2-small-shaped model (random weights); writes a JSON report.
    BenchGpt2(bench_gpt2::BenchGpt2Args),
    /// Train an experiment's variants (heads, depth, attention, activation, context) side by side.
    Experiment(experiment::ExperimentArgs),
    /// Copy a checkpoint without its optimizer state (for shipping).
    Export(export::ExportArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchGpt2(args) => bench_gpt2::run(args),
        Command::Experiment(args) => experiment::run(args),
        Command::Export(args) => export::run(args),
    };
    if let Err(error) = result {
        eprintln!("glassbox: {error:#}");
        std::process::exit(1);
    }
}
