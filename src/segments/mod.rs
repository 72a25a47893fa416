//! Customer segments: who the customers are (loaded from a CRM export) and how they buy (RFM from
//! orders). Stored in the data dir apart from the index, and joined onto documents by customer id,
//! so reloading segments re-joins the index without re-analyzing any text.

pub mod customers;
pub mod rfm;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::record::Document;

pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CustomerEntry {
    pub segments: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RfmEntry {
    pub segment: String,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub recency_days: i64,
    pub frequency: u32,
    pub monetary: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SegmentStore {
    pub customers: HashMap<String, CustomerEntry>,
    pub rfm: HashMap<String, RfmEntry>,
    #[serde(default)]
    pub rfm_as_of: Option<String>,
}

impl SegmentStore {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("segments.json")
    }

    /// A data dir without segments has an empty store: every customer is `unknown`.
    pub fn load(data_dir: &Path) -> Result<Self, Error> {
        let path = Self::path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a store.
    pub fn save(&self, data_dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(data_dir)?;
        let path = Self::path(data_dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(self)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// The segments and customer attributes a document should carry.
    pub fn lookup(&self, customer_id: Option<&str>) -> (Vec<String>, BTreeMap<String, String>) {
        let Some(id) = customer_id else {
            return (vec![UNKNOWN.to_owned()], BTreeMap::new());
        };
        let customer = self.customers.get(id);
        let rfm = self.rfm.get(id);
        if customer.is_none() && rfm.is_none() {
            return (vec![UNKNOWN.to_owned()], BTreeMap::new());
        }
        let mut segments = Vec::new();
        let mut attributes = BTreeMap::new();
        if let Some(c) = customer {
            segments.extend(c.segments.iter().cloned());
            attributes.extend(c.attributes.clone());
        }
        if let Some(r) = rfm {
            segments.push(r.segment.clone());
            attributes.insert("rfm_segment".into(), r.segment.clone());
            attributes.insert("rfm".into(), format!("{}{}{}", r.r, r.f, r.m));
            attributes.insert("recency_days".into(), r.recency_days.to_string());
            attributes.insert("orders".into(), r.frequency.to_string());
        }
        segments.sort();
        segments.dedup();
        if segments.is_empty() {
            // A known customer with no segment yet is still a customer, not `unknown`.
            segments.push("none".into());
        }
        (segments, attributes)
    }

    pub fn join(&self, doc: &mut Document) {
        let (segments, attributes) = self.lookup(doc.record.customer_id.as_deref());
        doc.segments = segments;
        doc.customer_attributes = attributes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_known_customers() {
        let mut store = SegmentStore::default();
        store.customers.insert(
            "C1".into(),
            CustomerEntry {
                segments: vec!["VIP".into()],
                attributes: [("region".to_string(), "서울".to_string())].into(),
            },
        );
        store.rfm.insert(
            "C1".into(),
            RfmEntry {
                segment: "At Risk".into(),
                r: 1,
                f: 4,
                m: 5,
                recency_days: 200,
                frequency: 9,
                monetary: 1_200_000.0,
            },
        );
        assert_eq!(store.lookup(None).0, vec!["unknown"]);
        assert_eq!(store.lookup(Some("nobody")).0, vec!["unknown"]);
        let (segs, attrs) = store.lookup(Some("C1"));
        assert_eq!(segs, vec!["At Risk", "VIP"]);
        assert_eq!(attrs["region"], "서울");
        assert_eq!(attrs["rfm"], "145");
    }

    #[test]
    fn store_round_trips_through_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            SegmentStore::load(dir.path()).unwrap(),
            SegmentStore::default()
        );
        let mut store = SegmentStore::default();
        store
            .customers
            .insert("C2".into(), CustomerEntry::default());
        store.save(dir.path()).unwrap();
        assert_eq!(SegmentStore::load(dir.path()).unwrap(), store);
        assert_eq!(store.lookup(Some("C2")).0, vec!["none"]);
    }
}
