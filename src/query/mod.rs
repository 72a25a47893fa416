//! Search: the analyst's query language ([`parse`]) translated into tantivy queries, run with
//! facet counts and highlighted snippets. Korean words in a query go through the same analyzer as
//! the indexed text, so `배송지연` finds `배송이 지연되어`.

pub mod parse;

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::AggregationCollector;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query as TQuery, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field as TField, IndexRecordOption};
use tantivy::{DocAddress, Order, TantivyDocument, Term};

use crate::error::{Error, UserError};
use crate::index::{FeedbackIndex, FACETABLE};
use parse::{CmpOp, Field, FieldValue, Query};

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub facets: Vec<String>,
    pub tz: Tz,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    pub kind: String,
    pub source: String,
    pub channel: Option<String>,
    pub product: Option<String>,
    pub customer_id: Option<String>,
    pub segments: Vec<String>,
    pub created_at: Option<String>,
    pub rating: Option<f64>,
    pub rating_scale: Option<String>,
    pub sentiment: Option<String>,
    pub sentiment_score: Option<f32>,
    /// The emotion tags `emotion:` matches, each with its probability.
    pub emotions: Vec<crate::record::Emotion>,
    /// The record's other columns and its customer's, which `attr.NAME:` and
    /// `attr.customer.NAME:` filter on.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub customer_attributes: BTreeMap<String, String>,
    pub lang: String,
    pub flags: Vec<&'static str>,
    pub text: String,
    /// A fragment of the text around the matches.
    pub snippet: String,
    /// Byte ranges of matched terms within `snippet`.
    pub highlights: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub query: String,
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    /// Query words that produce no searchable term (only particles or endings, say).
    pub warnings: Vec<String>,
    pub took_ms: f64,
}

pub fn bad_query(e: parse::QueryError, input: &str) -> Error {
    UserError::BadQuery {
        message: e.message.clone(),
        rendered: e.render(input),
        hint: e.hint.clone(),
    }
    .into()
}

