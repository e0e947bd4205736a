//! Copies one table's rows from one database to another through sqlx's `Any` driver, column by
//! column, whatever the two backends are: each value keeps its kind (integer, real, text, blob
//! or null), read from the source row.

use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyRow, AnyTypeInfoKind};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Column, Row, ValueRef};

/// Parameters in one insert: within SQLite's oldest limit (999) and far within PostgreSQL's.
const MAX_PARAMETERS: usize = 999;
/// Row data held before it is inserted, so a table of large snapshots never sits in memory.
const MAX_BATCH_BYTES: usize = 8 << 20;

/// What went over for one table.
#[derive(Debug, Default, Clone, Copy)]
pub struct Copied {
    pub rows: u64,
    /// The values' own size: text and blob bytes, 8 for a number.
    pub bytes: u64,
}

/// Copies every row of `table` from `source` to `target`, in multi-row inserts. Both are
/// transactions the caller holds: the source's gives the snapshot, the target's the atomicity.
pub async fn copy_table(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    table: &str,
) -> Result<Copied, sqlx::Error> {
    let select = format!("select * from {}", quote(table));
    let mut rows = sqlx::query(&select).fetch(&mut *source);
    let mut columns: Vec<String> = Vec::new();
    let mut batch: Vec<Vec<Cell>> = Vec::new();
    let mut batch_bytes = 0;
    let mut copied = Copied::default();
    while let Some(row) = rows.try_next().await? {
        if columns.is_empty() {
            columns = row.columns().iter().map(|c| c.name().to_owned()).collect();
        }
        let cells = (0..columns.len())
            .map(|index| Cell::read(&row, index))
            .collect::<Result<Vec<_>, _>>()?;
        let bytes: usize = cells.iter().map(Cell::size).sum();
        copied.rows += 1;
        copied.bytes += bytes as u64;
        batch_bytes += bytes;
        batch.push(cells);
        let full_rows = MAX_PARAMETERS / columns.len().max(1);
        if batch.len() >= full_rows || batch_bytes >= MAX_BATCH_BYTES {
            insert(target, table, &columns, std::mem::take(&mut batch)).await?;
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        insert(target, table, &columns, batch).await?;
    }
    Ok(copied)
}

async fn insert(
    target: &mut AnyConnection,
    table: &str,
    columns: &[String],
    rows: Vec<Vec<Cell>>,
) -> Result<(), sqlx::Error> {
    let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let tuples: Vec<String> = (0..rows.len())
        .map(|row| {
            let first = row * columns.len();
            let places: Vec<String> = (1..=columns.len())
                .map(|n| format!("${}", first + n))
                .collect();
            format!("({})", places.join(", "))
        })
        .collect();
    let statement = format!(
        "insert into {} ({}) values {}",
        quote(table),
        names.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query(&statement);
    for cell in rows.into_iter().flatten() {
        query = cell.bind(query);
    }
    query.execute(target).await?;
    Ok(())
}

/// An identifier in double quotes, which SQLite and PostgreSQL both read.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One value on its way from a source row into an insert.
enum Cell {
    /// A null keeps its column's kind: PostgreSQL refuses a null of the wrong type.
    Null(AnyTypeInfoKind),
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    fn read(row: &AnyRow, index: usize) -> Result<Self, sqlx::Error> {
        use AnyTypeInfoKind as Kind;
        let value = row.try_get_raw(index)?;
        if value.is_null() {
            return Ok(Self::Null(row.column(index).type_info().kind()));
        }
        // The value's own kind, not the column's: SQLite may store any kind in a loose column.
        let kind = value.type_info().kind();
        Ok(match kind {
            Kind::Bool => Self::Integer(row.try_get_unchecked::<bool, _>(index)?.into()),
            Kind::SmallInt | Kind::Integer | Kind::BigInt => {
                Self::Integer(row.try_get_unchecked(index)?)
            }
            Kind::Real | Kind::Double => Self::Real(row.try_get_unchecked(index)?),
            Kind::Text => Self::Text(row.try_get_unchecked(index)?),
            Kind::Blob => Self::Blob(row.try_get_unchecked(index)?),
            Kind::Null => Self::Null(row.column(index).type_info().kind()),
        })
    }

    fn size(&self) -> usize {
        match self {
            Self::Null(_) => 0,
            Self::Integer(_) | Self::Real(_) => 8,
            Self::Text(text) => text.len(),
            Self::Blob(blob) => blob.len(),
        }
    }

    fn bind<'q>(self, query: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        use AnyTypeInfoKind as Kind;
        match self {
            Self::Null(Kind::Text) => query.bind(None::<String>),
            Self::Null(Kind::Blob) => query.bind(None::<Vec<u8>>),
            Self::Null(Kind::Real | Kind::Double) => query.bind(None::<f64>),
            // Integers, and nulls of no known kind: SQLite takes those anywhere.
            Self::Null(_) => query.bind(None::<i64>),
            Self::Integer(value) => query.bind(value),
            Self::Real(value) => query.bind(value),
            Self::Text(value) => query.bind(value),
            Self::Blob(value) => query.bind(value),
        }
    }
}
