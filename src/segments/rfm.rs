// STUB
pub struct Order;
pub struct Orders {
    pub orders: Vec<Order>,
    pub rejected: Vec<super::customers::Rejected>,
}
pub struct RfmScore {
    pub customer_id: String,
    pub recency_days: i64,
    pub frequency: u32,
    pub monetary: f64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: &'static str,
}
pub struct RfmResult {
    pub scores: Vec<RfmScore>,
    pub as_of: chrono::NaiveDate,
}
pub fn load_orders(_p: &std::path::Path) -> Result<Orders, String> {
    todo!()
}
pub fn rfm(_o: &[Order], _a: Option<chrono::NaiveDate>) -> RfmResult {
    todo!()
}
