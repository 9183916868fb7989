//! Experiments: variants of one model trained on the same text with the same seed, optimiser and
//! token budget, to answer the seed document's "why" questions (why several heads, why depth, why
//! attention in every block, why a non-linearity, why a long context) with numbers.

use serde::{Deserialize, Serialize};

use crate::config::{Activation, GptConfig};
use crate::train::run::{RunRecord, RunSettings};

/// The built-in experiments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentKind {
    /// 1, 4 and 8 heads at the same width.
    Heads,
    /// 1, 2 and 4 blocks.
    Depth,
    /// Attention in every block, or in the first only.
    Attention,
    /// GELU, ReLU or no activation in the MLP.
    Activation,
    /// A quarter of the context, or all of it, at the same tokens per step.
    Context,
}

impl ExperimentKind {
    /// Every experiment, in the order the questions are asked.
    pub const ALL: [ExperimentKind; 5] = [
        ExperimentKind::Heads,
        ExperimentKind::Depth,
        ExperimentKind::Attention,
        ExperimentKind::Activation,
        ExperimentKind::Context,
    ];

    /// The lower-case name the CLI takes.
    pub fn name(self) -> &'static str {
        match self {
            ExperimentKind::Heads => "heads",
            ExperimentKind::Depth => "depth",
            ExperimentKind::Attention => "attention",
            ExperimentKind::Activation => "activation",
            ExperimentKind::Context => "context",
        }
    }

    /// The experiment called `name`; the refusal lists the known names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        crate::config::by_name(&Self::ALL, Self::name, name, "experiment")
    }

    /// The question it answers.
    pub fn question(self) -> &'static str {
        match self {
            ExperimentKind::Heads => {
                "Why several heads? 1 vs 4 vs 8 heads at the same width (so the same parameters)"
            }
            ExperimentKind::Depth => "Why many layers? 1 vs 2 vs 4 blocks",
            ExperimentKind::Attention => {
                "Why attention in every block? Every block attends vs only the first (the others keep their MLP)"
            }
            ExperimentKind::Activation => {
                "Why a non-linearity? GELU vs ReLU vs none (identity) in the MLP"
            }
            ExperimentKind::Context => {
                "Why a long context? A window of a quarter of the tokens vs the full one, at the same tokens per step"
            }
        }
    }

    /// The variants, derived from `base` (the settings every variant shares).
    pub fn plan(self, base: &RunSettings) -> Vec<Variant> {
        let with = |name: String, model: GptConfig| Variant::new(name, base, model);
        let m = &base.model;
        match self {
            ExperimentKind::Heads => [1, 4, 8]
                .map(|n_head| {
                    with(
                        counted(n_head, "head"),
                        GptConfig {
                            n_head,
                            ..m.clone()
                        },
                    )
                })
                .into(),
            ExperimentKind::Depth => [1, 2, 4]
                .map(|n_layer| {
                    with(
                        counted(n_layer, "block"),
                        GptConfig {
                            n_layer,
                            ..m.clone()
                        },
                    )
                })
                .into(),
            ExperimentKind::Attention => {
                let n_layer = m.n_layer.max(2);
                let every = GptConfig {
                    n_layer,
                    without_attention: None,
                    ..m.clone()
                };
                let first = every
                    .clone()
                    .with_without_attention(Some((1..n_layer).collect()));
                vec![
                    with("attention in every block".into(), every),
                    with("attention in the first block only".into(), first),
                ]
            }
            ExperimentKind::Activation => [
                ("GELU", Activation::GeluTanh),
                ("ReLU", Activation::Relu),
                ("no activation (identity)", Activation::Identity),
            ]
            .into_iter()
            .map(|(name, activation)| with(name.into(), m.clone().with_activation(activation)))
            .collect(),
            ExperimentKind::Context => {
                let short = (m.context_length / 4).max(2);
                [short, m.context_length]
                    .into_iter()
                    .map(|context_length| {
                        with(
                            format!("context {context_length}"),
                            GptConfig {
                                context_length,
                                ..m.clone()
                            },
                        )
                    })
                    .collect()
            }
        }
    }
}

/// One model of an experiment and how it trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// What sets it apart, for a legend: "4 heads", "context 32".
    pub name: String,
    /// Its run's settings.
    pub settings: RunSettings,
    /// Continues the shipped model instead of starting from random weights (post-training).
    #[serde(default)]
    pub from_shipped: bool,
}

