//! sori (소리): a Korean-first customer-feedback and sentiment analytics engine.
//!
//! Data flows one way, one module per stage:
//! [`ingest`] (files -> records) -> [`normalize`] -> [`analyze`] (morphology, dedup, keywords,
//! sentiment; a pipeline of [`analyze::Component`]s) -> [`index`] (tantivy) -> [`query`] /
//! [`report`]. [`segments`] joins customers onto documents; [`jobs`] composes the stages into
//! the commands of the `sori` binary.

pub mod analyze;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
pub mod jobs;
pub mod normalize;
pub mod query;
pub mod record;
pub mod report;
pub mod segments;
