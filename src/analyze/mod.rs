//! Analysis: a pipeline of named, swappable components run over batches of documents, in the
//! spirit of spaCy's `Language` pipeline. Ingest and the index know only the [`Component`] trait,
//! so a new model (topics, a better sentiment model) plugs in without touching either.

pub mod components;
pub mod encoder;
pub mod keywords;
pub mod matmul;
pub mod morph;
pub mod ngram;
pub mod sentence;
pub mod sentiment;
pub mod terms;

use crate::error::Error;
use crate::record::Document;

/// One stage of analysis. Components see whole batches so that models can batch inference.
pub trait Component: Send {
    /// A stable name, shown in progress output and recorded in the index metadata.
    fn name(&self) -> &'static str;

    /// A version string that changes when the component's output would change; it is part of
    /// every document's fingerprint, so upgrading a model re-analyzes documents on re-ingest.
    fn version(&self) -> String {
        "1".into()
    }

    fn process(&mut self, batch: &mut [Document]) -> Result<(), Error>;
}

/// Runs components in order over batches.
#[derive(Default)]
pub struct Pipeline {
    components: Vec<Box<dyn Component>>,
}

impl Pipeline {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, component: impl Component + 'static) -> Self {
        self.components.push(Box::new(component));
        self
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.components.iter().map(|c| c.name()).collect()
    }

    /// Identifies this pipeline's output: component names and versions.
    pub fn signature(&self) -> String {
        self.components
            .iter()
            .map(|c| format!("{}@{}", c.name(), c.version()))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn process(&mut self, batch: &mut [Document]) -> Result<(), Error> {
        for c in &mut self.components {
            c.process(batch)?;
        }
        Ok(())
    }
}

/// A term produced for indexing: normalized text plus byte offsets in the analyzed text, so
/// search highlights point at what the customer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub class: TermClass,
}

/// The coarse word class of an index term: keywords are drawn from nouns and foreign words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermClass {
    Noun,
    Predicate,
    Root,
    Foreign,
    Number,
    Other,
}

/// The seam between morphology and the search index: anything that turns text into index terms.
pub trait TermAnalyzer: Send + Sync + 'static {
    fn terms(&self, text: &str) -> Vec<Term>;
}