impl Variant {
    /// `model` trained like `base`, at the same number of tokens per step: a shorter context gets
    /// a proportionally larger batch.
    pub fn new(name: String, base: &RunSettings, model: GptConfig) -> Self {
        let mut settings = base.clone();
        let tokens = base.train.batch_size * base.model.context_length;
        settings.train.batch_size = (tokens / model.context_length).max(1);
        settings.model = model;
        Self {
            name,
            settings,
            from_shipped: false,
        }
    }
}

/// Post-training in miniature: question/answer pairs a pretrained model is fine-tuned on.
#[derive(Clone, Debug, PartialEq)]
pub struct QaPairs {
    /// `(question, answer)`, in the order written.
    pub pairs: Vec<(String, String)>,
}

impl QaPairs {
    /// Reads "Q: …" / "A: …" lines (blank lines between pairs are optional).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut question: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match (
                line.strip_prefix("Q:"),
                line.strip_prefix("A:"),
                question.take(),
            ) {
                (Some(q), _, None) => question = Some(q.trim().to_string()),
                (_, Some(a), Some(q)) => pairs.push((q, a.trim().to_string())),
                (_, _, pending) => {
                    let expected = if pending.is_some() {
                        "A: …"
                    } else {
                        "Q: …"
                    };
                    return Err(format!(
                        "line {}: expected \"{expected}\" (pairs are a line \"Q: …\" then a line \"A: …\")",
                        i + 1
                    ));
                }
            }
        }
        if question.is_some() {
            return Err("the last question has no answer (\"A: …\")".into());
        }
        if pairs.is_empty() {
            return Err("no question/answer pairs: write lines \"Q: …\" and \"A: …\"".into());
        }
        Ok(Self { pairs })
    }

    /// The pairs as the model reads them.
    pub fn text(&self) -> String {
        self.pairs
            .iter()
            .map(|(q, a)| format!("Q: {q}\nA: {a}\n\n"))
            .collect()
    }

    /// What the model is asked: the first question, up to "A:".
    pub fn prompt(&self) -> String {
        format!("Q: {}\nA:", self.pairs[0].0)
    }

    /// The training text: the pairs repeated until both the training part and the validation
    /// tenth hold a few windows of `context` tokens. The validation loss is then the loss on the
    /// pairs themselves: post-training teaches these answers.
    pub fn corpus(&self, context: usize) -> String {
        let text = self.text();
        let needed = 40 * (context + 1);
        text.repeat(needed.div_ceil(text.chars().count().max(1)))
    }

    /// The one variant: `base` (the shipped model's settings) continued on the pairs.
    pub fn plan(&self, base: &RunSettings) -> Vec<Variant> {
        let mut settings = base.clone();
        settings.sample_prompt = self.prompt();
        settings.sample_length = self.pairs[0].1.chars().count() + 12;
        settings.probe = self
            .text()
            .chars()
            .take(base.model.context_length)
            .collect();
        settings.corpus_name = format!("{} question/answer pairs", self.pairs.len());
        vec![Variant {
            name: "shipped model, fine-tuned on the pairs".into(),
            settings,
            from_shipped: true,
        }]
    }
}

/// What post-training did, from the run: the loss on the pairs and the answer to the first
/// question, before and after.
pub fn post_training_verdict(record: &RunRecord) -> Option<String> {
    let before = record.initial_val_loss?;
    let after = record.curve.iter().rev().find_map(|p| p.val_loss)?;
    let answer = |i: usize| {
        let sample = &record.samples.get(i)?.text;
        let start =
            sample.find(&record.settings.sample_prompt)? + record.settings.sample_prompt.len();
        Some(
            sample[start..]
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string(),
        )
    };
    let (first, last) = (answer(0)?, answer(record.samples.len() - 1)?);
    Some(format!(
        "Loss on the pairs went from {before:.3} to {after:.3} nats in {} steps; asked “{}”, the model answered “{first}” before and “{last}” after.",
        record.steps_done(),
        record
            .settings
            .sample_prompt
            .trim_end_matches("\nA:")
            .trim_start_matches("Q: ")
    ))
}

/// What a variant reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    /// The variant's name.
    pub name: String,
    /// Its trainable parameters.
    pub params: usize,
    /// Steps it trained.
    pub steps: usize,
    /// The last validation loss.
    pub val_loss: Option<f32>,
    /// The training loss averaged over the last 10% of the steps (a single step is noisy).
    pub train_loss: Option<f32>,
    /// Training throughput over the whole run.
    pub tokens_per_s: Option<f64>,
}

