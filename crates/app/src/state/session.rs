//! The generation session behind the page: the model crate's `Generator` plus the plain-data
//! snapshot the components render (they never touch tensors or the generator itself).

use std::sync::Arc;

use glassbox_model::decode::beam::BeamTree;
use glassbox_model::decode::generator::Retrace;
use glassbox_model::limits;
use glassbox_model::{
    AttentionMatrix, DecodeSettings, Generator, Gpt, HeadMask, StepRecord, Tokenizer,
};

pub struct Session {
    generator: Generator,
    tokenizer: Arc<Tokenizer>,
    pub prompt_text: String,
    /// One view per step, built once when the step is taken (a snapshot shares them).
    views: Vec<Arc<StepView>>,
}

impl Session {
    pub fn new(
        model: Gpt,
        tokenizer: Arc<Tokenizer>,
        prompt_text: &str,
        settings: DecodeSettings,
    ) -> Result<Self, String> {
        let ids = tokenizer.encode(prompt_text).map_err(|e| e.to_string())?;
        limits::check_prompt(ids.len())?;
        let generator = Generator::new(model, ids, settings).map_err(|e| e.to_string())?;
        Ok(Self {
            generator,
            tokenizer,
            prompt_text: prompt_text.to_string(),
            views: Vec::new(),
        })
    }

    pub fn is_done(&self) -> bool {
        self.generator.is_done()
    }

    /// Generates one token with `settings`, with `head_mask`'s heads switched off.
    pub async fn step(
        &mut self,
        settings: DecodeSettings,
        head_mask: HeadMask,
    ) -> Result<(), String> {
        self.generator.settings = settings;
        let heads_off = head_mask.ablated.len();
        self.generator.head_mask = head_mask;
        let record = self.generator.step().await.map_err(|e| e.to_string())?;
        let view = step_view(record, &self.tokenizer, heads_off);
        self.views.push(Arc::new(view));
        Ok(())
    }

    pub fn back(&mut self) {
        if self.generator.back() {
            self.views.pop();
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let g = &self.generator;
        let tokenizer = &self.tokenizer;
        Snapshot {
            ids: g.tokens().to_vec(),
            tokens: g
                .tokens()
                .iter()
                .map(|&id| TokenView {
                    text: tokenizer.token_text(id),
                    label: tokenizer.token_label(id),
                })
                .collect(),
            prompt_len: g.prompt().len(),
            next_window_start: g.window_start(),
            done: g.is_done(),
            steps: self.views.clone(),
        }
    }

    /// The prompt's tokens.
    pub fn prompt_ids(&self) -> &[u32] {
        self.generator.prompt()
    }

    /// What the current beam search scored (empty outside beam search), and its best sequence.
    pub fn beam_tree(&self) -> (BeamTree, Vec<u32>) {
        let best = self
            .generator
            .best_beam()
            .map(|b| b.tokens)
            .unwrap_or_default();
        (self.generator.beam_tree(), best)
    }

    /// The attention of step `step`; `None` when the generator no longer keeps it (see
    /// [`Session::retrace`]) or there is no such step.
    pub fn attention(&self, step: usize) -> Option<Arc<AttentionMatrix>> {
        self.generator.attention(step).map(Arc::new)
    }

    /// What recomputes an old step's attention.
    pub fn retrace(&self, step: usize) -> Option<Retrace> {
        self.generator.retrace(step)
    }

    /// Tokens the next step reads.
    pub fn next_window(&self) -> usize {
        self.generator.tokens().len() - self.generator.window_start()
    }
}

fn step_view(s: &StepRecord, tokenizer: &Tokenizer, heads_off: usize) -> StepView {
    let label = |id: &u32| tokenizer.token_label(*id);
    StepView {
        index: s.index,
        heads_off,
        window_ids: s.window().to_vec(),
        logits: s.logits.clone(),
        settings: s.settings.clone(),
        chosen: s.chosen,
        window_start: s.window_start,
        context_len: s.context_len,
        window_labels: s.window().iter().map(label).collect(),
        beams: s.beams.as_ref().map(|search| {
            let live = search.live.iter().map(|b| BeamRow {
                text: b.tokens.iter().map(label).collect(),
                sum_logprob: b.sum_logprob,
                score: None,
            });
            let finished = search.finished.iter().map(|f| BeamRow {
                text: f.tokens.iter().map(label).collect(),
                sum_logprob: f.sum_logprob,
                score: Some(f.score),
            });
            live.chain(finished).collect()
        }),
    }
}

/// Everything the page shows about the sequence so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Prompt + generated tokens.
    pub ids: Vec<u32>,
    pub tokens: Vec<TokenView>,
    pub prompt_len: usize,
    /// First token the model will read at the next step.
    pub next_window_start: usize,
    pub steps: Vec<Arc<StepView>>,
    /// Beam search has finished.
    pub done: bool,
}

impl Snapshot {
    /// The step on screen: the one selected, else the latest.
    pub fn shown_step(&self, selected: Option<usize>) -> Option<&Arc<StepView>> {
        selected
            .and_then(|i| self.steps.get(i))
            .or_else(|| self.steps.last())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TokenView {
    /// As the vocabulary stores it.
    pub text: String,
    /// Whitespace made visible.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepView {
    pub index: usize,
    /// Heads switched off while this token was generated.
    pub heads_off: usize,
    /// The tokens the model read for this step (its window).
    pub window_ids: Vec<u32>,
    pub logits: Arc<[f32]>,
    /// The settings the token was picked with.
    pub settings: DecodeSettings,
    pub chosen: u32,
    /// First token inside the model's window, and the number of tokens read.
    pub window_start: usize,
    pub context_len: usize,
    /// Labels of the tokens the model read for this step (its window).
    pub window_labels: Vec<String>,
    /// Live beams then finished ones (beam search only).
    pub beams: Option<Vec<BeamRow>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BeamRow {
    pub text: String,
    pub sum_logprob: f32,
    /// Length-normalised score, for finished beams.
    pub score: Option<f32>,
}
