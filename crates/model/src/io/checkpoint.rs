//! One self-describing file: safetensors with the weights in Hugging Face GPT-2's layout
//! (`transformer.*`, LM head tied), and JSON metadata holding the config, the tokenizer, the
//! training record and a CRC-32 of the weights. Loadable from bytes, so the browser can fetch it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData, Transaction};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::config::GptConfig;
use crate::config::TrainConfig;
use crate::error::{GlassboxError, Result};
use crate::nn::gpt::Gpt;
use crate::tokenize::Tokenizer;

const PREFIX: &str = "transformer.";
const METADATA_KEY: &str = "glassbox";
const OPTIMIZER_TENSOR: &str = "glassbox.optimizer_state";
/// The metadata layout this build writes and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Weights by Hugging Face name, on the CPU.
pub type Weights = BTreeMap<String, WeightTensor>;

/// One weight tensor on the CPU.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightTensor {
    /// Its dimensions, as Hugging Face stores them.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub data: Vec<f32>,
}

/// How the weights came to be; absent for imported models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The optimiser, schedule and batch settings.
    pub train_config: TrainConfig,
    /// Optimizer steps taken.
    pub step: usize,
    /// Where the training text came from.
    pub corpus: String,
    /// The last validation loss measured, if any.
    pub validation_loss: Option<f32>,
}

#[derive(Serialize, Deserialize)]
struct Metadata {
    format_version: u32,
    config: GptConfig,
    tokenizer: Tokenizer,
    training: Option<TrainingRecord>,
    /// Parameter ids by tensor name: the optimizer state refers to parameters by id.
    param_ids: BTreeMap<String, u64>,
    weights_crc32: u32,
}

/// How a checkpoint file stores its weights. Training writes f32, so a resumed run continues
/// exactly; f16 halves a file that is only run, such as the shipped model the page downloads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// 4 bytes a weight, exactly as trained.
    #[default]
    F32,
    /// 2 bytes a weight, each rounded to the nearest f16 (relative error at most 2^-11).
    F16,
}

impl Precision {
    fn dtype(self) -> Dtype {
        match self {
            Self::F32 => Dtype::F32,
            Self::F16 => Dtype::F16,
        }
    }

    /// `data` as this precision stores it, read back as f32: what a reader of the file gets (in
    /// f32, `data` itself, not a copy).
    fn stored(self, data: &[f32]) -> Cow<'_, [f32]> {
        match self {
            Self::F32 => Cow::Borrowed(data),
            Self::F16 => data
                .iter()
                .map(|&v| half::f16::from_f32(v).to_f32())
                .collect(),
        }
    }

    /// The file's bytes for `data` (exact for values [`Precision::stored`] returned).
    fn le_bytes(self, data: &[f32]) -> Vec<u8> {
        match self {
            Self::F32 => data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            Self::F16 => data
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                .collect(),
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Self::F32),
            "f16" => Ok(Self::F16),
            other => Err(format!("`{other}` is not a precision: f32 or f16")),
        }
    }
}

/// A model with everything needed to run it, train it further and save it again.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The model's shape.
    pub config: GptConfig,
    /// The tokenizer the model was trained with.
    pub tokenizer: Tokenizer,
    /// How the weights were trained; `None` for imported models.
    pub training: Option<TrainingRecord>,
    /// The weights, by Hugging Face name.
    pub weights: Weights,
    /// burn's parameter ids by tensor name: the optimizer state refers to parameters by id.
    pub param_ids: BTreeMap<String, u64>,
    /// burn's optimizer record, to resume training exactly.
    pub optimizer_state: Option<Vec<u8>>,
    /// How the file stores the weights: as read, and as `to_bytes` writes them.
    pub precision: Precision,
}

fn corrupt(msg: impl Into<String>) -> GlassboxError {
    GlassboxError::Checkpoint(msg.into())
}

/// Visits every float parameter with its dotted path.
struct ParamCollector {
    path: Vec<String>,
    found: Vec<(String, ParamId, Vec<usize>, Tensor<1>)>,
}

impl ModuleVisitor for ParamCollector {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let n = shape.iter().product::<usize>();
        self.found.push((
            format!("{PREFIX}{}", self.path.join(".")),
            param.id,
            shape,
            tensor.reshape([n]),
        ));
    }
}

