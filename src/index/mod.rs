//! The tantivy index: schema, Korean analyzer registration, upserts and reads. Every document's
//! full [`Document`] is stored as JSON, so segments can be re-joined and reports built without
//! re-running analysis; the other fields exist to be searched, filtered and counted.

pub mod tokenizer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::schema::{DateOptions, DateTimePrecision};
use tantivy::schema::{
    Field, IndexRecordOption, JsonObjectOptions, NumericOptions, Schema, TextFieldIndexing,
    TextOptions, Value, FAST, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analyze::TermAnalyzer;
use crate::error::{Error, UserError};
use crate::record::Document;

/// Tokenizer for keyword fields: the whole value, lowercased, so `segment:"at risk"` matches.
pub const KEYWORD: &str = "keyword";

/// Bump when the schema changes incompatibly; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub response_id: Field,
    pub kind: Field,
    pub source: Field,
    pub channel: Field,
    pub product: Field,
    pub customer_id: Field,
    pub lang: Field,
    pub segment: Field,
    pub flags: Field,
    pub hashtags: Field,
    pub text: Field,
    pub created_at: Field,
    pub rating: Field,
    pub rating_norm: Field,
    pub rating_scale: Field,
    pub sentiment: Field,
    pub sentiment_score: Field,
    pub emotions: Field,
    pub topics: Field,
    pub keywords: Field,
    pub attributes: Field,
    pub fingerprint: Field,
    pub content_hash: Field,
    pub simhash: Field,
    pub doc: Field,
}

/// Fields that can be faceted (`--facet`) and filtered as keywords.
pub const FACETABLE: &[&str] = &[
    "kind",
    "source",
    "channel",
    "product",
    "lang",
    "segment",
    "flags",
    "hashtags",
    "sentiment",
    "emotions",
    "topics",
    "keywords",
    "rating_scale",
    "customer_id",
];

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_fast(Some("raw"));
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::KOREAN)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let date = DateOptions::default()
        .set_indexed()
        .set_fast()
        .set_precision(DateTimePrecision::Seconds);
    let num = NumericOptions::default().set_indexed().set_fast();
    let attrs = JsonObjectOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        response_id: b.add_text_field("response_id", STRING | FAST),
        kind: b.add_text_field("kind", keyword.clone()),
        source: b.add_text_field("source", keyword.clone()),
        channel: b.add_text_field("channel", keyword.clone()),
        product: b.add_text_field("product", keyword.clone()),
        customer_id: b.add_text_field("customer_id", keyword.clone()),
        lang: b.add_text_field("lang", keyword.clone()),
        segment: b.add_text_field("segment", keyword.clone()),
        flags: b.add_text_field("flags", keyword.clone()),
        hashtags: b.add_text_field("hashtags", keyword.clone()),
        text: b.add_text_field("text", text),
        created_at: b.add_date_field("created_at", date),
        rating: b.add_f64_field("rating", num.clone()),
        rating_norm: b.add_f64_field("rating_norm", num.clone()),
        rating_scale: b.add_text_field("rating_scale", keyword.clone()),
        sentiment: b.add_text_field("sentiment", keyword.clone()),
        sentiment_score: b.add_f64_field("sentiment_score", num),
        emotions: b.add_text_field("emotions", keyword.clone()),
        topics: b.add_text_field("topics", keyword.clone()),
        keywords: b.add_text_field("keywords", keyword),
        attributes: b.add_json_field("attributes", attrs),
        fingerprint: b.add_u64_field("fingerprint", FAST),
        content_hash: b.add_u64_field("content_hash", FAST),
        simhash: b.add_u64_field("simhash", FAST),
        doc: b.add_bytes_field("doc", STORED),
    };
    (b.build(), fields)
}

/// What the index already holds for one document id: enough to decide whether a re-ingested
/// record changed and to seed duplicate detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    pub fingerprint: u64,
    pub content_hash: u64,
    pub simhash: u64,
}

pub struct FeedbackIndex {
    pub index: Index,
    pub fields: Fields,
    pub reader: IndexReader,
    /// The analyzer registered as `ko`, for highlighting and query analysis outside tantivy.
    pub analyzer: Arc<dyn TermAnalyzer>,
    dir: PathBuf,
}

