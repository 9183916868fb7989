//! The KV cache: each layer's keys and values for the positions processed so far, so the next
//! token costs one position's work instead of the whole window's.

use burn::tensor::Tensor;

/// Keys and values of the tokens seen so far, for one layer: `[batch, head, position, head_dim]`.
#[derive(Clone, Debug)]
pub struct LayerKv {
    /// `[batch, head, position, head_dim]`.
    pub keys: Tensor<4>,
    /// `[batch, head, position, head_dim]`.
    pub values: Tensor<4>,
}

/// Keys and values of every layer for the positions processed so far (one sequence per batch row;
/// `None` for a block without attention).
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    layers: Vec<Option<LayerKv>>,
}

impl KvCache {
    /// Number of positions cached.
    pub fn len(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .next()
            .map_or(0, |kv| kv.keys.dims()[2])
    }

    /// Whether no position is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached keys and values of `layer`, if it has any.
    pub fn layer(&self, layer: usize) -> Option<&LayerKv> {
        self.layers.get(layer).and_then(Option::as_ref)
    }

    /// Replaces every layer's entry with what a forward pass returned (the old positions included).
    pub fn replace(&mut self, layers: Vec<Option<LayerKv>>) {
        self.layers = layers;
    }
}
