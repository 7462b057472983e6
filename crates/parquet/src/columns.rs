//! What the three kinds share: fields, metadata, exact decimals on a
//! grid, and opening files for writing and reading.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use kestrel_model::{Increment, Instrument};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::{ParquetError, SCHEMA};

/// Rows in one record batch.
pub(crate) const BATCH_ROWS: usize = 64 * 1024;

/// Decimal precision of every price and size column.
const PRECISION: u8 = 38;

pub(crate) fn timestamp(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        false,
    )
}

pub(crate) fn decimal(name: &str, increment: &Increment) -> Field {
    Field::new(
        name,
        DataType::Decimal128(PRECISION, increment.scale() as i8),
        false,
    )
}

/// The schema of `kind` for `instrument`, with its metadata.
pub(crate) fn schema(
    kind: &str,
    instrument: &Instrument,
    fields: Vec<Field>,
    extra: &[(&str, String)],
) -> SchemaRef {
    let mut meta = HashMap::from([
        ("kestrel.kind".to_owned(), kind.to_owned()),
        ("kestrel.instrument".to_owned(), instrument.id.to_string()),
        ("kestrel.schema".to_owned(), SCHEMA.to_owned()),
    ]);
    for (k, v) in extra {
        meta.insert((*k).to_owned(), v.clone());
    }
    Arc::new(Schema::new(fields).with_metadata(meta))
}

/// `steps` of `increment` as the unscaled value of a decimal at the
/// increment's scale.
pub(crate) fn unscaled(steps: i64, increment: &Increment) -> i128 {
    let (step, _) = increment.as_decimal().to_parts();
    i128::from(steps) * step
}

/// An unscaled decimal at `scale` as steps of `increment`; `None` when it
/// is negative, off the grid or out of range.
pub(crate) fn steps(unscaled: i128, scale: i8, increment: &Increment) -> Option<i64> {
    let digits = u64::try_from(unscaled).ok()?;
    let frac = u8::try_from(scale).ok()?;
    let steps = increment.steps_from_digits(digits, frac).ok()?;
    i64::try_from(steps).ok()
}

/// A decimal column of unscaled `values` at `increment`'s scale.
pub(crate) fn decimal_array(
    values: Vec<i128>,
    increment: &Increment,
) -> Result<arrow_array::Decimal128Array, arrow_schema::ArrowError> {
    arrow_array::Decimal128Array::from(values)
        .with_precision_and_scale(PRECISION, increment.scale() as i8)
}

/// A timestamp column (ns, UTC).
pub(crate) fn timestamp_array(values: Vec<i64>) -> arrow_array::TimestampNanosecondArray {
    arrow_array::TimestampNanosecondArray::from(values).with_timezone("UTC")
}

/// A time read back: before the epoch is not a time we keep.
pub(crate) fn time(ns: i64) -> kestrel_model::UnixNanos {
    kestrel_model::UnixNanos::new(u64::try_from(ns).unwrap_or(0))
}

/// A file open for writing batches of `schema`.
pub(crate) struct Writer {
    inner: ArrowWriter<std::fs::File>,
    path: String,
}

impl Writer {
    pub(crate) fn create(path: &Path, schema: SchemaRef) -> Result<Self, ParquetError> {
        let shown = path.display().to_string();
        let file = std::fs::File::create(path).map_err(|source| ParquetError::Io {
            path: shown.clone(),
            source,
        })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let inner =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| ParquetError::Format {
                path: shown.clone(),
                what: e.to_string(),
            })?;
        Ok(Self { inner, path: shown })
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        self.inner.write(batch).map_err(|e| self.format(e))
    }

    /// Builds a batch of `schema` from `columns` and writes it.
    pub(crate) fn write_columns(
        &mut self,
        schema: &SchemaRef,
        columns: Result<Vec<arrow_array::ArrayRef>, arrow_schema::ArrowError>,
    ) -> Result<(), ParquetError> {
        let batch = columns
            .and_then(|c| RecordBatch::try_new(schema.clone(), c))
            .map_err(|e| self.format(e))?;
        self.write(&batch)
    }

    pub(crate) fn finish(self) -> Result<(), ParquetError> {
        let path = self.path;
        self.inner
            .close()
            .map(drop)
            .map_err(|e| ParquetError::Format {
                path,
                what: e.to_string(),
            })
    }

    fn format(&self, e: impl ToString) -> ParquetError {
        ParquetError::Format {
            path: self.path.clone(),
            what: e.to_string(),
        }
    }
}

