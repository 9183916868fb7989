//! The Train view's settings as the form edits them and a link shares them, checked against the
//! limits before a run starts (no browser or worker code: the URL codec and the view share it).

use glassbox_model::ceilings::MAX_STEPS;
use glassbox_model::limits::{self, Budget};
use glassbox_model::train::run::RunSettings;
use glassbox_model::train::tasks::ToyTask;
use glassbox_model::units::format_count;
use glassbox_model::{GptConfig, Preset, TrainConfig};

/// The vocabulary the form's checks assume before the corpus is read.
const CHARACTER_VOCABULARY: usize = 256;

/// The corpus name a run on the shipped text records.
pub const SHAKESPEARE_NAME: &str = "built-in Shakespeare";

/// The weights a run starts from.
#[derive(Clone, Debug, PartialEq)]
pub enum StartFrom {
    /// Random weights of the form's shape.
    Scratch,
    /// The shipped model.
    Shipped,
    /// A checkpoint file the user uploaded (its name).
    Uploaded(String),
    /// The model open in the Generate view (e.g. a GPT-2 folder), with its own tokenizer.
    Open,
}

/// The text a run trains on.
#[derive(Clone, Debug, PartialEq)]
pub enum CorpusChoice {
    /// The shipped Shakespeare.
    Shakespeare,
    /// A file the user picked or dropped, or pasted text.
    Custom {
        /// The file name, or "pasted text".
        name: String,
        /// The whole text.
        text: String,
    },
    /// A toy task's lines, generated in the tab.
    Task {
        /// Which task.
        task: ToyTask,
        /// Its generated lines.
        text: String,
    },
}

impl CorpusChoice {
    /// What the Train view says of the text: its length and distinct characters (a run from
    /// scratch has one token per distinct character).
    pub fn description(&self) -> String {
        match self {
            CorpusChoice::Shakespeare => {
                "Training text: the built-in Shakespeare (5.1 MB, 84 distinct characters).".into()
            }
            CorpusChoice::Custom { name, text } => {
                let distinct: std::collections::BTreeSet<char> = text.chars().collect();
                format!(
                    "Training text: {name}, {} characters, {} distinct (the vocabulary when starting from scratch).",
                    text.chars().count(),
                    distinct.len()
                )
            }
            CorpusChoice::Task { task, text } => format!(
                "Training text: {} lines generated for the {}",
                format_count(text.lines().count()),
                task.describe()
            ),
        }
    }

    /// The toy task's lines, generated with a fixed seed (a run's batches are drawn with the
    /// form's).
    pub fn task(task: ToyTask) -> Self {
        CorpusChoice::Task {
            task,
            text: task.corpus(TASK_SEED),
        }
    }

    /// The text itself, unless it is the built-in corpus (fetched when a run starts).
    pub fn text(&self) -> Option<&str> {
        match self {
            CorpusChoice::Shakespeare => None,
            CorpusChoice::Custom { text, .. } | CorpusChoice::Task { text, .. } => Some(text),
        }
    }

    /// The choice a saved run trained on: its recorded name and its text (`None`: the built-in).
    pub fn saved(name: &str, text: Option<String>) -> Self {
        match (text, ToyTask::from_corpus_name(name)) {
            (None, _) => CorpusChoice::Shakespeare,
            (Some(text), Some(task)) => CorpusChoice::Task { task, text },
            (Some(text), None) => CorpusChoice::Custom {
                name: name.to_string(),
                text,
            },
        }
    }

    /// The toy task chosen, if one is.
    pub fn toy_task(&self) -> Option<ToyTask> {
        match self {
            CorpusChoice::Task { task, .. } => Some(*task),
            _ => None,
        }
    }

    /// Where the text came from, as a run records it.
    pub fn name(&self) -> String {
        match self {
            CorpusChoice::Shakespeare => SHAKESPEARE_NAME.into(),
            CorpusChoice::Custom { name, .. } => name.clone(),
            CorpusChoice::Task { task, .. } => task.corpus_name(),
        }
    }
}

/// The seed of a toy task's generated lines.
const TASK_SEED: u64 = 1;

/// The settings as the form edits them (and the URL shares them).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainForm {
    /// The weights the run starts from.
    pub start: StartFrom,
    /// A [`Preset`] name or "custom".
    pub preset: String,
    /// Blocks.
    pub layers: usize,
    /// Heads per block.
    pub heads: usize,
    /// Width of the residual stream.
    pub width: usize,
    /// Context length in tokens.
    pub context: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Steps of linear warm-up.
    pub warmup: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Optimizer steps in the run.
    pub steps: usize,
    /// Seed of the initial weights and of every batch.
    pub seed: u64,
    /// Validation loss, sample and attention snapshot every this many steps.
    pub report_every: usize,
}

