//! Keeps the storage contract written down: every public `Db` method a file of `db/`
//! defines (in an `impl Db` block) is listed in that file's `//!` header ("Methods: …") and
//! on its row of the index table at the top of `mod.rs`, and neither lists anything else.

use std::collections::BTreeSet;
use std::path::Path;

/// The public methods of the file's `impl Db` blocks.
fn defined(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut inside = false;
    for line in src.lines() {
        if line == "impl Db {" {
            inside = true;
        } else if line == "}" {
            inside = false;
        } else if inside {
            let rest = ["    pub async fn ", "    pub fn "]
                .iter()
                .find_map(|p| line.strip_prefix(p));
            if let Some(rest) = rest {
                let end = rest.find(['(', '<']).unwrap_or(rest.len());
                out.insert(rest[..end].to_owned());
            }
        }
    }
    out
}

/// The names in backticks after "Methods" in the file's leading `//!` paragraph(s), up to
/// the next empty `//!` line.
fn in_header(src: &str) -> BTreeSet<String> {
    let doc: Vec<&str> = src
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim())
        .collect();
    let Some(start) = doc.iter().position(|l| l.starts_with("Methods")) else {
        return BTreeSet::new();
    };
    let text = doc[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let text = &text[text.find(':').map_or(0, |i| i + 1)..];
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The methods on `file`'s row of `mod.rs`'s index table.
fn in_index(index: &str, file: &str) -> BTreeSet<String> {
    let row = format!("//! | `{file}` |");
    index
        .lines()
        .find(|l| l.starts_with(&row))
        .and_then(|l| l.trim_end_matches('|').rsplit(" | ").next())
        .map(|m| m.split(", ").map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn every_db_method_is_listed_in_its_file_and_in_the_index() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db");
    let index = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if file == "mod.rs" || !file.ends_with(".rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let methods = defined(&src);
        if methods.is_empty() {
            continue;
        }
        assert_eq!(
            in_header(&src),
            methods,
            "db/{file}: its //! \"Methods:\" list"
        );
        assert_eq!(
            in_index(&index, &file),
            methods,
            "db/{file}: its row in db/mod.rs"
        );
        checked += methods.len();
    }
    assert!(checked > 100, "only {checked} methods found");
}
