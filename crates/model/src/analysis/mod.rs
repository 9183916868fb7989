//! Questions asked of a model, one per file: what it predicts where (inspect), what each layer
//! already knows (lens), what a head does (ablation), how alike heads are (diversity), whether
//! splitting into heads loses anything (head split), what the MLP's non-linearity adds, and how
//! well it predicts a whole text at once (teacher forcing).

pub mod ablation;
pub mod diversity;
pub mod head_split;
pub mod inspect;
pub mod lens;
pub mod nonlinearity;
pub mod teacher_forcing;