impl Default for TrainForm {
    fn default() -> Self {
        let mut form = Self {
            start: StartFrom::Scratch,
            preset: String::new(),
            layers: 0,
            heads: 0,
            width: 0,
            context: 0,
            learning_rate: 3e-3,
            warmup: 10,
            batch: 16,
            steps: 300,
            seed: 1337,
            report_every: 10,
        };
        form.apply_preset(Preset::Tiny.name());
        form
    }
}

impl TrainForm {
    /// Shows the shape of the model a run continues (the shipped one, an upload, an opened GPT-2).
    pub fn show_shape(&mut self, c: &glassbox_model::GptConfig) {
        self.preset = Preset::ALL
            .into_iter()
            .find(|p| p.config(c.vocab_size) == *c)
            .map_or("custom".into(), |p| p.name().to_string());
        (self.layers, self.heads, self.width, self.context) =
            (c.n_layer, c.n_head, c.d_model, c.context_length);
    }

    /// Shows a saved run's settings: its shape and how it trains.
    pub fn show(&mut self, settings: &RunSettings) {
        self.show_shape(&settings.model);
        let t = &settings.train;
        (
            self.learning_rate,
            self.warmup,
            self.batch,
            self.steps,
            self.seed,
        ) = (
            t.learning_rate,
            t.warmup_steps,
            t.batch_size,
            t.total_steps,
            t.seed,
        );
        self.report_every = settings.report_every;
    }

    /// Shows the model and budget a toy task trains with, from scratch.
    pub fn apply_task(&mut self, task: ToyTask) {
        self.start = StartFrom::Scratch;
        self.show(&task.run_settings());
    }

    /// Fills the architecture from a preset ("custom" keeps the fields as they are).
    pub fn apply_preset(&mut self, name: &str) {
        self.preset = name.to_string();
        if let Ok(preset) = Preset::from_name(name) {
            let c = preset.config(0);
            (self.layers, self.heads, self.width, self.context) =
                (c.n_layer, c.n_head, c.d_model, c.context_length);
        }
    }

