//! CSV (RFC 4180): a header row naming every field of the record kinds that may come
//! (`kind`, `t_ns`, then the union of the kinds' fields in their serde order), then one row
//! per record; a field the record's kind does not have, or that is null, is an empty cell.
//! Multi-valued fields use the flat forms of [`super::fields`] (`11 57 375 42;711 211 20
//! 25`, `shift|control`); cells holding `,`, `"` or a line break are quoted.

use std::io::{self, Write};

use gdkrecord_format::{Record, RecordKind};
use serde::Serialize;

use super::fields::{field_names, visit_fields, FieldVisitor};
use super::flat::{render_flat, Flat, Floats};
use super::RecordWriter;

/// Writes CSV rows straight into the output; one buffer is reused for every row.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    /// For each kind code, where its fields go.
    layouts: Vec<KindLayout>,
    column_count: usize,
    /// The row being built, written in one call.
    row: Vec<u8>,
    /// For kinds whose fields are not in column order: each column's cell, rendered
    /// into `row` first, then copied behind in column order.
    cells: Vec<Option<Cell>>,
}

#[derive(Clone, Debug, Default)]
struct KindLayout {
    /// The column of each field, in [`field_names`] order.
    columns: Vec<usize>,
    /// Whether `columns` only grows, so cells can be written as the fields come.
    in_order: bool,
}

#[derive(Clone, Copy, Debug)]
struct Cell {
    start: usize,
    end: usize,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header row for records of `kinds`.
    pub fn new(mut out: W, kinds: &[RecordKind]) -> io::Result<CsvWriter<W>> {
        let mut header: Vec<&'static str> = Vec::new();
        let max_code = RecordKind::ALL
            .iter()
            .map(|k| *k as usize)
            .max()
            .unwrap_or(0);
        let mut layouts = vec![KindLayout::default(); max_code + 1];
        for &kind in kinds {
            let columns: Vec<usize> = field_names(kind)
                .into_iter()
                .map(|name| match header.iter().position(|n| *n == name) {
                    Some(column) => column,
                    None => {
                        header.push(name);
                        header.len() - 1
                    }
                })
                .collect();
            let in_order = columns.windows(2).all(|pair| pair[0] < pair[1]);
            layouts[kind as usize] = KindLayout { columns, in_order };
        }
        out.write_all(header.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        Ok(CsvWriter {
            out,
            layouts,
            column_count: header.len(),
            row: Vec::with_capacity(1024),
            cells: vec![None; header.len()],
        })
    }
}

/// Appends `n` commas.
fn push_commas(row: &mut Vec<u8>, mut n: usize) {
    const COMMAS: [u8; 64] = [b','; 64];
    while n > 0 {
        let now = n.min(COMMAS.len());
        row.extend_from_slice(&COMMAS[..now]);
        n -= now;
    }
}

fn needs_quotes(cell: &[u8]) -> bool {
    cell.iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// Appends `row[cell]` quoted when it must be, else as it is.
fn push_cell(row: &mut Vec<u8>, cell: Cell, may_need_quotes: bool) {
    if may_need_quotes && needs_quotes(&row[cell.start..cell.end]) {
        row.push(b'"');
        let mut from = cell.start;
        while let Some(quote) = row[from..cell.end].iter().position(|b| *b == b'"') {
            // Up to and including the quote, then the quote once more.
            row.extend_from_within(from..from + quote + 1);
            row.push(b'"');
            from += quote + 1;
        }
        row.extend_from_within(from..cell.end);
        row.push(b'"');
    } else {
        row.extend_from_within(cell.start..cell.end);
    }
}

fn may_need_quotes(shape: Flat) -> bool {
    matches!(shape, Flat::Str | Flat::List | Flat::Json)
}

fn column_of(columns: &[usize], index: usize, name: &str) -> io::Result<usize> {
    columns
        .get(index)
        .copied()
        .ok_or_else(|| io::Error::other(format!("field `{name}` has no CSV column")))
}

/// Writes the cells as the fields come (kinds whose fields are in column order).
struct InOrderRow<'a> {
    row: &'a mut Vec<u8>,
    columns: &'a [usize],
    /// Commas written so far: the column the next byte is in.
    commas: usize,
}

impl FieldVisitor for InOrderRow<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        index: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        let column = column_of(self.columns, index, name)?;
        push_commas(self.row, column - self.commas);
        self.commas = column;
        let start = self.row.len();
        let shape = render_flat(value, Floats::Exact, self.row)?;
        if may_need_quotes(shape) && needs_quotes(&self.row[start..]) {
            let end = self.row.len();
            push_cell(self.row, Cell { start, end }, true);
            self.row.drain(start..end);
        }
        Ok(())
    }
}