impl VariantResult {
    /// What the run recorded in `record` reached.
    pub fn from_record(name: &str, record: &RunRecord) -> Self {
        let curve = &record.curve;
        let tail = &curve[curve.len() - (curve.len() / 10).max(1).min(curve.len())..];
        Self {
            name: name.to_string(),
            params: record.settings.model.num_params(),
            steps: record.steps_done(),
            val_loss: curve.iter().rev().find_map(|p| p.val_loss),
            train_loss: (!tail.is_empty())
                .then(|| tail.iter().map(|p| p.loss).sum::<f32>() / tail.len() as f32),
            tokens_per_s: record.tokens_per_second(curve.len()),
        }
    }
}

/// Below this gap in validation loss (nats) the verdict calls the variants even.
pub const NOTABLE_GAP: f32 = 0.01;

/// One line from the numbers: who reached the lowest validation loss, by how much, at how many
/// parameters.
pub fn verdict(results: &[VariantResult]) -> String {
    let mut ranked: Vec<&VariantResult> = results.iter().filter(|r| r.val_loss.is_some()).collect();
    if ranked.len() < 2 {
        return "Not enough finished variants to compare yet.".into();
    }
    ranked.sort_by(|a, b| a.val_loss.unwrap().total_cmp(&b.val_loss.unwrap()));
    let (best, worst) = (ranked[0], ranked[ranked.len() - 1]);
    let gap = worst.val_loss.unwrap() - best.val_loss.unwrap();
    let params = if ranked.iter().all(|r| r.params == best.params) {
        format!("at equal parameters ({})", best.params)
    } else {
        let list: Vec<String> = ranked
            .iter()
            .map(|r| format!("{} {}", r.name, r.params))
            .collect();
        format!("with {} parameters", list.join(", "))
    };
    if gap < NOTABLE_GAP {
        return format!(
            "No clear difference at this budget: every variant reached {:.3}–{:.3} validation loss {params}.",
            best.val_loss.unwrap(),
            worst.val_loss.unwrap()
        );
    }
    let others: Vec<String> = ranked[1..]
        .iter()
        .map(|r| format!("{:.3} for {}", r.val_loss.unwrap(), r.name))
        .collect();
    format!(
        "{} reached {:.3} validation loss vs {} ({params}; gap {gap:.3} nats).",
        capitalised(&best.name),
        best.val_loss.unwrap(),
        others.join(", "),
    )
}