    /// Whether a run of these settings may start: each field in range, and the memory it
    /// needs within a browser tab's.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(format!(
                "the learning rate must be a positive number (got {})",
                self.learning_rate
            ));
        }
        if self.steps == 0 || self.batch == 0 || self.report_every == 0 {
            return Err("steps, batch size and the report interval must be at least 1".into());
        }
        if self.steps > MAX_STEPS {
            return Err(format!(
                "steps is {}; at most {} in one run",
                format_count(self.steps),
                format_count(MAX_STEPS)
            ));
        }
        // The memory first: it says how large a model would fit. A character vocabulary has at
        // most a few hundred tokens; the worker checks again with the real one.
        let model = GptConfig {
            vocab_size: CHARACTER_VOCABULARY,
            ..self.model()
        };
        limits::check_training(&model, self.batch, Budget::BROWSER_TAB)
    }

    /// The architecture; its vocabulary size (1 here) is the tokenizer's once the run starts.
    pub fn model(&self) -> GptConfig {
        GptConfig::new(1, self.context, self.layers, self.heads, self.width)
    }

    /// The run these settings describe on `corpus` (the sample prompt and the probe come from
    /// the text, so every character is in its vocabulary).
    pub fn settings(&self, corpus: &CorpusChoice) -> RunSettings {
        let (sample_prompt, probe) = match corpus {
            CorpusChoice::Shakespeare => (
                "ROMEO:\n".to_string(),
                "To be, or not to be, that is the question:".to_string(),
            ),
            // The text's own start: every character is in its vocabulary.
            CorpusChoice::Custom { text, .. } => (
                text.chars().take(8).collect(),
                text.chars().take(48).collect(),
            ),
            CorpusChoice::Task { task, .. } => {
                let task = task.run_settings();
                (task.sample_prompt, task.probe)
            }
        };
        RunSettings {
            model: self.model(),
            train: TrainConfig::new(self.steps)
                .with_learning_rate(self.learning_rate)
                .with_warmup_steps(self.warmup)
                .with_batch_size(self.batch)
                .with_seed(self.seed),
            report_every: self.report_every,
            sample_prompt,
            sample_length: 80,
            probe,
            corpus_name: corpus.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_form_is_the_tiny_preset_and_valid() {
        let form = TrainForm::default();
        assert_eq!(form.preset, Preset::Tiny.name());
        assert_eq!(form.model(), Preset::Tiny.config(1));
        assert!(form.validate().is_ok());
    }

    #[test]
    fn presets_fill_the_shape_and_a_shape_names_its_preset() {
        let mut form = TrainForm::default();
        form.apply_preset(Preset::Shipped.name());
        assert_eq!(form.model(), Preset::Shipped.config(1));
        form.apply_preset("custom");
        assert_eq!(
            form.model(),
            Preset::Shipped.config(1),
            "custom keeps the fields"
        );

        let mut shown = TrainForm::default();
        shown.apply_preset("custom");
        shown.show_shape(&Preset::Tiny.config(84));
        assert_eq!(shown.preset, Preset::Tiny.name());
        shown.show_shape(&GptConfig::new(84, 20, 3, 1, 24));
        assert_eq!(
            (shown.preset.as_str(), shown.layers, shown.context),
            ("custom", 3, 20)
        );
    }

    #[test]
    fn a_saved_runs_settings_show_as_the_form_that_made_them() {
        let mut made = TrainForm::default();
        made.apply_preset("custom");
        (made.layers, made.heads, made.width, made.context) = (3, 2, 24, 20);
        (
            made.learning_rate,
            made.warmup,
            made.batch,
            made.steps,
            made.seed,
            made.report_every,
        ) = (1e-3, 7, 4, 99, 5, 3);
        let mut shown = TrainForm::default();
        shown.show(&made.settings(&CorpusChoice::Shakespeare));
        assert_eq!(shown, made);
    }

    #[test]
    fn bad_settings_are_refused_with_the_field_named() {
        let with = |change: fn(&mut TrainForm)| {
            let mut form = TrainForm::default();
            change(&mut form);
            form.validate().unwrap_err()
        };
        assert!(with(|f| f.learning_rate = f64::NAN).contains("learning rate"));
        assert!(with(|f| f.batch = 0).contains("at least 1"));
        assert!(with(|f| f.steps = MAX_STEPS + 1).contains("at most"));
        let huge = with(|f| (f.layers, f.width, f.batch) = (96, 12_288, 512));
        assert!(huge.contains("browser tab"), "{huge}");
    }

    #[test]
    fn a_text_is_described_by_its_length_and_distinct_characters() {
        let corpus = CorpusChoice::Custom {
            name: "a.txt".into(),
            text: "abbé\ncab".into(),
        };
        assert_eq!(
            corpus.description(),
            "Training text: a.txt, 8 characters, 5 distinct (the vocabulary when starting from scratch)."
        );
        assert!(
            CorpusChoice::Shakespeare
                .description()
                .contains("84 distinct")
        );
    }

    #[test]
    fn a_custom_text_probes_and_prompts_with_its_own_start() {
        let corpus = CorpusChoice::Custom {
            name: "notes.txt".into(),
            text: "abcdefghijklmnopqrstuvwxyz".repeat(3),
        };
        let settings = TrainForm::default().settings(&corpus);
        assert_eq!(settings.sample_prompt, "abcdefgh");
        assert_eq!(settings.probe.chars().count(), 48);
        assert_eq!(settings.corpus_name, "notes.txt");
        let shakespeare = TrainForm::default().settings(&CorpusChoice::Shakespeare);
        assert_eq!(shakespeare.corpus_name, SHAKESPEARE_NAME);
        assert_eq!(shakespeare.train.total_steps, TrainForm::default().steps);
    }

    #[test]
    fn a_toy_task_sets_its_model_budget_probe_and_name() {
        let corpus = CorpusChoice::task(ToyTask::Induction);
        let mut form = TrainForm {
            start: StartFrom::Shipped,
            ..TrainForm::default()
        };
        form.apply_task(ToyTask::Induction);
        let settings = form.settings(&corpus);
        let task = ToyTask::Induction.run_settings();
        assert_eq!(form.start, StartFrom::Scratch);
        assert_eq!(
            (settings.model.clone(), settings.train.clone()),
            (task.model, task.train)
        );
        assert_eq!(settings.probe, task.probe);
        assert_eq!(settings.corpus_name, "induction task");
        assert!(form.validate().is_ok());
        assert!(
            corpus.description().contains("4,000 lines"),
            "{}",
            corpus.description()
        );
        // A saved run on a task comes back as that task, with the text it trained on.
        let text = corpus.text().unwrap().to_string();
        assert_eq!(
            CorpusChoice::saved(&settings.corpus_name, Some(text)),
            corpus
        );
        assert_eq!(
            CorpusChoice::saved(SHAKESPEARE_NAME, None),
            CorpusChoice::Shakespeare
        );
        assert_eq!(corpus.toy_task(), Some(ToyTask::Induction));
    }
}
