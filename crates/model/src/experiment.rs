//! Experiments: variants of one model trained on the same text with the same seed, optimiser and
//! token budget, to answer the seed document's "why" questions (why several heads, why depth, why
//! attention in every block, why a non-linearity, why a long context) with numbers.

use serde::{Deserialize, Serialize};

use crate::config::{Activation, GptConfig};
use crate::run::{RunRecord, RunSettings};

/// The built-in experiments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentKind {
    Heads,
    Depth,
    Attention,
    Activation,
    Context,
}

impl ExperimentKind {
    pub const ALL: [ExperimentKind; 5] = [
        ExperimentKind::Heads,
        ExperimentKind::Depth,
        ExperimentKind::Attention,
        ExperimentKind::Activation,
        ExperimentKind::Context,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExperimentKind::Heads => "heads",
            ExperimentKind::Depth => "depth",
            ExperimentKind::Attention => "attention",
            ExperimentKind::Activation => "activation",
            ExperimentKind::Context => "context",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                format!("unknown experiment `{name}` (known: {})", names.join(", "))
            })
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
    pub name: String,
    pub settings: RunSettings,
}

impl Variant {
    /// `model` trained like `base`, at the same number of tokens per step: a shorter context gets
    /// a proportionally larger batch.
    pub fn new(name: String, base: &RunSettings, model: GptConfig) -> Self {
        let mut settings = base.clone();
        let tokens = base.train.batch_size * base.model.context_length;
        settings.train.batch_size = (tokens / model.context_length).max(1);
        settings.model = model;
        Self { name, settings }
    }
}

/// What a variant reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    pub name: String,
    pub params: usize,
    pub steps: usize,
    /// The last validation loss.
    pub val_loss: Option<f32>,
    /// The training loss averaged over the last 10% of the steps (a single step is noisy).
    pub train_loss: Option<f32>,
    pub tokens_per_s: Option<f64>,
}

impl VariantResult {
    pub fn from_record(name: &str, record: &RunRecord) -> Self {
        let curve = &record.curve;
        let tail = &curve[curve.len() - (curve.len() / 10).max(1).min(curve.len())..];
        Self {
            name: name.to_string(),
            params: record.settings.model.num_params(),
            steps: record.step(),
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
    use crate::training::TrainConfig;

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
