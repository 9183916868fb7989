//! Reading a traced forward pass back to the CPU, where the UI and the CLI use it.
//! Reads are asynchronous: WebGPU cannot read a tensor synchronously.

pub mod attention_map;
pub mod probe;
pub mod staged;

use burn::tensor::{Tensor, Transaction};

use crate::error::Result;
use crate::nn::trace::TraceTensors;
use crate::readback::{floats, read_all, read_floats};

/// The trace of one sequence for the positions a forward pass processed, as flat row-major arrays.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Blocks traced.
    pub n_layer: usize,
    /// Heads per block.
    pub n_head: usize,
    /// Positions (query rows) in this trace.
    pub n_query: usize,
    /// Keys each query row spans (earlier cached positions included).
    pub n_key: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Width of the MLP's hidden layer.
    pub d_mlp: usize,
    /// `[layer][head][query][key]`.
    pub attentions: Vec<f32>,
    /// `[layer + 1][query][d_model]`: embeddings, then after each block (before `ln_f`).
    pub residual: Vec<f32>,
    /// `[query][d_model]`: the last block's output after `ln_f`.
    pub final_norm: Vec<f32>,
    /// `[layer][query][d_mlp]`: the MLP's hidden layer before the activation.
    pub mlp_pre: Vec<f32>,
    /// `[layer][query][d_mlp]`: the same after the activation.
    pub mlp_post: Vec<f32>,
}

impl Trace {
    /// One attention row: how query `query` of this trace spreads over the keys.
    pub fn attention_row(&self, layer: usize, head: usize, query: usize) -> &[f32] {
        let start = ((layer * self.n_head + head) * self.n_query + query) * self.n_key;
        &self.attentions[start..start + self.n_key]
    }

    /// Residual stream at `query` after `depth` blocks (0 = embeddings).
    pub fn residual_at(&self, depth: usize, query: usize) -> &[f32] {
        let start = (depth * self.n_query + query) * self.d_model;
        &self.residual[start..start + self.d_model]
    }

    /// The last block's output at `query`, after `ln_f`: what the LM head reads.
    pub fn final_norm_at(&self, query: usize) -> &[f32] {
        &self.final_norm[query * self.d_model..(query + 1) * self.d_model]
    }

    /// Reads batch row `row` of a traced forward pass.
    pub async fn read(tensors: TraceTensors, row: usize) -> Result<Trace> {
        let pick3 = |t: Tensor<3>| t.narrow(0, row, 1);
        let [_, n_head, n_query, n_key] = tensors.attentions[0].dims();
        let [_, _, d_model] = tensors.final_norm.dims();
        let d_mlp = tensors.mlp.first().map_or(0, |(pre, _)| pre.dims()[2]);
        let n_layer = tensors.attentions.len();
        let attentions = stack_row(tensors.attentions, row);
        let residual = Tensor::cat(tensors.residual.into_iter().map(pick3).collect(), 0);
        let (pre, post): (Vec<_>, Vec<_>) = tensors
            .mlp
            .into_iter()
            .map(|(a, b)| (pick3(a), pick3(b)))
            .unzip();
        let transaction = Transaction::default()
            .register(attentions)
            .register(residual)
            .register(pick3(tensors.final_norm))
            .register(Tensor::cat(pre, 0))
            .register(Tensor::cat(post, 0));
        let mut vecs = read_all(transaction).await?.into_iter().map(floats);
        // Exactly five tensors were registered above: not data-dependent.
        let mut next = || vecs.next().expect("five tensors registered");
        Ok(Trace {
            n_layer,
            n_head,
            n_query,
            n_key,
            d_model,
            d_mlp,
            attentions: next()?,
            residual: next()?,
            final_norm: next()?,
            mlp_pre: next()?,
            mlp_post: next()?,
        })
    }
}

/// Batch row `row` of every layer's attention, stacked `[layer, head, query, key]`.
fn stack_row(attentions: Vec<Tensor<4>>, row: usize) -> Tensor<4> {
    Tensor::cat(
        attentions
            .into_iter()
            .map(|t| t.narrow(0, row, 1))
            .collect(),
        0,
    )
}

/// The attention rows of one sequence a traced pass computed, without the rest of the trace: what
/// generation keeps of each step (not its residual stream or MLP units).
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionRows {
    /// Blocks traced.
    pub n_layer: usize,
    /// Heads per block.
    pub n_head: usize,
    /// Positions (query rows) the pass processed.
    pub n_query: usize,
    /// Keys each query row spans (earlier cached positions included).
    pub n_key: usize,
    /// `[layer][head][query][key]`.
    pub data: Vec<f32>,
}

impl AttentionRows {
    /// Reads batch row `row` of a traced pass's attention.
    pub async fn read(tensors: TraceTensors, row: usize) -> Result<Self> {
        let [_, n_head, n_query, n_key] = tensors.attentions[0].dims();
        let n_layer = tensors.attentions.len();
        let data = read_floats(stack_row(tensors.attentions, row)).await?;
        Ok(Self {
            n_layer,
            n_head,
            n_query,
            n_key,
            data,
        })
    }

    /// How query `query` of these rows spreads over the keys.
    pub fn row(&self, layer: usize, head: usize, query: usize) -> &[f32] {
        let start = ((layer * self.n_head + head) * self.n_query + query) * self.n_key;
        &self.data[start..start + self.n_key]
    }
}
