//! GPT-2's byte-level BPE, built from `vocab.json` + `merges.txt` with Hugging Face's `tokenizers`
//! crate (the same algorithm as `GPT2TokenizerFast`; its `unstable_wasm` feature builds for the
//! browser). This module checks the two files first, so bad input gets a message naming the line
//! or token, and keeps the files' text so a checkpoint can carry the tokenizer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use tokenizers::models::bpe::{BPE, Merges, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;

use crate::error::{GlassboxError, Result};

/// GPT-2's end-of-text token: generation stops there.
pub const END_OF_TEXT: &str = "<|endoftext|>";

fn bad(msg: impl Into<String>) -> GlassboxError {
    GlassboxError::Tokenizer(msg.into())
}

/// GPT-2's tokenizer, checked and ready to encode. Serialises as its [`BpeFiles`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "BpeFiles", into = "BpeFiles")]
pub struct BpeTokenizer {
    files: BpeFiles,
    /// Token strings by id, as in `vocab.json` (`Ġ` for a space byte).
    pieces: Vec<String>,
    inner: tokenizers::Tokenizer,
}

/// What a checkpoint stores: the vocabulary and the merges, as the two files have them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct BpeFiles {
    vocab: BTreeMap<String, u32>,
    merges: String,
}

impl std::fmt::Debug for BpeTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BpeTokenizer({} tokens)", self.pieces.len())
    }
}

impl PartialEq for BpeTokenizer {
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

impl TryFrom<BpeFiles> for BpeTokenizer {
    type Error = GlassboxError;
    fn try_from(files: BpeFiles) -> Result<Self> {
        Self::from_vocab(files.vocab, files.merges)
    }
}

impl From<BpeTokenizer> for BpeFiles {
    fn from(value: BpeTokenizer) -> Self {
        value.files
    }
}

impl BpeTokenizer {
    /// From the text of `vocab.json` and `merges.txt`.
    pub fn from_files(vocab_json: &str, merges_txt: &str) -> Result<Self> {
        let vocab: BTreeMap<String, u32> = serde_json::from_str(vocab_json).map_err(|e| {
            bad(format!(
                "vocab.json is not a JSON object of token → id ({e})"
            ))
        })?;
        Self::from_vocab(vocab, merges_txt.to_string())
    }

    fn from_vocab(vocab: BTreeMap<String, u32>, merges_txt: String) -> Result<Self> {
        let pieces = pieces_by_id(&vocab)?;
        let merges = parse_merges(&merges_txt, &vocab)?;
        let bpe = BPE::builder()
            .vocab_and_merges(
                vocab
                    .iter()
                    .map(|(k, &v)| (k.clone(), v))
                    .collect::<Vocab>(),
                merges,
            )
            .build()
            .map_err(|e| bad(format!("cannot build the BPE model: {e}")))?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        // GPT2TokenizerFast: byte-level pre-tokenizer with GPT-2's regex, no prefix space. Decoding
        // is `decode` below (bytes of each token, lossy UTF-8, as `transformers` does).
        inner.with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)));
        Ok(Self {
            files: BpeFiles {
                vocab,
                merges: merges_txt,
            },
            pieces,
            inner,
        })
    }

    /// Number of tokens in `vocab.json`.
    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// The token ids of `text`, as `GPT2TokenizerFast` encodes it (no prefix space).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| bad(format!("cannot encode the text: {e}")))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The text of `ids`; bytes that do not form UTF-8 become U+FFFD, as in `transformers`.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The token's string as stored in `vocab.json`.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    /// The bytes the token stands for.
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        self.piece(id)
            .map(|piece| piece.chars().filter_map(byte_of_char).collect())
            .unwrap_or_default()
    }

    /// The id of [`END_OF_TEXT`], where the vocabulary has it.
    pub fn end_of_text(&self) -> Option<u32> {
        self.files.vocab.get(END_OF_TEXT).copied()
    }
}

