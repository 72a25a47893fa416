//! Transformer sentiment and emotion scoring (candle, CPU).
//!
//! The model is a BERT encoder with two linear heads over mean-pooled token states: a 3-way
//! sentiment softmax (negative, neutral, positive; logits divided by a calibration
//! temperature) and independent per-emotion sigmoids. The artifact format (`model.safetensors`
//! in F16, `config.json` with a `"sori"` block, `tokenizer.json`) is the contract with the
//! training code; [`SentimentModel::load`] checks it and names the file at fault.
//!
//! Throughput comes from batching, not from the model: inputs are sorted by token length and
//! cut into batches of similar length (so padding is small), batches run in parallel on the
//! rayon pool, and sentence-level inputs of all documents are scored in the same pass as the
//! documents. A one-sentence document is scored once.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Linear, Module, VarBuilder};
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::sentence::split_sentences;

/// Labels the sentiment head must produce, in head-row order.
const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// Padded tokens per batch. Large enough that the encoder's matrix products are efficient,
/// small enough that a typical call yields several batches for the two rayon workers.
const BATCH_TOKENS: usize = 2048;
const MAX_BATCH: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

impl Polarity {
    pub fn as_str(self) -> &'static str {
        LABELS[self as usize]
    }
}

impl fmt::Display for Polarity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentimentScore {
    /// The most probable class.
    pub label: Polarity,
    /// P(positive) - P(negative), in [-1, 1].
    pub score: f32,
    /// Probabilities of negative, neutral, positive; they sum to 1.
    pub probs: [f32; 3],
}

impl SentimentScore {
    pub fn from_probs(probs: [f32; 3]) -> Self {
        let best = (0..3).fold(0, |b, i| if probs[i] > probs[b] { i } else { b });
        let label = [Polarity::Negative, Polarity::Neutral, Polarity::Positive][best];
        SentimentScore {
            label,
            score: probs[2] - probs[0],
            probs,
        }
    }

