//! Q4: how many layers do real models have?

use glassbox_model::shapes::REAL_MODELS;

use crate::learn::facts::Facts;
use crate::learn::say::{large_count, percent};
use crate::learn::{Instrument, Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 4,
    title: "How many layers real models have",
    question: "How many layers does a real LLM have?",
    steps: &[
        Step {
            ask: "In the table of model shapes, set your model's layers to 12 and watch where the parameters go.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["model-shapes-table"],
            done: |now, _| now.shapes.custom.layers == 12,
            explain: custom,
        },
        Step {
            ask: "Click GPT-3's row.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["model-shapes-table"],
            done: |now, _| now.shapes.selected.is_some_and(|n| n.starts_with("GPT-3")),
            explain: selected,
        },
    ],
    answer: "GPT-2 has 12 to 48 blocks, GPT-3 96, Llama 3 32 (8B) and 80 (70B); the open model here has a handful. Depth and width grow together: each block's attention and MLP cost about 12 × width² parameters, so a model ten times wider has a hundred times the parameters per block. The table computes every count from the shape with the same formula that counts the open model's own weights (Llama's rows add its gated MLP, grouped key/value heads and untied output layer). What the tab cannot show is why those sizes were chosen: that came from training runs costing millions of GPU-hours.",
    instruments: &[Instrument::ModelShapes],
};

/// "12 blocks of width 128: 2,400,000 parameters, 3.1% embeddings, …".
fn breakdown(params: [f64; 4]) -> String {
    let [embeddings, attention, mlp, total] = params;
    if total <= 0.0 {
        return String::new();
    }
    let share = |p: f64| percent((p / total) as f32);
    format!(
        "{} parameters: {} in the embeddings, {} in attention, {} in the MLPs",
        large_count(total),
        share(embeddings),
        share(attention),
        share(mlp)
    )
}

fn custom(now: &Facts, _: &Facts) -> String {
    let c = now.shapes.custom;
    format!(
        "With {} blocks of width {} your model has {}. Each block adds the same amount, so depth grows the count linearly; width grows it with its square.",
        c.layers,
        c.width,
        breakdown(now.shapes.custom_params)
    )
}

fn selected(now: &Facts, _: &Facts) -> String {
    let Some(shape) = REAL_MODELS
        .iter()
        .find(|s| Some(s.name) == now.shapes.selected)
    else {
        return "Pick a row of the table.".into();
    };
    let p = shape.param_counts();
    let open = now.model.as_ref().map_or(String::new(), |m| {
        format!(" The open model has {} blocks.", m.layers)
    });
    format!(
        "{} stacks {} blocks of width {}: {}.{open}",
        shape.name,
        shape.layers,
        shape.d_model,
        breakdown([p.embeddings, p.attention, p.mlp, p.total()])
    )
}