/// "1 head", "4 heads".
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The results table as CSV.
pub fn results_csv(results: &[VariantResult]) -> String {
    let fmt = |v: Option<f32>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let mut csv = String::from("variant,parameters,steps,val_loss,train_loss,tokens_per_s\n");
    for r in results {
        csv.push_str(&format!(
            "\"{}\",{},{},{},{},{}\n",
            r.name.replace('"', "\"\""),
            r.params,
            r.steps,
            fmt(r.val_loss),
            fmt(r.train_loss),
            r.tokens_per_s.map_or(String::new(), |t| format!("{t:.0}"))
        ));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;
    use crate::config::TrainConfig;

    fn base() -> RunSettings {
        RunSettings {
            model: Preset::Tiny.config(30),
            train: TrainConfig::new(20).with_batch_size(8),
            report_every: 10,
            sample_prompt: "to".into(),
            sample_length: 8,
            probe: "to be or not".into(),
            corpus_name: "test".into(),
        }
    }

    #[test]
    fn every_experiment_plans_valid_variants_that_share_the_training() {
        let base = base();
        for kind in ExperimentKind::ALL {
            let variants = kind.plan(&base);
            assert!((2..=4).contains(&variants.len()), "{kind:?}");
            for v in &variants {
                v.settings.model.validate().unwrap();
                assert_eq!(v.settings.train.seed, base.train.seed);
                assert_eq!(v.settings.train.total_steps, base.train.total_steps);
                // The same tokens per step for every variant.
                assert_eq!(
                    v.settings.train.batch_size * v.settings.model.context_length,
                    base.train.batch_size * base.model.context_length
                );
            }
            assert_eq!(ExperimentKind::from_name(kind.name()), Ok(kind));
        }
        let heads = ExperimentKind::Heads.plan(&base);
        let params: Vec<usize> = heads
            .iter()
            .map(|v| v.settings.model.num_params())
            .collect();
        assert!(
            params.iter().all(|&p| p == params[0]),
            "heads cost no parameters"
        );
        let attention = ExperimentKind::Attention.plan(&base);
        assert_eq!(attention[1].settings.model.without_attention, Some(vec![1]));
        let context = ExperimentKind::Context.plan(&base);
        assert_eq!(context[0].settings.model.context_length, 8);
        assert_eq!(context[0].settings.train.batch_size, 32);
    }

    fn result(name: &str, params: usize, val: f32) -> VariantResult {
        VariantResult {
            name: name.into(),
            params,
            steps: 10,
            val_loss: Some(val),
            train_loss: Some(val),
            tokens_per_s: Some(100.0),
        }
    }

    #[test]
    fn question_answer_pairs_parse_and_make_a_corpus() {
        let pairs = QaPairs::parse("Q: Who?\nA: Romeo.\n\nQ: Where?\nA: Verona.\n").unwrap();
        assert_eq!(pairs.pairs.len(), 2);
        assert_eq!(pairs.prompt(), "Q: Who?\nA:");
        assert_eq!(
            pairs.text(),
            "Q: Who?\nA: Romeo.\n\nQ: Where?\nA: Verona.\n\n"
        );
        let corpus = pairs.corpus(32);
        assert!(corpus.len() >= 40 * 33 && corpus.starts_with(&pairs.text()));
        let err = QaPairs::parse("Q: Who?\nQ: Where?").unwrap_err();
        assert!(err.starts_with("line 2: expected \"A: …\""), "{err}");
        assert!(
            QaPairs::parse("A: no question")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(QaPairs::parse("Q: Who?").unwrap_err().contains("no answer"));
        assert!(QaPairs::parse("\n\n").unwrap_err().contains("no question"));
        let plan = pairs.plan(&base());
        assert!(plan[0].from_shipped);
        assert_eq!(plan[0].settings.sample_prompt, "Q: Who?\nA:");
    }

    /// Fine-tuning a model on a few pairs lowers the loss on them, and the verdict says so.
    #[test]
    fn post_training_lowers_the_loss_on_the_pairs() {
        use crate::io::checkpoint::Checkpoint;
        use crate::readback::block_on;
        use crate::tokenize::{CharTokenizer, Tokenizer};
        use crate::train::run::TrainingRun;
        use burn::tensor::Device;

        let pairs = QaPairs::parse("Q: Who?\nA: Romeo.\nQ: Where?\nA: Verona.").unwrap();
        let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus(&pairs.text()).unwrap());
        let device = Device::flex();
        let config = Preset::Tiny.config(tokenizer.vocab_size());
        let model = config.init_seeded(5, &device);
        let base = block_on(Checkpoint::from_model(
            &model, &config, tokenizer, None, None,
        ))
        .unwrap();
        let mut settings = base_settings_for(&config);
        settings.train = TrainConfig::new(40).with_batch_size(8).with_warmup_steps(2);
        let variant = pairs.plan(&settings).remove(0);
        let corpus = pairs.corpus(config.context_length);
        let mut run =
            TrainingRun::start(variant.settings, &corpus, Some(&base), &device.autodiff()).unwrap();
        block_on(run.observe()).unwrap();
        while !run.is_finished() {
            block_on(run.train_step(|| 0.0)).unwrap();
        }
        let record = &run.record;
        let after = record.curve.iter().rev().find_map(|p| p.val_loss).unwrap();
        assert!(after < record.initial_val_loss.unwrap() - 0.5, "{record:?}");
        let verdict = post_training_verdict(record).unwrap();
        assert!(verdict.contains("asked “Who?”"), "{verdict}");
        assert!(
            verdict.contains(&format!("to {after:.3} nats in 40 steps")),
            "{verdict}"
        );
    }

    fn base_settings_for(model: &GptConfig) -> RunSettings {
        RunSettings {
            model: model.clone(),
            ..base()
        }
    }

    #[test]
    fn the_verdict_comes_from_the_numbers() {
        let v = verdict(&[result("1 head", 100, 2.05), result("4 heads", 100, 1.92)]);
        assert_eq!(
            v,
            "4 heads reached 1.920 validation loss vs 2.050 for 1 head (at equal parameters (100); gap 0.130 nats)."
        );
        let v = verdict(&[result("a", 100, 2.0), result("b", 200, 2.005)]);
        assert!(v.starts_with("No clear difference"), "{v}");
        assert!(v.contains("a 100, b 200"), "{v}");
        assert!(verdict(&[result("a", 1, 1.0)]).starts_with("Not enough"));
        assert_eq!(
            results_csv(&[result("a \"x\"", 1, 1.5)]),
            "variant,parameters,steps,val_loss,train_loss,tokens_per_s\n\"a \"\"x\"\"\",1,10,1.5000,1.5000,100\n"
        );
    }
}