/// GPT-2's byte → character table (`bytes_to_unicode` in OpenAI's encoder): printable bytes stand
/// for themselves, the others for U+0100 upward in byte order. `tokenizers` keeps its table private.
static BYTE_CHARS: LazyLock<[char; 256]> = LazyLock::new(|| {
    let printable = |b: u8| (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || b >= 0xae;
    let mut shifted = 0x100;
    std::array::from_fn(|b| {
        let b = b as u8;
        if printable(b) {
            char::from(b)
        } else {
            shifted += 1;
            // At most 256 shifted bytes from 0x100: always a valid char.
            char::from_u32(shifted - 1).expect("below U+0200")
        }
    })
});

static CHAR_BYTES: LazyLock<HashMap<char, u8>> =
    LazyLock::new(|| (0..=255u8).map(|b| (char_of_byte(b), b)).collect());

fn char_of_byte(byte: u8) -> char {
    BYTE_CHARS[byte as usize]
}

fn byte_of_char(c: char) -> Option<u8> {
    CHAR_BYTES.get(&c).copied()
}

/// Token strings by id; ids must be 0..n without gaps or repeats, and every byte must be a token.
fn pieces_by_id(vocab: &BTreeMap<String, u32>) -> Result<Vec<String>> {
    let mut pieces = vec![None; vocab.len()];
    for (piece, &id) in vocab {
        let slot = pieces.get_mut(id as usize).ok_or_else(|| {
            bad(format!(
                "vocab.json gives {piece:?} the id {id}, beyond its {} entries",
                vocab.len()
            ))
        })?;
        if let Some(other) = slot.replace(piece.clone()) {
            return Err(bad(format!(
                "vocab.json gives the id {id} to both {other:?} and {piece:?}"
            )));
        }
    }
    if let Some(byte) = (0..=255u8).find(|&b| !vocab.contains_key(&char_of_byte(b).to_string())) {
        return Err(bad(format!(
            "vocab.json lacks the token for byte 0x{byte:02X} ({:?}): not a byte-level BPE vocabulary",
            char_of_byte(byte)
        )));
    }
    Ok(pieces
        .into_iter()
        // n distinct ids, each below n (checked above), fill all n slots.
        .map(|p| p.expect("ids are dense"))
        .collect())
}

/// `merges.txt`: an optional `#version` line, then one merge per line, `left right`, both tokens and
/// their concatenation in the vocabulary.
fn parse_merges(text: &str, vocab: &BTreeMap<String, u32>) -> Result<Merges> {
    let mut merges = Merges::new();
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() || (number == 1 && line.starts_with("#version")) {
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let [left, right] = parts[..] else {
            return Err(bad(format!(
                "merges.txt line {number}: expected two tokens separated by one space, got {line:?}"
            )));
        };
        if left.is_empty() || right.is_empty() {
            return Err(bad(format!(
                "merges.txt line {number}: expected two tokens separated by one space, got {line:?}"
            )));
        }
        let joined = format!("{left}{right}");
        if let Some(missing) = [left, right, joined.as_str()]
            .into_iter()
            .find(|t| !vocab.contains_key(*t))
        {
            return Err(bad(format!(
                "merges.txt line {number}: {missing:?} is not in vocab.json"
            )));
        }
        if seen.insert((left, right)) {
            merges.push((left.to_string(), right.to_string()));
        }
    }
    Ok(merges)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte-level vocabulary: the 256 byte tokens, then merged ones.
    fn tiny(merges: &str, merged: &[&str]) -> Result<BpeTokenizer> {
        let mut vocab: BTreeMap<String, u32> = (0..=255u8)
            .map(|b| (char_of_byte(b).to_string(), b as u32))
            .collect();
        for (i, piece) in merged.iter().enumerate() {
            vocab.insert(piece.to_string(), 256 + i as u32);
        }
        BpeTokenizer::from_vocab(vocab, merges.to_string())
    }

    #[test]
    fn byte_table_is_a_bijection_with_gpt2_markers() {
        let chars: HashSet<char> = (0..=255u8).map(char_of_byte).collect();
        assert_eq!(chars.len(), 256);
        assert_eq!(char_of_byte(b' '), 'Ġ');
        assert_eq!(char_of_byte(b'\n'), 'Ċ');
        assert_eq!(char_of_byte(b'a'), 'a');
        for b in 0..=255u8 {
            assert_eq!(byte_of_char(char_of_byte(b)), Some(b));
        }
    }

    #[test]
    fn merges_apply_in_rank_order_and_text_round_trips() {
        let t = tiny("#version: 0.2\nh e\nhe l\nĠ w\n", &["he", "hel", "Ġw"]).unwrap();
        let ids = t.encode("hello world").unwrap();
        let pieces: Vec<&str> = ids.iter().map(|&id| t.piece(id).unwrap()).collect();
        assert_eq!(pieces, ["hel", "l", "o", "Ġw", "o", "r", "l", "d"]);
        assert_eq!(t.decode(&ids), "hello world");
        let text = "naïve — ünïcödé\n\t!";
        assert_eq!(t.decode(&t.encode(text).unwrap()), text);
    }

    #[test]
    fn bad_files_are_named() {
        let err = |r: Result<BpeTokenizer>| r.unwrap_err().to_string();
        assert!(err(tiny("h e\nthis is garbage\n", &["he"])).contains("merges.txt line 2"));
        assert!(err(tiny("h e\nx\n", &["he"])).contains("line 2"));
        assert!(err(tiny("h q\n", &["he"])).contains("\"hq\" is not in vocab.json"));
        assert!(err(BpeTokenizer::from_files("[1, 2]", "")).contains("vocab.json"));
        assert!(err(BpeTokenizer::from_files(r#"{"a": 0, "b": 5}"#, "")).contains("beyond"));
        assert!(err(BpeTokenizer::from_files(r#"{"a": 0, "b": 0}"#, "")).contains("both"));
        assert!(err(BpeTokenizer::from_files(r#"{"a": 0}"#, "")).contains("byte 0x00"));
    }

    #[test]
    fn serde_keeps_the_files() {
        let t = tiny("h e\n", &["he"]).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: BpeTokenizer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.encode("he").unwrap(), vec![256]);
    }
}
