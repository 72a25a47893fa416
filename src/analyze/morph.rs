// STUB
use std::path::Path;
#[derive(Clone, Debug)]
pub struct Morpheme {
    pub surface: String,
    pub pos: String,
    pub tag: String,
    pub start: usize,
    pub end: usize,
}
impl Morpheme {
    pub fn term(&self) -> &str {
        &self.surface
    }
}
#[derive(Clone)]
pub struct KoreanMorphology;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct MorphError;
impl KoreanMorphology {
    pub fn embedded() -> Result<Self, MorphError> {
        Ok(Self)
    }
    pub fn with_user_dictionary(_p: &Path) -> Result<Self, MorphError> {
        Ok(Self)
    }
    pub fn analyze(&self, _t: &str) -> Vec<Morpheme> {
        vec![]
    }
    pub fn content_terms(&self, _t: &str) -> Vec<Morpheme> {
        vec![]
    }
}
