// STUB
#[derive(serde::Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}
#[derive(serde::Serialize)]
pub struct EvalReport {
    pub model: String,
    pub data: String,
    pub scheme: String,
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub ece: f64,
    pub docs_per_second: f64,
    pub per_class: Vec<ClassMetrics>,
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
}
pub fn eval_sentiment(
    _r: &crate::jobs::EvalRequest,
    _p: bool,
) -> Result<EvalReport, crate::error::Error> {
    todo!()
}
