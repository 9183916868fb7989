//! Text ↔ token ids. A closed enum so a checkpoint can say which tokenizer it carries: characters
//! (the models trained here) or GPT-2's byte-level BPE (imported models, see `bpe`).

pub mod bpe;
pub mod char;

use serde::{Deserialize, Serialize};

pub use self::char::CharTokenizer;

use crate::error::{GlassboxError, Result};
use bpe::BpeTokenizer;

/// Every tokenizer Glassbox knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tokenizer {
    /// One token per character of the training corpus.
    Char(CharTokenizer),
    /// GPT-2's byte-level BPE, for imported models.
    // Boxed: the BPE tables are large, the character tokenizer small.
    Gpt2Bpe(Box<BpeTokenizer>),
}

impl Tokenizer {
    /// Number of distinct tokens.
    pub fn vocab_size(&self) -> usize {
        match self {
            Tokenizer::Char(t) => t.vocab_size(),
            Tokenizer::Gpt2Bpe(t) => t.vocab_size(),
        }
    }

    /// Token ids of `text`; an empty text is an error (there is nothing to predict from).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        if text.is_empty() {
            return Err(GlassboxError::EmptyPrompt);
        }
        match self {
            Tokenizer::Char(t) => t.encode(text),
            Tokenizer::Gpt2Bpe(t) => t.encode(text),
        }
    }

    /// The text of `ids`.
    pub fn decode(&self, ids: &[u32]) -> String {
        match self {
            Tokenizer::Char(t) => t.decode(ids),
            Tokenizer::Gpt2Bpe(t) => t.decode(ids),
        }
    }

    /// The token that ends a text, where the vocabulary has one (GPT-2's `<|endoftext|>`).
    pub fn end_of_text(&self) -> Option<u32> {
        match self {
            Tokenizer::Char(_) => None,
            Tokenizer::Gpt2Bpe(t) => t.end_of_text(),
        }
    }

    /// The token's text (a BPE token that is part of a UTF-8 character decodes to U+FFFD).
    pub fn token_text(&self, id: u32) -> String {
        self.decode(&[id])
    }

    /// The token as its vocabulary writes it (GPT-2: `Ġ` for a space byte, `Ċ` for a newline).
    pub fn token_piece(&self, id: u32) -> String {
        match self {
            Tokenizer::Char(t) => t.decode(&[id]),
            Tokenizer::Gpt2Bpe(t) => t.piece(id).unwrap_or_default().to_string(),
        }
    }

    /// The token for a label in a UI or a terminal: whitespace made visible, and bytes that are only
    /// part of a UTF-8 character written as `\xNN`.
    pub fn token_label(&self, id: u32) -> String {
        match self {
            Tokenizer::Char(t) => visible_whitespace(&t.decode(&[id])),
            Tokenizer::Gpt2Bpe(t) => readable_bytes(&t.token_bytes(id)),
        }
    }
}

/// Valid UTF-8 as text (whitespace made visible), every other byte as `\xNN`.
pub fn readable_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&visible_whitespace(chunk.valid()));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02X}"));
        }
    }
    out
}

/// Shows spaces, newlines and tabs as visible symbols.
pub fn visible_whitespace(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => '␣',
            '\n' => '↵',
            '\t' => '⇥',
            '\r' => '␍',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> Tokenizer {
        Tokenizer::Char(CharTokenizer::from_corpus("hello world\n").unwrap())
    }

    #[test]
    fn round_trips_known_text() {
        let t = tokenizer();
        let ids = t.encode("hold\nwe").unwrap();
        assert_eq!(ids.len(), 7);
        assert_eq!(t.decode(&ids), "hold\nwe");
    }

    #[test]
    fn unknown_characters_are_named() {
        let err = tokenizer().encode("hello, Zorro!").unwrap_err();
        assert_eq!(err, GlassboxError::UnknownCharacters(vec!['!', ',', 'Z']));
        let msg = err.to_string();
        assert!(
            msg.contains("'Z'") && msg.contains("','") && msg.contains("'!'"),
            "{msg}"
        );
    }

    #[test]
    fn empty_prompt_is_refused() {
        assert_eq!(tokenizer().encode(""), Err(GlassboxError::EmptyPrompt));
    }

    #[test]
    fn serde_round_trip() {
        let t = tokenizer();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"kind\":\"char\""), "{json}");
        assert_eq!(serde_json::from_str::<Tokenizer>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Tokenizer>(r#"{"kind":"char","chars":"aa"}"#).is_err());
    }

    #[test]
    fn labels_show_whitespace_and_partial_characters() {
        assert_eq!(visible_whitespace("a b\n"), "a␣b↵");
        // "é" is C3 A9: a token holding only its first byte shows the byte.
        assert_eq!(readable_bytes(b" caf\xC3"), "␣caf\\xC3");
        assert_eq!(readable_bytes("é".as_bytes()), "é");
    }
}