pub fn search(index: &FeedbackIndex, req: &SearchRequest) -> Result<SearchResult, Error> {
    let started = Instant::now();
    // A facet may be named as its query field is (`--facet emotion` for `emotion:anger`).
    let facets: Vec<String> = req
        .facets
        .iter()
        .map(|f| {
            let name = match f.to_lowercase().as_str() {
                "emotion" => "emotions".to_owned(),
                "flag" => "flags".to_owned(),
                "customer" => "customer_id".to_owned(),
                "topic" => "topics".to_owned(),
                "hashtag" => "hashtags".to_owned(),
                "keyword" => "keywords".to_owned(),
                "segments" => "segment".to_owned(),
                other => other.to_owned(),
            };
            if FACETABLE.contains(&name.as_str()) {
                Ok(name)
            } else {
                Err(crate::error::bad_argument(
                    format!("cannot facet on `{f}`"),
                    format!("facetable fields: {}", FACETABLE.join(", ")),
                ))
            }
        })
        .collect::<Result<_, Error>>()?;
    let ast = parse::parse(&req.query).map_err(|e| bad_query(e, &req.query))?;
    let mut builder = QueryBuilder {
        index,
        tz: req.tz,
        warnings: Vec::new(),
        has_text: false,
    };
    let query = builder.build(&ast)?;
    let searcher = index.reader.searcher();

    let total = searcher.search(&*query, &Count)?;
    // Pure filters (`channel:app rating:<=2`) have no relevance to rank by: newest first.
    let addresses: Vec<(f32, DocAddress)> = if builder.has_text {
        searcher.search(&*query, &TopDocs::with_limit(req.limit.max(1)))?
    } else {
        searcher
            .search(
                &*query,
                &TopDocs::with_limit(req.limit.max(1))
                    .order_by_fast_field::<tantivy::DateTime>("created_at", Order::Desc),
            )?
            .into_iter()
            .map(|(_, a)| (0.0, a))
            .collect()
    };

    let mut matched: HashSet<String> = HashSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == index.fields.text {
            if let Some(t) = term.value().as_str() {
                matched.insert(t.to_owned());
            }
        }
    });
    let mut hits = Vec::with_capacity(addresses.len());
    for (score, addr) in addresses.into_iter().take(req.limit) {
        let stored: TantivyDocument = searcher.doc(addr)?;
        let doc = index.stored_document(&stored)?;
        let (snippet_text, highlights) = builder.snippet(&doc.record.text, &matched, SNIPPET_CHARS);
        let r = &doc.record;
        hits.push(Hit {
            id: r.id.clone(),
            score,
            kind: r.kind.as_str().into(),
            source: r.source.clone(),
            channel: r.channel.clone(),
            product: r.product.clone(),
            customer_id: r.customer_id.clone(),
            segments: doc.segments.clone(),
            created_at: r.created_at.map(|t| {
                t.with_timezone(&req.tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            }),
            rating: r.rating.map(|x| x.value),
            rating_scale: r.rating.map(|x| x.scale.as_str().to_owned()),
            sentiment: doc
                .analysis
                .sentiment
                .as_ref()
                .map(|s| s.label.as_str().into()),
            sentiment_score: doc.analysis.sentiment.as_ref().map(|s| s.score),
            emotions: doc.analysis.emotion_tags().cloned().collect(),
            attributes: r.attributes.clone(),
            customer_attributes: doc.customer_attributes.clone(),
            lang: doc.analysis.lang.clone(),
            flags: doc.flags(),
            text: r.text.clone(),
            snippet: snippet_text,
            highlights,
        });
    }

    let facets = if req.facets.is_empty() {
        BTreeMap::new()
    } else {
        facet_counts(index, &*query, &facets)?
    };
    Ok(SearchResult {
        query: req.query.clone(),
        total,
        hits,
        facets,
        warnings: builder.warnings,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn facet_counts(
    index: &FeedbackIndex,
    query: &dyn TQuery,
    facets: &[String],
) -> Result<BTreeMap<String, Vec<FacetCount>>, Error> {
    let mut req = serde_json::Map::new();
    for f in facets {
        req.insert(
            f.clone(),
            serde_json::json!({ "terms": { "field": f, "size": 20 } }),
        );
    }
    let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(req))?;
    let collector = AggregationCollector::from_aggs(aggs, Default::default());
    let result = index.reader.searcher().search(query, &collector)?;
    let json = serde_json::to_value(result)?;
    let mut out = BTreeMap::new();
    for f in facets {
        let buckets = json[f]["buckets"].as_array().cloned().unwrap_or_default();
        let counts = buckets
            .iter()
            .map(|b| FacetCount {
                value: b["key"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| b["key"].to_string()),
                count: b["doc_count"].as_u64().unwrap_or(0),
            })
            .collect();
        out.insert(f.clone(), counts);
    }
    Ok(out)
}

struct QueryBuilder<'a> {
    index: &'a FeedbackIndex,
    tz: Tz,
    warnings: Vec<String>,
    has_text: bool,
}

impl QueryBuilder<'_> {
    fn build(&mut self, q: &Query) -> Result<Box<dyn TQuery>, Error> {
        Ok(match q {
            Query::All => Box::new(AllQuery),
            Query::Term(word) => self.text(word, false),
            Query::Phrase(words) => self.text(words, true),
            Query::Field { field, value } => self.field(field, value)?,
            Query::And(children) => {
                // Words with nothing to search for (adverbs such as 너무 / 안 / 정말, lone
                // particles) are left out of an AND, as Elasticsearch's analyzers drop them,
                // so that `너무 느려요` finds 느리다; only an AND of nothing else matches nothing.
                let (empty, children): (Vec<&Query>, Vec<&Query>) =
                    children.iter().partition(|c| self.has_no_terms(c));
                if !empty.is_empty() && children.iter().any(|c| !matches!(c, Query::Not(_))) {
                    let words: Vec<String> = empty.iter().map(|q| format!("`{q}`")).collect();
                    self.warnings.push(format!(
                        "{} left out: no searchable word (adverbs, particles, endings or symbols)",
                        words.join(", ")
                    ));
                } else if let Some(first) = empty.first() {
                    return self.build(first);
                }
                let mut clauses = Vec::new();
                let mut positive = false;
                for c in children {
                    match c {
                        Query::Not(inner) => clauses.push((Occur::MustNot, self.build(inner)?)),
                        other => {
                            positive = true;
                            clauses.push((Occur::Must, self.build(other)?));
                        }
                    }
                }
                if !positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Query::Or(children) => {
                let clauses = children
                    .iter()
                    .map(|c| Ok((Occur::Should, self.build(c)?)))
                    .collect::<Result<Vec<_>, Error>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
            Query::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn TQuery>),
                (Occur::MustNot, self.build(inner)?),
            ])),
        })
    }

    fn snippet(
        &self,
        text: &str,
        matched: &HashSet<String>,
        max_chars: usize,
    ) -> (String, Vec<(usize, usize)>) {
        let spans: Vec<(usize, usize)> = self
            .index
            .analyzer
            .terms(text)
            .into_iter()
            .filter(|t| matched.contains(&t.text))
            .map(|t| (t.start, t.end))
            .collect();
        window(text, &spans, max_chars)
    }

    fn analyze(&self, text: &str) -> Vec<String> {
        self.index
            .analyzer
            .terms(text)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    /// A word or phrase that analyzes to no term at all.
    fn has_no_terms(&self, q: &Query) -> bool {
        match q {
            Query::Term(words) | Query::Phrase(words) => self.analyze(words).is_empty(),
            _ => false,
        }
    }

    fn text(&mut self, words: &str, phrase: bool) -> Box<dyn TQuery> {
        self.has_text = true;
        let field = self.index.fields.text;
        let terms: Vec<Term> = self
            .analyze(words)
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect();
        match terms.len() {
            0 => {
                self.warnings.push(format!(
                    "`{words}` has no searchable word (only adverbs, particles, endings or symbols); it matches nothing"
                ));
                Box::new(EmptyQuery)
            }
            1 => Box::new(TermQuery::new(
                terms.into_iter().next().expect("one term"),
                IndexRecordOption::WithFreqs,
            )),
            _ if phrase => Box::new(PhraseQuery::new(terms)),
            // One unspaced word that analyzes into several terms (`배송지연`) must contain them
            // all, in any form: `배송이 지연되어`, `지연된 배송`.
            _ => Box::new(BooleanQuery::new(
                terms
                    .into_iter()
                    .map(|t| {
                        (
                            Occur::Must,
                            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
                                as Box<dyn TQuery>,
                        )
                    })
                    .collect(),
            )),
        }
    }

    fn field(&mut self, field: &Field, value: &FieldValue) -> Result<Box<dyn TQuery>, Error> {
        let f = &self.index.fields;
        let keyword = |field: TField, v: &str| -> Box<dyn TQuery> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &v.to_lowercase()),
                IndexRecordOption::Basic,
            ))
        };
        // Channels, products, sources and segments are matched by prefix, case-insensitively:
        // `channel:app` finds `app-store` and `app-survey`.
        let prefix = |field: TField, v: &str| -> Result<Box<dyn TQuery>, Error> {
            let pattern = format!("{}.*", regex_escape(&v.to_lowercase()));
            Ok(Box::new(RegexQuery::from_pattern(&pattern, field)?))
        };
        let text_value = |v: &FieldValue| -> Result<String, Error> {
            match v {
                FieldValue::Text(s) => Ok(s.clone()),
                other => Ok(match other {
                    FieldValue::Cmp(_, n) => n.to_string(),
                    FieldValue::Range(a, b) => format!("{a}..{b}"),
                    FieldValue::Date(d) => d.to_string(),
                    FieldValue::Text(_) => unreachable!(),
                }),
            }
        };
        Ok(match field {
            Field::Channel => prefix(f.channel, &text_value(value)?)?,
            Field::Product => prefix(f.product, &text_value(value)?)?,
            Field::Source => prefix(f.source, &text_value(value)?)?,
            Field::Segment => prefix(f.segment, &text_value(value)?)?,
            Field::Kind => keyword(f.kind, &text_value(value)?),
            Field::Lang => keyword(f.lang, &text_value(value)?),
            Field::Customer => keyword(f.customer_id, &text_value(value)?),
            Field::Sentiment => keyword(f.sentiment, &text_value(value)?),
            Field::Topic => keyword(f.topics, &text_value(value)?),
            Field::Emotion => keyword(f.emotions, &text_value(value)?),
            Field::Flag => {
                let v = text_value(value)?.to_lowercase();
                let flag = match v.as_str() {
                    "pii" | "pii_redacted" => "pii_redacted",
                    "dup" | "duplicate" => "duplicate",
                    "near" | "near_duplicate" => "near_duplicate",
                    "mixed" | "mixed_sentiment" => "mixed_sentiment",
                    _ => {
                        return Err(crate::error::bad_argument(
                            format!("unknown flag `{v}`"),
                            "flags: duplicate, near_duplicate, pii, mixed",
                        ))
                    }
                };
                keyword(f.flags, flag)
            }
            Field::Attr(name) => {
                let mut term = Term::from_field_json_path(f.attributes, name, false);
                term.append_type_and_str(&text_value(value)?.to_lowercase());
                Box::new(TermQuery::new(term, IndexRecordOption::Basic))
            }
            Field::Rating => {
                let (lo, hi) = match value {
                    FieldValue::Cmp(op, n) => match op {
                        CmpOp::Eq => (Bound::Included(*n), Bound::Included(*n)),
                        CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(*n)),
                        CmpOp::Le => (Bound::Unbounded, Bound::Included(*n)),
                        CmpOp::Gt => (Bound::Excluded(*n), Bound::Unbounded),
                        CmpOp::Ge => (Bound::Included(*n), Bound::Unbounded),
                    },
                    FieldValue::Range(a, b) => (Bound::Included(*a), Bound::Included(*b)),
                    other => {
                        return Err(crate::error::bad_argument(
                            format!("rating needs a number, got {other:?}"),
                            "e.g. rating:<=2, rating:5, rating:1..2",
                        ))
                    }
                };
                let term = |v: f64| Term::from_field_f64(f.rating, v);
                Box::new(RangeQuery::new(map_bound(lo, term), map_bound(hi, term)))
            }
            Field::Since | Field::Until => {
                let FieldValue::Date(d) = value else {
                    return Err(crate::error::bad_argument(
                        "since:/until: need a date",
                        "e.g. since:2024-03-01 until:2024-03-31",
                    ));
                };
                let at = |date: NaiveDate, end_of_day: bool| {
                    let t = if end_of_day {
                        NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")
                    } else {
                        NaiveTime::MIN
                    };
                    let ts = self
                        .tz
                        .from_local_datetime(&date.and_time(t))
                        .earliest()
                        .map(|x| x.timestamp())
                        .unwrap_or(0);
                    Term::from_field_date(f.created_at, tantivy::DateTime::from_timestamp_secs(ts))
                };
                if matches!(field, Field::Since) {
                    Box::new(RangeQuery::new(
                        Bound::Included(at(*d, false)),
                        Bound::Unbounded,
                    ))
                } else {
                    Box::new(RangeQuery::new(
                        Bound::Unbounded,
                        Bound::Included(at(*d, true)),
                    ))
                }
            }
        })
    }
}

