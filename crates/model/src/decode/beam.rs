//! Beam search with the semantics of Hugging Face `transformers` 5: only the first beam is live at
//! the start; every step scores all (beam, token) extensions by their summed log-probability, takes
//! the best 2·W; a candidate that ends (EOS or the length limit) is finished if it ranks among the
//! first W, and the best W unfinished ones go on. A finished sequence scores
//! `sum_logprob / n_new ^ length_penalty` (generated tokens only).

use serde::Serialize;

use crate::probs::log_softmax;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Beam {
    /// Generated tokens (the prompt excluded).
    pub tokens: Vec<u32>,
    pub sum_logprob: f32,
    /// Index in the previous step's live beams this one extends.
    pub parent: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinishedBeam {
    pub tokens: Vec<u32>,
    pub sum_logprob: f32,
    pub score: f32,
}

/// What became of one of the best 2·W extensions a step scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Fate {
    /// Goes on as live beam number `.0`.
    Kept(usize),
    /// Ended (end-of-text or the length limit) among the best W: a finished sequence.
    Finished,
    /// Scored, but lost to better extensions.
    Pruned,
}

/// One scored extension of a live beam.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expansion {
    /// Index of the extended beam in the previous step's live beams.
    pub parent: usize,
    pub token: u32,
    pub sum_logprob: f32,
    pub fate: Fate,
}

#[derive(Clone, Debug)]
pub struct BeamSearch {
    pub width: usize,
    pub max_new: usize,
    pub length_penalty: f32,
    pub eos: Option<u32>,
    pub live: Vec<Beam>,
    pub finished: Vec<FinishedBeam>,
    pub steps_done: usize,
    /// The extensions the last step scored, best first.
    pub expansions: Vec<Expansion>,
}

impl BeamSearch {
    pub fn new(width: usize, max_new: usize, length_penalty: f32, eos: Option<u32>) -> Self {
        Self {
            width: width.max(1),
            max_new,
            length_penalty,
            eos,
            live: vec![Beam {
                tokens: Vec::new(),
                sum_logprob: 0.0,
                parent: 0,
            }],
            finished: Vec::new(),
            steps_done: 0,
            expansions: Vec::new(),
        }
    }

    fn score(&self, sum_logprob: f32, n_new: usize) -> f32 {
        sum_logprob / (n_new as f32).powf(self.length_penalty)
    }

    pub fn is_done(&self) -> bool {
        if self.live.is_empty() || self.steps_done >= self.max_new {
            return true;
        }
        // No live beam can still beat the worst of a full set of finished ones.
        if self.finished.len() >= self.width {
            let worst = self
                .finished
                .iter()
                .map(|f| f.score)
                .fold(f32::INFINITY, f32::min);
            let best_live = self
                .live
                .iter()
                .map(|b| self.score(b.sum_logprob, b.tokens.len().max(1)))
                .fold(f32::NEG_INFINITY, f32::max);
            return best_live <= worst;
        }
        false
    }

