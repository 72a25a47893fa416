// STUB
pub enum Query {
    Term(String),
    Phrase(String),
    Field { field: Field, value: FieldValue },
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
    All,
}
pub enum Field {
    Channel,
    Segment,
    Kind,
    Lang,
    Source,
    Product,
    Customer,
    Rating,
    Since,
    Until,
    Sentiment,
    Topic,
    Emotion,
    Flag,
    Attr(String),
}
#[derive(Debug)]
pub enum FieldValue {
    Text(String),
    Cmp(CmpOp, f64),
    Range(f64, f64),
    Date(chrono::NaiveDate),
}
#[derive(Debug)]
pub enum CmpOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}
pub struct QueryError {
    pub message: String,
    pub position: usize,
    pub hint: String,
}
impl QueryError {
    pub fn render(&self, q: &str) -> String {
        q.into()
    }
}
pub fn parse(_i: &str) -> Result<Query, QueryError> {
    Ok(Query::All)
}