/// Renders the cells first, to be put in column order afterwards.
struct CellsRow<'a> {
    row: &'a mut Vec<u8>,
    cells: &'a mut [Option<Cell>],
    columns: &'a [usize],
}

impl FieldVisitor for CellsRow<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        index: usize,
        name: &'static str,
        value: &T,
    ) -> io::Result<()> {
        let column = column_of(self.columns, index, name)?;
        let start = self.row.len();
        if render_flat(value, Floats::Exact, self.row)? != Flat::Null {
            self.cells[column] = Some(Cell {
                start,
                end: self.row.len(),
            });
        }
        Ok(())
    }
}

impl<W: Write> RecordWriter for CsvWriter<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let kind = record.kind();
        let layout = match self.layouts.get(kind as usize) {
            Some(layout) if !layout.columns.is_empty() => layout,
            _ => {
                return Err(io::Error::other(format!(
                    "no CSV columns for `{kind}` records"
                )))
            }
        };
        self.row.clear();
        let row_start = if layout.in_order {
            let mut fields = InOrderRow {
                row: &mut self.row,
                columns: &layout.columns,
                commas: 0,
            };
            visit_fields(record, &mut fields)?;
            let commas = fields.commas;
            push_commas(&mut self.row, self.column_count - 1 - commas);
            0
        } else {
            self.cells.fill(None);
            visit_fields(
                record,
                &mut CellsRow {
                    row: &mut self.row,
                    cells: &mut self.cells,
                    columns: &layout.columns,
                },
            )?;
            let row_start = self.row.len();
            for (i, cell) in self.cells.iter().enumerate() {
                if i > 0 {
                    self.row.push(b',');
                }
                if let Some(cell) = *cell {
                    push_cell(&mut self.row, cell, true);
                }
            }
            row_start
        };
        self.row.push(b'\n');
        self.out.write_all(&self.row[row_start..])
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Damage, Dispatch, Renderer, Size, Stall, SurfaceId};

    #[test]
    fn columns_are_the_union_and_cells_are_escaped() {
        let mut out = Vec::new();
        let mut writer = CsvWriter::new(&mut out, &[RecordKind::Size, RecordKind::Damage]).unwrap();
        writer
            .write(&Record::Size(Size {
                t_ns: 5,
                surface: SurfaceId(1),
                width: 10,
                height: 20,
            }))
            .unwrap();
        let damage = Damage {
            t_ns: 6,
            surface: SurfaceId(1),
            frame: 3,
            renderer: Renderer::CAIRO,
            rects: vec![[0, 0, 4, 4], [8, 8, 1, 1]],
        };
        writer.write(&Record::Damage(damage)).unwrap();
        writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "kind,t_ns,surface,width,height,frame,renderer,rects\n\
             size,5,1,10,20,,,\n\
             damage,6,1,,,3,cairo,0 0 4 4;8 8 1 1\n"
        );
        assert!(needs_quotes(b"a,b") && needs_quotes(b"say \"hi\"") && !needs_quotes(b"plain"));
    }

    #[test]
    fn kinds_out_of_column_order_still_fill_their_columns() {
        let mut out = Vec::new();
        // `stall` has `source` after `duration_ms`, but `dispatch` put `source` first.
        let mut writer =
            CsvWriter::new(&mut out, &[RecordKind::Dispatch, RecordKind::Stall]).unwrap();
        assert!(writer.layouts[RecordKind::Dispatch as usize].in_order);
        assert!(!writer.layouts[RecordKind::Stall as usize].in_order);
        let dispatch = Dispatch {
            t_ns: 1,
            duration_ns: 2,
            source: Some("a,\"b\"".into()),
            source_type: "idle".into(),
            priority: 200,
            callback: None,
        };
        writer.write(&Record::Dispatch(dispatch)).unwrap();
        let stall = Stall {
            t_ns: 3,
            duration_ns: 4,
            duration_ms: 0.5,
            source: Some("x\ny".into()),
            samples: 0,
            stack: vec![],
        };
        writer.write(&Record::Stall(stall)).unwrap();
        writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "kind,t_ns,duration_ns,source,source_type,priority,callback,duration_ms,samples,stack\n\
             dispatch,1,2,\"a,\"\"b\"\"\",idle,200,,,,\n\
             stall,3,4,\"x\ny\",,,,0.5,0,\n"
        );
    }
}
