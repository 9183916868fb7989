//! Switching heads off: which heads (the mask, chosen by the user or an analysis) and how one
//! layer applies it (the gate its attention multiplies by).

use std::collections::BTreeSet;

use burn::tensor::{Device, Tensor, TensorData};

/// Heads switched off: their attention output is replaced by zeros.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeadMask {
    /// `(layer, head)` pairs switched off.
    pub ablated: BTreeSet<(usize, usize)>,
}

/// Switched-off heads of one layer. A head's output is its slice of `c_proj` applied to its mix of
/// values plus an equal share of `c_proj`'s bias, so switching every head off removes the layer's
/// attention output entirely (the bias is no head's, but would otherwise remain).
pub struct HeadGate {
    /// `[1, head, 1, 1]`: 0 for a head switched off, 1 otherwise.
    pub gate: Tensor<4>,
    /// Fraction of heads switched off.
    pub off_fraction: f64,
}

impl HeadMask {
    /// Whether every head is on.
    pub fn is_empty(&self) -> bool {
        self.ablated.is_empty()
    }

    /// Only `(layer, head)` switched off.
    pub fn single(layer: usize, head: usize) -> Self {
        Self {
            ablated: [(layer, head)].into(),
        }
    }

    /// Every head of `layer` switched off.
    pub fn layer(layer: usize, n_head: usize) -> Self {
        Self {
            ablated: (0..n_head).map(|head| (layer, head)).collect(),
        }
    }

    /// Every head of the model switched off except `(layer, head)`.
    pub fn all_but(layer: usize, head: usize, n_layer: usize, n_head: usize) -> Self {
        Self {
            ablated: (0..n_layer)
                .flat_map(|l| (0..n_head).map(move |h| (l, h)))
                .filter(|&lh| lh != (layer, head))
                .collect(),
        }
    }

    /// The gate of `layer` (of `n_head` heads), or `None` when all its heads are on.
    pub fn gate(&self, layer: usize, n_head: usize, device: &Device) -> Option<HeadGate> {
        let off = self.ablated.iter().filter(|(l, _)| *l == layer).count();
        (off > 0).then(|| {
            let gate: Vec<f32> = (0..n_head)
                .map(|head| f32::from(!self.ablated.contains(&(layer, head))))
                .collect();
            HeadGate {
                gate: Tensor::<1>::from_data(TensorData::new(gate, [n_head]), device)
                    .reshape([1, n_head, 1, 1]),
                off_fraction: off as f64 / n_head as f64,
            }
        })
    }
}