impl FeedbackIndex {
    pub fn index_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("index")
    }

    /// Opens the index in `data_dir`, creating it when absent.
    pub fn open_or_create(data_dir: &Path, analyzer: Arc<dyn TermAnalyzer>) -> Result<Self, Error> {
        let dir = Self::index_dir(data_dir);
        std::fs::create_dir_all(&dir)?;
        let (schema, fields) = build_schema();
        let mmap = tantivy::directory::MmapDirectory::open(&dir)
            .map_err(|e| crate::error::internal(format!("opening {}: {e}", dir.display())))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(msg) => UserError::BadArgument {
                message: format!(
                    "the index in {} was built by another version of sori ({msg})",
                    dir.display()
                ),
                hint: "remove that data dir's index/ folder and ingest again".into(),
            }
            .into(),
            other => Error::from(other),
        })?;
        Self::finish_open(index, fields, dir, analyzer)
    }

    /// Opens an existing index; a missing one is a user error with a hint.
    pub fn open(data_dir: &Path, analyzer: Arc<dyn TermAnalyzer>) -> Result<Self, Error> {
        let dir = Self::index_dir(data_dir);
        if !dir.join("meta.json").exists() {
            return Err(UserError::NoIndex {
                data_dir: data_dir.to_owned(),
            }
            .into());
        }
        let index = Index::open_in_dir(&dir)?;
        let (_, fields) = build_schema();
        Self::finish_open(index, fields, dir, analyzer)
    }

    fn finish_open(
        index: Index,
        fields: Fields,
        dir: PathBuf,
        analyzer: Arc<dyn TermAnalyzer>,
    ) -> Result<Self, Error> {
        index.tokenizers().register(
            tokenizer::KOREAN,
            tokenizer::korean_analyzer(analyzer.clone()),
        );
        index.tokenizers().register(
            KEYWORD,
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(FeedbackIndex {
            index,
            fields,
            reader,
            analyzer,
            dir,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn writer(&self) -> Result<IndexWriter, Error> {
        // One indexing thread leaves the other core to analysis; 128 MB keeps segments large.
        Ok(self.index.writer_with_num_threads(1, 128_000_000)?)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Id -> fingerprint and hashes of every live document, read from fast fields.
    pub fn existing(&self) -> Result<HashMap<String, Existing>, Error> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let ids = ff
                .str("id")?
                .ok_or_else(|| crate::error::internal("id fast field missing"))?;
            let fp = ff.u64("fingerprint")?;
            let ch = ff.u64("content_hash")?;
            let sh = ff.u64("simhash")?;
            let mut id = String::new();
            for doc in seg.doc_ids_alive() {
                let Some(ord) = ids.term_ords(doc).next() else {
                    continue;
                };
                id.clear();
                ids.ord_to_str(ord, &mut id)?;
                out.insert(
                    id.clone(),
                    Existing {
                        fingerprint: fp.first(doc).unwrap_or(0),
                        content_hash: ch.first(doc).unwrap_or(0),
                        simhash: sh.first(doc).unwrap_or(0),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Replaces any document with the same id (tantivy has no in-place update).
    /// Removes the document with this id (at the next commit).
    pub fn delete(&self, writer: &IndexWriter, id: &str) {
        writer.delete_term(Term::from_field_text(self.fields.id, id));
    }

    pub fn upsert(&self, writer: &IndexWriter, doc: &Document) -> Result<(), Error> {
        writer.delete_term(Term::from_field_text(self.fields.id, &doc.record.id));
        writer.add_document(self.to_tantivy(doc)?)?;
        Ok(())
    }

    pub fn to_tantivy(&self, d: &Document) -> Result<TantivyDocument, Error> {
        let f = &self.fields;
        let r = &d.record;
        let a = &d.analysis;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &r.id);
        doc.add_text(f.response_id, &r.response_id);
        doc.add_text(f.kind, r.kind.as_str());
        doc.add_text(f.source, &r.source);
        let opt = |doc: &mut TantivyDocument, field, v: &Option<String>| {
            if let Some(v) = v {
                doc.add_text(field, v);
            }
        };
        opt(&mut doc, f.channel, &r.channel);
        opt(&mut doc, f.product, &r.product);
        opt(&mut doc, f.customer_id, &r.customer_id);
        doc.add_text(f.lang, &a.lang);
        for s in &d.segments {
            doc.add_text(f.segment, s);
        }
        for flag in d.flags() {
            doc.add_text(f.flags, flag);
        }
        for h in &a.hashtags {
            doc.add_text(f.hashtags, h);
        }
        if d.terms.is_empty() {
            doc.add_text(f.text, &r.text);
        } else {
            doc.add_pre_tokenized_text(
                f.text,
                tantivy::tokenizer::PreTokenizedString {
                    text: r.text.clone(),
                    tokens: tokenizer::to_tokens(&d.terms),
                },
            );
        }
        if let Some(at) = r.created_at {
            doc.add_date(
                f.created_at,
                tantivy::DateTime::from_timestamp_secs(at.timestamp()),
            );
        }
        if let Some(rating) = r.rating {
            doc.add_f64(f.rating, rating.value);
            doc.add_f64(f.rating_norm, rating.normalized());
            doc.add_text(f.rating_scale, rating.scale.as_str());
        }
        if let Some(s) = &a.sentiment {
            doc.add_text(f.sentiment, s.label.as_str());
            doc.add_f64(f.sentiment_score, s.score as f64);
        }
        for e in a.emotion_tags() {
            doc.add_text(f.emotions, &e.label);
        }
        for t in &a.topics {
            doc.add_text(f.topics, t);
        }
        for k in &a.keywords {
            doc.add_text(f.keywords, k);
        }
        let mut attrs = serde_json::Map::new();
        for (k, v) in &r.attributes {
            attrs.insert(k.clone(), v.clone().into());
        }
        if !d.customer_attributes.is_empty() {
            let customer: serde_json::Map<_, _> = d
                .customer_attributes
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
                .collect();
            attrs.insert("customer".into(), customer.into());
        }
        if !attrs.is_empty() {
            doc.add_object(f.attributes, json_to_owned(attrs));
        }
        doc.add_u64(f.fingerprint, d.fingerprint);
        doc.add_u64(f.content_hash, a.content_hash);
        doc.add_u64(f.simhash, a.simhash);
        doc.add_bytes(f.doc, serde_json::to_vec(d)?.as_slice());
        Ok(doc)
    }

    /// Reads the stored [`Document`] back from a tantivy document.
    pub fn stored_document(&self, doc: &TantivyDocument) -> Result<Document, Error> {
        let bytes = doc
            .get_first(self.fields.doc)
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| crate::error::internal("document without stored JSON"))?;
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Every live document flagged as a copy (`duplicate` or `near_duplicate`).
    pub fn flagged_copies(&self) -> Result<Vec<Document>, Error> {
        use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
        let flag = |name: &str| -> (Occur, Box<dyn Query>) {
            let term = Term::from_field_text(self.fields.flags, name);
            (
                Occur::Should,
                Box::new(TermQuery::new(
                    term,
                    tantivy::schema::IndexRecordOption::Basic,
                )),
            )
        };
        let query = BooleanQuery::new(vec![flag("duplicate"), flag("near_duplicate")]);
        let searcher = self.reader.searcher();
        let hits = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        hits.into_iter()
            .map(|addr| self.stored_document(&searcher.doc(addr)?))
            .collect()
    }

    /// Every live document, for re-joining segments and for reports.
    pub fn all_documents(&self) -> Result<Vec<Document>, Error> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let store = seg.get_store_reader(64)?;
            for doc in seg.doc_ids_alive() {
                let d: TantivyDocument = store.get(doc)?;
                let _ = ord;
                out.push(self.stored_document(&d)?);
            }
        }
        Ok(out)
    }
}

fn json_to_owned(
    map: serde_json::Map<String, serde_json::Value>,
) -> std::collections::BTreeMap<String, tantivy::schema::OwnedValue> {
    map.into_iter()
        .map(|(k, v)| (k, tantivy::schema::OwnedValue::from(v)))
        .collect()
}
