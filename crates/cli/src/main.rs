//! `glassbox`: train, evaluate, generate with and look inside the Glassbox GPT from a terminal.

mod allocator;
mod bench;
mod bench_gpt2;
mod checks;
mod eval;
mod experiment;
mod export;
mod generate;
mod inspect;
mod source;
mod train;

use clap::error::ErrorKind;
use clap::{Command as ClapCommand, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "glassbox",
    version,
    about = "A GPT you can see through: train it, run it, look inside it.",
    mut_subcommands = negative_numbers_are_values
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

/// `--lr -1` reaches the learning rate's own check ("must be a finite number > 0") instead of
/// being taken for an unknown flag `-1`; no flag of this program is a digit.
fn negative_numbers_are_values(command: ClapCommand) -> ClapCommand {
    command.mut_args(|arg| arg.allow_negative_numbers(true))
}

fn main() {
    allocator::keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                // Best effort, as clap's own `exit` does: a closed pipe is no reason to fail.
                let _ = error.print();
                std::process::exit(0);
            }
            _ => fail(&clap_message(&error)),
        },
    };
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
        fail(&format!("{error:#}"));
    }
}

/// clap's error without the "error: " prefix, the usage and the tips: its first paragraph, which
/// is the first line and, for missing arguments, the indented list of them.
fn clap_message(error: &clap::Error) -> String {
    let text = error.to_string();
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    let mut lines = paragraph.lines().map(str::trim);
    let first = lines.next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let listed: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    if listed.is_empty() {
        first.to_string()
    } else {
        format!("{first} {}", listed.join(", "))
    }
}

/// Every failure is one line on stderr and exit status 1 (scripts read the line; clap's own
/// usage errors would exit 2 with several).
fn fail(message: &str) -> ! {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("glassbox: {}", lines.join(" "));
    std::process::exit(1);
}
