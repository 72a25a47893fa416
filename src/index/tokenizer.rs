//! Plugs a [`TermAnalyzer`] into tantivy as a tokenizer, so the Korean analyzer is registered by
//! name (`ko`) and chained with tantivy's own filters like any other analyzer.

use std::sync::Arc;

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::analyze::TermAnalyzer;

pub const KOREAN: &str = "ko";

#[derive(Clone)]
pub struct AnalyzerTokenizer {
    analyzer: Arc<dyn TermAnalyzer>,
}

impl AnalyzerTokenizer {
    pub fn new(analyzer: Arc<dyn TermAnalyzer>) -> Self {
        AnalyzerTokenizer { analyzer }
    }
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for AnalyzerTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        // Positions count content terms only, so the phrase "배송 지연" matches
        // "배송이 지연되어": the particle and the verb ending are not indexed.
        VecTokenStream {
            tokens: to_tokens(&self.analyzer.terms(text)),
            next: 0,
        }
    }
}

/// The `ko` analyzer. Lowercasing and English stemming happen inside the [`TermAnalyzer`], so
/// the same terms can be handed to tantivy pre-tokenized at index time.
pub fn korean_analyzer(analyzer: Arc<dyn TermAnalyzer>) -> TextAnalyzer {
    TextAnalyzer::builder(AnalyzerTokenizer::new(analyzer)).build()
}

/// Tokens for tantivy's pre-tokenized text, with the positions the tokenizer would give.
pub fn to_tokens(terms: &[crate::analyze::Term]) -> Vec<Token> {
    terms
        .iter()
        .enumerate()
        .map(|(position, t)| Token {
            offset_from: t.start,
            offset_to: t.end,
            position,
            text: t.text.clone(),
            position_length: 1,
        })
        .collect()
}
