//! Token counts with tiktoken (`cl100k_base`), the encoding of the GPT-4 family; the
//! byte-pair tables are built once per process (a `OnceLock`), not per call.

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

/// The encoding used for every count.
pub const TOKEN_ENCODING: &str = "cl100k_base";

fn bpe() -> Option<&'static CoreBPE> {
    static BPE: OnceLock<Option<CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::cl100k_base().ok()).as_ref()
}

/// Tokens in `text` (`None` only if the encoding could not be loaded).
pub fn count_tokens(text: &str) -> Option<usize> {
    bpe().map(|bpe| bpe.encode_ordinary(text).len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens() {
        assert_eq!(count_tokens(""), Some(0));
        assert_eq!(count_tokens("hello world"), Some(2));
    }
}
