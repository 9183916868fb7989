//! Toy tasks: small algorithmic texts generated on the spot, one example per line, on which a
//! one- or two-block model learns in a couple of minutes and its heads visibly specialise (a
//! previous-token head, an induction head). Each line is `input=answer`; the answer is all the
//! model can learn, the input is random.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::{GptConfig, TrainConfig, by_name};
use crate::train::run::RunSettings;

/// Lines in a generated corpus: enough that a run never sees the same window twice in a row,
/// small enough to generate instantly (about 60 kB).
pub const LINES: usize = 4_000;

/// The letters a task's inputs are drawn from.
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Longest probe: the models' context.
const PROBE_LENGTH: usize = 32;

/// Letters in each half of an induction line.
pub const INDUCTION_LENGTH: usize = 10;

/// Modulus of the addition task: two-digit operands, two-digit sums.
pub const MODULUS: u32 = 97;

/// An algorithmic task a small model can learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToyTask {
    /// `abcde=abcde`: repeat the input.
    Copy,
    /// `abcde=edcba`: the input backwards.
    Reverse,
    /// `dbeac=abcde`: the input's letters in order.
    Sort,
    /// `qxmwkzpaeb` written twice: the second half is predictable only by looking back at what
    /// followed the earlier copy of the current letter (an induction head's pattern).
    Induction,
    /// `07+55=62`: addition modulo 97.
    Addition,
}

impl ToyTask {
    /// Every task, in the order the Train view lists them.
    pub const ALL: [ToyTask; 5] = [
        ToyTask::Copy,
        ToyTask::Reverse,
        ToyTask::Sort,
        ToyTask::Induction,
        ToyTask::Addition,
    ];