fn map_bound(b: Bound<f64>, f: impl Fn(f64) -> Term) -> Bound<Term> {
    match b {
        Bound::Included(v) => Bound::Included(f(v)),
        Bound::Excluded(v) => Bound::Excluded(f(v)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const SNIPPET_CHARS: usize = 140;

/// A window of at most `max_chars` characters of `text`, starting a little before the first
/// match, with the byte ranges of matched terms inside it. Computed from our own analyzer, so
/// highlights cover exactly the morphemes that matched and the window keeps whole endings
/// (tantivy's snippets stop at the last indexed token, cutting `환불받고 싶어요` to `환불받`).
fn window(text: &str, spans: &[(usize, usize)], max_chars: usize) -> (String, Vec<(usize, usize)>) {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let n = starts.len();
    let first = spans
        .first()
        .map_or(0, |s| starts.partition_point(|&b| b < s.0));
    let from = if n <= max_chars {
        0
    } else {
        first.saturating_sub(20).min(n - max_chars)
    };
    let to = (from + max_chars).min(n);
    let (b0, b1) = (
        starts.get(from).copied().unwrap_or(0),
        starts.get(to).copied().unwrap_or(text.len()),
    );
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let shift = out.len();
    out.push_str(&text[b0..b1]);
    let highlights = spans
        .iter()
        .filter(|&&(s, e)| s >= b0 && e <= b1)
        .map(|&(s, e)| (s - b0 + shift, e - b0 + shift))
        .collect();
    if to < n {
        out.push('…');
    }
    (out, highlights)
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn short_texts_are_shown_whole_with_their_endings() {
        let text = "그냥 환불받고 싶어요";
        let (w, h) = window(text, &[(7, 13)], 140);
        assert_eq!(w, text);
        assert_eq!(&w[h[0].0..h[0].1], "환불");
    }

    #[test]
    fn long_texts_are_windowed_around_the_first_match() {
        let text = format!("{}배송 지연{}", "가".repeat(200), "나".repeat(200));
        let at = text.find("배송").unwrap();
        let (w, h) = window(&text, &[(at, at + "배송".len())], 50);
        assert!(w.starts_with('…') && w.ends_with('…'));
        assert_eq!(w.chars().count(), 52);
        assert_eq!(&w[h[0].0..h[0].1], "배송");
    }
}
