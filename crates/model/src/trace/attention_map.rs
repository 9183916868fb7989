//! Attention weights as a UI reads them: one dense `[layer][head][query][key]` block per step,
//! and the views a heatmap draws from it (one head, a layer's average, the difference of two).

/// A dense attention tensor `[layer][head][query][key]` over one window (future cells are 0).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttentionMatrix {
    /// Blocks.
    pub n_layer: usize,
    /// Heads per block.
    pub n_head: usize,
    /// Positions in the window: queries and keys alike.
    pub size: usize,
    /// `[layer][head][query][key]`, row-major.
    pub data: Vec<f32>,
}

/// Which attention pattern a heatmap shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeadView {
    /// One head.
    Head {
        /// The head's block (0-based).
        layer: usize,
        /// The head within its block (0-based).
        head: usize,
    },
    /// The mean over a layer's heads.
    LayerMean {
        /// The block (0-based).
        layer: usize,
    },
}

impl HeadView {
    /// The block the view shows.
    pub fn layer(self) -> usize {
        match self {
            HeadView::Head { layer, .. } | HeadView::LayerMean { layer } => layer,
        }
    }

    /// Whether a model of `n_layer` layers × `n_head` heads has this head (or layer).
    pub fn fits(self, n_layer: usize, n_head: usize) -> bool {
        match self {
            HeadView::Head { layer, head } => layer < n_layer && head < n_head,
            HeadView::LayerMean { layer } => layer < n_layer,
        }
    }

    /// "L2 H3" or "L2 mean" (1-based, as people count layers).
    pub fn label(self) -> String {
        match self {
            HeadView::Head { layer, head } => format!("L{} H{}", layer + 1, head + 1),
            HeadView::LayerMean { layer } => format!("L{} mean", layer + 1),
        }
    }
}

impl AttentionMatrix {
    /// The attention of a pass that read its whole window (every query, every key).
    pub fn from_trace(trace: &crate::trace::Trace) -> Self {
        assert_eq!(trace.n_query, trace.n_key, "a trace of the whole window");
        Self {
            n_layer: trace.n_layer,
            n_head: trace.n_head,
            size: trace.n_key,
            data: trace.attentions.clone(),
        }
    }

    /// How much `query` attends to `key` in one head.
    pub fn get(&self, layer: usize, head: usize, query: usize, key: usize) -> f32 {
        self.data[((layer * self.n_head + head) * self.size + query) * self.size + key]
    }

    /// One head's `size × size` matrix.
    pub fn head(&self, layer: usize, head: usize) -> &[f32] {
        let n = self.size * self.size;
        let start = (layer * self.n_head + head) * n;
        &self.data[start..start + n]
    }

    /// The `size × size` matrix a view shows; `None` for a view this matrix does not have (one
    /// chosen for another model: a link, the model open before).
    pub fn view(&self, view: HeadView) -> Option<Vec<f32>> {
        if !self.contains(view) {
            return None;
        }
        Some(match view {
            HeadView::Head { layer, head } => self.head(layer, head).to_vec(),
            HeadView::LayerMean { layer } => {
                let mut mean = vec![0.0f32; self.size * self.size];
                for head in 0..self.n_head {
                    for (m, w) in mean.iter_mut().zip(self.head(layer, head)) {
                        *m += w / self.n_head as f32;
                    }
                }
                mean
            }
        })
    }

    /// Whether `view` names a layer and head this matrix has.
    pub fn contains(&self, view: HeadView) -> bool {
        view.fits(self.n_layer, self.n_head)
    }
}

/// `a − b`, cell by cell.
pub fn difference(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> AttentionMatrix {
        // 1 layer, 2 heads, 2 positions: head 0 attends to the first token, head 1 to itself.
        AttentionMatrix {
            n_layer: 1,
            n_head: 2,
            size: 2,
            data: vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        }
    }

    #[test]
    fn layer_mean_averages_heads_and_rows_still_sum_to_one() {
        let m = matrix();
        let mean = m.view(HeadView::LayerMean { layer: 0 });
        assert_eq!(mean, Some(vec![1.0, 0.0, 0.5, 0.5]));
        assert_eq!(
            m.view(HeadView::Head { layer: 0, head: 1 }).unwrap(),
            m.head(0, 1)
        );
        assert_eq!(m.view(HeadView::Head { layer: 9, head: 0 }), None);
        assert_eq!(m.view(HeadView::LayerMean { layer: m.n_layer }), None);
        assert_eq!(m.get(0, 1, 1, 1), 1.0);
    }

    #[test]
    fn difference_of_a_view_with_itself_is_zero() {
        let m = matrix();
        let a = m.view(HeadView::Head { layer: 0, head: 0 }).unwrap();
        let b = m.view(HeadView::Head { layer: 0, head: 1 }).unwrap();
        assert!(difference(&a, &a).iter().all(|&d| d == 0.0));
        assert_eq!(difference(&a, &b), vec![0.0, 0.0, 1.0, -1.0]);
        assert!(m.contains(HeadView::LayerMean { layer: 0 }));
        assert!(!m.contains(HeadView::Head { layer: 0, head: 2 }));
        assert_eq!(HeadView::Head { layer: 0, head: 1 }.label(), "L1 H2");
    }
}