/// A file open for reading batches, its kind and instrument checked.
pub(crate) struct Reader {
    pub(crate) batches: ParquetRecordBatchReader,
    pub(crate) schema: SchemaRef,
    pub(crate) path: String,
    /// The decoder failed; nothing more is read.
    failed: bool,
}

/// Runs `f`, turning a panic inside the Parquet library (it has some on
/// malformed files, found by fuzzing) into a format error: a bad file
/// must not stop the process.
fn guarded<T>(path: &str, f: impl FnOnce() -> T) -> Result<T, ParquetError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| ParquetError::Format {
        path: path.to_owned(),
        what: "the Parquet decoder failed on malformed data".into(),
    })
}

impl Reader {
    pub(crate) fn open(
        path: &Path,
        kind: &str,
        instrument: &Instrument,
    ) -> Result<Self, ParquetError> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| ParquetError::Io {
            path: shown.clone(),
            source,
        })?;
        let format = |e: parquet::errors::ParquetError| ParquetError::Format {
            path: shown.clone(),
            what: e.to_string(),
        };
        let opened = guarded(&shown, || {
            ParquetRecordBatchReaderBuilder::try_new(file).and_then(|builder| {
                // The file's schema, with the metadata the batches' schema drops.
                let schema = builder.schema().clone();
                builder
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map(|batches| (schema, batches))
            })
        })?;
        let (schema, batches) = opened.map_err(format)?;
        let reader = Self {
            batches,
            schema,
            path: shown,
            failed: false,
        };
        let meta = reader.schema.metadata();
        let found = meta.get("kestrel.kind").map(String::as_str);
        if found != Some(kind) {
            return Err(reader.schema_error(format!(
                "holds {}, not {kind}",
                found.unwrap_or("no kestrel.kind")
            )));
        }
        let id = instrument.id.to_string();
        match meta.get("kestrel.instrument") {
            Some(held) if *held == id => {}
            held => {
                return Err(reader.schema_error(format!(
                    "holds {}, not {id}",
                    held.map_or("no kestrel.instrument", String::as_str)
                )));
            }
        }
        Ok(reader)
    }

    pub(crate) fn schema_error(&self, what: String) -> ParquetError {
        ParquetError::Schema {
            path: self.path.clone(),
            what,
        }
    }

    /// The next batch; `None` at the end.
    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, ParquetError>> {
        if self.failed {
            return None;
        }
        let path = self.path.clone();
        let batches = &mut self.batches;
        // The decoder's state is unknown once it failed, by a panic or an
        // error: nothing more is read. (The Parquet reader answers a bad
        // page with the same error on every call, never the end: a reader
        // that went on asked forever, found by fuzzing.)
        let next = match guarded(&path, || batches.next()) {
            Ok(next) => next?,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        Some(next.map_err(|e| {
            self.failed = true;
            ParquetError::Format {
                path,
                what: e.to_string(),
            }
        }))
    }

    /// Column `name` of `batch` as `T`, with no nulls unless `nullable`.
    pub(crate) fn column<'b, T: Array + 'static>(
        &self,
        batch: &'b RecordBatch,
        name: &str,
        nullable: bool,
    ) -> Result<&'b T, ParquetError> {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| self.schema_error(format!("no column {name}")))?;
        if !nullable && column.null_count() > 0 {
            return Err(self.schema_error(format!("column {name} has nulls")));
        }
        column
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| self.schema_error(format!("column {name} is {}", column.data_type())))
    }

    /// The scale of decimal column `name`.
    pub(crate) fn scale(&self, name: &str) -> Result<i8, ParquetError> {
        match self.schema.field_with_name(name).map(Field::data_type) {
            Ok(DataType::Decimal128(_, scale)) => Ok(*scale),
            _ => Err(self.schema_error(format!("column {name} is not Decimal128"))),
        }
    }
}