/// Every weight a model of `config` has, by Hugging Face name, with its shape (Conv1D weights are
/// `[in, out]`; the LM head is tied to `wte` and not stored).
pub fn weight_shapes(config: &GptConfig) -> BTreeMap<String, Vec<usize>> {
    let (d, mlp) = (config.d_model, config.d_mlp());
    let mut shapes = BTreeMap::from([
        (format!("{PREFIX}wte.weight"), vec![config.vocab_size, d]),
        (
            format!("{PREFIX}wpe.weight"),
            vec![config.context_length, d],
        ),
        (format!("{PREFIX}ln_f.weight"), vec![d]),
        (format!("{PREFIX}ln_f.bias"), vec![d]),
    ]);
    for layer in 0..config.n_layer {
        let attention = [
            ("ln_1.weight", vec![d]),
            ("ln_1.bias", vec![d]),
            ("attn.c_attn.weight", vec![d, 3 * d]),
            ("attn.c_attn.bias", vec![3 * d]),
            ("attn.c_proj.weight", vec![d, d]),
            ("attn.c_proj.bias", vec![d]),
        ];
        let attention = attention
            .into_iter()
            .filter(|_| config.has_attention(layer));
        for (name, shape) in attention.chain([
            ("ln_2.weight", vec![d]),
            ("ln_2.bias", vec![d]),
            ("mlp.c_fc.weight", vec![d, mlp]),
            ("mlp.c_fc.bias", vec![mlp]),
            ("mlp.c_proj.weight", vec![mlp, d]),
            ("mlp.c_proj.bias", vec![d]),
        ]) {
            shapes.insert(format!("{PREFIX}h.{layer}.{name}"), shape);
        }
    }
    shapes
}

/// Every expected tensor present with its shape, and nothing else (a stored, tied `lm_head.weight`
/// is allowed). Names the first tensors at fault.
pub fn check_weights(config: &GptConfig, weights: &Weights) -> Result<()> {
    let expected = weight_shapes(config);
    let mut errors: Vec<String> = expected
        .iter()
        .filter_map(|(name, shape)| match weights.get(name) {
            None => Some(format!(
                "missing tensor `{name}` (expected shape {shape:?})"
            )),
            Some(w) if &w.shape != shape => Some(format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                w.shape
            )),
            Some(_) => None,
        })
        .collect();
    if let Some(name) = weights
        .keys()
        .find(|k| !expected.contains_key(*k) && k.as_str() != "lm_head.weight")
    {
        errors.push(format!("unexpected tensor `{name}` for this configuration"));
    }
    if errors.is_empty() {
        return Ok(());
    }
    let more = errors.len().saturating_sub(3);
    errors.truncate(3);
    if more > 0 {
        errors.push(format!("and {more} more"));
    }
    Err(corrupt(errors.join("; ")))
}

/// Replaces every float parameter with the tensor of the same name (checked by `check_weights`).
struct ParamLoader<'a> {
    path: Vec<String>,
    weights: &'a Weights,
    ids: &'a BTreeMap<String, u64>,
}

impl ModuleMapper for ParamLoader<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = format!("{PREFIX}{}", self.path.join("."));
        let weight = &self.weights[&name];
        let id = self.ids.get(&name).map_or(param.id, |&v| ParamId::from(v));
        let tensor = Tensor::<D>::from_data(
            TensorData::new(weight.data.clone(), weight.shape.clone()),
            &param.lazy_device(),
        );
        // Without initialising the parameter first: drawing 124M random weights only to replace
        // them took most of GPT-2 small's load time.
        param.transform_for_load(tensor, id)
    }
}

/// Builds a model of `config` on `device` from named weights; every expected tensor must be present
/// with the right shape, and no unexpected one may be left over.
pub fn model_from_weights(
    config: &GptConfig,
    weights: &Weights,
    ids: &BTreeMap<String, u64>,
    device: &Device,
) -> Result<Gpt> {
    config.validate().map_err(GlassboxError::Config)?;
    check_weights(config, weights)?;
    let mut loader = ParamLoader {
        path: Vec::new(),
        weights,
        ids,
    };
    Ok(config.init(device).map(&mut loader))
}

