// STUB
#[derive(Clone, Copy, Debug)]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}
#[derive(Clone, Debug)]
pub struct SentimentScore {
    pub label: Polarity,
    pub score: f32,
    pub probs: [f32; 3],
}
pub struct EmotionScore {
    pub label: String,
    pub p: f32,
}
pub struct DocSentiment {
    pub doc: SentimentScore,
    pub sentences: Vec<(String, SentimentScore)>,
    pub emotions: Vec<EmotionScore>,
}
pub struct SentimentModel;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct ModelError;
impl SentimentModel {
    pub fn load(_d: &std::path::Path) -> Result<Self, ModelError> {
        Ok(Self)
    }
    pub fn name(&self) -> &str {
        "x"
    }
    pub fn predict_batch(&self, _t: &[&str]) -> Result<Vec<SentimentScore>, ModelError> {
        Ok(vec![])
    }
    pub fn analyze_batch(&self, _t: &[&str]) -> Result<Vec<DocSentiment>, ModelError> {
        Ok(vec![])
    }
}
