//! The model the page steps, as one value: its checkpoint (to reopen it on another backend or
//! train it further), the model on a device, its tokenizer and the generation session over it.
//! Opening, switching backend, "Use in visualizer" and a reset replace it whole, so no view can
//! see the shape of one model and the numbers of another.

use std::rc::Rc;
use std::sync::Arc;

use glassbox_model::{Gpt, GptConfig, Tokenizer};

use crate::state::session::Session;
use crate::web::net::LoadedCheckpoint;

/// Copies of the weights the page holds while a model is open: the checkpoint's (kept to reopen
/// it) and the device's.
pub const RESIDENT_COPIES: f64 = 2.0;

pub struct OpenModel {
    /// Distinguishes this opening from every other (results computed for another are dropped).
    pub id: u64,
    pub checkpoint: Rc<LoadedCheckpoint>,
    pub model: Gpt,
    pub tokenizer: Arc<Tokenizer>,
    /// "GPT-2 folder (…): 12 layers × 12 heads, …".
    pub summary: String,
    /// `None` only while a step runs (the step owns it) or when the prompt could not be read.
    pub session: Option<Session>,
}

impl OpenModel {
    pub fn config(&self) -> &GptConfig {
        self.checkpoint.config()
    }

    /// (layers, heads).
    pub fn shape(&self) -> (usize, usize) {
        let c = self.config();
        (c.n_layer, c.n_head)
    }
}
