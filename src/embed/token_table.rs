//! A token embedding table read row by row from the memory-mapped safetensors file.

// EmbeddingGemma's table is 262,144 × 768 float32 values (805 MB), two thirds of the
// model, and a text needs a few hundred of its rows. Copied into memory like the other
// weights, it held the whole table resident for good (and, while loading, the mapped
// file beside the copy: `serve` peaked at 2.5 GB). Read from the mapping, only the pages
// of the tokens in use are resident, and they are the page cache's, shared between
// processes and reclaimable.

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};

const F32_BYTES: usize = 4;

/// One float32 matrix `(rows, width)` of a safetensors file, kept mapped.
#[derive(Debug)]
pub(crate) struct TokenTable {
    map: Mmap,
    /// Byte offset of row 0 in the file.
    start: usize,
    rows: usize,
    width: usize,
}

impl TokenTable {
    /// Map `path` and find the tensor `name`, which must be float32 of shape
    /// `(rows, width)`.
    pub(crate) fn open(path: &Path, name: &str, rows: usize, width: usize) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        // SAFETY: the file is only read, and starcoach never writes into the model folder
        // while a model is loaded (as for the other weights, which are mapped too).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| e.to_string())?;
        let (header_len, metadata) =
            SafeTensors::read_metadata(&map).map_err(|e| format!("not safetensors: {e}"))?;
        let info = metadata
            .info(name)
            .ok_or_else(|| format!("no tensor {name}"))?;
        if info.dtype != Dtype::F32 || info.shape != [rows, width] {
            return Err(format!(
                "{name} is {:?} {:?}, expected F32 [{rows}, {width}]",
                info.dtype, info.shape
            ));
        }
        // The data follow the 8-byte header length and the header.
        let start = 8 + header_len + info.data_offsets.0;
        let end = 8 + header_len + info.data_offsets.1;
        if end - start != rows * width * F32_BYTES || end > map.len() {
            return Err(format!("{name}'s data run past the end of the file"));
        }
        Ok(Self {
            map,
            start,
            rows,
            width,
        })
    }

    /// The rows of `ids`, one after the other, each value times `scale`.
    pub(crate) fn gather(&self, ids: &[u32], scale: f32) -> Result<Vec<f32>, String> {
        let row_bytes = self.width * F32_BYTES;
        let mut out = Vec::with_capacity(ids.len() * self.width);
        for &id in ids {
            let id = id as usize;
            if id >= self.rows {
                return Err(format!(
                    "token id {id} is outside the table ({})",
                    self.rows
                ));
            }
            let row = &self.map[self.start + id * row_bytes..][..row_bytes];
            out.extend(
                row.chunks_exact(F32_BYTES)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * scale),
            );
        }
        Ok(out)
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file holding a table `emb` (3 × 2) after another tensor (`bias`:
    /// safetensors orders tensors by name, so the table's data do not start at 0).
    fn write_file(dir: &Path) -> std::path::PathBuf {
        let other: Vec<u8> = [9.0f32, 9.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let table: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let views = vec![
            (
                "bias",
                safetensors::tensor::TensorView::new(Dtype::F32, vec![2], &other).unwrap(),
            ),
            (
                "emb",
                safetensors::tensor::TensorView::new(Dtype::F32, vec![3, 2], &table).unwrap(),
            ),
        ];
        let path = dir.join("w.safetensors");
        safetensors::serialize_to_file(views, None, &path).unwrap();
        path
    }

    #[test]
    fn rows_are_read_in_the_order_asked_and_scaled() {
        let dir = tempfile::tempdir().unwrap();
        let table = TokenTable::open(&write_file(dir.path()), "emb", 3, 2).unwrap();
        assert_eq!(
            table.gather(&[2, 0, 2], 2.0).unwrap(),
            vec![10.0, 12.0, 2.0, 4.0, 10.0, 12.0]
        );
        assert_eq!(table.width(), 2);
    }

    #[test]
    fn a_wrong_shape_a_missing_tensor_or_an_id_outside_the_table_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path());
        assert!(TokenTable::open(&path, "emb", 2, 3)
            .unwrap_err()
            .contains("expected F32 [2, 3]"));
        assert!(TokenTable::open(&path, "nope", 3, 2)
            .unwrap_err()
            .contains("no tensor nope"));
        let table = TokenTable::open(&path, "emb", 3, 2).unwrap();
        assert!(table.gather(&[3], 1.0).unwrap_err().contains("outside"));
    }
}