    /// Advances one token given each live beam's next-token logits (same order as `self.live`).
    pub fn advance(&mut self, logits_per_beam: &[Vec<f32>]) {
        assert_eq!(
            logits_per_beam.len(),
            self.live.len(),
            "one logits row per live beam"
        );
        let mut candidates: Vec<(f32, usize, u32)> = Vec::new();
        for (parent, (beam, logits)) in self.live.iter().zip(logits_per_beam).enumerate() {
            for (token, lp) in log_softmax(logits).into_iter().enumerate() {
                candidates.push((beam.sum_logprob + lp, parent, token as u32));
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        candidates.truncate(2 * self.width);

        let n_new = self.steps_done + 1;
        let mut next = Vec::with_capacity(self.width);
        self.expansions.clear();
        for (rank, &(sum, parent, token)) in candidates.iter().enumerate() {
            let mut tokens = self.live[parent].tokens.clone();
            tokens.push(token);
            let ends = Some(token) == self.eos || n_new >= self.max_new;
            let fate = if ends {
                if rank < self.width {
                    let score = self.score(sum, n_new);
                    self.finished.push(FinishedBeam {
                        tokens,
                        sum_logprob: sum,
                        score,
                    });
                    Fate::Finished
                } else {
                    Fate::Pruned
                }
            } else if next.len() < self.width {
                next.push(Beam {
                    tokens,
                    sum_logprob: sum,
                    parent,
                });
                Fate::Kept(next.len() - 1)
            } else {
                Fate::Pruned
            };
            self.expansions.push(Expansion {
                parent,
                token,
                sum_logprob: sum,
                fate,
            });
        }
        self.finished.sort_by(|a, b| b.score.total_cmp(&a.score));
        self.finished.truncate(self.width);
        self.live = next;
        self.steps_done = n_new;
    }

    /// The best finished sequence, or the best live one if none has finished yet.
    pub fn best(&self) -> FinishedBeam {
        self.finished.first().cloned().unwrap_or_else(|| {
            let beam = &self.live[0];
            FinishedBeam {
                tokens: beam.tokens.clone(),
                sum_logprob: beam.sum_logprob,
                score: self.score(beam.sum_logprob, beam.tokens.len().max(1)),
            }
        })
    }
}

/// One scored extension in the tree of a whole beam search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BeamNode {
    /// 0 for the first generated token.
    pub step: usize,
    /// The node this extends; `None` for extensions of the prompt.
    pub parent: Option<usize>,
    pub token: u32,
    /// Cumulative log-probability of the generated tokens up to this one.
    pub sum_logprob: f32,
    pub fate: Fate,
}

/// Everything a beam search scored, step by step: the kept branches and the pruned ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BeamTree {
    pub nodes: Vec<BeamNode>,
}