/// Reads a model's weights back to the CPU (asynchronously: WebGPU has no synchronous reads).
pub async fn read_weights(model: &Gpt) -> Result<(Weights, BTreeMap<String, u64>)> {
    let mut collector = ParamCollector {
        path: Vec::new(),
        found: Vec::new(),
    };
    model.visit(&mut collector);
    let mut transaction = Transaction::default();
    for (_, _, _, tensor) in &collector.found {
        transaction = transaction.register(tensor.clone());
    }
    let data = transaction
        .execute_async()
        .await
        .map_err(|e| GlassboxError::Readback(format!("{e:?}")))?;
    let mut weights = Weights::new();
    let mut ids = BTreeMap::new();
    for ((name, id, shape, _), data) in collector.found.into_iter().zip(data) {
        let data = data
            .try_into_vec::<f32>()
            .map_err(|e| GlassboxError::Readback(format!("{e:?}")))?;
        ids.insert(name.clone(), id.val());
        weights.insert(name, WeightTensor { shape, data });
    }
    Ok((weights, ids))
}

fn weights_crc(weights: &Weights) -> u32 {
    tensors_crc(
        weights
            .iter()
            .map(|(name, t)| (name.as_str(), t.data.as_slice())),
    )
}

/// The CRC-32 of (name, values) pairs in order: what `weights_crc32` in the metadata holds.
fn tensors_crc<'a>(tensors: impl Iterator<Item = (&'a str, &'a [f32])>) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for (name, data) in tensors {
        hasher.update(name.as_bytes());
        for v in data {
            hasher.update(&v.to_le_bytes());
        }
    }
    hasher.finalize()
}

/// The little-endian f32s safetensors stores: one copy of the bytes on a little-endian target
/// (x86, ARM, wasm32); decoding them one by one took ~0.25 s of GPT-2 small's open in the tab.
#[cfg(target_endian = "little")]
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytemuck::pod_collect_to_vec(bytes)
}

#[cfg(target_endian = "big")]
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Float tensors of a safetensors file, upcast to f32 (f16 and bf16 accepted).
pub fn weights_from_safetensors(file: &SafeTensors) -> Result<Weights> {
    let mut weights = Weights::new();
    for (name, view) in file.tensors() {
        if name == OPTIMIZER_TENSOR {
            continue;
        }
        let bytes = view.data();
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => f32_values(bytes),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => {
                return Err(corrupt(format!(
                    "tensor `{name}` has unsupported dtype {other:?} (f32, f16 or bf16 expected)"
                )));
            }
        };
        weights.insert(
            name,
            WeightTensor {
                shape: view.shape().to_vec(),
                data,
            },
        );
    }
    Ok(weights)
}

impl Checkpoint {
    /// `model`'s weights read back to the CPU, with what the file carries beside them.
    pub async fn from_model(
        model: &Gpt,
        config: &GptConfig,
        tokenizer: Tokenizer,
        training: Option<TrainingRecord>,
        optimizer_state: Option<Vec<u8>>,
    ) -> Result<Self> {
        let (weights, param_ids) = read_weights(model).await?;
        Ok(Self {
            config: config.clone(),
            tokenizer,
            training,
            weights,
            param_ids,
            optimizer_state,
            precision: Precision::F32,
        })
    }

    /// `check_weights` for this checkpoint's config: what can be refused before any tensor exists.
    pub fn check_weight_shapes(&self) -> Result<()> {
        check_weights(&self.config, &self.weights)
    }

    /// The model on `device`, its parameter ids as saved (so the optimizer state still applies).
    pub fn to_model(&self, device: &Device) -> Result<Gpt> {
        model_from_weights(&self.config, &self.weights, &self.param_ids, device)
    }

