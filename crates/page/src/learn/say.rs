//! How lessons write numbers: as the views write them, so a quoted number can be found on screen.

use glassbox_model::HeadView;
pub use glassbox_model::units::{
    format_count as count, format_large_count as large_count, percent,
};

use crate::learn::facts::CandidateFact;

/// “x”: a token in the text.
pub fn quoted(label: &str) -> String {
    format!("“{label}”")
}

/// A loss in nats, as the charts' tables show it.
pub fn loss(value: f32) -> String {
    format!("{value:.3}")
}

/// “x” (12.3%): a candidate and its probability after the transforms.
pub fn candidate(c: &CandidateFact) -> String {
    format!("{} ({})", quoted(&c.label), percent(c.prob))
}

/// "L2 H3": a head as the grids label it (1-based).
pub fn head(layer: usize, head: usize) -> String {
    HeadView::Head { layer, head }.label()
}

/// A share as "3 in 10" (rounded), for what sampling does.
pub fn in_ten(share: f32) -> String {
    format!("{} in 10", (share.clamp(0.0, 1.0) * 10.0).round() as u32)
}

/// "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
