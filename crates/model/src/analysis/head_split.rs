//! Does splitting attention into heads lose information? Each head projects the input with its
//! own slice of the query, key and value matrices; if every slice has full rank and the slices'
//! ranks add up to the whole matrix's, the heads together see every direction of the input that
//! one wide head would. Ranks are computed here by elimination (a linear-algebra crate for one
//! rank would add more code to the page than this file).

use std::ops::Range;

use crate::error::Result;
use crate::nn::gpt::Gpt;
use crate::readback::read_floats;

/// The rank of a `rows × cols` row-major matrix: Gaussian elimination with complete pivoting in
/// f64, counting pivots above a tolerance scaled to the matrix (the weights are f32, so the
/// tolerance is f32's precision, not f64's).
pub fn numerical_rank(rows: usize, cols: usize, data: &[f32]) -> usize {
    assert_eq!(data.len(), rows * cols, "a {rows}×{cols} matrix");
    let mut a: Vec<f64> = data.iter().map(|&x| x as f64).collect();
    let largest = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let tolerance = largest * rows.max(cols) as f64 * f32::EPSILON as f64;
    let at = |r: usize, c: usize| r * cols + c;
    for rank in 0..rows.min(cols) {
        // The largest remaining entry becomes the pivot.
        let (mut pr, mut pc, mut pivot) = (rank, rank, 0.0f64);
        for r in rank..rows {
            for c in rank..cols {
                if a[at(r, c)].abs() > pivot {
                    (pr, pc, pivot) = (r, c, a[at(r, c)].abs());
                }
            }
        }
        if pivot <= tolerance {
            return rank;
        }
        for c in 0..cols {
            a.swap(at(rank, c), at(pr, c));
        }
        for r in 0..rows {
            a.swap(at(r, rank), at(r, pc));
        }
        for r in rank + 1..rows {
            let factor = a[at(r, rank)] / a[at(rank, rank)];
            for c in rank..cols {
                a[at(r, c)] -= factor * a[at(rank, c)];
            }
        }
    }
    rows.min(cols)
}

/// The columns `columns` of a `rows × cols` row-major matrix, as a `rows × columns.len()` one.
fn column_slice(data: &[f32], cols: usize, columns: Range<usize>) -> Vec<f32> {
    data.chunks(cols)
        .flat_map(|row| row[columns.clone()].iter().copied())
        .collect()
}

/// The ranks of one projection (query, key or value) of one block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionRanks {
    /// Rank of the whole `d_model × d_model` projection.
    pub full: usize,
    /// Rank of each head's `d_model × head_dim` slice.
    pub per_head: Vec<usize>,
}

impl ProjectionRanks {
    /// The ranks of `matrix` (`d_model × d_model`, row-major) and of its `n_head` column slices.
    pub fn of(matrix: &[f32], d_model: usize, n_head: usize) -> Self {
        let head_dim = d_model / n_head;
        Self {
            full: numerical_rank(d_model, d_model, matrix),
            per_head: (0..n_head)
                .map(|h| {
                    let slice = column_slice(matrix, d_model, h * head_dim..(h + 1) * head_dim);
                    numerical_rank(d_model, head_dim, &slice)
                })
                .collect(),
        }
    }

    /// The heads' ranks added up: what they see together, when no two share a direction.
    pub fn together(&self) -> usize {
        self.per_head.iter().sum()
    }

    /// Whether splitting lost nothing: the heads together span what the whole projection does.
    pub fn is_whole(&self) -> bool {
        self.together() == self.full
    }
}

/// One attention block's three projections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSplit {
    /// The block (0-based).
    pub layer: usize,
    /// Queries.
    pub query: ProjectionRanks,
    /// Keys.
    pub key: ProjectionRanks,
    /// Values.
    pub value: ProjectionRanks,
}

impl BlockSplit {
    /// Whether every projection of the block is whole.
    pub fn is_whole(&self) -> bool {
        [&self.query, &self.key, &self.value]
            .iter()
            .all(|p| p.is_whole())
    }
}

/// The rank check of every attention block of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadSplit {
    /// Width of the residual stream.
    pub d_model: usize,
    /// Heads per block.
    pub n_head: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// The blocks that attend.
    pub blocks: Vec<BlockSplit>,
}

impl HeadSplit {
    /// Reads each attention block's fused `c_attn` (`d_model × 3·d_model`, columns q | k | v)
    /// and ranks its projections.
    pub async fn of(model: &Gpt) -> Result<Self> {
        let config = model.config();
        let (d, n_head) = (config.d_model, config.n_head);
        let mut blocks = Vec::new();
        for (layer, block) in model.h.iter().enumerate() {
            let Some(attn) = &block.attn else { continue };
            let fused = read_floats(attn.c_attn.weight.val()).await?;
            let projection = |i: usize| {
                ProjectionRanks::of(&column_slice(&fused, 3 * d, i * d..(i + 1) * d), d, n_head)
            };
            blocks.push(BlockSplit {
                layer,
                query: projection(0),
                key: projection(1),
                value: projection(2),
            });
        }
        Ok(Self {
            d_model: d,
            n_head,
            head_dim: config.head_dim(),
            blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use crate::testing::tiny_model;

    #[test]
    fn rank_of_known_matrices() {
        let identity: Vec<f32> = (0..9).map(|i| if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
        assert_eq!(numerical_rank(3, 3, &identity), 3);
        assert_eq!(numerical_rank(2, 3, &[0.0; 6]), 0);
        // An outer product u vᵀ has rank 1.
        let (u, v) = ([1.0f32, -2.0, 3.0], [0.5f32, 4.0, -1.0, 2.0]);
        let outer: Vec<f32> = u
            .iter()
            .flat_map(|a| v.iter().map(move |b| a * b))
            .collect();
        assert_eq!(numerical_rank(3, 4, &outer), 1);
        // A third column that is the sum of the first two.
        let dependent = [1.0, 2.0, 3.0, 4.0, 5.0, 9.0, 7.0, 1.0, 8.0, 2.0, 2.0, 4.0];
        assert_eq!(numerical_rank(4, 3, &dependent), 2);
        // Wide and tall shapes are bounded by their smaller side.
        assert_eq!(numerical_rank(1, 3, &[1.0, 2.0, 3.0]), 1);
        assert_eq!(numerical_rank(3, 1, &[1.0, 2.0, 3.0]), 1);
    }

    #[test]
    fn heads_of_the_open_model_together_span_the_whole_projection() {
        let model = tiny_model();
        let split = block_on(HeadSplit::of(&model)).unwrap();
        assert_eq!((split.d_model, split.n_head, split.head_dim), (16, 2, 8));
        assert_eq!(split.blocks.len(), 2);
        for block in &split.blocks {
            assert!(block.is_whole(), "{block:?}");
            assert_eq!(block.query.full, 16);
            assert_eq!(block.value.per_head, vec![8, 8]);
        }
    }

    #[test]
    fn heads_that_share_directions_are_not_whole() {
        // Head 1's query columns copy head 0's: each head has rank 2, together only 2.
        let (d, n_head) = (4, 2);
        let matrix: Vec<f32> = [
            [1.0, 2.0, 1.0, 2.0],
            [0.0, 1.0, 0.0, 1.0],
            [3.0, 0.0, 3.0, 0.0],
            [1.0, 1.0, 1.0, 1.0],
        ]
        .concat();
        let ranks = ProjectionRanks::of(&matrix, d, n_head);
        assert_eq!(ranks.per_head, vec![2, 2]);
        assert_eq!(ranks.full, 2);
        assert_eq!(ranks.together(), 4);
        assert!(!ranks.is_whole());
    }
}
