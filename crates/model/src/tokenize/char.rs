//! Character-level tokens: one per distinct character of the training corpus (the models trained
//! here).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{GlassboxError, Result};

/// Character-level: one token per distinct character of the training corpus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CharTokenizerSerde", into = "CharTokenizerSerde")]
pub struct CharTokenizer {
    chars: Vec<char>,
    ids: HashMap<char, u32>,
}

#[derive(Serialize, Deserialize)]
struct CharTokenizerSerde {
    chars: String,
}

impl TryFrom<CharTokenizerSerde> for CharTokenizer {
    type Error = String;
    fn try_from(value: CharTokenizerSerde) -> Result<Self, String> {
        let chars: Vec<char> = value.chars.chars().collect();
        let unique: BTreeSet<char> = chars.iter().copied().collect();
        if unique.len() != chars.len() || chars.is_empty() {
            return Err("character vocabulary must be non-empty and without repeats".into());
        }
        Ok(Self::from_chars(chars))
    }
}

impl From<CharTokenizer> for CharTokenizerSerde {
    fn from(value: CharTokenizer) -> Self {
        Self {
            chars: value.chars.iter().collect(),
        }
    }
}

impl CharTokenizer {
    /// The sorted set of characters in `corpus`.
    pub fn from_corpus(corpus: &str) -> Result<Self> {
        let chars: BTreeSet<char> = corpus.chars().collect();
        if chars.is_empty() {
            return Err(GlassboxError::Data("the corpus is empty".into()));
        }
        Ok(Self::from_chars(chars.into_iter().collect()))
    }

    fn from_chars(chars: Vec<char>) -> Self {
        let ids = chars
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u32))
            .collect();
        Self { chars, ids }
    }

    /// Number of distinct characters.
    pub fn vocab_size(&self) -> usize {
        self.chars.len()
    }

    /// One id per character of `text`; characters outside the vocabulary are an error that lists
    /// them.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut unknown = BTreeSet::new();
        let ids: Vec<u32> = text
            .chars()
            .filter_map(|c| {
                let id = self.ids.get(&c).copied();
                if id.is_none() {
                    unknown.insert(c);
                }
                id
            })
            .collect();
        if unknown.is_empty() {
            Ok(ids)
        } else {
            Err(GlassboxError::UnknownCharacters(
                unknown.into_iter().collect(),
            ))
        }
    }

    /// The characters of `ids`; ids outside the vocabulary are skipped.
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter()
            .filter_map(|&id| self.chars.get(id as usize))
            .collect()
    }
}
