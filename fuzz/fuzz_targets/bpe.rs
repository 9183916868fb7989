//! Any text as `merges.txt` (first half, over the 256 byte tokens plus two) and as text to encode
//! (second half): an error or ids that decode back to the text, never a panic. And any text
//! round-trips through GPT-2's real tokenizer.
#![no_main]
use glassbox_model::tokenize::bpe::BpeTokenizer;
use libfuzzer_sys::fuzz_target;

const BYTE_VOCAB: &str = include_str!("../byte_vocab.json");
const VOCAB: &str = include_str!("../../tests/fixtures/gpt2-tiny/vocab.json");
const MERGES: &str = include_str!("../../tests/fixtures/gpt2-tiny/merges.txt");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (merges, sample) = text.split_at(text.floor_char_boundary(text.len() / 2));
    if let Ok(tokenizer) = BpeTokenizer::from_files(BYTE_VOCAB, merges) {
        let ids = tokenizer.encode(sample).expect("byte-level BPE encodes any text");
        assert_eq!(tokenizer.decode(&ids), sample);
    }
    // The real merges: every text round-trips.
    thread_local! {
        static GPT2: BpeTokenizer = BpeTokenizer::from_files(VOCAB, MERGES).unwrap();
    }
    GPT2.with(|t| assert_eq!(t.decode(&t.encode(text).unwrap()), text));
});