    /// The checkpoint file's bytes, the weights stored at `self.precision`. The checksum covers
    /// the values as stored, so the file checks against what a reader gets.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let precision = self.precision;
        let stored: Vec<(&String, &WeightTensor, Cow<[f32]>)> = self
            .weights
            .iter()
            .map(|(name, t)| (name, t, precision.stored(&t.data)))
            .collect();
        let metadata = Metadata {
            format_version: FORMAT_VERSION,
            config: self.config.clone(),
            tokenizer: self.tokenizer.clone(),
            training: self.training.clone(),
            param_ids: self.param_ids.clone(),
            weights_crc32: tensors_crc(
                stored
                    .iter()
                    .map(|(name, _, data)| (name.as_str(), &data[..])),
            ),
        };
        let json = serde_json::to_string(&metadata).map_err(|e| corrupt(e.to_string()))?;
        let buffers: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = stored
            .iter()
            .map(|(name, t, data)| {
                let bytes = precision.le_bytes(data);
                (name.to_string(), t.shape.clone(), precision.dtype(), bytes)
            })
            .chain(self.optimizer_state.iter().map(|s| {
                (
                    OPTIMIZER_TENSOR.to_string(),
                    vec![s.len()],
                    Dtype::U8,
                    s.clone(),
                )
            }))
            .collect();
        let views = buffers
            .iter()
            .map(|(name, shape, dtype, bytes)| {
                Ok((
                    name.clone(),
                    TensorView::new(*dtype, shape.clone(), bytes)
                        .map_err(|e| corrupt(e.to_string()))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let info = HashMap::from([(METADATA_KEY.to_string(), json)]);
        safetensors::serialize(views, Some(info)).map_err(|e| corrupt(e.to_string()))
    }

    /// Reads a checkpoint file, refusing one whose version, config, tokenizer, weight shapes or
    /// checksum is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let file = SafeTensors::deserialize(bytes)
            .map_err(|e| corrupt(format!("not a valid safetensors file ({e})")))?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
        let json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(METADATA_KEY))
            .ok_or_else(|| corrupt("the file has no Glassbox metadata (a Hugging Face GPT-2 folder is opened as a folder, with its config.json)"))?;
        let metadata: Metadata =
            serde_json::from_str(json).map_err(|e| corrupt(format!("metadata: {e}")))?;
        if metadata.format_version != FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {} is not supported (expected {FORMAT_VERSION})",
                metadata.format_version
            )));
        }
        metadata.config.validate().map_err(GlassboxError::Config)?;
        if metadata.tokenizer.vocab_size() != metadata.config.vocab_size {
            return Err(corrupt(format!(
                "the tokenizer has {} tokens but the model expects {}",
                metadata.tokenizer.vocab_size(),
                metadata.config.vocab_size
            )));
        }
        let weights = weights_from_safetensors(&file)?;
        let all_f16 = file
            .tensors()
            .iter()
            .filter(|(name, _)| name != OPTIMIZER_TENSOR)
            .all(|(_, view)| view.dtype() == Dtype::F16);
        let precision = if all_f16 && !weights.is_empty() {
            Precision::F16
        } else {
            Precision::F32
        };
        // The same shape check as a GPT-2 folder's, before any tensor exists.
        check_weights(&metadata.config, &weights)?;
        if weights_crc(&weights) != metadata.weights_crc32 {
            return Err(corrupt(
                "the weights do not match their checksum: the file is corrupt",
            ));
        }
        let optimizer_state = file
            .tensor(OPTIMIZER_TENSOR)
            .ok()
            .map(|v| v.data().to_vec());
        Ok(Self {
            config: metadata.config,
            tokenizer: metadata.tokenizer,
            training: metadata.training,
            weights,
            param_ids: metadata.param_ids,
            optimizer_state,
            precision,
        })
    }

    /// Writes the file whole or not at all: into a temporary file in the same folder (so the
    /// rename stays on one file system), synced to disk, then renamed over `path`. A crash, a full
    /// disk or an error part-way leaves the previous file as it was; training rewrites its
    /// checkpoint at every evaluation, and a torn write would lose the whole run.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        use std::io::Write;
        let cannot = |e: std::io::Error| corrupt(format!("cannot write {}: {e}", path.display()));
        let bytes = self.to_bytes()?;
        let name = path
            .file_name()
            .ok_or_else(|| corrupt(format!("cannot write {}: not a file name", path.display())))?;
        let mut temporary = std::ffi::OsString::from(".");
        temporary.push(name);
        temporary.push(format!(".tmp-{}", std::process::id()));
        let temporary = path.with_file_name(temporary);
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)
        });
        if let Err(e) = written {
            // Nothing to remove when the file could not even be created.
            let _ = std::fs::remove_file(&temporary);
            return Err(cannot(e));
        }
        // The rename itself reaches the disk with the folder's entry; best effort, as not every
        // platform can open a folder, and the checkpoint is already in place.
        #[cfg(unix)]
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Reads the checkpoint file at `path`, as [`Checkpoint::from_bytes`] does.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| corrupt(format!("cannot read {}: {e}", path.display())))?;
        Self::from_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::{block_on, read_floats};
    use crate::testing::{TOKENS, tiny_model};
    use crate::tokenize::CharTokenizer;

    fn checkpoint() -> (Gpt, Checkpoint) {
        let model = tiny_model();
        let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus("abcdefghijk").unwrap());
        let config = GptConfig::new(11, 12, 2, 2, 16);
        let checkpoint = block_on(Checkpoint::from_model(
            &model, &config, tokenizer, None, None,
        ))
        .unwrap();
        (model, checkpoint)
    }

    #[test]
    fn round_trip_is_exact() {
        let (model, checkpoint) = checkpoint();
        assert!(
            checkpoint
                .weights
                .contains_key("transformer.h.1.attn.c_attn.weight")
        );
        assert_eq!(
            checkpoint.weights["transformer.h.0.mlp.c_fc.weight"].shape,
            vec![16, 64]
        );
        let bytes = checkpoint.to_bytes().unwrap();
        let loaded = Checkpoint::from_bytes(&bytes).unwrap();
        assert_eq!(loaded, checkpoint);
        let reloaded = loaded.to_model(&Device::flex()).unwrap();
        let logits =
            |m: &Gpt| block_on(read_floats(m.forward(m.token_tensor(&[TOKENS.to_vec()])))).unwrap();
        assert_eq!(logits(&model), logits(&reloaded));
        assert_eq!(loaded.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn an_f16_file_is_half_the_size_reads_back_rounded_and_resaves_identically() {
        let (_, checkpoint) = checkpoint();
        let full = checkpoint.to_bytes().unwrap();
        let half = Checkpoint {
            precision: Precision::F16,
            ..checkpoint.clone()
        };
        let bytes = half.to_bytes().unwrap();
        let floats: usize = checkpoint.weights.values().map(|t| t.data.len()).sum();
        // 2 bytes saved a weight, give or take the header's shorter offsets and its padding.
        let saved = full.len() - bytes.len();
        assert!(
            saved.abs_diff(2 * floats) < 64,
            "{saved} bytes saved on {floats} weights"
        );
        let loaded = Checkpoint::from_bytes(&bytes).unwrap();
        assert_eq!(loaded.precision, Precision::F16);
        for (name, original) in &checkpoint.weights {
            let read = &loaded.weights[name];
            assert_eq!(read.shape, original.shape);
            for (&r, &o) in read.data.iter().zip(&original.data) {
                assert!(
                    (r - o).abs() <= o.abs() * 2f32.powi(-11) + 1e-7,
                    "{name}: {o} read as {r}"
                );
            }
        }
        assert_eq!(loaded.to_bytes().unwrap(), bytes, "re-saved byte for byte");
        let widened = Checkpoint {
            precision: Precision::F32,
            ..loaded.clone()
        };
        let widened = Checkpoint::from_bytes(&widened.to_bytes().unwrap()).unwrap();
        assert_eq!(
            widened.weights, loaded.weights,
            "f16 values are exact in f32"
        );
        assert_eq!(widened.precision, Precision::F32);
    }

    #[test]
    fn precision_parses_its_two_names_only() {
        assert_eq!("f16".parse::<Precision>(), Ok(Precision::F16));
        assert_eq!("f32".parse::<Precision>(), Ok(Precision::F32));
        assert!(
            "bf16"
                .parse::<Precision>()
                .unwrap_err()
                .contains("f32 or f16")
        );
    }

    #[test]
    fn corrupt_and_truncated_files_are_errors() {
        let (_, checkpoint) = checkpoint();
        let bytes = checkpoint.to_bytes().unwrap();
        for truncated in [0, 7, 100, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                matches!(
                    Checkpoint::from_bytes(&bytes[..truncated]),
                    Err(GlassboxError::Checkpoint(_))
                ),
                "truncated at {truncated}"
            );
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x40;
        let err = Checkpoint::from_bytes(&flipped).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        let mut huge_header = bytes.clone();
        huge_header[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Checkpoint::from_bytes(&huge_header).is_err());
    }

    #[test]
    fn crafted_metadata_is_refused_before_anything_is_allocated() {
        let (_, checkpoint) = checkpoint();
        // Metadata that claims an enormous model, with no tensors and the checksum of nothing.
        let mut enormous = checkpoint.clone();
        enormous.config.n_layer = 100_000_000;
        enormous.weights.clear();
        let err = Checkpoint::from_bytes(&enormous.to_bytes().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("n_layer is 100,000,000"), "{err}");
        // A plausible config whose tensors are another shape: the full shape check, as for GPT-2.
        let mut other_shape = checkpoint;
        other_shape.config.n_layer += 1;
        let err = Checkpoint::from_bytes(&other_shape.to_bytes().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing tensor `transformer.h."), "{err}");
    }

    #[test]
    fn mismatched_weights_name_the_tensor() {
        let (_, mut checkpoint) = checkpoint();
        checkpoint
            .weights
            .get_mut("transformer.h.0.ln_1.weight")
            .unwrap()
            .shape = vec![8, 2];
        let err = checkpoint
            .to_model(&Device::flex())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("transformer.h.0.ln_1.weight") && err.contains("[8, 2]"),
            "{err}"
        );
        checkpoint.weights.remove("transformer.wpe.weight");
        let err = checkpoint
            .to_model(&Device::flex())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing tensor `transformer.wpe.weight`"),
            "{err}"
        );
    }

    /// A fresh folder under the system's temporary one.
    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("glassbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn save_replaces_the_file_and_leaves_no_temporary() {
        let (_, checkpoint) = checkpoint();
        let dir = scratch_dir("save");
        let path = dir.join("model.safetensors");
        std::fs::write(&path, b"an older checkpoint").unwrap();
        checkpoint.save(&path).unwrap();
        assert_eq!(entries(&dir), ["model.safetensors"]);
        assert_eq!(Checkpoint::load(&path).unwrap(), checkpoint);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_save_leaves_the_previous_file() {
        let (_, checkpoint) = checkpoint();
        let dir = scratch_dir("failed-save");
        let err = checkpoint
            .save(&dir.join("missing").join("model.safetensors"))
            .unwrap_err();
        assert!(err.to_string().contains("cannot write"), "{err}");
        assert!(entries(&dir).is_empty());

        // The temporary's name taken by a folder: the save fails before `path` is touched.
        let path = dir.join("model.safetensors");
        std::fs::write(&path, b"the previous checkpoint").unwrap();
        let blocker = dir.join(format!(".model.safetensors.tmp-{}", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        assert!(checkpoint.save(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"the previous checkpoint");
        std::fs::remove_dir(&blocker).unwrap();
        assert_eq!(entries(&dir), ["model.safetensors"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn parameter_shapes(model: &Gpt) -> BTreeMap<String, Vec<usize>> {
        let mut collector = ParamCollector {
            path: Vec::new(),
            found: Vec::new(),
        };
        model.visit(&mut collector);
        collector
            .found
            .into_iter()
            .map(|(name, _, shape, _)| (name, shape))
            .collect()
    }

    #[test]
    fn weight_shapes_are_the_models_parameters() {
        let (model, checkpoint) = checkpoint();
        assert_eq!(parameter_shapes(&model), weight_shapes(&checkpoint.config));
    }

    #[test]
    fn every_architecture_switch_counts_its_parameters_and_round_trips() {
        use crate::config::Activation;
        let base = GptConfig::new(11, 12, 3, 2, 16);
        let variants = [
            base.clone(),
            GptConfig {
                n_head: 1,
                ..base.clone()
            },
            GptConfig {
                n_head: 4,
                ..base.clone()
            },
            GptConfig {
                n_layer: 1,
                ..base.clone()
            },
            base.clone().with_without_attention(Some(vec![1, 2])),
            base.clone().with_activation(Activation::Relu),
            base.clone().with_activation(Activation::Identity),
            GptConfig {
                context_length: 4,
                ..base.clone()
            },
        ];
        let device = Device::flex();
        for config in variants {
            let model = config.init(&device);
            assert_eq!(model.num_params(), config.num_params(), "{config:?}");
            assert_eq!(parameter_shapes(&model), weight_shapes(&config));
            let tokenizer = Tokenizer::Char(CharTokenizer::from_corpus("abcdefghijk").unwrap());
            let saved = block_on(Checkpoint::from_model(
                &model, &config, tokenizer, None, None,
            ))
            .unwrap();
            let loaded = Checkpoint::from_bytes(&saved.to_bytes().unwrap()).unwrap();
            assert_eq!(loaded.config, config);
            loaded.to_model(&device).unwrap();
        }
        // Heads split the width: the count does not depend on them.
        assert_eq!(
            base.num_params(),
            GptConfig {
                n_head: 4,
                ..base.clone()
            }
            .num_params()
        );
    }
}
