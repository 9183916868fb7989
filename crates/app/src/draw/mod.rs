//! Canvas painting, no signals: the colour theme, attention heatmaps, the loss chart and the MLP's
//! activation chart.

pub mod heatmap;
pub mod loss_chart;
pub mod mlp_chart;
pub mod theme;
