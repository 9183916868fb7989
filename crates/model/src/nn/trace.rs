//! What a traced forward pass keeps, still on the device, and the builder `Gpt::forward_with`
//! fills block by block (TransformerLens's hook points, as typed fields instead of named hooks).

use burn::tensor::Tensor;

/// Everything a traced forward pass exposes, still on the device; rows are the NEW positions only.
pub struct TraceTensors {
    /// Per layer `[batch, head, new query, all keys]`.
    pub attentions: Vec<Tensor<4>>,
    /// Residual stream `[batch, new, d_model]`: the embeddings, then after each block.
    pub residual: Vec<Tensor<3>>,
    /// The last block's output after `ln_f`.
    pub final_norm: Tensor<3>,
    /// Per layer `(pre-activation, post-activation)` MLP hidden units `[batch, new, d_mlp]`.
    pub mlp: Vec<(Tensor<3>, Tensor<3>)>,
}

/// Collects a [`TraceTensors`] during a forward pass.
pub struct TraceBuilder {
    attentions: Vec<Tensor<4>>,
    residual: Vec<Tensor<3>>,
    mlp: Vec<(Tensor<3>, Tensor<3>)>,
    /// `[batch, head, new, all keys]`: the all-zero attention of a block without attention.
    no_attention: [usize; 4],
}

impl TraceBuilder {
    /// Starts from the embeddings `[batch, new, d_model]`; queries see `keys` positions.
    pub fn new(embeddings: &Tensor<3>, n_head: usize, keys: usize) -> Self {
        let [batch, new, _] = embeddings.dims();
        Self {
            attentions: Vec::new(),
            residual: vec![embeddings.clone()],
            mlp: Vec::new(),
            no_attention: [batch, n_head, new, keys],
        }
    }

    /// Records one block: its attention (zeros for a block without, keeping layers aligned), its
    /// MLP's hidden units and the residual stream after it.
    pub fn push_block(
        &mut self,
        attention: Option<Tensor<4>>,
        mlp: Option<(Tensor<3>, Tensor<3>)>,
        output: &Tensor<3>,
    ) {
        let zeros = || Tensor::zeros(self.no_attention, &output.device());
        self.attentions.push(attention.unwrap_or_else(zeros));
        self.mlp.extend(mlp);
        self.residual.push(output.clone());
    }

    /// The trace, given the final LayerNorm's output.
    pub fn finish(self, final_norm: Tensor<3>) -> TraceTensors {
        TraceTensors {
            attentions: self.attentions,
            residual: self.residual,
            final_norm,
            mlp: self.mlp,
        }
    }
}