    /// What an empty text gets: nothing was said, so certainly neutral.
    fn empty() -> Self {
        Self::from_probs([0.0, 1.0, 0.0])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmotionScore {
    pub label: String,
    pub p: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSentiment {
    pub doc: SentimentScore,
    /// Each sentence with its score, in text order. A one-sentence document has one entry
    /// carrying the document score; an empty document has none.
    pub sentences: Vec<(String, SentimentScore)>,
    /// Emotions at or above their threshold, most probable first.
    pub emotions: Vec<EmotionScore>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file of the model directory is missing or does not match the artifact format.
    #[error("{}: {reason}\n  hint: {hint}", path.display())]
    Artifact {
        path: PathBuf,
        reason: String,
        hint: &'static str,
    },
    #[error("sentiment inference failed: {0}")]
    Inference(String),
}

impl From<candle_core::Error> for ModelError {
    fn from(e: candle_core::Error) -> Self {
        ModelError::Inference(e.to_string())
    }
}

const HINT_DIR: &str = "a model directory holds model.safetensors, config.json and tokenizer.json \
     (see models/sentiment/MODEL.md); pass another with --model";
const HINT_CONFIG: &str = "config.json must hold the BERT config fields plus a \"sori\" object \
     with labels, emotions, emotion_thresholds, pooling, temperature, max_len";
const HINT_WEIGHTS: &str = "model.safetensors must hold candle BertModel tensors without prefix \
     plus sentiment_head.{weight,bias} [3, hidden] and emotion_head.{weight,bias} [E, hidden]";

fn artifact(path: &Path, reason: impl Into<String>, hint: &'static str) -> ModelError {
    ModelError::Artifact {
        path: path.to_owned(),
        reason: reason.into(),
        hint,
    }
}

/// The `"sori"` block of config.json.
#[derive(Debug, Clone, Deserialize)]
struct SoriConfig {
    labels: Vec<String>,
    #[serde(default)]
    emotions: Vec<String>,
    #[serde(default)]
    emotion_thresholds: Vec<f32>,
    #[serde(default = "default_pooling")]
    pooling: String,
    #[serde(default = "default_temperature")]
    temperature: f32,
    #[serde(default = "default_max_len")]
    max_len: usize,
    #[serde(default)]
    version: Option<String>,
}

fn default_pooling() -> String {
    "mean".into()
}
fn default_temperature() -> f32 {
    1.0
}
fn default_max_len() -> usize {
    128
}

#[derive(Deserialize)]
struct ConfigFile {
    sori: SoriConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
}

/// Head outputs for one input text.
struct Scored {
    sentiment: SentimentScore,
    emotions: Vec<f32>,
}

/// A loaded sentiment model. Cheap to share: all methods take `&self` and the model is
/// `Send + Sync`, so one instance can serve every thread.
pub struct SentimentModel {
    name: String,
    bert: BertModel,
    sentiment_head: Linear,
    emotion_head: Option<Linear>,
    tokenizer: Tokenizer,
    emotions: Vec<String>,
    thresholds: Vec<f32>,
    temperature: f32,
    pooling: Pooling,
    pad_id: u32,
    device: Device,
}

impl fmt::Debug for SentimentModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentimentModel")
            .field("name", &self.name)
            .field("emotions", &self.emotions)
            .field("temperature", &self.temperature)
            .finish_non_exhaustive()
    }
}

impl SentimentModel {
    /// Loads a model directory (`models/sentiment` or any directory in the same format).
    /// Weights stored as F16 are converted to F32, which candle's CPU kernels run fastest.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        if !dir.is_dir() {
            return Err(artifact(dir, "model directory not found", HINT_DIR));
        }
        let read = |name: &str| -> Result<(PathBuf, Vec<u8>), ModelError> {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => Ok((path, bytes)),
                Err(e) => Err(artifact(&path, format!("cannot read: {e}"), HINT_DIR)),
            }
        };

        let (config_path, config_bytes) = read("config.json")?;
        let config_text = std::str::from_utf8(&config_bytes)
            .map_err(|e| artifact(&config_path, format!("not UTF-8: {e}"), HINT_CONFIG))?;
        let bert_config: BertConfig = serde_json::from_str(config_text)
            .map_err(|e| artifact(&config_path, format!("bad BERT config: {e}"), HINT_CONFIG))?;
        let sori = serde_json::from_str::<ConfigFile>(config_text)
            .map_err(|e| {
                artifact(
                    &config_path,
                    format!("bad \"sori\" block: {e}"),
                    HINT_CONFIG,
                )
            })?
            .sori;
        let pooling = validate_config(&config_path, &bert_config, &sori)?;

        let (tok_path, tok_bytes) = read("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_bytes(&tok_bytes)
            .map_err(|e| artifact(&tok_path, format!("cannot load tokenizer: {e}"), HINT_DIR))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: sori.max_len,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| artifact(&tok_path, format!("bad truncation: {e}"), HINT_CONFIG))?;
        // Padding is done per length bucket here, never by the tokenizer.
        tokenizer.with_padding(None);
        let tok_vocab = tokenizer.get_vocab_size(true);
        if tok_vocab > bert_config.vocab_size {
            return Err(artifact(
                &tok_path,
                format!(
                    "tokenizer has {tok_vocab} pieces but config.json vocab_size is {}",
                    bert_config.vocab_size
                ),
                "tokenizer.json and model.safetensors must come from the same training run",
            ));
        }

        let (weights_path, weights_bytes) = read("model.safetensors")?;
        let device = Device::Cpu;
        let bad_weights = |reason: String| artifact(&weights_path, reason, HINT_WEIGHTS);
        let tensors = candle_core::safetensors::load_buffer(&weights_bytes, &device)
            .map_err(|e| bad_weights(format!("not a safetensors file: {e}")))?;
        drop(weights_bytes);
        let tensors = tensors
            .into_iter()
            .map(|(name, t)| {
                let t = t
                    .to_dtype(DType::F32)
                    .map_err(|e| bad_weights(format!("tensor {name}: {e}")))?;
                Ok((name, t))
            })
            .collect::<Result<HashMap<String, Tensor>, ModelError>>()?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let bert = BertModel::load(vb.clone(), &bert_config)
            .map_err(|e| bad_weights(format!("BERT encoder: {e}")))?;
        let hidden = bert_config.hidden_size;
        let sentiment_head = candle_nn::linear(hidden, 3, vb.pp("sentiment_head"))
            .map_err(|e| bad_weights(format!("sentiment_head: {e}")))?;
        let emotion_head = if sori.emotions.is_empty() {
            None
        } else {
            Some(
                candle_nn::linear(hidden, sori.emotions.len(), vb.pp("emotion_head"))
                    .map_err(|e| bad_weights(format!("emotion_head: {e}")))?,
            )
        };

        let name = sori
            .version
            .clone()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "sentiment".into());
        Ok(SentimentModel {
            name,
            bert,
            sentiment_head,
            emotion_head,
            tokenizer,
            emotions: sori.emotions,
            thresholds: sori.emotion_thresholds,
            temperature: sori.temperature,
            pooling,
            pad_id: u32::try_from(bert_config.pad_token_id).unwrap_or(0),
            device,
        })
    }

    /// The model version (config `sori.version`, else the directory name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Emotion labels the model scores, in head order.
    pub fn emotion_labels(&self) -> &[String] {
        &self.emotions
    }

    /// Document-level sentiment of each text, in input order.
    pub fn predict_batch(&self, texts: &[&str]) -> Result<Vec<SentimentScore>, ModelError> {
        Ok(self
            .score(texts)?
            .into_iter()
            .map(|s| s.sentiment)
            .collect())
    }

    /// Document, sentence and emotion scores of each text, in input order.
    pub fn analyze_batch(&self, texts: &[&str]) -> Result<Vec<DocSentiment>, ModelError> {
        // Sentences of multi-sentence documents are scored in the same pass as the
        // documents, so that length bucketing can pack them all.
        let mut inputs: Vec<&str> = texts.to_vec();
        let mut splits: Vec<Vec<(usize, usize)>> = Vec::with_capacity(texts.len());
        for text in texts {
            let ranges = split_sentences(text);
            if ranges.len() > 1 {
                inputs.extend(ranges.iter().map(|&(s, e)| &text[s..e]));
            }
            splits.push(ranges);
        }
        let mut scored = self.score(&inputs)?.into_iter();
        let docs: Vec<Scored> = scored.by_ref().take(texts.len()).collect();
        Ok(docs
            .into_iter()
            .zip(texts.iter().zip(splits))
            .map(|(doc, (text, ranges))| {
                let sentences = if ranges.len() > 1 {
                    ranges
                        .iter()
                        .zip(scored.by_ref())
                        .map(|(&(s, e), sc)| (text[s..e].to_owned(), sc.sentiment))
                        .collect()
                } else {
                    ranges
                        .iter()
                        .map(|&(s, e)| (text[s..e].to_owned(), doc.sentiment))
                        .collect()
                };
                DocSentiment {
                    doc: doc.sentiment,
                    sentences,
                    emotions: self.emotions_above_threshold(&doc.emotions),
                }
            })
            .collect())
    }

    fn emotions_above_threshold(&self, probs: &[f32]) -> Vec<EmotionScore> {
        let mut out: Vec<EmotionScore> = probs
            .iter()
            .zip(&self.emotions)
            .zip(&self.thresholds)
            .filter(|((p, _), t)| **p >= **t)
            .map(|((p, label), _)| EmotionScore {
                label: label.clone(),
                p: *p,
            })
            .collect();
        out.sort_by(|a, b| b.p.total_cmp(&a.p));
        out
    }

    /// Scores every text, in input order.
    fn score(&self, texts: &[&str]) -> Result<Vec<Scored>, ModelError> {
        let mut out: Vec<Option<Scored>> = texts.iter().map(|_| None).collect();
        let live: Vec<usize> = (0..texts.len())
            .filter(|&i| !texts[i].trim().is_empty())
            .collect();
        let live_texts: Vec<&str> = live.iter().map(|&i| texts[i]).collect();
        let encodings = self
            .tokenizer
            .encode_batch_fast(live_texts, true)
            .map_err(|e| ModelError::Inference(format!("tokenizer: {e}")))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        if std::env::var("SORI_PROF").is_ok() {
            let b = length_buckets(&ids, BATCH_TOKENS, MAX_BATCH);
            let real: usize = ids.iter().map(|s| s.len()).sum();
            let padded: usize = b
                .iter()
                .map(|b| b.len() * b.iter().map(|&j| ids[j].len()).max().unwrap())
                .sum();
            eprintln!(
                "texts {} tokens {} padded {} batches {}",
                ids.len(),
                real,
                padded,
                b.len()
            );
        }

        let budget = std::env::var("SORI_BT").map_or(BATCH_TOKENS, |v| v.parse().unwrap());
        let batches = length_buckets(&ids, budget, MAX_BATCH);
        let run = |batch: &Vec<usize>| {
            let seqs: Vec<&[u32]> = batch.iter().map(|&j| ids[j]).collect();
            let scored = self.forward(&seqs)?;
            Ok(batch.iter().map(|&j| live[j]).zip(scored).collect())
        };
        let results: Vec<Vec<(usize, Scored)>> = if std::env::var("SORI_SEQ").is_ok() {
            batches.iter().map(run).collect::<Result<_, ModelError>>()?
        } else if let Ok(n) = std::env::var("SORI_POOL") {
            static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
            let pool = POOL.get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.parse().unwrap())
                    .build()
                    .unwrap()
            });
            pool.install(|| {
                batches
                    .par_iter()
                    .map(run)
                    .collect::<Result<_, ModelError>>()
            })?
        } else {
            batches
                .par_iter()
                .map(run)
                .collect::<Result<_, ModelError>>()?
        };
        for (i, s) in results.into_iter().flatten() {
            out[i] = Some(s);
        }
        Ok(out
            .into_iter()
            .map(|s| {
                s.unwrap_or_else(|| Scored {
                    sentiment: SentimentScore::empty(),
                    emotions: vec![0.0; self.emotions.len()],
                })
            })
            .collect())
    }

    /// Runs one padded batch through the encoder and both heads.
    fn forward(&self, seqs: &[&[u32]]) -> Result<Vec<Scored>, ModelError> {
        let b = seqs.len();
        let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let mut input = vec![self.pad_id; b * len];
        let mut mask = vec![0u32; b * len];
        for (row, s) in seqs.iter().enumerate() {
            input[row * len..row * len + s.len()].copy_from_slice(s);
            mask[row * len..row * len + s.len()].fill(1);
        }
        let input = Tensor::from_vec(input, (b, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (b, len), &self.device)?;
        let token_types = input.zeros_like()?;
        let t0 = std::time::Instant::now();
        let hidden = self.bert.forward(&input, &token_types, Some(&mask))?;
        if std::env::var("SORI_PROF").is_ok() {
            eprintln!(
                "fwd b={b} len={len} {:.1}ms",
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
        let pooled = match self.pooling {
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                sum.broadcast_div(&m.sum(1)?)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
        };
        let logits = self.sentiment_head.forward(&pooled)?;
        let logits = (logits / f64::from(self.temperature))?;
        let probs: Vec<Vec<f32>> = candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2()?;
        let emotions: Vec<Vec<f32>> = match &self.emotion_head {
            Some(head) => candle_nn::ops::sigmoid(&head.forward(&pooled)?)?.to_vec2()?,
            None => vec![Vec::new(); b],
        };
        Ok(probs
            .into_iter()
            .zip(emotions)
            .map(|(p, emotions)| Scored {
                sentiment: SentimentScore::from_probs([p[0], p[1], p[2]]),
                emotions,
            })
            .collect())
    }
}

/// Groups sequence indices into batches of similar length: sorted by length, each batch
/// closed when adding one more sequence would exceed `max_tokens` padded tokens or
/// `max_batch` sequences.
fn length_buckets(ids: &[&[u32]], max_tokens: usize, max_batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i].len());
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        let len = ids[i].len().max(1);
        if !current.is_empty()
            && ((current.len() + 1) * len > max_tokens || current.len() >= max_batch)
        {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

fn validate_config(
    path: &Path,
    bert: &BertConfig,
    sori: &SoriConfig,
) -> Result<Pooling, ModelError> {
    let bad = |reason: String| Err(artifact(path, reason, HINT_CONFIG));
    if sori.labels != LABELS {
        return bad(format!(
            "sori.labels is {:?}; this runtime needs {LABELS:?} in that order",
            sori.labels
        ));
    }
    if sori.emotions.len() != sori.emotion_thresholds.len() {
        return bad(format!(
            "sori.emotions has {} labels but sori.emotion_thresholds has {} values",
            sori.emotions.len(),
            sori.emotion_thresholds.len()
        ));
    }
    if !(sori.temperature.is_finite() && sori.temperature > 0.0) {
        return bad(format!(
            "sori.temperature must be > 0, got {}",
            sori.temperature
        ));
    }
    if sori.max_len < 2 || sori.max_len > bert.max_position_embeddings {
        return bad(format!(
            "sori.max_len {} must be between 2 and max_position_embeddings ({})",
            sori.max_len, bert.max_position_embeddings
        ));
    }
    if bert.num_attention_heads == 0 || bert.hidden_size % bert.num_attention_heads != 0 {
        return bad(format!(
            "hidden_size {} is not divisible by num_attention_heads {}",
            bert.hidden_size, bert.num_attention_heads
        ));
    }
    match sori.pooling.as_str() {
        "mean" => Ok(Pooling::Mean),
        "cls" => Ok(Pooling::Cls),
        other => bad(format!(
            "sori.pooling {other:?} is not supported (use \"mean\" or \"cls\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/sentiment")
    }

    /// The committed model, or None (with a note) while it has not landed yet.
    fn committed_model() -> Option<SentimentModel> {
        let dir = model_dir();
        if !dir.join("model.safetensors").exists() {
            eprintln!("SKIP: {} has no model yet", dir.display());
            return None;
        }
        Some(SentimentModel::load(&dir).expect("committed model loads"))
    }

    #[test]
    fn model_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SentimentModel>();
    }

    #[test]
    fn score_from_probs() {
        let s = SentimentScore::from_probs([0.1, 0.2, 0.7]);
        assert_eq!(s.label, Polarity::Positive);
        assert!((s.score - 0.6).abs() < 1e-6);
        assert_eq!(
            SentimentScore::from_probs([0.5, 0.3, 0.2]).label,
            Polarity::Negative
        );
        assert_eq!(SentimentScore::empty().label, Polarity::Neutral);
        assert_eq!(
            serde_json::to_string(&Polarity::Neutral).unwrap(),
            "\"neutral\""
        );
    }

    #[test]
    fn buckets_group_similar_lengths_within_budget() {
        let seqs: Vec<Vec<u32>> = [5, 40, 6, 41, 7, 100].iter().map(|&n| vec![0; n]).collect();
        let ids: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let batches = length_buckets(&ids, 100, 8);
        // 4 x 40 tokens would exceed the budget of 100.
        assert_eq!(batches, vec![vec![0, 2, 4], vec![1, 3], vec![5]]);
        let batches = length_buckets(&ids, 1000, 2);
        assert_eq!(batches, vec![vec![0, 2], vec![4, 1], vec![3, 5]]);
        assert!(length_buckets(&[], 100, 8).is_empty());
    }

    #[test]
    fn missing_directory_error_names_the_path() {
        let err = SentimentModel::load(Path::new("/nonexistent/sentiment-model")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/sentiment-model"), "{msg}");
        assert!(msg.contains("hint:"), "{msg}");
    }

    #[test]
    fn missing_file_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        let msg = SentimentModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("config.json") && msg.contains("bad BERT config"),
            "{msg}"
        );
        std::fs::remove_file(dir.path().join("config.json")).unwrap();
        let msg = SentimentModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("config.json") && msg.contains("cannot read"),
            "{msg}"
        );
    }

    #[test]
    fn committed_model_probabilities_are_distributions() {
        let Some(model) = committed_model() else {
            return;
        };
        let texts = [
            "배송이 빨라서 정말 좋아요",
            "최악이에요. 다시는 안 삽니다",
            "",
            "보통이에요",
        ];
        for s in model.predict_batch(&texts).unwrap() {
            let sum: f32 = s.probs.iter().sum();
            assert!((sum - 1.0).abs() < 1e-4, "{s:?}");
            assert!(s.probs.iter().all(|p| (0.0..=1.0).contains(p)));
            assert!((s.score - (s.probs[2] - s.probs[0])).abs() < 1e-6);
        }
    }

    #[test]
    fn committed_model_batch_agrees_with_single() {
        let Some(model) = committed_model() else {
            return;
        };
        let texts = [
            "배송이 빨라서 정말 좋아요",
            "포장은 꼼꼼했어요. 그런데 제품이 불량이라 환불 요청했습니다. 답변이 없네요ㅠㅠ",
            "그냥 그래요",
            "앱이 자꾸 튕겨서 쓸 수가 없어요 업데이트 후로 로그인도 안 되고 고객센터는 연결이 안 됩니다",
            "가격 대비 괜찮음",
        ];
        let batch = model.predict_batch(&texts).unwrap();
        for (text, b) in texts.iter().zip(&batch) {
            let single = model.predict_batch(&[text]).unwrap()[0];
            for k in 0..3 {
                assert!(
                    (single.probs[k] - b.probs[k]).abs() < 1e-4,
                    "{text}: {single:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn committed_model_gets_obvious_korean_right() {
        let Some(model) = committed_model() else {
            return;
        };
        let positive = [
            "배송도 빠르고 품질도 너무 좋아요 완전 만족합니다",
            "직원분들이 친절하고 방도 깨끗해서 정말 좋았어요",
            "이 게임 진짜 재밌어요 강추합니다",
        ];
        let negative = [
            "최악이에요 돈 아까워요 절대 사지 마세요",
            "앱이 계속 튕기고 환불도 안 해줘요 짜증나요",
            "음식이 다 식어서 왔고 맛도 없었어요 다시는 안 시킵니다",
        ];
        for (text, s) in positive.iter().zip(model.predict_batch(&positive).unwrap()) {
            assert_eq!(s.label, Polarity::Positive, "{text}: {s:?}");
        }
        for (text, s) in negative.iter().zip(model.predict_batch(&negative).unwrap()) {
            assert_eq!(s.label, Polarity::Negative, "{text}: {s:?}");
        }
    }

    #[test]
    fn committed_model_analyze_splits_sentences_and_reports_emotions() {
        let Some(model) = committed_model() else {
            return;
        };
        let texts = [
            "디자인은 예뻐요. 그런데 배터리가 하루도 못 가요 너무 실망했어요",
            "정말 좋아요",
            "",
        ];
        let out = model.analyze_batch(&texts).unwrap();
        assert_eq!(out.len(), 3);
        assert!(out[0].sentences.len() >= 2, "{:?}", out[0].sentences);
        assert_eq!(out[0].sentences[0].0, "디자인은 예뻐요.");
        // A one-sentence document reuses its document score.
        assert_eq!(
            out[1].sentences,
            vec![("정말 좋아요".to_owned(), out[1].doc)]
        );
        assert!(out[2].sentences.is_empty());
        assert_eq!(out[2].doc.label, Polarity::Neutral);
        for d in &out {
            assert!(d.emotions.windows(2).all(|w| w[0].p >= w[1].p));
        }
    }
}