    /// The lower-case name a form value or link uses.
    pub fn name(self) -> &'static str {
        match self {
            ToyTask::Copy => "copy",
            ToyTask::Reverse => "reverse",
            ToyTask::Sort => "sort",
            ToyTask::Induction => "induction",
            ToyTask::Addition => "addition",
        }
    }

    /// The task called `name`; the refusal lists the known names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        by_name(&Self::ALL, Self::name, name, "task")
    }

    /// The name a run records as its corpus: "induction task".
    pub fn corpus_name(self) -> String {
        format!("{} task", self.name())
    }

    /// The task a run's recorded corpus name stands for, if it is one.
    pub fn from_corpus_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.corpus_name() == name)
    }

    /// What a line looks like and what learning it takes.
    pub fn describe(self) -> &'static str {
        match self {
            ToyTask::Copy => {
                "copy: “abcde=abcde”. After “=” the model repeats the input: a head must look back to the letter as far behind as the word is long."
            }
            ToyTask::Reverse => {
                "reverse: “abcde=edcba”. After “=” the input backwards: each answer letter is found by counting back from “=”."
            }
            ToyTask::Sort => {
                "sort: “dbeac=abcde”. After “=” the input's letters in order: attention picks the smallest letter not written yet."
            }
            ToyTask::Induction => {
                "induction: “qxmwkzpaebqxmwkzpaeb”. Ten random letters written twice: the first half cannot be predicted, the second only by looking back at what followed the earlier copy of the current letter (an induction head's pattern). Here every copy is ten letters back, so one head can learn it by position alone; in real text, where repeats come at any distance, it takes a previous-token head and an induction head working together."
            }
            ToyTask::Addition => {
                "addition: “07+55=62”, modulo 97. The answer's digits depend on all four input digits at once."
            }
        }
    }

    /// One example line (without its newline).
    pub fn line(self, rng: &mut impl Rng) -> String {
        if self == ToyTask::Addition {
            let (a, b) = (rng.random_range(0..MODULUS), rng.random_range(0..MODULUS));
            return format!("{a:02}+{b:02}={:02}", (a + b) % MODULUS);
        }
        // Induction's lines are all one length, so that a copy is always the same distance
        // back (see `describe`).
        let len = if self == ToyTask::Induction {
            INDUCTION_LENGTH
        } else {
            rng.random_range(4..=7)
        };
        let input: String = if self == ToyTask::Induction {
            // Drawn with replacement: a letter may repeat, as in text.
            (0..len)
                .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
                .collect()
        } else {
            // Distinct letters: sorting and reversing then have one answer to show.
            let mut letters = LETTERS.to_vec();
            letters.shuffle(rng);
            letters[..len].iter().map(|&b| b as char).collect()
        };
        match self {
            ToyTask::Copy => format!("{input}={input}"),
            ToyTask::Reverse => format!("{input}={}", input.chars().rev().collect::<String>()),
            ToyTask::Sort => {
                let mut sorted: Vec<char> = input.chars().collect();
                sorted.sort_unstable();
                format!("{input}={}", sorted.into_iter().collect::<String>())
            }
            ToyTask::Induction => format!("{input}{input}"),
            ToyTask::Addition => unreachable!("handled above"),
        }
    }

    /// A corpus of `LINES` lines drawn with `seed`.
    pub fn corpus(self, seed: u64) -> String {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..LINES).map(|_| self.line(&mut rng) + "\n").collect()
    }

    /// A text to watch the heads on (the run's probe): a few lines the corpus's seed does not
    /// draw first, so the model has not memorised them.
    pub fn probe(self) -> String {
        let mut rng = ChaCha8Rng::seed_from_u64(u64::MAX);
        let mut probe = self.line(&mut rng);
        loop {
            let next = self.line(&mut rng);
            if probe.len() + 1 + next.len() > PROBE_LENGTH {
                return probe;
            }
            probe = format!("{probe}\n{next}");
        }
    }

    /// The run that learns it: two blocks of two heads (the induction circuit needs one head to
    /// feed another), small enough to train in the tab in a minute or two; the probe is
    /// [`ToyTask::probe`], the sample continues its first line's input.
    pub fn run_settings(self) -> RunSettings {
        let probe = self.probe();
        let cut = probe.find('=').map_or(probe.len() / 4, |i| i + 1);
        RunSettings {
            model: GptConfig::new(1, PROBE_LENGTH, 2, 2, 32),
            train: TrainConfig::new(500)
                .with_learning_rate(1e-2)
                .with_warmup_steps(20)
                .with_batch_size(16),
            report_every: 25,
            sample_prompt: probe[..cut].to_string(),
            sample_length: 24,
            probe,
            corpus_name: self.corpus_name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::analysis::diversity::HeadPattern;
    use crate::readback::block_on;
    use crate::train::run::TrainingRun;

    fn lines(task: ToyTask) -> Vec<String> {
        task.corpus(7).lines().map(str::to_string).collect()
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for task in ToyTask::ALL {
            assert_eq!(ToyTask::from_name(task.name()), Ok(task));
            assert_eq!(ToyTask::from_corpus_name(&task.corpus_name()), Some(task));
        }
        let err = ToyTask::from_name("divide").unwrap_err();
        assert!(err.contains("copy") && err.contains("addition"), "{err}");
        assert_eq!(ToyTask::from_corpus_name("built-in Shakespeare"), None);
    }

    #[test]
    fn each_line_is_its_input_and_the_right_answer() {
        for line in lines(ToyTask::Copy) {
            let (input, answer) = line.split_once('=').unwrap();
            assert_eq!(input, answer);
            assert!((4..=7).contains(&input.len()));
        }
        for line in lines(ToyTask::Reverse) {
            let (input, answer) = line.split_once('=').unwrap();
            assert_eq!(answer, input.chars().rev().collect::<String>());
        }
        for line in lines(ToyTask::Sort) {
            let (input, answer) = line.split_once('=').unwrap();
            let mut letters: Vec<char> = input.chars().collect();
            letters.sort_unstable();
            assert_eq!(answer, letters.into_iter().collect::<String>());
        }
        let already_sorted = lines(ToyTask::Sort)
            .iter()
            .filter(|l| l.split_once('=').is_some_and(|(a, b)| a == b))
            .count();
        assert!(
            already_sorted < LINES / 20,
            "{already_sorted} inputs were sorted already"
        );
        for line in lines(ToyTask::Induction) {
            let (first, second) = line.split_at(INDUCTION_LENGTH);
            assert_eq!((first, first.len()), (second, INDUCTION_LENGTH));
        }
        for line in lines(ToyTask::Addition) {
            let (sum, answer) = line.split_once('=').unwrap();
            let (a, b) = sum.split_once('+').unwrap();
            let (a, b, c): (u32, u32, u32) = (
                a.parse().unwrap(),
                b.parse().unwrap(),
                answer.parse().unwrap(),
            );
            assert_eq!((a + b) % MODULUS, c, "{line}");
            assert_eq!(line.len(), 8, "{line}: two digits each");
        }
    }

    #[test]
    fn corpora_are_seeded_varied_and_fit_their_models_context() {
        for task in ToyTask::ALL {
            assert_eq!(task.corpus(3), task.corpus(3));
            assert_ne!(task.corpus(3), task.corpus(4));
            let all = lines(task);
            assert_eq!(all.len(), LINES);
            let distinct: std::collections::BTreeSet<&String> = all.iter().collect();
            assert!(
                distinct.len() > LINES / 2,
                "{task:?}: too few distinct lines"
            );
            let config = GptConfig {
                vocab_size: 40,
                ..task.run_settings().model
            };
            assert!(config.validate().is_ok());
            assert!(task.probe().chars().count() <= config.context_length);
            assert!(all.iter().all(|l| l.len() < config.context_length));
            let corpus_chars: std::collections::BTreeSet<char> = task.corpus(3).chars().collect();
            assert!(task.probe().chars().all(|c| corpus_chars.contains(&c)));
        }
    }

    #[test]
    fn two_blocks_trained_on_the_induction_task_grow_an_induction_head() {
        // One thread: the same reductions in the same order however loaded the machine is.
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        one_thread.install(|| {
            let task = ToyTask::Induction;
            let settings = task.run_settings();
            let steps = settings.train.total_steps;
            let mut run =
                TrainingRun::start(settings, &task.corpus(1), None, &Device::flex().autodiff())
                    .unwrap();
            let untrained = block_on(run.observe()).unwrap();
            for _ in 0..steps {
                block_on(run.train_step(|| 0.0)).unwrap();
            }
            let last = run.record.snapshots.len() - 1;
            assert_eq!(run.record.snapshots[last].step, steps);
            let named = |index: usize| run.record.head_patterns(index);
            assert!(
                untrained.snapshot.is_some() && named(0).is_empty(),
                "an untrained head already had a pattern: {:?}",
                named(0)
            );
            let found = named(last);
            assert!(
                found
                    .iter()
                    .any(|&(_, _, p, _)| p == HeadPattern::Induction),
                "no induction head: {found:?}"
            );
            let curve = &run.record.curve;
            assert!(
                curve.last().unwrap().loss < 0.8 * curve[0].loss,
                "the loss barely fell"
            );
        });
    }
}
