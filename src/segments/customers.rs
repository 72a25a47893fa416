// STUB
use std::collections::BTreeMap;
pub struct Customer {
    pub id: String,
    pub segments: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}
pub struct Rejected {
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}
pub struct Loaded {
    pub customers: Vec<Customer>,
    pub rejected: Vec<Rejected>,
}
pub fn load_customers(_p: &std::path::Path) -> Result<Loaded, String> {
    todo!()
}
