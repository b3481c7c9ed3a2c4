//! Finding story files on disk and turning their bytes into text.

// A directory is walked recursively for `.md`, `.markdown` and `.txt` files (hidden
// files and folders are skipped, and so are job descriptions named `*.job.md` or
// `*.job.txt`, which are `starcoach prep`'s input, not stories), in sorted order; a
// file given by name is always taken. Bytes that are not text (NUL bytes, invalid UTF-8) are reported with a
// reason instead of failing the run.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::error::CorpusError;

/// File extensions (lowercase) collected from directories.
pub const STORY_EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// Text of a file's bytes (a UTF-8 byte-order mark removed), or why it is not text:
/// `"binary file"` or `"not valid UTF-8 (byte offset N)"`.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.contains(&0) {
        return Err("binary file".to_string());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (byte offset {})", e.valid_up_to()))?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
}

fn has_story_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| STORY_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A job description kept beside the stories (`acme.job.md`, `acme.job.txt`): read by
/// `starcoach prep`, never ingested from a directory walk.
pub fn is_job_description(path: &Path) -> bool {
    path.file_stem()
        .and_then(|stem| Path::new(stem).extension())
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("job"))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// `path` relative to `root`, with `/` separators.
fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The story files under `paths` as `(path, source name)`: a directory is walked
/// recursively (only `.md`, `.markdown`, `.txt`; sorted; source name relative to the
/// directory), a file is taken as given (source name = its file name). A path that
/// does not exist is an error; duplicates are listed once.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, CorpusError> {
    let mut out: Vec<(PathBuf, String)> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| CorpusError::io(root, e))?;
        let mut found: Vec<(PathBuf, String)> = Vec::new();
        if meta.is_dir() {
            let walker = WalkDir::new(root)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    // A symlink pointing to one of its own parents: nothing new below it.
                    Err(e) if e.loop_ancestor().is_some() => continue,
                    Err(e) => {
                        let path = e.path().unwrap_or(root).to_path_buf();
                        return Err(CorpusError::io(path, e.into()));
                    }
                };
                if entry.file_type().is_file()
                    && has_story_extension(entry.path())
                    && !is_job_description(entry.path())
                {
                    let name = relative_name(root, entry.path());
                    found.push((entry.into_path(), name));
                }
            }
            found.sort_by(|a, b| a.1.cmp(&b.1));
        } else {
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.to_string_lossy().into_owned());
            found.push((root.clone(), name));
        }
        for item in found {
            if !out.iter().any(|(p, _)| *p == item.0) {
                out.push(item);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reports_binary_and_invalid_utf8() {
        assert_eq!(decode_text(b"abc\0def"), Err("binary file".to_string()));
        assert_eq!(
            decode_text(b"ok \xff\xfe"),
            Err("not valid UTF-8 (byte offset 3)".to_string())
        );
        assert_eq!(
            decode_text("\u{feff}# Title".as_bytes()),
            Ok("# Title".to_string())
        );
    }

    #[test]
    fn walks_directories_sorted_with_relative_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("notes/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for name in [
            "b.md",
            "a.txt",
            "notes/deep/c.markdown",
            "notes/x.TXT",
            "image.png",
            "acme.job.md",
            "notes/b.job.txt",
            ".git/h.md",
            ".hidden.md",
        ] {
            std::fs::write(root.join(name), "text").unwrap();
        }
        let files = collect_files(&[root.to_path_buf()]).unwrap();
        let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            names,
            ["a.txt", "b.md", "notes/deep/c.markdown", "notes/x.TXT"]
        );
        assert_eq!(files[0].0, root.join("a.txt"));

        let single = collect_files(&[root.join("notes/x.TXT"), root.join("notes/x.TXT")]).unwrap();
        assert_eq!(
            single,
            vec![(root.join("notes/x.TXT"), "x.TXT".to_string())]
        );
    }

    #[test]
    fn a_missing_path_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = collect_files(std::slice::from_ref(&missing)).unwrap_err();
        assert!(matches!(err, CorpusError::NotFound { ref path } if *path == missing));
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