impl BeamTree {
    /// The tree from the search state after each step, in order.
    pub fn of<'a>(steps: impl IntoIterator<Item = &'a BeamSearch>) -> Self {
        let mut nodes: Vec<BeamNode> = Vec::new();
        // Node of each live beam after the previous step.
        let mut live_nodes: Vec<usize> = Vec::new();
        for (step, search) in steps.into_iter().enumerate() {
            let mut next_live = vec![usize::MAX; search.live.len()];
            for expansion in &search.expansions {
                let parent = (step > 0).then(|| live_nodes[expansion.parent]);
                if let Fate::Kept(beam) = expansion.fate {
                    next_live[beam] = nodes.len();
                }
                nodes.push(BeamNode {
                    step,
                    parent,
                    token: expansion.token,
                    sum_logprob: expansion.sum_logprob,
                    fate: expansion.fate,
                });
            }
            live_nodes = next_live;
        }
        Self { nodes }
    }

    /// The nodes spelling the longest prefix of `tokens` the search scored (all of `tokens` for
    /// a sequence it kept to the end; fewer for one it pruned or never reached).
    pub fn path_of(&self, tokens: &[u32]) -> Vec<usize> {
        let mut path: Vec<usize> = Vec::with_capacity(tokens.len());
        for (step, &token) in tokens.iter().enumerate() {
            let parent = path.last().copied();
            let found = self
                .nodes
                .iter()
                .position(|n| n.step == step && n.parent == parent && n.token == token);
            match found {
                Some(node) => path.push(node),
                None => break,
            }
        }
        path
    }

    pub fn steps(&self) -> usize {
        self.nodes.last().map_or(0, |n| n.step + 1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fixed "model" over a vocabulary of 3 whose next-token logits depend on the whole prefix.
    fn toy_logits(prefix: &[u32]) -> Vec<f32> {
        let h = prefix
            .iter()
            .fold(17u32, |h, &t| h.wrapping_mul(31).wrapping_add(t + 1));
        (0..3)
            .map(|t| ((h.wrapping_mul(7 + t) % 97) as f32) / 20.0)
            .collect()
    }

    /// The best of all 27 three-token continuations over a vocabulary of 3, by summed
    /// log-probability; `log_probs(prefix)` gives the next-token log-probabilities after the
    /// generated `prefix`.
    pub(crate) fn exhaustive_best(log_probs: impl Fn(&[u32]) -> Vec<f32>) -> (f32, Vec<u32>) {
        let mut best = (f32::NEG_INFINITY, vec![]);
        for code in 0..27u32 {
            let seq = vec![code / 9, (code / 3) % 3, code % 3];
            let sum: f32 = (0..3).map(|i| log_probs(&seq[..i])[seq[i] as usize]).sum();
            if sum > best.0 {
                best = (sum, seq);
            }
        }
        best
    }

    #[test]
    fn wide_beam_equals_exhaustive_search() {
        let best = exhaustive_best(|prefix| log_softmax(&toy_logits(prefix)));
        for width in [9, 12] {
            let mut search = BeamSearch::new(width, 3, 1.0, None);
            while !search.is_done() {
                let logits: Vec<Vec<f32>> =
                    search.live.iter().map(|b| toy_logits(&b.tokens)).collect();
                search.advance(&logits);
            }
            let found = search.best();
            assert_eq!(found.tokens, best.1, "width {width}");
            assert!((found.sum_logprob - best.0).abs() < 1e-5);
            assert!((found.score - best.0 / 3.0).abs() < 1e-5);
        }
    }

    #[test]
    fn the_tree_holds_every_scored_branch_and_the_best_path() {
        let width = 2;
        let mut search = BeamSearch::new(width, 4, 1.0, None);
        let mut states = Vec::new();
        while !search.is_done() {
            let logits: Vec<Vec<f32>> = search.live.iter().map(|b| toy_logits(&b.tokens)).collect();
            search.advance(&logits);
            states.push(search.clone());
        }
        let tree = BeamTree::of(&states);
        assert_eq!(tree.steps(), 4);
        for step in 0..4 {
            let at: Vec<&BeamNode> = tree.nodes.iter().filter(|n| n.step == step).collect();
            // Step 0 extends the single start beam: its 3 tokens; later steps score 2·W.
            assert_eq!(at.len(), if step == 0 { 3 } else { 2 * width });
            let kept = at
                .iter()
                .filter(|n| matches!(n.fate, Fate::Kept(_)))
                .count();
            assert!(kept <= width);
        }
        for (i, node) in tree.nodes.iter().enumerate() {
            let children = tree.nodes.iter().filter(|n| n.parent == Some(i));
            if !matches!(node.fate, Fate::Kept(_)) {
                assert_eq!(
                    children.count(),
                    0,
                    "a pruned or finished node has children"
                );
            }
            if let Some(parent) = node.parent {
                assert!(matches!(tree.nodes[parent].fate, Fate::Kept(_)));
                assert!(node.sum_logprob <= tree.nodes[parent].sum_logprob);
            }
        }
        let best = search.best();
        let path = tree.path_of(&best.tokens);
        assert_eq!(
            path.len(),
            best.tokens.len(),
            "the best beam is in the tree"
        );
        let last = &tree.nodes[*path.last().unwrap()];
        assert_eq!(last.fate, Fate::Finished);
        assert!((last.sum_logprob - best.sum_logprob).abs() < 1e-6);
        assert!(tree.path_of(&[9]).is_empty());
        assert_eq!(tree.path_of(&[best.tokens[0], 9]), path[..1]);
    }

    #[test]
    fn width_one_is_greedy() {
        let mut search = BeamSearch::new(1, 4, 1.0, None);
        while !search.is_done() {
            let logits: Vec<Vec<f32>> = search.live.iter().map(|b| toy_logits(&b.tokens)).collect();
            search.advance(&logits);
        }
        let mut greedy = vec![];
        for _ in 0..4 {
            greedy.push(crate::probs::argmax(&toy_logits(&greedy)) as u32);
        }
        assert_eq!(search.best().tokens, greedy);
    }

    #[test]
    fn eos_finishes_a_beam_early() {
        // Token 2 is EOS and always the most likely: the best sequence is [2].
        let mut search = BeamSearch::new(2, 5, 1.0, Some(2));
        while !search.is_done() {
            let logits = vec![vec![0.0, 0.0, 5.0]; search.live.len()];
            search.advance(&logits);
        }
        assert_eq!(search.best().tokens, vec![2]);
    }
}
